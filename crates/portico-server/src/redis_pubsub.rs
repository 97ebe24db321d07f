//! The production profile's pub/sub on Redis: events raised on one instance reach
//! subscribers on every instance. Channels are `{prefix}:{topic}`.

use async_trait::async_trait;
use futures::{StreamExt, stream::BoxStream};
use portico_core::ports::{PortError, PubSub};
use redis::{AsyncCommands, aio::ConnectionManager};

pub struct RedisPubSub {
    client: redis::Client,
    publisher: ConnectionManager,
    prefix: String,
}

impl RedisPubSub {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let publisher = client.get_connection_manager().await?;
        Ok(Self {
            client,
            publisher,
            prefix: prefix.to_owned(),
        })
    }

    fn channel(&self, topic: &str) -> String {
        format!("{}:{topic}", self.prefix)
    }
}

fn err(e: redis::RedisError) -> PortError {
    PortError::new("redis-pubsub", e)
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
        // One connection per subscription keeps it simple; a shared multiplexed subscriber
        // is the step to take when subscriptions number in the thousands per instance.
        let mut pubsub = self.client.get_async_pubsub().await.map_err(err)?;
        pubsub.subscribe(self.channel(topic)).await.map_err(err)?;
        Ok(pubsub
            .into_on_message()
            .filter_map(|msg| async move { msg.get_payload::<Vec<u8>>().ok() })
            .boxed())
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
