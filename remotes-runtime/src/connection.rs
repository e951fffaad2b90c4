//! The connection task set: for each peer, a reader task (read frames, dispatch them, keep the peer alive) and a
//! writer task (drain the outbox into the transport, in batches), around the shared [`Link`] that callers use to
//! queue frames and await replies.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::dispatch::Dispatcher;
use crate::link::Link;
use crate::outbox::Batch;
use crate::wire::frame::{FrameError, split_frame};

/// Reader buffers start this small and grow with the traffic; idle connections stay cheap.
const INITIAL_READ_BUFFER: usize = 1024;
/// A buffer that grew past this while busy is released once it is empty again.
const RETAINED_BUFFER: usize = 64 << 10;

/// Why a reader stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The peer closed the stream.
    Eof,
    /// This side closed the link.
    Closed,
    /// The transport failed.
    Io(std::io::Error),
    /// The peer sent a frame that cannot be read.
    Frame(FrameError),
    /// Nothing arrived from the peer for the idle timeout.
    Idle(Duration),
    /// The peer's outgoing queue stayed full past the grace period.
    SlowPeer(Duration),
}

/// The keepalive and slow-peer timers of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub slow_peer_grace: Duration,
}

impl Timers {
    pub(crate) fn from_config(config: &crate::config::Config) -> Timers {
        Timers {
            ping_interval: config.ping_interval,
            idle_timeout: config.idle_timeout,
            slow_peer_grace: config.slow_peer_grace,
        }
    }
}

/// Reads frames until the stream ends, the link closes, a frame is unreadable, the peer falls silent or stops
/// reading, dispatching each frame. `buf` holds bytes already read (past the handshake).
pub(crate) async fn read_loop<Rd>(
    link: &Arc<Link>,
    mut reader: Rd,
    mut buf: BytesMut,
    max_frame: usize,
    timers: Timers,
    dispatcher: &mut Dispatcher,
) -> Stop
where
    Rd: AsyncRead + Unpin,
{
    let mut last_received = Instant::now();
    let tick = tokio::time::sleep_until(last_received + timers.ping_interval);
    tokio::pin!(tick);
    loop {
        loop {
            match split_frame(&mut buf, max_frame) {
                Ok(Some(body)) => dispatcher.dispatch(body),
                Ok(None) => break,
                Err(error) => return Stop::Frame(error),
            }
        }
        if buf.is_empty() && buf.capacity() > RETAINED_BUFFER {
            buf = BytesMut::new();
        }
        if buf.capacity() - buf.len() < INITIAL_READ_BUFFER / 2 {
            buf.reserve(INITIAL_READ_BUFFER.max(buf.len()));
        }
        tokio::select! {
            read = reader.read_buf(&mut buf) => match read {
                Ok(0) => return Stop::Eof,
                Ok(_) => last_received = Instant::now(),
                Err(error) => return Stop::Io(error),
            },
            () = link.closed() => return Stop::Closed,
            () = &mut tick => {
                let silent = last_received.elapsed();
                if silent >= timers.idle_timeout {
                    return Stop::Idle(silent);
                }
                if let Some(full) = link.outbox.full_for().filter(|full| *full >= timers.slow_peer_grace) {
                    return Stop::SlowPeer(full);
                }
                link.send_ping();
                tick.as_mut().reset(Instant::now() + timers.ping_interval);
            }
        }
    }
}

/// Writes what is queued in the outbox until the link closes (then flushes what is left and shuts the stream).
pub(crate) async fn write_loop<Wr>(link: Arc<Link>, mut writer: Wr)
where
    Wr: AsyncWrite + Unpin,
{
    let mut batch = Batch::default();
    loop {
        if link.outbox.take(&mut batch) {
            let written = async {
                for segment in &batch.segments {
                    writer.write_all(segment).await?;
                }
                writer.write_all(&batch.tail).await?;
                writer.flush().await
            }
            .await;
            if let Err(error) = written {
                tracing::debug!(peer = %link.peer, %error, "write failed; closing the connection");
                link.close();
                return;
            }
            batch.segments.clear();
            batch.tail.clear();
            if batch.tail.capacity() > RETAINED_BUFFER {
                batch.tail = BytesMut::new();
            }
            link.outbox.written();
            continue;
        }
        if link.is_closed() {
            let _ = writer.shutdown().await;
            return;
        }
        link.outbox.wait().await;
        // Batching: the task that queued a frame woke this one, and the runtime runs it next. When this side waits
        // on more calls than are queued, their callers are likely about to queue frames too: let them run first,
        // so one write carries them all. A lone call (or a reply) still leaves at once.
        if link.pending.len() > link.outbox.queued_frames() {
            tokio::task::yield_now().await;
        }
    }
}

/// Logs why a connection stopped, at a level that fits: peer misbehaviour is a warning, a clean close is debug.
pub(crate) fn log_stop(peer: &str, stop: &Stop) {
    match stop {
        Stop::Eof => tracing::debug!(peer, "peer closed the connection"),
        Stop::Closed => tracing::debug!(peer, "connection closed"),
        Stop::Io(error) => tracing::debug!(peer, %error, "connection failed"),
        Stop::Frame(error) => tracing::warn!(peer, %error, "unreadable frame; closing this connection"),
        Stop::Idle(silent) => {
            tracing::warn!(peer, ?silent, "nothing received within the idle timeout; closing this connection")
        }
        Stop::SlowPeer(full) => {
            tracing::warn!(
                peer,
                ?full,
                "the peer's outgoing queue stayed full past the grace period; closing this connection"
            )
        }
    }
}
