//! Pod logs in the embedded cluster: simulated pods run no container, so their log is one
//! line saying so. `tailLines` and `limitBytes` are honoured as the API server does (the
//! last lines, then at most that many bytes from their start), so the limits the portal
//! asks for are exercised here too.

const SIMULATED: &str = "This cluster is simulated (portal --cluster embedded): pod {name} runs no container, so it has no logs.\n";

/// A positive integer query parameter, or a message naming it.
fn positive(query: &[(String, String)], name: &str) -> Result<Option<usize>, String> {
    match query.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name} must be a positive integer, not '{v}'")),
        },
    }
}

/// The log of pod `name` as the query asks for it.
pub fn pod_log(name: &str, query: &[(String, String)]) -> Result<String, String> {
    let text = SIMULATED.replace("{name}", name);
    limit(&text, query)
}

fn limit(text: &str, query: &[(String, String)]) -> Result<String, String> {
    let tail = positive(query, "tailLines")?;
    let bytes = positive(query, "limitBytes")?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let from = tail.map_or(0, |n| lines.len().saturating_sub(n));
    let mut out = lines[from..].concat().into_bytes();
    if let Some(max) = bytes {
        out.truncate(max);
    }
    // A cut inside a character keeps what is whole, as text.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tail_lines_then_limit_bytes() {
        let text = "one\ntwo\nthree\n";
        assert_eq!(limit(text, &q(&[])).unwrap(), text);
        assert_eq!(
            limit(text, &q(&[("tailLines", "2")])).unwrap(),
            "two\nthree\n"
        );
        assert_eq!(limit(text, &q(&[("limitBytes", "6")])).unwrap(), "one\ntw");
        assert_eq!(
            limit(text, &q(&[("tailLines", "2"), ("limitBytes", "5")])).unwrap(),
            "two\nt"
        );
        assert!(limit(text, &q(&[("limitBytes", "0")])).is_err());
        assert!(limit(text, &q(&[("tailLines", "x")])).is_err());
    }

    #[test]
    fn the_simulated_log_honours_the_byte_limit() {
        let full = pod_log("web-1", &q(&[])).unwrap();
        assert!(full.contains("pod web-1 runs no container"));
        let cut = pod_log("web-1", &q(&[("limitBytes", "20")])).unwrap();
        assert_eq!(cut, full[..20]);
    }
}
