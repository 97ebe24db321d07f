//! Documents and variables nested thousands of levels deep are refused before anything
//! recurses into them, on every way a document reaches the schema, and the server keeps
//! answering. Without the pre-scan each of these aborts the process (the test binary with it).

use futures::{SinkExt, StreamExt};
use portico_tests::{TestApp, error_code, graphql_ws_request, spawn_app};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Past the point where the parser overflowed its stack (about 2,000 levels in a release
/// build, 500 in a test build); also within the longest URL a client can send.
const LEVELS: usize = 1_000;
/// Far past it (pest gives up on some of these by itself; the shallower ones crash).
const MANY_LEVELS: usize = 20_000;

/// The same deep value in each place a document can hold one, at both depths.
fn deep_documents() -> Vec<(&'static str, String)> {
    let mut documents = deep_documents_of(LEVELS);
    documents.extend(deep_documents_of(MANY_LEVELS));
    documents
}

fn deep_documents_of(levels: usize) -> Vec<(&'static str, String)> {
    let list = format!("{}1{}", "[".repeat(levels), "]".repeat(levels));
    let object = format!("{}1{}", "{a: ".repeat(levels), "}".repeat(levels));
    vec![
        (
            "list argument",
            format!("{{ __type(name: {list}) {{ name }} }}"),
        ),
        (
            "object argument",
            format!("{{ __type(name: {object}) {{ name }} }}"),
        ),
        (
            "directive argument",
            format!("{{ __typename @include(if: {list}) }}"),
        ),
        (
            "variable default",
            format!("query($v: [Int] = {list}) {{ __typename }}"),
        ),
        (
            "selection set",
            format!("{}{}", "{ __typename ".repeat(levels), "}".repeat(levels)),
        ),
    ]
}

async fn next_message<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let message = ws.next().await.unwrap().unwrap();
    serde_json::from_str(message.to_text().unwrap()).unwrap()
}

async fn still_answers(app: &TestApp) {
    let body = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
}

#[tokio::test]
async fn a_deeply_nested_document_is_refused_over_post_get_and_batches() {
    let app = spawn_app().await;
    for (place, query) in deep_documents() {
        let (status, body) = app.gql_status(None, &query, json!({})).await;
        assert_eq!(status, 200, "{place}");
        assert_eq!(
            error_code(&body),
            Some("RECURSION_LIMIT_EXCEEDED"),
            "{place}: {body}"
        );
        assert!(body["data"].is_null(), "{place}");
        still_answers(&app).await;
    }
    for (place, query) in deep_documents_of(LEVELS) {
        let get = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .unwrap();
        let body: Value = get.json().await.unwrap();
        assert_eq!(
            error_code(&body),
            Some("RECURSION_LIMIT_EXCEEDED"),
            "GET {place}: {body}"
        );
        still_answers(&app).await;
    }

    let mut documents = deep_documents().into_iter().map(|(_, query)| query);
    let (first, second) = (documents.next().unwrap(), documents.next().unwrap());
    let batch = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([
            { "query": "{ __typename }" },
            { "query": first },
            { "query": second },
        ]))
        .send()
        .await
        .unwrap();
    let body: Value = batch.json().await.unwrap();
    assert_eq!(body[0]["data"]["__typename"], "Query", "{body}");
    assert_eq!(error_code(&body[1]), Some("RECURSION_LIMIT_EXCEEDED"));
    assert_eq!(error_code(&body[2]), Some("RECURSION_LIMIT_EXCEEDED"));
    still_answers(&app).await;
}

#[tokio::test]
async fn a_deeply_nested_document_is_refused_over_graphql_ws() {
    let app = spawn_app().await;
    let request = graphql_ws_request(&app.addr.to_string());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::text(r#"{"type":"connection_init","payload":{}}"#))
        .await
        .unwrap();
    let ack = next_message(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");

    for (n, (place, query)) in deep_documents().into_iter().enumerate() {
        let id = n.to_string();
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
        ws.send(Message::text(subscribe.to_string())).await.unwrap();
        let reply = next_message(&mut ws).await;
        // graphql-transport-ws sends a request's errors as its one result, then completes.
        assert_eq!(reply["type"], "next", "{place}: {reply}");
        assert_eq!(reply["id"], id);
        assert_eq!(
            reply["payload"]["errors"][0]["extensions"]["code"], "RECURSION_LIMIT_EXCEEDED",
            "{place}: {reply}"
        );
        let complete = next_message(&mut ws).await;
        assert_eq!(complete["type"], "complete", "{complete}");
    }
    // The same connection still runs a shallow operation.
    let ok = json!({ "id": "ok", "type": "subscribe", "payload": { "query": "{ __typename }" } });
    ws.send(Message::text(ok.to_string())).await.unwrap();
    let reply = next_message(&mut ws).await;
    assert_eq!(reply["type"], "next", "{reply}");
    assert_eq!(reply["payload"]["data"]["__typename"], "Query");
    ws.close(None).await.unwrap();
    still_answers(&app).await;
}

#[tokio::test]
async fn deeply_nested_variables_are_refused_as_a_bad_request() {
    let app = spawn_app().await;
    // Written as text: a value this deep must never be built as a tree, here or there.
    let deep = format!("{}1{}", "[".repeat(MANY_LEVELS), "]".repeat(MANY_LEVELS));
    let deep_in_url = format!("{}1{}", "[".repeat(LEVELS), "]".repeat(LEVELS));
    let body =
        format!(r#"{{"query":"query($v: [Int]) {{ __typename }}","variables":{{"v":{deep}}}}}"#);
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_REQUEST"), "{body}");
    still_answers(&app).await;

    let get = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query($v: [Int]) { __typename }"),
            ("variables", &deep_in_url),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 400);
    still_answers(&app).await;
}

#[tokio::test]
async fn aliases_in_fragments_count_once_for_every_spread() {
    let app = spawn_app().await;
    let aliases: String = (0..25).map(|i| format!("a{i}: __typename ")).collect();
    let fragment = format!("fragment F on Query {{ {aliases} }}");
    // 5 spreads of 25 aliases execute 125 aliased fields, past the limit of 30.
    let flood = format!("{{ ...F ...F ...F ...F ...F }} {fragment}");
    let body = app.gql(None, &flood, json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"), "{body}");
    // Nested fragments multiply: 2 x 2 x 10 = 40.
    let ten: String = (0..10).map(|i| format!("b{i}: __typename ")).collect();
    let nested = format!(
        "{{ ...G ...G }} fragment G on Query {{ ...H ...H }} fragment H on Query {{ {ten} }}"
    );
    let body = app.gql(None, &nested, json!({})).await;
    assert_eq!(error_code(&body), Some("TOO_MANY_ALIASES"), "{body}");
    // One spread of 25 runs.
    let once = app
        .gql(None, &format!("{{ ...F }} {fragment}"), json!({}))
        .await;
    assert_eq!(once["data"]["a24"], "Query", "{once}");
}
