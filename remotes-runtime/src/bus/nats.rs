//! The NATS adapter (feature `nats`): NATS core through the `async-nats` client. Subjects map one to one, the
//! client reconnects by itself and keeps its subscriptions, and its connection events drive the status.

use std::sync::Arc;

use async_nats::connection::State;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::adapter::{Adapter, BusError, BusFuture, BusMessages, BusStatus};

/// A connection to a NATS server (or cluster of them), for [`ServerBuilder::cluster`](crate::ServerBuilder::cluster).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use remotes_runtime::{Server, cluster::Nats};
///
/// let nats = Nats::connect("nats://127.0.0.1:4222").await?;
/// let server = Server::builder().cluster(nats, "world-1").bind::<remotes_runtime::example::shop::Api>("0.0.0.0:7000").await?;
/// # Ok(()) }
/// ```
///
/// Publishing while the connection is down fails at once (the cluster counts it), rather than queueing inside
/// the client for later: a cluster message is delivered at most once and never late after a reconnection.
#[derive(Clone)]
pub struct Nats {
    client: async_nats::Client,
    status: watch::Receiver<BusStatus>,
}

impl Nats {
    /// Connects to the NATS server at `url` (`nats://host:4222`, or several separated by commas) with the
    /// client's default options: it reconnects for ever, with backoff, and resubscribes.
    pub async fn connect(url: &str) -> Result<Nats, BusError> {
        Nats::connect_with(url, async_nats::ConnectOptions::new()).await
    }

    /// Connects with the given client options (credentials, TLS, names...). The options' event callback is
    /// replaced by the adapter's, which tracks the connection's status, and `no_echo` is set: a node has no use
    /// for its own messages (another process that uses its node id still reaches it).
    pub async fn connect_with(url: &str, options: async_nats::ConnectOptions) -> Result<Nats, BusError> {
        let (tx, status) = watch::channel(BusStatus::Disconnected);
        let tx = Arc::new(tx);
        let events = Arc::clone(&tx);
        let options = options.no_echo().event_callback(move |event| {
            let events = Arc::clone(&events);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        events.send_replace(BusStatus::Connected);
                    }
                    async_nats::Event::Disconnected => {
                        events.send_replace(BusStatus::Disconnected);
                    }
                    other => tracing::debug!(event = %other, "NATS client event"),
                }
            }
        });
        let client = options.connect(url).await.map_err(|error| BusError::Failed(error.to_string()))?;
        if client.connection_state() == State::Connected {
            tx.send_replace(BusStatus::Connected);
        }
        Ok(Nats { client, status })
    }

    /// The underlying `async-nats` client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }
}

impl std::fmt::Debug for Nats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nats").field("state", &self.client.connection_state()).finish()
    }
}

impl Adapter for Nats {
    fn subscribe(&self, subject: String) -> BusFuture<'static, BusMessages> {
        let client = self.client.clone();
        Box::pin(async move {
            let subscriber = client.subscribe(subject).await.map_err(|error| BusError::Failed(error.to_string()))?;
            Ok(Box::pin(subscriber.map(|message| message.payload)) as BusMessages)
        })
    }

    fn publish(&self, subject: String, payload: Bytes) -> BusFuture<'_, ()> {
        Box::pin(async move {
            if self.client.connection_state() != State::Connected {
                return Err(BusError::Disconnected);
            }
            let max = self.max_payload();
            if payload.len() > max {
                return Err(BusError::TooLarge { len: payload.len(), max });
            }
            self.client.publish(subject, payload).await.map_err(|error| BusError::Failed(error.to_string()))
        })
    }

    fn status(&self) -> watch::Receiver<BusStatus> {
        self.status.clone()
    }

    fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }
}
