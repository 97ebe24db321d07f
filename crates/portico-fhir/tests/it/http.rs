//! The client against a local server: redirects, size cap, timeouts, status mapping, and the
//! `next` link check.

use std::time::Duration;

use axum::{
    Json, Router,
    body::Body,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use portico_core::ehr::gateway::{EhrConnector, PageRequest};
use portico_core::ehr::model::ResourceKind;
use portico_fhir::FhirConnector;
use serde_json::json;

use crate::support::{bearer, capability_statement, connector, gateway, serve};

fn metadata() -> Response {
    Json(capability_statement()).into_response()
}

#[tokio::test]
async fn capabilities_are_read_from_metadata() {
    let base = serve(Router::new().route("/fhir/metadata", get(|| async { metadata() }))).await;
    let caps = gateway(&connector(), &bearer(&format!("{base}/fhir/")))
        .capabilities()
        .await
        .unwrap();
    assert_eq!(caps.fhir_version, "4.0.1");
    assert_eq!(caps.software.as_deref(), Some("Test EHR 2.1"));
    assert_eq!(caps.resource_types, ["Patient", "Observation"]);
    assert_eq!(
        caps.token_endpoint.as_deref(),
        Some("https://auth.example.org/token")
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused() {
    let other = serve(Router::new().route("/fhir/metadata", get(|| async { metadata() }))).await;
    // Same port space, other host name: another origin.
    let elsewhere = other.replace("127.0.0.1", "localhost");
    let base = serve(Router::new().route(
        "/fhir/metadata",
        get(move || async move { Redirect::temporary(&format!("{elsewhere}/fhir/metadata")) }),
    ))
    .await;
    let err = gateway(&connector(), &bearer(&format!("{base}/fhir")))
        .capabilities()
        .await
        .unwrap_err();
    assert_eq!(err.code, "EHR_REDIRECT_REFUSED");
    assert!(!err.retryable);
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed() {
    let base = serve(
        Router::new()
            .route(
                "/fhir/metadata",
                get(|| async { Redirect::temporary("/fhir/r4/metadata") }),
            )
            .route("/fhir/r4/metadata", get(|| async { metadata() })),
    )
    .await;
    let caps = gateway(&connector(), &bearer(&format!("{base}/fhir")))
        .capabilities()
        .await
        .unwrap();
    assert_eq!(caps.fhir_version, "4.0.1");
}

#[tokio::test]
async fn a_redirect_loop_is_refused() {
    let base = serve(
        Router::new()
            .route(
                "/fhir/metadata",
                get(|| async { Redirect::temporary("/fhir/loop") }),
            )
            .route(
                "/fhir/loop",
                get(|| async { Redirect::temporary("/fhir/metadata") }),
            ),
    )
    .await;
    let err = gateway(&connector(), &bearer(&format!("{base}/fhir")))
        .capabilities()
        .await
        .unwrap_err();
    assert_eq!(err.code, "EHR_REDIRECT_REFUSED");
}

#[tokio::test]
async fn an_oversized_body_is_too_large_with_or_without_content_length() {
    let big = json!({"resourceType": "CapabilityStatement", "padding": "x".repeat(64 * 1024)})
        .to_string();
    let chunked = big.clone();
    let base = serve(
        Router::new()
            .route("/fhir/metadata", get(move || async move { big }))
            .route(
                "/chunked/metadata",
                get(move || async move {
                    let chunks: Vec<Result<String, std::io::Error>> = chunked
                        .as_bytes()
                        .chunks(4096)
                        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
                        .collect();
                    Body::from_stream(futures::stream::iter(chunks))
                }),
            ),
    )
    .await;
    let small = FhirConnector {
        max_body_bytes: 16 * 1024,
        ..connector()
    };
    for path in ["fhir", "chunked"] {
        let err = gateway(&small, &bearer(&format!("{base}/{path}")))
            .capabilities()
            .await
            .unwrap_err();
        assert_eq!(err.code, "EHR_TOO_LARGE", "{path}");
    }
}

#[tokio::test]
async fn a_slow_answer_times_out_and_may_be_retried() {
    let base = serve(Router::new().route(
        "/fhir/metadata",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            metadata()
        }),
    ))
    .await;
    let impatient = FhirConnector {
        request_timeout: Duration::from_millis(200),
        ..connector()
    };
    let err = gateway(&impatient, &bearer(&format!("{base}/fhir")))
        .capabilities()
        .await
        .unwrap_err();
    assert_eq!(err.code, "EHR_TIMEOUT");
    assert!(err.retryable);
}

#[tokio::test]
async fn statuses_map_to_codes_without_bodies_or_queries() {
    let base = serve(
        Router::new()
            .route(
                "/fhir/Patient",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "patient Amy Shaw is down") }),
            )
            .route(
                "/fhir/Observation",
                get(|| async { (StatusCode::FORBIDDEN, "no") }),
            )
            .route(
                "/fhir/Condition",
                get(|| async { (StatusCode::TOO_MANY_REQUESTS, "slow down") }),
            )
            .route(
                "/fhir/Encounter",
                get(|| async { (StatusCode::BAD_REQUEST, "bad") }),
            )
            .route(
                "/fhir/Immunization",
                get(|| async { (StatusCode::OK, "{not json") }),
            ),
    )
    .await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let updated = |kind| PageRequest::Updated {
        kind,
        since: None,
        patient: Some("example".into()),
    };
    let cases = [
        (ResourceKind::Patient, "EHR_UNAVAILABLE", true),
        (ResourceKind::Observation, "EHR_AUTH_FAILED", false),
        (ResourceKind::Condition, "EHR_UNAVAILABLE", true),
        (ResourceKind::Encounter, "EHR_REFUSED", false),
        (ResourceKind::Immunization, "EHR_BAD_RESPONSE", false),
    ];
    for (kind, code, retryable) in cases {
        let err = gw.changes(&updated(kind)).await.unwrap_err();
        assert_eq!((err.code, err.retryable), (code, retryable), "{kind:?}");
        assert!(
            !err.message.contains("Amy") && !err.message.contains('?'),
            "{}",
            err.message
        );
        assert!(err.message.contains(kind.as_str()));
        assert!(
            err.message.starts_with(&format!("GET {}: ", kind.as_str())),
            "method and type only, no base path: {}",
            err.message
        );
        assert!(!err.message.contains('/') && !err.message.contains("example"));
    }
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = gateway(
        &connector(),
        &bearer(&format!("http://127.0.0.1:{port}/fhir")),
    )
    .capabilities()
    .await
    .unwrap_err();
    assert_eq!((err.code, err.retryable), ("EHR_UNAVAILABLE", true));
}

