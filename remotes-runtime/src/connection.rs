//! The connection task set: for each peer, a reader task (read frames, dispatch them, keep the peer alive) and a
//! writer task (drain the outbox into the transport, in batches), around the shared [`Link`] that callers use to
//! queue frames and await replies.

mod attention;

use std::sync::Arc;
use std::time::Duration;

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::config::ReceiveRate;
use crate::link::Link;
use crate::log_limit::LogLimit;
use crate::outbox::{Batch, Outbox, QueueLimits};
use crate::receive::ReceiveBudget;
use crate::slots::Desync;
use crate::telemetry::names;
use crate::wire::frame::{FrameError, split_frame};
use attention::{Attention, Heard};

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
    /// No complete frame arrived from the peer for the idle timeout.
    Idle(Duration),
    /// The peer's outgoing queue stayed full, with nothing written, past the grace period.
    SlowPeer(Duration),
    /// The peer stayed over its receive budget past the flood grace.
    Flood(Duration),
    /// The peer sent a frame that breaks the reply accounting (see `slots`).
    Desync(Desync),
}

/// The keepalive, slow-peer and flood timers of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub slow_peer_grace: Duration,
    pub flood_grace: Duration,
}

/// What bounds a connection's reader.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadLimits {
    pub max_frame: usize,
    pub timers: Timers,
    /// The cap on the peer's replies waiting to be written (the outgoing queue's cap).
    pub queue: QueueLimits,
    pub receive: Option<ReceiveRate>,
}

impl ReadLimits {
    pub(crate) fn from_config(config: &crate::config::Config) -> ReadLimits {
        ReadLimits {
            max_frame: config.max_frame_len,
            timers: Timers {
                ping_interval: config.ping_interval,
                idle_timeout: config.idle_timeout,
                slow_peer_grace: config.slow_peer_grace,
                flood_grace: config.flood_grace,
            },
            queue: QueueLimits { frames: config.max_queued_frames, bytes: config.max_queued_bytes },
            receive: config.receive_rate,
        }
    }
}

/// What the reader hands each frame to (the receiving layer's dispatcher, in practice). An error means the frame
/// broke the connection's reply accounting: the reader stops.
pub(crate) trait Dispatch {
    fn dispatch(&mut self, body: Bytes) -> Result<(), Desync>;
}

/// At most this many frames, or this many bytes of frames, are dispatched in one turn of the reader task before it
/// lets the other tasks of its worker run: one connection's decoding never runs back to back for long.
const FRAMES_PER_TURN: usize = 64;
const BYTES_PER_TURN: usize = 64 << 10;

/// A peer whose reader went this long without holding a frame back for the receive budget is no longer over it
/// (the flood grace starts again the next time it is).
const FLOOD_GAP: Duration = Duration::from_millis(100);

/// What the reader waits for before its next step.
#[derive(Debug, Clone, Copy)]
enum Wait {
    /// More bytes from the peer: no complete frame is buffered.
    Read,
    /// The peer to take its replies: it has a queue's worth waiting to be written.
    Replies,
    /// The receive budget to refill.
    Budget(Instant),
}

