//! A local HTTP server that answers as a Twilio-style SMS API does, for the endpoint Portico
//! uses (`POST /2010-04-01/Accounts/{sid}/Messages.json`): basic auth with the account id
//! and token, a form with `To`, `From` and `Body`, `201` with a message `sid`, and the
//! provider's JSON errors (`21211` for a number that is not valid, `20003` for bad
//! credentials). Numbers can be set to be refused, or to fail once with a `503`.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::Engine;
use serde_json::json;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "test-auth-token";
pub const FROM: &str = "+15550001111";

/// A message the provider accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: String,
    pub from: String,
    pub body: String,
}

#[derive(Default)]
struct Book {
    received: Vec<Received>,
    refused: HashSet<String>,
    fail_once: HashSet<String>,
    failed: HashMap<String, u32>,
}

#[derive(Clone)]
pub struct SmsProvider {
    pub base_url: String,
    book: Arc<Mutex<Book>>,
}

impl SmsProvider {
    pub async fn start() -> Self {
        let book = Arc::new(Mutex::new(Book::default()));
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(create))
            .with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, book }
    }

    /// Answers `21211` (not a valid phone number) for `to`.
    pub fn refuse(&self, to: &str) {
        self.book.lock().unwrap().refused.insert(to.to_owned());
    }

    /// Answers `503` the first time a message to `to` arrives.
    pub fn fail_once(&self, to: &str) {
        self.book.lock().unwrap().fail_once.insert(to.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.book.lock().unwrap().received.clone()
    }

    pub fn to(&self, number: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.to == number)
            .collect()
    }

    /// Waits (up to 30 s) for a message to `number`.
    pub async fn wait_for(&self, number: &str) -> Received {
        crate::wait_until(
            &format!("a text message to {number}"),
            std::time::Duration::from_secs(30),
            async || self.to(number).pop(),
        )
        .await
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "code": code, "message": message, "status": status.as_u16(),
            "more_info": format!("https://www.twilio.com/docs/errors/{code}") }),
        ),
    )
        .into_response()
}

async fn create(
    State(book): State<Arc<Mutex<Book>>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    let authorised = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    if sid != ACCOUNT_SID || !authorised {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let (Some(to), Some(from), Some(body)) = (form.get("To"), form.get("From"), form.get("Body"))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    let mut book = book.lock().unwrap();
    if book.refused.contains(to) {
        return error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if book.fail_once.contains(to) {
        let failures = book.failed.entry(to.clone()).or_default();
        if *failures == 0 {
            *failures += 1;
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Internal Server Error",
            );
        }
    }
    book.received.push(Received {
        to: to.clone(),
        from: from.clone(),
        body: body.clone(),
    });
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    (
        StatusCode::CREATED,
        Json(
            json!({ "sid": sid, "account_sid": ACCOUNT_SID, "to": to, "from": from,
            "body": body, "status": "queued", "num_segments": "1" }),
        ),
    )
        .into_response()
}
