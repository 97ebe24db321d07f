//! Message attachments: uploaded as a GraphQL multipart request, checked by content (size,
//! type, emptiness; a renamed executable is refused) with nothing stored when refused, and
//! downloaded only through a short-lived link signed for someone who may read the thread.

use portico_core::identity::Role;
use portico_tests::{spawn_app, wait_until};
use serde_json::{Value, json};

use crate::support::{
    attachments::{path_of, pdf, stored_files, upload},
    gid,
    messaging::{POST, START, clinic, start, thread_id},
    processes::free_port,
    user_error, uuid_of,
};

#[tokio::test]
async fn refused_files_get_their_codes_and_nothing_is_stored() {
    let app = spawn_app().await;
    let _clinic = clinic(&app, "att-bad").await;
    let (patient, _) = app.add_user("att-bad", Role::Patient).await;
    let mut too_large = pdf();
    too_large.resize(10 * 1024 * 1024 + 1, b' ');
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(4096, 0);
    for (name, bytes, code) in [
        ("scan.pdf", too_large, "ATTACHMENT_TOO_LARGE"),
        (
            "notes.pdf",
            b"plain text, not a PDF".to_vec(),
            "ATTACHMENT_TYPE_NOT_ALLOWED",
        ),
        ("empty.pdf", Vec::new(), "ATTACHMENT_EMPTY"),
        ("results.pdf", exe, "ATTACHMENT_TYPE_NOT_ALLOWED"),
        (
            "page.html",
            b"<html><script>alert(1)</script></html>".to_vec(),
            "ATTACHMENT_TYPE_NOT_ALLOWED",
        ),
    ] {
        let (status, body) = upload(&app, &patient, name, bytes).await;
        assert_eq!(
            (status, user_error(&body, "uploadAttachment")),
            (200, Some(code)),
            "{name}: {body}"
        );
        assert_eq!(body["data"]["uploadAttachment"]["attachment"], Value::Null);
    }
    assert_eq!(stored_files(&app), 0);
    // A file beyond anything a request may carry is stopped at the door.
    let (status, body) = upload(&app, &patient, "huge.pdf", vec![b'x'; 21 * 1024 * 1024]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(stored_files(&app), 0);
}

#[tokio::test]
async fn an_attachment_is_downloaded_only_by_those_who_may_read_the_thread() {
    let app = spawn_app().await;
    let c = clinic(&app, "att-ok").await;
    let (patient, chart) = app.add_user("att-ok", Role::Patient).await;
    let (other, other_chart) = app.add_user("att-ok", Role::Patient).await;
    let (status, uploaded) = upload(&app, &patient, "../insurance card.pdf", pdf()).await;
    assert_eq!(status, 200);
    let attachment = &uploaded["data"]["uploadAttachment"]["attachment"];
    assert_eq!(attachment["contentType"], "application/pdf", "{uploaded}");
    assert_eq!(attachment["fileName"], "insurance card.pdf");
    let attachment_id = attachment["id"].as_str().unwrap().to_owned();
    assert_eq!(stored_files(&app), 1);

    // Someone else cannot send another's upload.
    let (_, stolen) = app
        .gql_as(
            "att-ok",
            &other.access,
            START,
            json!({ "input": { "patientId": gid("Patient", other_chart.unwrap()), "poolId": c.pool,
                "category": "OTHER", "subject": "s", "body": "b", "attachmentIds": [attachment_id] } }),
        )
        .await;
    assert!(
        stolen["data"]["startThread"]["thread"].is_null(),
        "{stolen}"
    );

    let (_, started) = app
        .gql_as(
            "att-ok",
            &patient.access,
            START,
            json!({ "input": { "patientId": gid("Patient", chart.unwrap()), "poolId": c.pool,
                "category": "BILLING", "subject": "New card", "body": "Attached",
                "attachmentIds": [attachment_id] } }),
        )
        .await;
    let id = thread_id(&started);
    let sent = &started["data"]["startThread"]["message"]["attachments"][0];
    assert_eq!(sent["fileName"], "insurance card.pdf", "{started}");
    // The same upload cannot go with a second message.
    let (_, twice) = app
        .gql_as(
            "att-ok",
            &patient.access,
            POST,
            json!({ "input": { "threadId": id, "body": "again", "attachmentIds": [attachment_id] } }),
        )
        .await;
    assert_eq!(
        twice["data"]["postMessage"]["userErrors"][0]["code"], "ATTACHMENT_NOT_FOUND",
        "{twice}"
    );

    // The nurse reads the thread and downloads the file through the signed link.
    let (_, seen) = app
        .gql_as(
            "att-ok",
            &c.nurse.access,
            "query($id: ID!) { messageThread(id: $id) { messages { attachments { downloadUrl } } } }",
            json!({ "id": id }),
        )
        .await;
    let url = seen["data"]["messageThread"]["messages"][0]["attachments"][0]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{seen}"))
        .to_owned();
    let path = path_of(&url);
    assert!(
        !path.contains("insurance"),
        "no file name in the link: {path}"
    );
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf());

    // A tampered link, a link for another attachment, or no token: refused.
    let tampered = format!("{}x", path);
    let res = app.client.get(app.url(&tampered)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let (before_query, query) = path.split_once('?').unwrap();
    let elsewhere = format!(
        "{}/{}?{query}",
        before_query.rsplit_once('/').unwrap().0,
        uuid::Uuid::now_v7()
    );
    let res = app.client.get(app.url(&elsewhere)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.get(app.url(before_query)).send().await.unwrap();
    assert!(res.status().is_client_error());
    // The other patient never gets a link: the thread is not theirs.
    let (_, refused) = app
        .gql_as(
            "att-ok",
            &other.access,
            "query($id: ID!) { messageThread(id: $id) { messages { attachments { downloadUrl } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        portico_tests::error_code(&refused),
        Some("NOT_FOUND"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_download_link_expires() {
    let app = portico_tests::spawn_app_with(|c| c.attachments.attachment_link_secs = 10).await;
    let c = clinic(&app, "att-ttl").await;
    let (patient, chart) = app.add_user("att-ttl", Role::Patient).await;
    let (_, uploaded) = upload(&app, &patient, "lab.pdf", pdf()).await;
    let attachment_id = uploaded["data"]["uploadAttachment"]["attachment"]["id"].clone();
    let started = start(&app, &patient, chart.unwrap(), &c.pool, "see attached").await;
    let id = thread_id(&started);
    let (_, posted) = app
        .gql_as(
            "att-ttl",
            &patient.access,
            POST,
            json!({ "input": { "threadId": id, "body": "", "attachmentIds": [attachment_id] } }),
        )
        .await;
    let url = posted["data"]["postMessage"]["message"]["attachments"][0]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{posted}"))
        .to_owned();
    let path = path_of(&url);
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The nurse's link stops working when the nurse signs out.
    let (_, seen) = app
        .gql_as(
            "att-ttl",
            &c.nurse.access,
            "query($id: ID!) { messageThread(id: $id) { messages { attachments { downloadUrl } } } }",
            json!({ "id": id }),
        )
        .await;
    let nurse_url = seen["data"]["messageThread"]["messages"][1]["attachments"][0]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{seen}"))
        .to_owned();
    let nurse_path = path_of(&nurse_url);
    let res = app.client.get(app.url(&nurse_path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (_, out) = app
        .gql_as(
            "att-ttl",
            &c.nurse.access,
            "mutation { signOut { signedOut } }",
            json!({}),
        )
        .await;
    assert_eq!(out["data"]["signOut"]["signedOut"], true, "{out}");
    let res = app.client.get(app.url(&nurse_path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // Past its lifetime and the verifier's 30-second leeway. A fixed pause on purpose: the
    // link's expiry is checked against the real clock (10 s is the shortest lifetime the
    // configuration allows; the leeway is a constant of portico-auth), and no clock can be
    // moved from a test.
    tokio::time::sleep(std::time::Duration::from_secs(42)).await;
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "LINK_EXPIRED");
}

/// An S3-compatible server (moto's), started on a free loopback port with one bucket.
struct S3Server {
    child: std::process::Child,
    url: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn s3_server(bucket: &str) -> Option<S3Server> {
    if !portico_tests::tool_installed(
        "an S3-compatible server (moto)",
        "moto_server",
        &["--help"],
        "python3 -m pip install 'moto[s3,server]'",
    ) {
        return None;
    }
    let port = free_port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = S3Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    wait_until(
        "the S3 server to make the bucket",
        std::time::Duration::from_secs(20),
        async || {
            let res = client
                .put(format!("{}/{bucket}", server.url))
                .send()
                .await?;
            res.error_for_status().map(drop)
        },
    )
    .await;
    Some(server)
}

#[tokio::test]
async fn attachments_go_to_an_s3_compatible_bucket_when_one_is_set() {
    let Some(s3) = s3_server("portico-attachments").await else {
        return;
    };
    let endpoint = s3.url.clone();
    let app = portico_tests::spawn_app_with(|c| {
        c.attachments.attachments_s3_bucket = Some("portico-attachments".to_owned());
        c.attachments.attachments_s3_endpoint = Some(endpoint);
        c.attachments.attachments_s3_region = Some("us-east-1".to_owned());
        c.attachments.attachments_s3_access_key_id = Some("testing".to_owned());
        c.attachments.attachments_s3_secret_access_key =
            Some(secrecy::SecretString::from("testing"));
    })
    .await;
    let c = clinic(&app, "att-s3").await;
    let (patient, chart) = app.add_user("att-s3", Role::Patient).await;
    let (_, uploaded) = upload(&app, &patient, "scan.pdf", pdf()).await;
    let attachment_id = uploaded["data"]["uploadAttachment"]["attachment"]["id"].clone();
    assert!(attachment_id.is_string(), "{uploaded}");
    let refused = upload(&app, &patient, "tool.pdf", b"\x7fELF\x02\x01\x01".to_vec()).await;
    assert_eq!(
        user_error(&refused.1, "uploadAttachment"),
        Some("ATTACHMENT_TYPE_NOT_ALLOWED")
    );
    let (_, started) = app
        .gql_as(
            "att-s3",
            &patient.access,
            START,
            json!({ "input": { "patientId": gid("Patient", chart.unwrap()), "poolId": c.pool,
                "category": "OTHER", "subject": "Scan", "body": "here",
                "attachmentIds": [attachment_id] } }),
        )
        .await;
    let url = started["data"]["startThread"]["message"]["attachments"][0]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    let path = path_of(&url);
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf());
    // In the bucket, under ids only; nothing in the local folder.
    let listing = reqwest::get(format!("{}/portico-attachments?list-type=2", s3.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listing.matches("<Key>").count(), 1, "{listing}");
    assert!(listing.contains("/attachments/"), "{listing}");
    assert!(!listing.contains("scan"), "{listing}");
    assert_eq!(stored_files(&app), 0);
}

#[tokio::test]
async fn uploads_never_sent_are_purged_after_a_day_and_sent_ones_stay() {
    let app = spawn_app().await;
    let c = clinic(&app, "att-purge").await;
    let (patient, chart) = app.add_user("att-purge", Role::Patient).await;
    let (_, kept) = upload(&app, &patient, "sent.pdf", pdf()).await;
    let kept = kept["data"]["uploadAttachment"]["attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, left) = upload(&app, &patient, "forgotten.pdf", pdf()).await;
    let left = left["data"]["uploadAttachment"]["attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, started) = app
        .gql_as(
            "att-purge",
            &patient.access,
            START,
            json!({ "input": { "patientId": gid("Patient", chart.unwrap()), "poolId": c.pool,
                "category": "OTHER", "subject": "Scan", "body": "here", "attachmentIds": [kept] } }),
        )
        .await;
    assert!(
        started["data"]["startThread"]["thread"].is_object(),
        "{started}"
    );
    assert_eq!(stored_files(&app), 2);
    let tenant = portico_core::tenants::find_by_slug(&app.db(), "att-purge")
        .await
        .unwrap()
        .unwrap();
    let store = app.services().attachments;
    let db = app.db();
    let purge = || portico_jobs::attachments::purge_unsent(&db, store.as_ref(), tenant.id());
    assert_eq!(
        purge().await.unwrap(),
        0,
        "an upload of a minute ago is kept"
    );
    let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
    for id in [&kept, &left] {
        app.backdate(
            "message_attachments",
            "created_at",
            uuid_of(id),
            two_days_ago,
        )
        .await;
    }
    assert_eq!(purge().await.unwrap(), 1);
    assert_eq!(stored_files(&app), 1, "the sent file stays");
    assert_eq!(purge().await.unwrap(), 0);
}
