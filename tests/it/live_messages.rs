//! Live messaging over graphql-ws: the token goes in `connection_init`; a message posted
//! through one instance reaches a subscriber connected to another (PostgreSQL + Redis; on
//! SQLite both ends use the one instance); a patient is never told of an internal note or of
//! another chart's thread; a bad token closes the connection.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use portico_core::identity::Role;
use portico_tests::{Signed, TestApp, graphql_ws_request, spawn_app};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, http::HeaderValue},
};

use crate::support::{
    messaging::{clinic, post, start, thread_id},
    processes::{free_listen, server, wait_ready},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const UPDATES: &str =
    "subscription { threadUpdates { kind thread { id } message { body internal } } }";

/// Where a subscriber connects: this process's server, or another server process.
trait Host {
    fn host(&self) -> String;
}

impl Host for TestApp {
    fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Host for String {
    fn host(&self) -> String {
        self.clone()
    }
}

async fn connect(app: &impl Host, slug: &str, payload: Value) -> (Socket, Value) {
    let mut request = graphql_ws_request(&app.host());
    request
        .headers_mut()
        .insert("X-Portico-Tenant", HeaderValue::from_str(slug).unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": payload }).to_string(),
    ))
    .await
    .unwrap();
    let first = next_json(&mut ws, Duration::from_secs(10))
        .await
        .unwrap_or(Value::Null);
    (ws, first)
}

async fn subscribe(app: &impl Host, who: &Signed, query: &str) -> Socket {
    let (mut ws, ack) = connect(
        app,
        &who.slug,
        json!({ "authorization": format!("Bearer {}", who.access) }),
    )
    .await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws.send(Message::text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }).to_string(),
    ))
    .await
    .unwrap();
    ws
}

