//! The production profile's pub/sub on Redis: events raised on one instance reach
//! subscribers on every instance. Channels are `{prefix}:{topic}`.
//!
//! An instance holds one Redis subscriber connection however many subscriptions it serves
//! (every browser with the portal open has one): a reader task hands each message to the
//! topic's local broadcast channel, and a topic is subscribed on Redis while anyone here
//! listens to it. When the connection drops, every subscription ends (as a dropped
//! connection would end it), and the next subscription connects again.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use portico_core::ports::{PortError, PubSub};
use redis::{
    AsyncCommands,
    aio::{ConnectionManager, PubSubSink},
};
use tokio::sync::broadcast;

/// Messages a slow local subscriber may fall behind by before it skips some.
const CAPACITY: usize = 256;

type Topics = Arc<Mutex<HashMap<String, broadcast::Sender<Vec<u8>>>>>;

/// The shared subscriber connection: its command half and the local fan-out.
struct Hub {
    sink: PubSubSink,
    topics: Topics,
    /// Cleared by the reader task when the connection ends.
    alive: Arc<AtomicBool>,
}

pub struct RedisPubSub {
    client: redis::Client,
    publisher: ConnectionManager,
    prefix: String,
    hub: tokio::sync::Mutex<Option<Hub>>,
}

impl RedisPubSub {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let publisher = client.get_connection_manager().await?;
        Ok(Self {
            client,
            publisher,
            prefix: prefix.to_owned(),
            hub: tokio::sync::Mutex::new(None),
        })
    }

    fn channel(&self, topic: &str) -> String {
        format!("{}:{topic}", self.prefix)
    }

    /// A connected hub: the current one, or a new connection when there is none or it died.
    async fn connected(&self, hub: &mut Option<Hub>) -> Result<(PubSubSink, Topics), PortError> {
        if let Some(h) = hub.as_ref()
            && h.alive.load(Ordering::Acquire)
        {
            return Ok((h.sink.clone(), Arc::clone(&h.topics)));
        }
        let (sink, mut messages) = self.client.get_async_pubsub().await.map_err(err)?.split();
        let topics: Topics = Arc::default();
        let fan_out = Arc::clone(&topics);
        let alive = Arc::new(AtomicBool::new(true));
        let living = Arc::clone(&alive);
        tokio::spawn(async move {
            while let Some(msg) = messages.next().await {
                let Ok(payload) = msg.get_payload::<Vec<u8>>() else {
                    continue;
                };
                let sender = fan_out
                    .lock()
                    .ok()
                    .and_then(|t| t.get(msg.get_channel_name()).cloned());
                if let Some(sender) = sender {
                    // No receivers left: the next subscription prunes the topic.
                    let _ = sender.send(payload);
                }
            }
            // The connection is gone: dropping the senders ends every subscription.
            living.store(false, Ordering::Release);
            if let Ok(mut t) = fan_out.lock() {
                t.clear();
            }
            tracing::warn!("Redis pub/sub connection closed; subscriptions ended");
        });
        *hub = Some(Hub {
            sink: sink.clone(),
            topics: Arc::clone(&topics),
            alive,
        });
        Ok((sink, topics))
    }
}

fn err(e: redis::RedisError) -> PortError {
    PortError::new("redis-pubsub", e)
}

fn poisoned() -> PortError {
    PortError::new("redis-pubsub", "lock poisoned")
}

#[async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), PortError> {
        let mut conn = self.publisher.clone();
        let _receivers: i64 = conn
            .publish(self.channel(topic), payload)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> Result<BoxStream<'static, Vec<u8>>, PortError> {
        let channel = self.channel(topic);
        // Held across the Redis round trips below, so that two first subscribers of a topic
        // do not both subscribe it and neither misses the subscription's confirmation.
        let mut hub = self.hub.lock().await;
        let (mut sink, topics) = self.connected(&mut hub).await?;
        let (receiver, new, unused) = {
            let mut t = topics.lock().map_err(|_| poisoned())?;
            let unused: Vec<String> = t
                .iter()
                .filter(|(name, tx)| tx.receiver_count() == 0 && **name != channel)
                .map(|(name, _)| name.clone())
                .collect();
            for name in &unused {
                t.remove(name);
            }
            let new = !t.contains_key(&channel);
            let sender = t
                .entry(channel.clone())
                .or_insert_with(|| broadcast::channel(CAPACITY).0);
            (sender.subscribe(), new, unused)
        };
        if !unused.is_empty() {
            sink.unsubscribe(&unused).await.map_err(err)?;
        }
        if new && let Err(e) = sink.subscribe(&channel).await {
            if let Ok(mut t) = topics.lock() {
                t.remove(&channel);
            }
            return Err(err(e));
        }
        drop(hub);
        let stream = futures::stream::unfold(receiver, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(msg) => return Some((msg, rx)),
                    // A slow subscriber skips what it missed rather than ending; said, since
                    // its browser shows less than happened until it reloads.
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "live subscriber fell behind; events skipped");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
    }

    async fn ping(&self) -> Result<(), PortError> {
        let mut conn = self.publisher.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(err)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