#[tokio::test]
async fn search_urls_carry_since_sort_count_filter_and_patient() {
    let base = serve(Router::new().route(
        "/fhir/{kind}",
        get(|uri: axum::http::Uri| async move {
            // Echo the query back through the next link so the test can read it.
            let query = uri.query().unwrap_or_default().to_owned();
            Json(json!({"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": query}]}))
        }),
    ))
    .await;
    let gw = gateway(
        &FhirConnector {
            page_size: 50,
            ..connector()
        },
        &bearer(&format!("{base}/fhir")),
    );
    let since = chrono::DateTime::parse_from_rfc3339("2024-02-01T10:00:00.5+01:00")
        .unwrap()
        .to_utc();
    let page = gw
        .changes(&PageRequest::Updated {
            kind: ResourceKind::Observation,
            since: Some(since),
            patient: Some("example".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        page.next.as_deref(),
        Some(
            "_lastUpdated=ge2024-02-01T09%3A00%3A00.500Z&_sort=_lastUpdated&_count=50&category=laboratory%2Cvital-signs&patient=Patient%2Fexample"
        )
    );
    let page = gw
        .changes(&PageRequest::Updated {
            kind: ResourceKind::Patient,
            since: None,
            patient: Some("example".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        page.next.as_deref(),
        Some("_sort=_lastUpdated&_count=50&_id=example")
    );
    let err = gw
        .changes(&PageRequest::Updated {
            kind: ResourceKind::Condition,
            since: None,
            patient: Some("../x".into()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "EHR_REFUSED");
}

#[tokio::test]
async fn next_links_are_followed_only_on_the_base_url() {
    let base = serve(Router::new().route(
        "/fhir/Observation",
        get(|| async { Json(json!({"resourceType": "Bundle", "type": "searchset", "entry": []})) }),
    ))
    .await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let next = |url: String| PageRequest::Next {
        kind: ResourceKind::Observation,
        url,
    };
    let page = gw
        .changes(&next(format!("{base}/fhir/Observation?page=2")))
        .await
        .unwrap();
    assert!(page.changes.is_empty() && page.next.is_none());
    for url in [
        base.replace("127.0.0.1", "localhost") + "/fhir/Observation?page=2",
        format!("{base}/other/Observation?page=2"),
        "https://evil.example/fhir/Observation".to_owned(),
        "not a url".to_owned(),
    ] {
        let err = gw.changes(&next(url.clone())).await.unwrap_err();
        assert_eq!(err.code, "EHR_REDIRECT_REFUSED", "{url}");
    }
}

#[tokio::test]
async fn deletions_are_read_from_history() {
    let base = serve(Router::new().route(
        "/fhir/Condition/_history",
        get(|uri: axum::http::Uri| async move {
            assert_eq!(
                uri.query(),
                Some("_since=2024-01-01T00%3A00%3A00.000Z&_count=100")
            );
            Json(
                json!({"resourceType": "Bundle", "type": "history", "entry": [
                    {"request": {"method": "DELETE", "url": "Condition/c-9"}}
                ]}),
            )
        }),
    ))
    .await;
    let gw = gateway(&connector(), &bearer(&format!("{base}/fhir")));
    let page = gw
        .changes(&PageRequest::Deleted {
            kind: ResourceKind::Condition,
            since: chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        })
        .await
        .unwrap();
    assert!(matches!(
        page.changes.as_slice(),
        [portico_core::ehr::model::Change::Deleted { fhir_id, .. }] if fhir_id == "c-9"
    ));
}

#[test]
fn the_connector_checks_urls_with_the_deployments_setting() {
    let strict = FhirConnector::default();
    assert_eq!(
        strict.check_url("http://127.0.0.1/fhir").unwrap_err().code,
        "EHR_INSECURE_URL"
    );
    assert!(strict.check_url("https://ehr.example.org/fhir").is_ok());
    assert!(connector().check_url("http://127.0.0.1/fhir").is_ok());
    assert!(strict.connect(&bearer("http://127.0.0.1/fhir")).is_err());
    for inside in [
        "https://127.0.0.1/fhir",
        "https://10.0.0.5/fhir",
        "https://169.254.169.254/fhir",
        "https://[fd00::5]/fhir",
    ] {
        let err = strict.check_url(inside).unwrap_err();
        assert_eq!(err.code, "EHR_INSECURE_URL", "{inside}");
        assert!(strict.connect(&bearer(inside)).is_err(), "{inside}");
    }
    assert!(connector().check_url("https://127.0.0.1/fhir").is_ok());
    assert!(connector().check_url("https://192.168.0.5/fhir").is_err());
}

/// A page nested far deeper than any resource (an extension inside an extension, 100,000
/// times) is refused as a bad response; nothing recurses into it without a bound.
#[tokio::test]
async fn a_page_nested_without_bound_is_a_bad_response_not_a_crash() {
    const LEVELS: usize = 100_000;
    let base = serve(Router::new().route(
        "/fhir/{kind}",
        get(|| async {
            let deep = format!(
                "{}{{}}{}",
                r#"{"url": "http://example.org/x", "extension": ["#.repeat(LEVELS),
                "]}".repeat(LEVELS)
            );
            let body = format!(
                r#"{{"resourceType": "Bundle", "type": "searchset", "entry": [{{"resource": {{"resourceType": "Patient", "id": "p1", "extension": [{deep}]}}}}]}}"#
            );
            Response::builder()
                .header("Content-Type", "application/fhir+json")
                .body(Body::from(body))
                .unwrap()
        }),
    ))
    .await;
    let gw = gateway(
        &FhirConnector {
            max_body_bytes: 64 * 1024 * 1024,
            ..connector()
        },
        &bearer(&format!("{base}/fhir")),
    );
    let err = gw
        .changes(&PageRequest::Updated {
            kind: ResourceKind::Patient,
            since: None,
            patient: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "EHR_BAD_RESPONSE");
}