/// The next JSON frame within `wait`; `None` when the socket ends or stays quiet.
async fn next_json(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(wait, ws.next()).await.ok()??.ok()?;
        match frame {
            Message::Text(text) => return serde_json::from_str(text.as_str()).ok(),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// The next update's data (skipping pings).
async fn next_update(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let frame = next_json(ws, wait).await?;
        match frame["type"].as_str() {
            Some("next") => return Some(frame["payload"].clone()),
            Some("ping") | Some("pong") => {}
            _ => return Some(frame),
        }
    }
}

/// Subscribing is asynchronous: write into `thread` until the subscriber hears of it, so
/// that what follows is not posted before the subscription listens.
async fn until_live(app: &TestApp, writer: &Signed, thread: &str, ws: &mut Socket) {
    for attempt in 0..40 {
        post(app, writer, thread, &format!("warm-up {attempt}"), false).await;
        if let Some(update) = next_update(ws, Duration::from_millis(500)).await {
            assert_eq!(
                update["data"]["threadUpdates"]["thread"]["id"], thread,
                "{update}"
            );
            // Drain the other warm-ups that may still arrive.
            while next_update(ws, Duration::from_millis(300)).await.is_some() {}
            return;
        }
    }
    panic!("the subscription never went live");
}

#[tokio::test]
async fn a_message_posted_on_one_instance_reaches_a_subscriber_on_another() {
    let a = spawn_app().await;
    // On PostgreSQL + Redis, instance B is another `portico serve` process; the embedded
    // profile's pub/sub is in-process, so there both ends use the one instance.
    let (_b, b_ref) = if a.database.is_postgres() {
        let listen = free_listen();
        let process = server(&a.database.config(), &listen);
        wait_ready(&listen).await;
        (Some(process), listen)
    } else {
        (None, a.addr.to_string())
    };
    let b_ref = &b_ref;
    let c = clinic(&a, "live").await;
    let (alice, alice_chart) = a.add_user("live", Role::Patient).await;
    let (bob, bob_chart) = a.add_user("live", Role::Patient).await;
    let alice_thread = thread_id(&start(&a, &alice, alice_chart.unwrap(), &c.pool, "Hello").await);
    let bob_thread = thread_id(&start(&a, &bob, bob_chart.unwrap(), &c.pool, "Hi").await);

    let mut alice_ws = subscribe(b_ref, &alice, UPDATES).await;
    let mut bob_ws = subscribe(b_ref, &bob, UPDATES).await;
    until_live(&a, &c.nurse, &alice_thread, &mut alice_ws).await;
    until_live(&a, &c.nurse, &bob_thread, &mut bob_ws).await;

    // An internal note, then a reply, on Alice's thread, through instance A.
    post(
        &a,
        &c.nurse,
        &alice_thread,
        "Internal: call the pharmacy",
        true,
    )
    .await;
    post(&a, &c.nurse, &alice_thread, "Your refill is ready", false).await;
    let update = next_update(&mut alice_ws, Duration::from_secs(15))
        .await
        .expect("Alice hears of the reply");
    let u = &update["data"]["threadUpdates"];
    assert_eq!(u["kind"], "MESSAGE_POSTED", "{update}");
    assert_eq!(u["thread"]["id"], alice_thread.as_str());
    // The note was never delivered: the first thing she hears is the reply.
    assert_eq!(u["message"]["body"], "Your refill is ready", "{update}");
    assert_eq!(u["message"]["internal"], false);

    // Bob heard nothing of Alice's thread: his next update is his own.
    post(&a, &c.nurse, &bob_thread, "For Bob", false).await;
    let update = next_update(&mut bob_ws, Duration::from_secs(15))
        .await
        .expect("Bob hears of his own thread");
    assert_eq!(
        update["data"]["threadUpdates"]["thread"]["id"], bob_thread,
        "{update}"
    );
    assert_eq!(
        update["data"]["threadUpdates"]["message"]["body"],
        "For Bob"
    );

    // Staff hear of the note too.
    let mut nurse_ws = subscribe(b_ref, &c.nurse, UPDATES).await;
    until_live(&a, &c.nurse, &alice_thread, &mut nurse_ws).await;
    post(&a, &c.nurse, &alice_thread, "Internal: done", true).await;
    let update = next_update(&mut nurse_ws, Duration::from_secs(15))
        .await
        .expect("staff hear of internal notes");
    assert_eq!(update["data"]["threadUpdates"]["message"]["internal"], true);
}

/// The code a subscription was refused with: a resolver's error arrives as a `next` with
/// errors (then `complete`), a malformed operation as `error`.
fn refusal(frame: &Value) -> Option<&str> {
    let errors = match frame["type"].as_str()? {
        "next" => &frame["payload"]["errors"],
        "error" => &frame["payload"],
        _ => return None,
    };
    errors[0]["extensions"]["code"].as_str()
}

#[tokio::test]
async fn a_subscriber_without_the_right_gets_nothing() {
    let app = spawn_app().await;
    let c = clinic(&app, "live-no").await;
    let (alice, alice_chart) = app.add_user("live-no", Role::Patient).await;
    let (bob, _) = app.add_user("live-no", Role::Patient).await;
    let thread = thread_id(&start(&app, &alice, alice_chart.unwrap(), &c.pool, "Hello").await);

    // A bad token in connection_init: no ack.
    let (_ws, refused) = connect(
        &app,
        "live-no",
        json!({ "authorization": "Bearer not-a-token" }),
    )
    .await;
    assert_ne!(refused["type"], "connection_ack", "{refused}");

    // No token at all: the subscription itself is refused.
    let (mut ws, ack) = connect(&app, "live-no", json!({})).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(Message::text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": UPDATES } }).to_string(),
    ))
    .await
    .unwrap();
    let answer = next_json(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(refusal(&answer), Some("UNAUTHENTICATED"), "{answer}");

    // Another patient asking for Alice's thread by id: not found.
    let query = format!(
        "subscription {{ threadUpdates(threadId: \"{thread}\") {{ kind message {{ body }} }} }}"
    );
    let mut ws = subscribe(&app, &bob, &query).await;
    let answer = next_json(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(refusal(&answer), Some("NOT_FOUND"), "{answer}");
    assert!(answer["payload"]["data"].is_null(), "{answer}");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_is_signed_out() {
    let app = spawn_app().await;
    let c = clinic(&app, "live-out").await;
    let (alice, chart) = app.add_user("live-out", Role::Patient).await;
    let thread = thread_id(&start(&app, &alice, chart.unwrap(), &c.pool, "Hello").await);
    let mut ws = subscribe(&app, &alice, UPDATES).await;
    until_live(&app, &c.nurse, &thread, &mut ws).await;
    let (_, out) = app
        .gql_as(
            "live-out",
            &alice.access,
            "mutation { signOut { signedOut } }",
            json!({}),
        )
        .await;
    assert_eq!(out["data"]["signOut"]["signedOut"], true, "{out}");
    post(&app, &c.nurse, &thread, "Are you there?", false).await;
    // The next frame ends the subscription; the message is never delivered.
    let frame = next_json(&mut ws, Duration::from_secs(15)).await;
    // (Or the socket closes.)
    if let Some(f) = frame {
        assert_eq!(f["type"], "complete", "{f}");
    }
}
