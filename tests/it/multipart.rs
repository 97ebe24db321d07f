//! GraphQL multipart requests carry one file: more are refused with `TOO_MANY_FILES`, and
//! nothing is stored.

use portico_core::identity::Role;
use portico_tests::{error_code, spawn_app};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::support::{
    attachments::{self, send_multipart, stored_files},
    messaging::clinic,
};

const UPLOAD: &str = "mutation($file: Upload!) { uploadAttachment(file: $file) {
    attachment { id } userErrors { code } } }";
const UPLOAD_TWO: &str = "mutation($a: Upload!, $b: Upload!) {
    a: uploadAttachment(file: $a) { attachment { id } }
    b: uploadAttachment(file: $b) { attachment { id } } }";

fn pdf(name: &str) -> Part {
    Part::bytes(attachments::pdf())
        .file_name(name.to_owned())
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn an_upload_with_two_files_is_refused_with_its_own_code_and_stores_nothing() {
    let app = spawn_app().await;
    let _clinic = clinic(&app, "two-files").await;
    let (patient, _) = app.add_user("two-files", Role::Patient).await;

    // Both files named by the map, for two fields of one operation.
    let both = Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD_TWO, "variables": { "a": null, "b": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.a"], "1": ["variables.b"] }"#)
        .part("0", pdf("a.pdf"))
        .part("1", pdf("b.pdf"));
    let (status, body) = send_multipart(&app, &patient, both).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), Some("TOO_MANY_FILES"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("one file"),
        "{body}"
    );

    // A second file the map does not name is refused too, not silently dropped.
    let stowaway = Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "file": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part("0", pdf("a.pdf"))
        .part("1", pdf("b.pdf"));
    let (status, body) = send_multipart(&app, &patient, stowaway).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), Some("TOO_MANY_FILES"), "{body}");
    assert_eq!(stored_files(&app), 0);

    // One file is accepted as before.
    let one = Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "file": null } }).to_string(),
        )
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part("0", pdf("a.pdf"));
    let (status, body) = send_multipart(&app, &patient, one).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["uploadAttachment"]["attachment"]["id"].is_string(),
        "{body}"
    );
    assert_eq!(stored_files(&app), 1);
}
