//! Transports: anything that carries bytes both ways. TCP (`tcp`) for real networks; WebSocket (`websocket`) for
//! browsers and HTTP infrastructure; an in-process pipe (`memory`) with the same semantics and no sockets, for
//! tests. All feed the same connection code, as a read half and a write half; none names anything above it.

pub(crate) mod memory;
pub(crate) mod tcp;
#[cfg(feature = "tls")]
pub(crate) mod tls;
pub(crate) mod websocket;

use tokio::io::{AsyncRead, AsyncWrite};

/// The read half of a transport.
pub(crate) trait ReadHalf: AsyncRead + Unpin + Send + 'static {}
impl<T: AsyncRead + Unpin + Send + 'static> ReadHalf for T {}

/// The write half of a transport.
pub(crate) trait WriteHalf: AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncWrite + Unpin + Send + 'static> WriteHalf for T {}
