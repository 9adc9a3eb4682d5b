//! Input rules shared by the host's endpoints. Each returns the rule it broke, so the
//! caller can answer 422 naming the field.
//!
//! The `*_PATTERN` constants say the same rules as JSON Schema patterns for the API
//! document (request types carry them with `#[schemars(...)]`); the functions are what is
//! enforced, and a test checks the two agree.

/// [`friend_id`] and [`agent_id`].
pub const ID_PATTERN: &str = "^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$";
/// [`display_name`]: no control characters, something besides spaces. Its length, 1-100
/// characters, is [`DISPLAY_NAME_MAX`].
pub const DISPLAY_NAME_PATTERN: &str =
    "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$";
pub const DISPLAY_NAME_MAX: u32 = 100;
/// [`discord_id`].
pub const DISCORD_ID_PATTERN: &str = "^[0-9]{17,20}$";
/// [`phone`]: 5-20 digits, spaces and dashes between them, an optional leading '+'.
pub const PHONE_PATTERN: &str = "^\\+?[0-9](?:[ -]*[0-9]){4,19}[ -]*$";

/// Friend ids become `friend-<id>` namespaces and `<name>-<id>.<domain>` hostnames,
/// so they must stay valid DNS labels inside both.
pub fn friend_id(id: &str) -> Result<(), &'static str> {
    let ok_len = (1..=32).contains(&id.len());
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(
            "must be 1-32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
        )
    }
}

/// Agent ids follow the friend id rule: they appear in session keys and audit entries.
pub fn agent_id(id: &str) -> Result<(), &'static str> {
    friend_id(id)
}

pub fn display_name(name: &str) -> Result<(), &'static str> {
    let n = name.chars().count();
    if (1..=DISPLAY_NAME_MAX as usize).contains(&n)
        && !name.trim().is_empty()
        && !name.chars().any(char::is_control)
    {
        Ok(())
    } else {
        Err("must be 1-100 characters, not blank, without control characters")
    }
}

pub fn discord_id(id: &str) -> Result<(), &'static str> {
    if (17..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("must be a Discord snowflake: 17-20 digits")
    }
}

/// Phone numbers as people type them: `+1-555-0100`, `+49 151 2345678`.
pub fn phone(number: &str) -> Result<(), &'static str> {
    let rest = number.strip_prefix('+').unwrap_or(number);
    let digits = rest.bytes().filter(u8::is_ascii_digit).count();
    let ok = rest.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
        && (5..=20).contains(&digits);
    if ok {
        Ok(())
    } else {
        Err(
            "must be a phone number: an optional leading '+', then digits, spaces and dashes (5-20 digits)",
        )
    }
}

/// RFC 1123 label, as Kubernetes checks names of namespaces, services and cron jobs.
pub fn dns_label(name: &str) -> Result<(), &'static str> {
    let ok = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(
            "must be a DNS-1123 label: 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
        )
    }
}

/// RFC 1123 subdomain: what most Kubernetes object names (Secrets, ConfigMaps) must be.
pub fn dns_subdomain(name: &str) -> Result<(), &'static str> {
    let ok = (1..=253).contains(&name.len())
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && label
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
                && label
                    .bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(
            "must be a DNS-1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', each part starting and ending with a letter or digit",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn friend_ids() {
        for ok in ["alice", "a", "bob-2", "0x", &"a".repeat(32)] {
            assert!(friend_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Alice",
            "a_b",
            "a.b",
            "../x",
            &"a".repeat(33),
            "é",
        ] {
            assert!(friend_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        for ok in ["+1-555-0100", "+49 151 2345678", "5550100"] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "+",
            "abc",
            "+1 (555) 0100",
            "++1555",
            "-1555000",
            "+1555\n0100",
        ] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn discord_ids() {
        assert!(discord_id("123456789012345678").is_ok());
        assert!(discord_id("1234").is_err());
        assert!(discord_id("12345678901234567a").is_err());
    }

    #[test]
    fn display_names() {
        assert!(display_name("Alice Liddell").is_ok());
        assert!(display_name("").is_err());
        assert!(display_name("   ").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
        assert!(display_name("a\u{0}b").is_err());
    }

    /// The API document's patterns say what the checks enforce: every sample gets the
    /// same verdict from both, with a JSON Schema validator as a client would use.
    #[test]
    fn the_documented_patterns_agree_with_the_checks() {
        type Rule = fn(&str) -> Result<(), &'static str>;
        let long = "a".repeat(33);
        let name_max = "x".repeat(DISPLAY_NAME_MAX as usize);
        let name_over = "x".repeat(DISPLAY_NAME_MAX as usize + 1);
        let (digits_20, digits_21) = ("1".repeat(20), "1".repeat(21));
        let cases: [(&str, Rule, serde_json::Value, Vec<&str>); 4] = [
            (
                "id",
                friend_id,
                serde_json::json!({"type": "string", "pattern": ID_PATTERN}),
                vec![
                    "alice",
                    "a",
                    "0x",
                    "bob-2",
                    &long[..32],
                    &long,
                    "",
                    "-a",
                    "a-",
                    "Alice",
                    "a_b",
                    "a.b",
                    "../x",
                    "é",
                    "a\nb",
                ],
            ),
            (
                "display name",
                display_name,
                serde_json::json!({"type": "string", "minLength": 1, "maxLength": DISPLAY_NAME_MAX, "pattern": DISPLAY_NAME_PATTERN}),
                vec![
                    "Alice Liddell",
                    " Al ",
                    "Zoë",
                    "名前",
                    &name_max,
                    &name_over,
                    "",
                    "   ",
                    "\t",
                    "a\u{0}b",
                    "a\u{85}b",
                    "a\u{7f}",
                ],
            ),
            (
                "discord id",
                discord_id,
                serde_json::json!({"type": "string", "pattern": DISCORD_ID_PATTERN}),
                vec![
                    "123456789012345678",
                    "12345678901234567890",
                    "1234",
                    "123456789012345678901",
                    "12345678901234567a",
                    "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨",
                ],
            ),
            (
                "phone",
                phone,
                serde_json::json!({"type": "string", "pattern": PHONE_PATTERN}),
                vec![
                    "+1-555-0100",
                    "+49 151 2345678",
                    "5550100",
                    "12345",
                    "1234",
                    "+1 555 0100 -",
                    &digits_20,
                    &digits_21,
                    "",
                    "+",
                    "abc",
                    "+1 (555) 0100",
                    "++1555",
                    "-1555000",
                    "+1555\n0100",
                ],
            ),
        ];
        for (what, rule, schema, samples) in cases {
            for sample in samples {
                let documented = jsonschema::is_valid(&schema, &serde_json::json!(sample));
                assert_eq!(documented, rule(sample).is_ok(), "{what}: {sample:?}");
            }
        }
    }
}
