//! WebSocket (RFC 6455) over TCP, with tokio-tungstenite for the upgrade and the WebSocket framing.
//!
//! The connection code reads and writes a byte stream of length-prefixed frames, as over TCP; this module carries
//! that stream in binary messages (PROTOCOL.md, "WebSocket"): each message holds one or more whole frames, with
//! their length prefixes, and at most [`PACKED_MESSAGE`] bytes unless it holds a single larger frame. A receiver
//! accepts messages up to its maximum frame length plus a prefix (or [`PACKED_MESSAGE`], if larger), and refuses a
//! longer one from its WebSocket header, before buffering it. Text messages are a protocol error; pings are
//! answered by tungstenite; a close message ends the stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Sink, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::wire::frame::peek_varint;

/// Frames are packed into one message up to this many bytes (a larger frame travels alone).
pub(crate) const PACKED_MESSAGE: usize = 64 << 10;

/// The longest length prefix (a `u32` varint).
const PREFIX: usize = 5;

/// tungstenite's read buffer. Its default, 128 KiB, is allocated per connection and zero-filled before every read,
/// which made each idle WebSocket client cost 137 KiB on the server and put a 128 KiB `memset` on every message
/// received; with 4 KiB an idle client costs 12.6 KiB and the memset leaves the profile (BENCHMARKS.md, "WebSocket").
/// Large frames take more reads, each of 4 KiB.
const READ_BUFFER: usize = 4 << 10;

/// The WebSocket settings for a side whose maximum frame length is `max_frame`.
fn config(max_frame: usize) -> WebSocketConfig {
    let max_message = (max_frame + PREFIX).max(PACKED_MESSAGE);
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
}

/// Polls `poll` with a waker that does nothing first, and with the task's only if that is pending. tokio-tungstenite
/// wakes the waker of the last write-side poll at every readable event of the socket; a writer that left its waker
/// at a flush that completed at once was woken for nothing at every message received (and, when that wake found the
/// reader in tokio's LIFO slot, the other worker was woken and the round trip crossed cores: BENCHMARKS.md,
/// "WebSocket").
fn quietly<T>(cx: &mut Context<'_>, mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    match poll(&mut Context::from_waker(std::task::Waker::noop())) {
        Poll::Ready(value) => Poll::Ready(value),
        Poll::Pending => poll(cx),
    }
}

/// The read half of a WebSocket connection, as a byte stream.
pub(crate) struct WsReader<S> {
    messages: SplitStream<WebSocketStream<S>>,
    /// What is left of the last message.
    current: Bytes,
}

/// The write half of a WebSocket connection, as a byte stream.
pub(crate) struct WsWriter<S> {
    messages: SplitSink<WebSocketStream<S>, Message>,
    /// Bytes written but not sent in a message yet.
    pending: BytesMut,
}

/// Splits an upgraded connection into its two halves.
fn halves<S>(stream: WebSocketStream<S>) -> (WsReader<S>, WsWriter<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (sink, stream) = stream.split();
    (WsReader { messages: stream, current: Bytes::new() }, WsWriter { messages: sink, pending: BytesMut::new() })
}

/// Why a WebSocket connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The request was not a WebSocket upgrade; the peer was answered with an HTTP error.
    #[error("not a WebSocket upgrade request ({0})")]
    NotUpgrade(tungstenite::Error),
    /// The upgrade failed.
    #[error("WebSocket upgrade failed: {0}")]
    Upgrade(tungstenite::Error),
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Answers the upgrade request on an accepted stream (TCP, or TLS over TCP), any path. A request that is not a
/// WebSocket upgrade is answered `426 Upgrade Required` (a malformed one `400 Bad Request`) and the connection
/// closed.
pub(crate) async fn accept<S>(mut stream: S, max_frame: usize) -> Result<(WsReader<S>, WsWriter<S>), OpenError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The upgrade runs on a borrowed stream, so that a refused request can still be answered here.
    match tokio_tungstenite::accept_async_with_config(&mut stream, Some(config(max_frame))).await {
        Ok(upgraded) => drop(upgraded),
        Err(error) => {
            use tungstenite::error::ProtocolError as P;
            let not_upgrade = matches!(
                &error,
                tungstenite::Error::Protocol(
                    P::WrongHttpMethod
                        | P::WrongHttpVersion
                        | P::MissingConnectionUpgradeHeader
                        | P::MissingUpgradeWebSocketHeader
                        | P::MissingSecWebSocketVersionHeader
                        | P::MissingSecWebSocketKey
                )
            );
            let (status, text) = match not_upgrade {
                true => (
                    "426 Upgrade Required",
                    "this address speaks the remotes protocol over WebSocket: send a WebSocket upgrade request\n",
                ),
                false => ("400 Bad Request", "malformed HTTP request\n"),
            };
            if !matches!(error, tungstenite::Error::Io(_)) {
                let response = format!(
                    "HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: close\r\nContent-Type: text/plain\r\n\
                     Content-Length: {}\r\n\r\n{text}",
                    text.len()
                );
                use tokio::io::AsyncWriteExt;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
            return Err(match error {
                tungstenite::Error::Io(error) => OpenError::Io(error),
                error if not_upgrade => OpenError::NotUpgrade(error),
                other => OpenError::Upgrade(other),
            });
        }
    }
    // The handshake is over and read nothing past the request (tungstenite refuses bytes after it).
    let upgraded = WebSocketStream::from_raw_socket(stream, Role::Server, Some(config(max_frame))).await;
    Ok(halves(upgraded))
}

