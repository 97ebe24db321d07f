//! The embedded profile's pub/sub: a broadcast channel per topic inside this process.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use tokio::sync::broadcast;

use crate::ports::{PortError, PubSub};

const CAPACITY: usize = 256;

#[derive(Default)]
pub struct LocalPubSub {
    topics: Mutex<HashMap<String, broadcast::Sender<Vec<u8>>>>,
}

impl LocalPubSub {
    fn sender(&self, topic: &str) -> Result<broadcast::Sender<Vec<u8>>, PortError> {
        let mut topics = self
            .topics
            .lock()
            .map_err(|_| PortError::new("local-pubsub", "lock poisoned"))?;
        // Drop topics nobody listens to any more, so the map does not grow without bound.
        topics.retain(|_, tx| tx.receiver_count() > 0);
        Ok(topics
            .entry(topic.to_owned())
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .clone())
    }
}

#[async_trait]
impl PubSub for LocalPubSub {
    async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), PortError> {
        // No receivers is not an error: nobody is subscribed right now.
        let _receivers = self.sender(topic)?.send(payload).unwrap_or(0);
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> Result<BoxStream<'static, Vec<u8>>, PortError> {
        let rx = self.sender(topic)?.subscribe();
        let stream = futures::stream::unfold(rx, |mut rx| async move {
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
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribe() {
        let bus = LocalPubSub::default();
        let mut a = bus.subscribe("t").await.unwrap();
        bus.publish("other", b"x".to_vec()).await.unwrap();
        bus.publish("t", b"hello".to_vec()).await.unwrap();
        assert_eq!(a.next().await.unwrap(), b"hello".to_vec());
    }
}
