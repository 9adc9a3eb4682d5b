//! Input rules shared by the host's endpoints. Each returns the rule it broke, so the
//! caller can answer 422 naming the field.
//!
//! The `*_PATTERN` constants say the same rules as JSON Schema patterns for the API
//! document (request types carry them with `#[schemars(...)]`); the functions are what is
//! enforced, and a test checks the two agree.

/// [`friend_id`] and [`agent_id`] (with a `maxLength` of [`ID_MAX`]): digits and hyphens
/// first, if any, then a letter, then letters, digits and hyphens ending in one of the first two.
pub const ID_PATTERN: &str = "^(?:[0-9][-0-9]*)?[a-z](?:[-a-z0-9]*[a-z0-9])?$";
pub const ID_MAX: u32 = 32;
/// [`display_name`]: no control characters, something besides spaces. Its length, 1-100
/// characters, is [`DISPLAY_NAME_MAX`].
pub const DISPLAY_NAME_PATTERN: &str =
    "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$";
pub const DISPLAY_NAME_MAX: u32 = 100;
/// [`discord_id`].
pub const DISCORD_ID_PATTERN: &str = "^[0-9]{17,20}$";
/// [`phone`]: international (E.164), '+' then 8-15 digits, the first not 0, with spaces
/// and dashes between them.
pub const PHONE_PATTERN: &str = "^\\+[1-9](?:[ -]*[0-9]){7,14}[ -]*$";

/// Friend ids become `friend-<id>` namespaces and `<name>-<id>.<domain>` hostnames,
/// so they must stay valid DNS labels inside both. They hold a letter: a cron job's session
/// names its friend by id or by a platform id (Discord's digits, a phone number), and an
/// id of digits and hyphens could be read as another friend's number.
pub fn friend_id(id: &str) -> Result<(), &'static str> {
    let ok_len = (1..=ID_MAX as usize).contains(&id.len());
    let ok_chars = id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let ok_ends = id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let has_letter = id.bytes().any(|b| b.is_ascii_lowercase());
    if ok_len && ok_chars && ok_ends && has_letter {
        Ok(())
    } else {
        Err(
            "must be 1-32 characters of a-z, 0-9 and '-', with at least one letter, starting and ending with a letter or digit",
        )
    }
}

/// A phone number as compared: without the spaces and dashes people type.
pub fn phone_key(number: &str) -> String {
    number.chars().filter(|c| *c != ' ' && *c != '-').collect()
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

/// Phone numbers in international form (E.164) as people type them: `+1-555-0100`,
/// `+49 151 2345678`. The '+' keeps a number apart from a Discord id (17-20 digits),
/// and E.164 allows at most 15 digits, so no number reads as one.
pub fn phone(number: &str) -> Result<(), &'static str> {
    let ok = number.strip_prefix('+').is_some_and(|rest| {
        let digits = rest.bytes().filter(u8::is_ascii_digit).count();
        rest.bytes()
            .next()
            .is_some_and(|b| (b'1'..=b'9').contains(&b))
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
            && (8..=15).contains(&digits)
    });
    if ok {
        Ok(())
    } else {
        Err(
            "must be a phone number in international form: '+', the country code, then the number (8-15 digits in all; spaces and dashes allowed)",
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

    const GOOD_IDS: &[&str] = &[
        "alice",
        "a",
        "bob-2",
        "0x",
        "1-a",
        "12a3",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    const BAD_IDS: &[&str] = &[
        "",
        "-a",
        "a-",
        "Alice",
        "a_b",
        "a.b",
        "../x",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "é",
        "a\nb",
        // Could be read as a Discord id or a phone number in a session key.
        "123456789012345678",
        "0151-2345678",
        "7",
    ];
    const GOOD_PHONES: &[&str] = &[
        "+1-555-0100",
        "+49 151 2345678",
        "+1 555 0100 -",
        "+12345678",
        "+123456789012345",
    ];
    const BAD_PHONES: &[&str] = &[
        "",
        "+",
        "abc",
        "1234",
        "111111111111111111111",
        "+1 (555) 0100",
        "++1555",
        "-1555000",
        "+1555\n0100",
        // Not international (E.164): no '+', a leading 0, too few or too many digits.
        "5550100",
        "12345",
        "11111111111111111111",
        "123456789012345678",
        "+0 555 0100",
        "+1234567",
        "+1234567890123456",
    ];
    const GOOD_DISCORD: &[&str] = &["123456789012345678", "12345678901234567890"];
    const BAD_DISCORD: &[&str] = &[
        "1234",
        "123456789012345678901",
        "12345678901234567a",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨",
    ];
    const GOOD_NAMES: &[&str] = &[
        "Alice Liddell",
        " Al ",
        "Zoë",
        "名前",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ];
    const BAD_NAMES: &[&str] = &[
        "",
        "   ",
        "\t",
        "a\u{0}b",
        "a\u{85}b",
        "a\u{7f}",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ];

    /// A rule, samples it takes and refuses, and the schema the API document shows for it.
    struct Case {
        what: &'static str,
        rule: fn(&str) -> Result<(), &'static str>,
        good: &'static [&'static str],
        bad: &'static [&'static str],
        schema: serde_json::Value,
    }

    fn cases() -> [Case; 4] {
        let pattern = |p: &str| serde_json::json!({"type": "string", "pattern": p});
        [
            Case {
                what: "id",
                rule: friend_id,
                good: GOOD_IDS,
                bad: BAD_IDS,
                schema: serde_json::json!({"type": "string", "maxLength": ID_MAX, "pattern": ID_PATTERN}),
            },
            Case {
                what: "phone",
                rule: phone,
                good: GOOD_PHONES,
                bad: BAD_PHONES,
                schema: pattern(PHONE_PATTERN),
            },
            Case {
                what: "discord id",
                rule: discord_id,
                good: GOOD_DISCORD,
                bad: BAD_DISCORD,
                schema: pattern(DISCORD_ID_PATTERN),
            },
            Case {
                what: "display name",
                rule: display_name,
                good: GOOD_NAMES,
                bad: BAD_NAMES,
                schema: serde_json::json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": DISPLAY_NAME_MAX,
                    "pattern": DISPLAY_NAME_PATTERN,
                }),
            },
        ]
    }

    #[test]
    fn each_rule_takes_the_good_and_refuses_the_bad() {
        for c in cases() {
            for sample in c.good {
                assert!((c.rule)(sample).is_ok(), "{}: {sample:?}", c.what);
            }
            for sample in c.bad {
                assert!((c.rule)(sample).is_err(), "{}: {sample:?}", c.what);
            }
        }
        assert!(agent_id("main").is_ok() && agent_id("Main").is_err());
    }

    /// The API document's patterns say what the checks enforce: every sample gets the
    /// same verdict from a JSON Schema validator (as a client would use) as from the check.
    #[test]
    fn the_documented_patterns_agree_with_the_checks() {
        for c in cases() {
            for sample in c.good.iter().chain(c.bad) {
                let documented = jsonschema::is_valid(&c.schema, &serde_json::json!(sample));
                assert_eq!(
                    documented,
                    (c.rule)(sample).is_ok(),
                    "{}: {sample:?}",
                    c.what
                );
            }
        }
    }
}