/// Reads frames until the stream ends, the link closes, a frame is unreadable, the peer falls silent, stops
/// reading or floods, dispatching each frame. `buf` holds bytes already read (past the handshake).
///
/// The reader holds at most one frame it has split off but not dispatched: it waits with it while the peer has a
/// queue's worth of replies unwritten (so a peer that sends faster than it reads is slowed to its reading, not
/// disconnected for a burst) and while the peer is over its receive budget.
pub(crate) async fn read_loop<Rd>(
    link: &Arc<Link>,
    mut reader: Rd,
    mut buf: BytesMut,
    limits: ReadLimits,
    dispatcher: &mut impl Dispatch,
) -> Stop
where
    Rd: AsyncRead + Unpin,
{
    let timers = limits.timers;
    // When a complete frame was last seen, to the keepalive tick: `framed` notes that one arrived since the last
    // tick, which then moves `last_frame` (one clock read per tick, not per frame).
    let mut last_frame = Instant::now();
    let mut framed = false;
    let mut attention = Attention::new(link, last_frame + timers.ping_interval);
    let mut budget = limits.receive.map(|rate| ReceiveBudget::new(rate, last_frame));
    // Since when the peer has been over its budget: set when a frame has to wait, kept while frames keep having to
    // wait less than `FLOOD_GAP` apart (`last_held`: when the reader last held a frame back). A frame passing
    // without waiting does not end it: the budget refills in steps (each wait lasts a millisecond or more), so a
    // flood of small frames lets a few pass after every wait.
    let mut throttled_since: Option<Instant> = None;
    let mut last_held = last_frame;
    let mut next: Option<Bytes> = None;
    let mut next_waited = false;
    let (mut turn_frames, mut turn_bytes) = (0, 0);
    loop {
        if next.is_none() {
            match split_frame(&mut buf, limits.max_frame) {
                Ok(Some(body)) => {
                    framed = true;
                    next = Some(body);
                }
                Ok(None) => {}
                Err(error) => return Stop::Frame(error),
            }
        }
        let wait = match &next {
            None => Wait::Read,
            Some(_) if link.outbox.replies_over(limits.queue) => Wait::Replies,
            Some(body) => match budget.as_mut().and_then(|b| b.admit(body.len() + 1, Instant::now())) {
                Some(at) => {
                    if !std::mem::replace(&mut next_waited, true) {
                        link.count_rate_limited();
                        let now = Instant::now();
                        let continued = throttled_since.is_some() && now - last_held <= FLOOD_GAP;
                        last_held = now;
                        if !continued {
                            throttled_since = Some(now);
                            if link.may_log() {
                                tracing::info!(peer = %link.peer, "over its receive budget; reading from it more slowly");
                            }
                        }
                    }
                    Wait::Budget(at)
                }
                None => {
                    if std::mem::replace(&mut next_waited, false) {
                        // Held back until now: the idle timer runs from here.
                        framed = true;
                        last_held = Instant::now();
                    }
                    let body = next.take().expect("matched Some");
                    turn_frames += 1;
                    turn_bytes += body.len();
                    if let Err(desync) = dispatcher.dispatch(body) {
                        return Stop::Desync(desync);
                    }
                    if turn_frames >= FRAMES_PER_TURN || turn_bytes >= BYTES_PER_TURN {
                        (turn_frames, turn_bytes) = (0, 0);
                        tokio::task::yield_now().await;
                    }
                    continue;
                }
            },
        };
        if matches!(wait, Wait::Read) {
            if buf.is_empty() && buf.capacity() > RETAINED_BUFFER {
                buf = BytesMut::new();
            }
            if buf.capacity() - buf.len() < INITIAL_READ_BUFFER / 2 {
                buf.reserve(INITIAL_READ_BUFFER.max(buf.len()));
            }
        }
        let stop = tokio::select! {
            // Biased, the link's closing and the tick first: a peer whose bytes are always ready to read still
            // meets the idle, slow-peer and flood checks (and looking costs a flag test).
            biased;
            heard = std::future::poll_fn(|cx| attention.poll(link, cx)) => match heard {
                Heard::Closed => Some(Stop::Closed),
                Heard::Tick => {
                    let now = Instant::now();
                    if std::mem::take(&mut framed) {
                        last_frame = now;
                    }
                    // A frame the reader holds back counts as a sign of life.
                    let silent = if next.is_some() { Duration::ZERO } else { now - last_frame };
                    if silent >= timers.idle_timeout {
                        Some(Stop::Idle(silent))
                    } else if let Some(full) = link.outbox.full_for().filter(|full| *full >= timers.slow_peer_grace) {
                        Some(Stop::SlowPeer(full))
                    } else if let Some(flooding) = throttled_since
                        .filter(|_| next_waited || now - last_held <= FLOOD_GAP)
                        .map(|since| now - since)
                        .filter(|t| *t >= timers.flood_grace)
                    {
                        Some(Stop::Flood(flooding))
                    } else {
                        link.send_ping();
                        attention.reset(now + timers.ping_interval);
                        None
                    }
                }
            },
            read = reader.read_buf(&mut buf), if matches!(wait, Wait::Read) => match read {
                Ok(0) => Some(Stop::Eof),
                Ok(read) => {
                    link.bytes_in.fetch_add(read as u64, std::sync::atomic::Ordering::Relaxed);
                    None
                }
                Err(error) => Some(Stop::Io(error)),
            },
            () = link.outbox.replies_below(limits.queue), if matches!(wait, Wait::Replies) => {
                // The frame was held back: the idle timer runs from here.
                framed = true;
                None
            }
            () = budget_refilled(wait), if matches!(wait, Wait::Budget(_)) => None,
        };
        if let Some(stop) = stop {
            return stop;
        }
    }
}

async fn budget_refilled(wait: Wait) {
    if let Wait::Budget(at) = wait {
        tokio::time::sleep_until(at).await;
    }
}

