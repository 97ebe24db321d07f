//! graphql-ws on the same path as queries.

use futures::{SinkExt, StreamExt};
use portico_tests::{graphql_ws_request, spawn_app};
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

#[tokio::test]
async fn graphql_ws_handshake_is_served_on_the_graphql_path() {
    let app = spawn_app().await;
    let request = graphql_ws_request(&app.addr.to_string());
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws.send(Message::text(r#"{"type":"connection_init","payload":{}}"#))
        .await
        .unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    let ack: serde_json::Value = serde_json::from_str(ack.to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn a_websocket_to_an_unknown_tenant_is_refused() {
    let app = spawn_app().await;
    let mut request = graphql_ws_request(&app.addr.to_string());
    request
        .headers_mut()
        .insert("X-Portico-Tenant", HeaderValue::from_static("nowhere"));
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 404);
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}
