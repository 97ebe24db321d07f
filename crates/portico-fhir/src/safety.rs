//! Which URLs Portico may call at all. A practice admin types the base URL, so it must not be
//! a way to reach plain-text HTTP on the network or to smuggle credentials in the URL.

use portico_core::ehr::gateway::EhrError;
use portico_egress::Rules;
use url::Url;

pub const INSECURE_URL: &str = "EHR_INSECURE_URL";

/// Parses and checks a base URL (or a token endpoint) by the rules every address a practice
/// gives follows ([`portico_egress::check_url`]), with no query string. The result has no
/// trailing slash, so `{base}/{path}` joins cleanly.
pub fn check_url(raw: &str, allow_loopback_http: bool) -> Result<Url, EhrError> {
    let rules = Rules {
        allow_loopback_http,
        allow_query: false,
    };
    let mut url = portico_egress::check_url(raw, rules)
        .map_err(|why| EhrError::new(INSECURE_URL, format!("base URL refused: {why}"), false))?;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
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
    fn a_refused_url_carries_the_ehr_code_and_no_part_of_the_address() {
        let err = check_url("https://user:pw@ehr.example.org/fhir", false).unwrap_err();
        assert_eq!(err.code, INSECURE_URL);
        assert!(!err.message.contains("pw"));
        assert!(!ok("https://ehr.example.org/fhir?x=1", true));
        assert!(!ok("https://10.1.2.3/fhir", true));
        assert!(ok("http://127.0.0.1:8080/fhir", true));
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