/// Writes what is queued in the outbox until the link closes (then flushes what is left and shuts the stream).
pub(crate) async fn write_loop<Wr>(link: Arc<Link>, mut writer: Wr)
where
    Wr: AsyncWrite + Unpin,
{
    let mut batch = Batch::default();
    // Registered once per connection: the macro builds and hashes its key at every use.
    let queued_bytes = metrics::histogram!(names::OUTGOING_QUEUE);
    loop {
        if link.outbox.take(&mut batch) {
            let bytes = batch.segments.iter().map(|segment| segment.len()).sum::<usize>() + batch.tail.len();
            link.bytes_out.fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
            queued_bytes.record(bytes as f64);
            if let Err(error) = write_batch(&mut writer, &batch, &link.outbox).await {
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
        // Batching: the task that queued a frame woke this one, and the runtime runs it next. When more frames are
        // likely on their way, let their tasks run first, so one write carries them all: when the last batch
        // carried more than one frame (calls, replies or events are arriving together: the tasks a batch of
        // replies woke, or the replies a batch of requests makes, queue theirs one after the other), or when this
        // side waits on more calls than are queued. A lone call (or a reply) still leaves at once. Measured at TCP
        // 32x16 (BENCHMARKS.md, round two): the last batch's rule takes writes from 0.26 per call to 0.14.
        if batch.frames > 1 || waits_on_more(&link) {
            tokio::task::yield_now().await;
        }
    }
}

/// Whether this side waits on more calls than are queued (the queue's lock is not taken when it waits on none,
/// as a server mostly does).
fn waits_on_more(link: &Link) -> bool {
    let pending = link.pending.len();
    pending > 0 && pending > link.outbox.queued_frames()
}

/// Writes one batch, its shared segments and its tail, with vectored writes where the transport has them. Each
/// partial write tells the outbox that the peer is reading (the slow-peer rule judges reading, not queue size).
async fn write_batch<Wr>(writer: &mut Wr, batch: &Batch, outbox: &Outbox) -> std::io::Result<()>
where
    Wr: AsyncWrite + Unpin,
{
    let mut single;
    let mut gathered: Vec<IoSlice<'_>>;
    let mut slices: &mut [IoSlice<'_>] = if batch.segments.is_empty() {
        single = [IoSlice::new(&batch.tail)];
        &mut single
    } else {
        gathered = batch.segments.iter().map(|segment| IoSlice::new(segment)).collect();
        gathered.push(IoSlice::new(&batch.tail));
        &mut gathered
    };
    // Leaves out empty parts (an empty tail behind the segments).
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        let written = if writer.is_write_vectored() {
            writer.write_vectored(slices).await?
        } else {
            writer.write(&slices[0]).await?
        };
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut slices, written);
        if !slices.is_empty() {
            outbox.progressed();
        }
    }
    writer.flush().await
}

/// Logs why a connection stopped, at a level that fits: peer misbehaviour is a warning (through `limit`, a server's
/// limiter for the connections it closes, so that opening connections to misbehave cannot flood the log), a clean
/// close is debug.
pub(crate) fn log_stop(peer: &str, stop: &Stop, limit: &LogLimit) {
    let complaint =
        matches!(stop, Stop::Frame(_) | Stop::Idle(_) | Stop::SlowPeer(_) | Stop::Flood(_) | Stop::Desync(_));
    if complaint && !limit.admit("connections") {
        return;
    }
    match stop {
        Stop::Eof => tracing::debug!(peer, "peer closed the connection"),
        Stop::Closed => tracing::debug!(peer, "connection closed"),
        Stop::Io(error) => tracing::debug!(peer, %error, "connection failed"),
        Stop::Frame(error) => tracing::warn!(peer, %error, "unreadable frame; closing this connection"),
        Stop::Desync(error) => tracing::warn!(
            peer,
            %error,
            "replies can no longer be matched to calls; closing this connection (its pending calls settle Disconnected)"
        ),
        Stop::Idle(silent) => {
            tracing::warn!(peer, ?silent, "nothing received within the idle timeout; closing this connection")
        }
        Stop::SlowPeer(full) => {
            tracing::warn!(
                peer,
                ?full,
                "the peer's outgoing queue stayed full, with nothing written, past the grace period; closing this connection"
            )
        }
        Stop::Flood(over) => {
            tracing::warn!(
                peer,
                ?over,
                "the peer stayed over its receive budget past the flood grace; closing this connection"
            )
        }
    }
}
