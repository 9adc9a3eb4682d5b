//! Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G"), parsed to thousandths
//! of their unit so they can be added and compared exactly.

/// Parses a quantity into thousandths (millicores for CPU, millibytes for memory).
pub fn parse_milli(text: &str) -> Option<i128> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (mantissa, exponent) = match suffix.strip_prefix(['e', 'E']) {
        Some(exp) => (number, exp.parse::<i32>().ok()?),
        None => (number, 0),
    };
    let factor: f64 = match if suffix.starts_with(['e', 'E']) {
        ""
    } else {
        suffix
    } {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    let value: f64 = mantissa.parse().ok()?;
    if !value.is_finite() || mantissa.is_empty() {
        return None;
    }
    Some((value * factor * 10f64.powi(exponent) * 1000.0).round() as i128)
}

/// Formats thousandths back the way `kubectl describe quota` would show them.
pub fn format_milli(resource: &str, milli: i128) -> String {
    if resource.contains("cpu") {
        return if milli % 1000 == 0 {
            (milli / 1000).to_string()
        } else {
            format!("{milli}m")
        };
    }
    let whole = milli / 1000;
    if resource.contains("memory") || resource.contains("storage") {
        for (suffix, size) in [("Gi", 1i128 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
            if whole != 0 && whole % size == 0 {
                return format!("{}{suffix}", whole / size);
            }
        }
    }
    whole.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_milli("500m"), Some(500));
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_milli("1.5"), Some(1500));
        assert_eq!(parse_milli("128Mi"), Some(128 * 1024 * 1024 * 1000));
        assert_eq!(parse_milli("1G"), Some(1_000_000_000_000));
        assert_eq!(parse_milli("1e3"), Some(1_000_000));
        assert_eq!(parse_milli("lots"), None);
        assert_eq!(format_milli("requests.cpu", 1500), "1500m");
        assert_eq!(format_milli("limits.cpu", 2000), "2");
        assert_eq!(
            format_milli("requests.memory", parse_milli("1Gi").unwrap()),
            "1Gi"
        );
        assert_eq!(
            format_milli("requests.memory", parse_milli("384Mi").unwrap()),
            "384Mi"
        );
        assert_eq!(format_milli("pods", 3000), "3");
    }
}
