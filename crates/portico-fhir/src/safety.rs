//! Which URLs Portico may call at all. A practice admin types the base URL, so it must not be
//! a way to reach plain-text HTTP on the network or to smuggle credentials in the URL.

use portico_core::ehr::gateway::EhrError;
use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub const INSECURE_URL: &str = "EHR_INSECURE_URL";

/// Parses and checks a base URL (or a token endpoint): https, or http to a loopback host when
/// the deployment allows it (local sandboxes); no userinfo, query or fragment; no IP address
/// of the deployment's own networks (private, link-local, CGNAT, unspecified, broadcast,
/// multicast; loopback unless allowed), so a practice admin cannot point Portico at them.
/// Names are not resolved here. The result has no trailing slash, so `{base}/{path}` joins
/// cleanly.
pub fn check_url(raw: &str, allow_loopback_http: bool) -> Result<Url, EhrError> {
    let refuse = |why: &str| EhrError::new(INSECURE_URL, format!("base URL refused: {why}"), false);
    let mut url = Url::parse(raw.trim()).map_err(|_| refuse("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback_http && is_loopback(&url) => {}
        "http" => return Err(refuse("plain http is allowed only to a loopback host")),
        _ => return Err(refuse("only https")),
    }
    match url.host() {
        None => return Err(refuse("no host")),
        Some(_) if is_loopback(&url) => {
            if !allow_loopback_http {
                return Err(refuse("a loopback host"));
            }
        }
        Some(Host::Ipv4(ip)) if !public_v4(ip) => {
            return Err(refuse("a private or reserved IP address"));
        }
        Some(Host::Ipv6(ip)) if !public_v6(ip) => {
            return Err(refuse("a private or reserved IP address"));
        }
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("credentials in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("query or fragment"));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An IPv4 address on the public internet as far as Portico cares: not this network (0/8),
/// private (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), loopback, link-local
/// (169.254/16), multicast, reserved (240/4) or broadcast.
fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let cgnat = a == 100 && (64..128).contains(&b);
    !(a == 0
        || ip.is_private()
        || cgnat
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240)
}

/// An IPv6 address on the public internet: not unspecified, loopback, unique local
/// (fc00::/7), link-local (fe80::/10), multicast, and for addresses that carry an IPv4 one
/// (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`), a public IPv4 address.
fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return public_v4(v4);
    }
    let unique_local = segments[0] & 0xfe00 == 0xfc00;
    let link_local = segments[0] & 0xffc0 == 0xfe80;
    !(ip.is_unspecified() || ip.is_loopback() || unique_local || link_local || ip.is_multicast())
}

/// The base as a string without trailing slash (a bare host keeps no `/`).
pub fn base_string(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Whether `link` lies under `base`: same scheme, host and port, and a path that is the base
/// path or below it. Used for `next` links, which the server could otherwise point anywhere.
pub fn is_under(base: &Url, link: &Url) -> bool {
    if link.scheme() != base.scheme()
        || link.host() != base.host()
        || link.port_or_known_default() != base.port_or_known_default()
        || !link.username().is_empty()
        || link.password().is_some()
    {
        return false;
    }
    let base_path = base.path().trim_end_matches('/');
    let path = link.path();
    path == base_path
        || path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Same scheme, host and port: where a redirect may go.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, loopback: bool) -> bool {
        check_url(raw, loopback).is_ok()
    }

    #[test]
    fn https_is_accepted_and_trailing_slash_dropped() {
        let url = check_url("https://ehr.example.org/fhir/r4/", false).unwrap();
        assert_eq!(base_string(&url), "https://ehr.example.org/fhir/r4");
        assert!(ok("https://ehr.example.org", false));
    }

    #[test]
    fn plain_http_is_refused_unless_loopback_and_allowed() {
        assert!(!ok("http://ehr.example.org/fhir", true));
        assert!(!ok("http://127.0.0.1:8080/fhir", false));
        assert!(ok("http://127.0.0.1:8080/fhir", true));
        assert!(ok("http://127.8.9.10/fhir", true));
        assert!(ok("http://[::1]:9000/fhir", true));
        assert!(ok("http://localhost:9000/fhir", true));
        assert!(!ok("http://10.0.0.1/fhir", true));
        assert!(!ok("http://localhost.evil.example/fhir", true));
        assert!(!ok("http://[::ffff:10.0.0.1]/fhir", true));
    }

    #[test]
    fn ip_addresses_of_private_networks_are_refused() {
        for refused in [
            "https://10.1.2.3/fhir",
            "https://172.16.0.1/fhir",
            "https://172.31.255.255/fhir",
            "https://192.168.1.10/fhir",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/fhir",
            "https://100.127.255.254/fhir",
            "https://0.0.0.0/fhir",
            "https://255.255.255.255/fhir",
            "https://224.0.0.1/fhir",
            "https://[::]/fhir",
            "https://[fc00::1]/fhir",
            "https://[fd12:3456::1]/fhir",
            "https://[fe80::1]/fhir",
            "https://[::ffff:192.168.0.1]/fhir",
            "https://[::ffff:169.254.169.254]/fhir",
            "https://[64:ff9b::a00:1]/fhir",
            // Hex and integer spellings, which the URL parser normalises to 10.0.0.1.
            "https://0xa.0.0.1/fhir",
            "https://167772161/fhir",
        ] {
            let err = check_url(refused, false).unwrap_err();
            assert_eq!(err.code, INSECURE_URL, "{refused}");
            assert!(!ok(refused, true), "{refused}, even with loopback allowed");
        }
        for allowed in [
            "https://8.8.8.8/fhir",
            "https://172.32.0.1/fhir",
            "https://100.128.0.1/fhir",
            "https://[2001:db8::1]/fhir",
            "https://[::ffff:8.8.8.8]/fhir",
            "https://ehr.internal.example/fhir",
        ] {
            assert!(ok(allowed, false), "{allowed}");
        }
    }

    #[test]
    fn loopback_is_allowed_only_with_the_deployments_setting() {
        for loopback in [
            "https://127.0.0.1/fhir",
            "https://127.1.2.3:8443/fhir",
            "https://[::1]/fhir",
            "https://localhost/fhir",
            "https://[::ffff:127.0.0.1]/fhir",
            "https://0x7f.1/fhir",
            "https://2130706433/fhir",
        ] {
            assert!(!ok(loopback, false), "{loopback}");
        }
        for loopback in [
            "https://127.0.0.1/fhir",
            "https://[::1]:8443/fhir",
            "http://127.0.0.1/fhir",
        ] {
            assert!(ok(loopback, true), "{loopback}");
        }
    }

    #[test]
    fn userinfo_query_fragment_and_other_schemes_are_refused() {
        let err = check_url("https://user:pw@ehr.example.org/fhir", false).unwrap_err();
        assert_eq!(err.code, INSECURE_URL);
        assert!(!err.message.contains("pw"));
        assert!(!ok("https://user@ehr.example.org/fhir", false));
        assert!(!ok("https://ehr.example.org/fhir?x=1", false));
        assert!(!ok("https://ehr.example.org/fhir#frag", false));
        assert!(!ok("ftp://ehr.example.org/fhir", true));
        assert!(!ok("file:///etc/passwd", true));
        assert!(!ok("not a url", true));
    }

    #[test]
    fn links_must_stay_under_the_base() {
        let base = check_url("https://ehr.example.org/fhir", false).unwrap();
        let under = |s: &str| is_under(&base, &Url::parse(s).unwrap());
        assert!(under("https://ehr.example.org/fhir?page=2"));
        assert!(under("https://ehr.example.org/fhir/Patient?page=2"));
        assert!(under("https://ehr.example.org:443/fhir/Patient"));
        assert!(!under("https://ehr.example.org/fhirx/Patient"));
        assert!(!under("https://ehr.example.org/other"));
        assert!(!under("http://ehr.example.org/fhir/Patient"));
        assert!(!under("https://ehr.example.org:8443/fhir/Patient"));
        assert!(!under("https://evil.example/fhir/Patient"));
        assert!(!under("https://u:p@ehr.example.org/fhir/Patient"));
    }
}
