use super::*;

fn ok(raw: &str, allow_loopback_http: bool) -> bool {
    let rules = Rules {
        allow_loopback_http,
        allow_query: false,
    };
    check_url(raw, rules).is_ok()
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
        "https://[::10.0.0.1]/fhir",
        "https://[2002:a00:1::1]/fhir",
        "https://[fec0::1]/fhir",
        "https://[64:ff9b:1::8.8.8.8]/fhir",
        "https://198.18.0.1/fhir",
        "https://192.0.0.8/fhir",
        // Hex and integer spellings, which the URL parser normalises to 10.0.0.1.
        "https://0xa.0.0.1/fhir",
        "https://167772161/fhir",
    ] {
        let rules = Rules::default();
        assert_eq!(
            check_url(refused, rules).unwrap_err(),
            Refusal::PrivateAddress,
            "{refused}"
        );
        assert!(!ok(refused, true), "{refused}, even with loopback allowed");
    }
    for allowed in [
        "https://8.8.8.8/fhir",
        "https://172.32.0.1/fhir",
        "https://100.128.0.1/fhir",
        "https://[2001:db8::1]/fhir",
        "https://[::ffff:8.8.8.8]/fhir",
        "https://[2002:808:808::1]/fhir",
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
fn userinfo_fragment_and_other_schemes_are_refused_and_a_query_only_when_not_allowed() {
    assert_eq!(
        check_url("https://user:pw@ehr.example.org/fhir", Rules::default()),
        Err(Refusal::Credentials)
    );
    assert!(!ok("https://user@ehr.example.org/fhir", false));
    assert!(!ok("https://ehr.example.org/fhir?x=1", false));
    assert!(!ok("https://ehr.example.org/fhir#frag", false));
    assert!(!ok("ftp://ehr.example.org/fhir", true));
    assert!(!ok("file:///etc/passwd", true));
    assert!(!ok("not a url", true));
    let with_query = Rules {
        allow_query: true,
        ..Rules::default()
    };
    assert!(check_url("https://hooks.example.org/in?route=7", with_query).is_ok());
    assert!(check_url("https://hooks.example.org/in?route=7#x", with_query).is_err());
}

#[test]
fn only_public_addresses_may_be_connected_to_and_loopback_when_allowed() {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(may_connect(ip("93.184.216.34"), false));
    assert!(may_connect(ip("2606:2800:220:1::1"), false));
    for private in [
        "10.0.0.8",
        "169.254.169.254",
        "192.168.0.1",
        "fd00::1",
        "::ffff:10.0.0.1",
    ] {
        assert!(!may_connect(ip(private), true), "{private}");
    }
    for loopback in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        assert!(!may_connect(ip(loopback), false), "{loopback}");
        assert!(may_connect(ip(loopback), true), "{loopback}");
    }
}

#[tokio::test]
async fn the_resolver_refuses_a_name_of_the_loopback_network_unless_allowed() {
    use reqwest::dns::{Name, Resolve};
    use std::str::FromStr;
    let refused = GuardedResolver {
        allow_loopback: false,
    }
    .resolve(Name::from_str("localhost").unwrap())
    .await;
    assert_eq!(
        refused.err().map(|e| e.to_string()).as_deref(),
        Some(resolver::NOT_ALLOWED)
    );
    let allowed = GuardedResolver {
        allow_loopback: true,
    }
    .resolve(Name::from_str("localhost").unwrap())
    .await
    .unwrap();
    assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
}
