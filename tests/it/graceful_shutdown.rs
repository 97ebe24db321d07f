//! SIGTERM, as an orchestrator sends it before replacing a process: a server closes its
//! graphql-ws sessions with close code 1012 (service restart), so clients reconnect to another
//! instance, and exits cleanly; a worker stops mid-batch without losing or doubling a message.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use portico_core::identity::Role;
use portico_tests::{TestDatabase, graphql_ws_request, spawn_app, start};
use serde_json::json;
use tokio_tungstenite::tungstenite::{
    Message, http::HeaderValue, protocol::frame::coding::CloseCode,
};

use crate::support::processes::{
    assert_each_delivered_once, batch_of_emails, delivered_files, free_listen,
    relay_until_delivered, server, wait_for_files, wait_ready, worker,
};

#[tokio::test]
async fn sigterm_closes_live_subscriptions_with_the_reconnect_code_and_exits_cleanly() {
    let app = spawn_app().await;
    app.create_tenant("drain").await;
    let (patient, _) = app.add_user("drain", Role::Patient).await;
    let listen = free_listen();
    let mut process = server(&app.database.config(), &listen);
    wait_ready(&listen).await;

    let mut request = graphql_ws_request(&listen);
    request
        .headers_mut()
        .insert("X-Portico-Tenant", HeaderValue::from_static("drain"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init",
        "payload": { "authorization": format!("Bearer {}", patient.access) } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
    let subscribe = json!({ "id": "1", "type": "subscribe",
        "payload": { "query": "subscription { threadUpdates { kind } }" } });
    ws.send(Message::text(subscribe.to_string())).await.unwrap();

    process.terminate();
    let close = loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the server closes the session when told to stop")
            .expect("a close frame before the socket ends")
            .unwrap();
        if let Message::Close(frame) = frame {
            break frame.expect("the close frame carries a code");
        }
    };
    assert_eq!(close.code, CloseCode::Restart, "{close:?}");
    let status = process.exited().await;
    assert!(status.success(), "the server exits cleanly: {status}");
}

#[tokio::test]
async fn a_worker_told_to_stop_mid_batch_loses_and_doubles_nothing() {
    const MESSAGES: usize = 600;
    let database = TestDatabase::create().await;
    let mut config = database.config();
    config.queue.outbox_claim_secs = 2;
    let app = start(config.clone(), database, false).await;
    app.ready().await;
    let tenant = batch_of_emails(&app, "sigterm", MESSAGES).await;

    let mut first = worker(&config);
    wait_for_files(&config.notify.outbox_dir, MESSAGES / 5).await;
    first.terminate();
    let status = first.exited().await;
    assert!(status.success(), "the worker exits cleanly: {status}");
    let at_stop = delivered_files(&config.notify.outbox_dir).len();

    // What the stopped worker had not sent, a new one sends; nothing goes out twice.
    let _second = worker(&config);
    let undelivered = relay_until_delivered(&app, &tenant).await;
    assert_eq!(
        undelivered, 0,
        "messages left undelivered (at stop: {at_stop})"
    );
    assert_each_delivered_once(&config.notify.outbox_dir, MESSAGES);
}
