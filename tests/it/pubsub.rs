//! Pub/sub of the running profile: in-process broadcast on SQLite, Redis in production, where
//! an event published by one instance reaches a subscriber on another.

use std::time::Duration;

use futures::StreamExt;
use portico_tests::{spawn_app, spawn_app_with};

#[tokio::test]
async fn an_event_reaches_subscribers_of_its_topic_only() {
    let app = spawn_app().await;
    let bus = app.services().pubsub;
    let mut mine = bus.subscribe("tenant:a:events").await.unwrap();
    let mut other = bus.subscribe("tenant:b:events").await.unwrap();
    bus.publish("tenant:a:events", b"changed".to_vec())
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), mine.next())
        .await
        .expect("delivered")
        .unwrap();
    assert_eq!(got, b"changed".to_vec());
    let nothing = tokio::time::timeout(Duration::from_millis(200), other.next()).await;
    assert!(nothing.is_err(), "another topic receives nothing");
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_another() {
    let first = spawn_app().await;
    if !first.database.is_postgres() {
        return; // The embedded profile is one process by design.
    }
    let prefix = first.database.redis_prefix.clone();
    let second = spawn_app_with(|c| c.redis_prefix = prefix).await;
    let mut subscription = second.services().pubsub.subscribe("ping").await.unwrap();
    first
        .services()
        .pubsub
        .publish("ping", b"from the first".to_vec())
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("delivered across instances")
        .unwrap();
    assert_eq!(got, b"from the first".to_vec());
}
