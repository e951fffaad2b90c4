//! TCP: `TCP_NODELAY` on every stream (the outbox batches frames itself, so Nagle would only add latency).

use std::io;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::server::ServerShared;

/// Connects to `addr` and returns the two halves of the stream.
pub(crate) async fn connect(
    addr: impl ToSocketAddrs,
) -> io::Result<(tokio::net::tcp::OwnedReadHalf, tokio::net::tcp::OwnedWriteHalf)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream.into_split())
}

/// Accepts connections until the task is aborted, handing each to the server.
pub(crate) async fn accept_loop(listener: TcpListener, server: Arc<ServerShared>) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let Some(slot) = server.admit(Some(addr.ip())) else {
                    drop(stream);
                    continue;
                };
                if let Err(error) = stream.set_nodelay(true) {
                    tracing::debug!(%addr, %error, "could not set TCP_NODELAY");
                }
                let (reader, writer) = stream.into_split();
                server.spawn_connection(reader, writer, addr.to_string(), slot);
            }
            Err(error) => {
                // Accept errors are per-connection (the peer reset before we accepted) or resource exhaustion
                // (too many open files): log, pause briefly so a persistent error does not spin, and go on.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}
