//! Uploading a message attachment as GraphQL clients do, and its download link.

use portico_tests::{Signed, TestApp};
use serde_json::{Value, json};

/// `uploadAttachment`, sent as a GraphQL multipart request.
const UPLOAD: &str = "mutation($file: Upload!) { uploadAttachment(file: $file) {
    attachment { id fileName contentType sizeBytes } userErrors { field code message } } }";

/// A minimal PDF: a file of an allowed type.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec()
}

/// Uploads `bytes` as `name` the way GraphQL upload clients do.
pub async fn upload(app: &TestApp, who: &Signed, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let operations = json!({ "query": UPLOAD, "variables": { "file": null } });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{ "0": ["variables.file"] }"#)
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                // What the client claims does not matter: the content decides.
                .mime_str("application/pdf")
                .unwrap(),
        );
    send_multipart(app, who, form).await
}

/// POSTs a GraphQL multipart request as `who`; returns the status and the body.
pub async fn send_multipart(
    app: &TestApp,
    who: &Signed,
    form: reqwest::multipart::Form,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("X-Portico-Tenant", &who.slug)
        .header("X-Portico-CSRF", "1")
        .bearer_auth(&who.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// How many files the attachment store holds, whatever their folders.
pub fn stored_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { walk(&path) } else { 1 }
                })
                .sum()
        })
    }
    walk(&app.database.dir.join("attachments"))
}

/// A download link's path on this server (`/files/...?token=`).
pub fn path_of(url: &str) -> String {
    let (_, rest) = url
        .split_once("/files/")
        .unwrap_or_else(|| panic!("not a download link: {url}"));
    format!("/files/{rest}")
}
