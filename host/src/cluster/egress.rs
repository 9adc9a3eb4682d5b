//! Where friends' pods may not connect (`egress_denied_cidrs` of cluster.toml), written into
//! the NetworkPolicy template's `ipBlock.except` lists. A NetworkPolicy cannot name the API
//! server or another namespace's pods as a destination that is *denied*: it only allows.
//! So the template allows the whole internet as `0.0.0.0/0` and `::/0` minus these ranges.

use std::net::IpAddr;

use crate::policy::PolicyError;

/// The ranges denied when cluster.toml lists none: the private ranges (RFC 1918, RFC 6598
/// shared space, IPv6 unique-local), where clusters put pods, Services, nodes and their API
/// server, and link-local, where cloud metadata answers (169.254.169.254, fd00:ec2::254 is
/// unique-local).
pub fn default_denied() -> Vec<String> {
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The denied ranges split by family, as YAML flow lists for the template's placeholders
/// `{{egress_denied_ipv4}}` and `{{egress_denied_ipv6}}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeniedEgress {
    pub ipv4: String,
    pub ipv6: String,
}

/// Checks each range is a network in canonical form (`10.0.0.0/8`, not `10.1.2.3/8`) with
/// a prefix of at least 1: the API server refuses an `except` that is not strictly inside
/// `0.0.0.0/0` or `::/0`.
pub fn denied_egress(file: &str, cidrs: &[String]) -> Result<DeniedEgress, PolicyError> {
    let (mut ipv4, mut ipv6) = (Vec::new(), Vec::new());
    for cidr in cidrs {
        let bad =
            |why: &str| PolicyError::new(file, "egress_denied_cidrs", format!("'{cidr}' {why}"));
        let (address, prefix) = cidr
            .split_once('/')
            .ok_or_else(|| bad("is not address/prefix"))?;
        let address: IpAddr = address.parse().map_err(|_| bad("is not an IP range"))?;
        let prefix: u8 = prefix.parse().map_err(|_| bad("has no valid prefix"))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        if prefix == 0 || prefix > bits {
            return Err(bad(&format!("needs a prefix from 1 to {bits}")));
        }
        if network(address, prefix) != address {
            return Err(bad(
                "has bits set past its prefix; write the network address",
            ));
        }
        let quoted = format!("\"{cidr}\"");
        if address.is_ipv4() {
            ipv4.push(quoted);
        } else {
            ipv6.push(quoted);
        }
    }
    Ok(DeniedEgress {
        ipv4: format!("[{}]", ipv4.join(", ")),
        ipv6: format!("[{}]", ipv6.join(", ")),
    })
}

/// `address` with every bit past `prefix` cleared.
fn network(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(list: &[&str]) -> Result<DeniedEgress, String> {
        let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        denied_egress("cluster.toml", &list).map_err(|e| e.to_string())
    }

    #[test]
    fn the_defaults_split_by_family() {
        let d = denied_egress("cluster.toml", &default_denied()).unwrap();
        assert_eq!(
            d.ipv4,
            r#"["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]"#
        );
        assert_eq!(d.ipv6, r#"["fc00::/7", "fe80::/10"]"#);
        assert_eq!(denied(&[]).unwrap().ipv6, "[]");
    }

    #[test]
    fn a_range_the_api_server_would_refuse_is_named() {
        for (bad, why) in [
            ("10.1.2.3/8", "bits set past its prefix"),
            ("0.0.0.0/0", "prefix from 1 to 32"),
            ("10.0.0.0/33", "prefix from 1 to 32"),
            ("10.0.0.0", "address/prefix"),
            ("example.com/8", "not an IP range"),
            ("fd00::/x", "no valid prefix"),
        ] {
            let e = denied(&["169.254.0.0/16", bad]).unwrap_err();
            assert!(
                e.starts_with(&format!("cluster.toml: egress_denied_cidrs: '{bad}' "))
                    && e.contains(why),
                "{bad}: {e}"
            );
        }
        assert!(denied(&["192.0.2.7/32", "2001:db8::/32"]).is_ok());
    }
}