/// The halves of a connection another HTTP server has already upgraded (it answered the request with `101`).
#[cfg(feature = "axum")]
pub(crate) async fn upgraded<S>(stream: S, max_frame: usize) -> (WsReader<S>, WsWriter<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    halves(WebSocketStream::from_raw_socket(stream, Role::Server, Some(config(max_frame))).await)
}

/// The `Sec-WebSocket-Accept` value that answers a request's `Sec-WebSocket-Key`.
#[cfg(feature = "axum")]
pub(crate) fn accept_key(request_key: &[u8]) -> String {
    tungstenite::handshake::derive_accept_key(request_key)
}

/// Opens a WebSocket connection to `url` (`ws://` or `wss://host:port/path`) over `stream`, already connected to
/// its host (and, for `wss://`, already speaking TLS).
pub(crate) async fn connect<S>(url: &str, stream: S, max_frame: usize) -> Result<(WsReader<S>, WsWriter<S>), OpenError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tokio_tungstenite::client_async_with_config(url, stream, Some(config(max_frame))).await {
        Ok((upgraded, _response)) => Ok(halves(upgraded)),
        Err(tungstenite::Error::Io(error)) => Err(OpenError::Io(error)),
        Err(error) => Err(OpenError::Upgrade(error)),
    }
}

fn io_error(error: tungstenite::Error) -> io::Error {
    match error {
        tungstenite::Error::Io(error) => error,
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsReader<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.current.is_empty() {
                let n = self.current.len().min(buf.remaining());
                buf.put_slice(&self.current[..n]);
                self.current.advance(n);
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut self.messages).poll_next(cx)) {
                Some(Ok(Message::Binary(bytes))) => self.current = bytes,
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a text WebSocket message: the protocol travels in binary messages",
                    )));
                }
                // Pings are answered by tungstenite; pongs and raw frames carry nothing for the protocol.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(())),
                // The peer closed the TCP connection without a close message: the end of the stream, as on TCP.
                Some(Err(
                    tungstenite::Error::ConnectionClosed
                    | tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake),
                )) => return Poll::Ready(Ok(())),
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsWriter<S> {
    /// The length of the longest run of whole frames at the front of `pending` that fits in one message (at least
    /// one frame); `None` when the front frame is not complete yet or its prefix does not parse.
    fn next_message(&self) -> Option<usize> {
        let mut end = 0;
        while end < self.pending.len() {
            let Ok(Some((len, prefix))) = peek_varint(&self.pending[end..]) else { break };
            let frame = prefix + len as usize;
            if end + frame > self.pending.len() || (end > 0 && end + frame > PACKED_MESSAGE) {
                break;
            }
            end += frame;
        }
        (end > 0).then_some(end)
    }

    /// Sends what is pending in messages: whole frames, and with `all`, whatever is left (only a peer writing
    /// arbitrary bytes, like a test's raw client, leaves a partial frame at a flush).
    fn poll_send(&mut self, cx: &mut Context<'_>, all: bool) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let len = match self.next_message() {
                Some(len) => len,
                None if all => self.pending.len(),
                None => return Poll::Ready(Ok(())),
            };
            ready!(quietly(cx, |cx| Pin::new(&mut self.messages).poll_ready(cx))).map_err(io_error)?;
            let message = self.pending.split_to(len).freeze();
            Pin::new(&mut self.messages).start_send(Message::Binary(message)).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsWriter<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // What was written before goes out first, so that what is pending stays within one write's worth.
        ready!(self.poll_send(cx, false))?;
        let mut written = 0;
        for buf in bufs {
            self.pending.extend_from_slice(buf);
            written += buf.len();
        }
        // Sent now where the sink has room; the rest at the next write or flush.
        match self.poll_send(cx, false) {
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            _ => Poll::Ready(Ok(written)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send(cx, true))?;
        quietly(cx, |cx| Pin::new(&mut self.messages).poll_flush(cx)).map_err(io_error)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.messages).poll_close(cx).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_limit_holds_a_frame_and_its_prefix() {
        assert_eq!(config(1 << 20).max_message_size, Some((1 << 20) + PREFIX));
        assert_eq!(config(1024).max_message_size, Some(PACKED_MESSAGE));
    }
}
