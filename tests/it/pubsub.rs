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
    let second = spawn_app_with(|c| c.queue.redis_prefix = prefix).await;
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

#[tokio::test]
async fn an_instance_shares_one_redis_subscription_among_its_subscribers() {
    let app = spawn_app().await;
    let portico_tests::Profile::Postgres { redis_url, .. } = &app.database.profile else {
        return; // In-process on the embedded profile.
    };
    let bus = app.services().pubsub;
    let mut subscribers = Vec::new();
    for _ in 0..5 {
        subscribers.push(bus.subscribe("shared").await.unwrap());
    }
    let channel = format!("{}:shared", app.database.redis_prefix);
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (_, connections): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&channel)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(connections, 1, "five subscribers, one Redis subscription");
    bus.publish("shared", b"to all".to_vec()).await.unwrap();
    for subscriber in &mut subscribers {
        let got = tokio::time::timeout(Duration::from_secs(5), subscriber.next())
            .await
            .expect("every local subscriber receives it")
            .unwrap();
        assert_eq!(got, b"to all".to_vec());
    }
    // When nobody here listens any more, the next subscription drops the topic on Redis.
    drop(subscribers);
    let _other = bus.subscribe("another").await.unwrap();
    let (_, connections): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&channel)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(connections, 0);
}
