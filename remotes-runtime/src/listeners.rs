//! The listener table: for each event this side hears, its listeners (in a typed hub that runs the event's pipeline),
//! and the events that arrived before the first listener connected (held in a bounded queue, delivered in order to
//! the first listener, as Roblox does).
//!
//! Delivery keeps the order of arrival: listeners are started in order on the connection's reader (see [`start`]),
//! and while held events are being handed to a new listener, newer events join the queue behind them. A middleware
//! that has to wait lets its event continue in a task of its own, so later events may overtake it.
//!
//! # Locks
//!
//! Each event has a slot lock (its hub, its held queue, the `draining` flag), and each hub a lock on its listener
//! list. The only nesting is slot lock, then hub lock (to see whether the hub has listeners, or to add one): never
//! the other way round. No user code runs under either: the pipeline (decoding, `validate` functions, rejection
//! hooks, middleware) and the listeners run after the slot lock is released, and so does dropping what a listener
//! or a held event owns. What to do with an event is decided under the lock; an event about to be held is checked
//! with the lock released, then the decision is taken again (a listener may have connected meanwhile). Held events
//! are taken out one at a time and delivered outside the lock, while `draining` keeps newer events queued behind.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;

use crate::pipeline::Pipeline;
use crate::player::Player;
use crate::telemetry::{Dropped, Telemetry, enter};
use crate::user_code::{CatchUnwind, Started, log_panic, start};
use crate::wire::args::Args;
use crate::work::Ticket;

/// The share of its peer's work budget an event holds while its listeners run (`None` for predicted and held
/// events). Every task a delivery starts keeps a clone; the last one to finish gives the share back.
pub(crate) type EventTicket = Option<Arc<Ticket>>;

/// A started listener.
pub(crate) type EventFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A listener. Returns `None` when it cannot run for this caller (a server listener reached without a player, which
/// the connection code never does).
type ListenerFn<A> = Arc<dyn Fn(Option<&Player>, A) -> Option<EventFuture> + Send + Sync>;

/// Starts a listener future here and, if it has to wait, runs the rest in a task of its own, which holds `ticket`.
fn start_and_spawn(name: &'static str, future: EventFuture, ticket: &EventTicket) {
    let rest = match start(future) {
        Started::Done(()) => return,
        Started::Waiting(rest) => rest,
        Started::Panicked(panic) => return log_panic(name, &*panic),
    };
    let ticket = ticket.clone();
    // The rest of the listener stays in the event's span, when a subscriber wants it.
    let span = tracing::Span::current();
    let rest = async move {
        let _ticket = ticket;
        if let Err(panic) = (CatchUnwind { inner: rest }).await {
            log_panic(name, &*panic);
        }
    };
    let rest: EventFuture =
        if span.is_disabled() { Box::pin(rest) } else { Box::pin(tracing::Instrument::instrument(rest, span)) };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn(rest)),
        Err(_) => tracing::error!(event = name, "listener needs a tokio runtime to continue; it was dropped"),
    }
}

/// An event's listeners behind its pipeline, type-erased for the table.
pub(crate) trait EventSink: Send + Sync {
    fn is_empty(&self) -> bool;
    fn contains(&self, id: u64) -> bool;
    fn remove(&self, id: u64) -> bool;
    fn clear(&self);
    /// Checks a payload about to be held; a bad one is reported and `false`.
    fn admit_held(&self, caller: Option<&Player>, args: &[u8]) -> bool;
    /// Runs the pipeline and starts every listener; `false` when the pipeline refused the event.
    fn deliver(&self, caller: Option<&Player>, args: &[u8], ticket: EventTicket) -> bool;
}

/// The typed listeners of one event.
pub(crate) struct EventHub<A> {
    pipeline: Arc<Pipeline<A>>,
    listeners: RwLock<Vec<(u64, ListenerFn<A>)>>,
}

impl<A> EventHub<A> {
    pub(crate) fn new(pipeline: Arc<Pipeline<A>>) -> EventHub<A> {
        EventHub { pipeline, listeners: RwLock::new(Vec::new()) }
    }

    /// The event's pipeline, which its middleware joins.
    pub(crate) fn pipeline(&self) -> &Pipeline<A> {
        &self.pipeline
    }
}

impl<A: Args> EventHub<A> {
    fn add(&self, id: u64, listener: ListenerFn<A>) {
        self.listeners.write().unwrap_or_else(|p| p.into_inner()).push((id, listener));
    }

    fn snapshot(&self) -> Vec<ListenerFn<A>> {
        self.listeners.read().unwrap_or_else(|p| p.into_inner()).iter().map(|(_, l)| Arc::clone(l)).collect()
    }
}

/// Hands `args` to each listener: the first takes it, the others decode their own copy from `bytes` (the same
/// arguments, encoded), so argument types need not be `Clone`.
fn fan_out<A: Args>(
    name: &'static str,
    listeners: &[ListenerFn<A>],
    caller: Option<&Player>,
    (args, bytes): (A, &[u8]),
    ticket: &EventTicket,
) {
    let mut first = Some(args);
    for listener in listeners {
        let args = match first.take() {
            Some(args) => args,
            None => match A::decode(bytes, &[]) {
                Ok(args) => args,
                Err(_) => return,
            },
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener(caller, args))) {
            Ok(Some(future)) => start_and_spawn(name, future, ticket),
            Ok(None) => {}
            Err(panic) => log_panic(name, &*panic),
        }
    }
}

impl<A: Args> EventSink for EventHub<A> {
    fn is_empty(&self) -> bool {
        self.listeners.read().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    fn contains(&self, id: u64) -> bool {
        self.listeners.read().unwrap_or_else(|p| p.into_inner()).iter().any(|(l, _)| *l == id)
    }

    fn remove(&self, id: u64) -> bool {
        let removed = {
            let mut listeners = self.listeners.write().unwrap_or_else(|p| p.into_inner());
            listeners.iter().position(|(l, _)| *l == id).map(|at| listeners.remove(at))
        };
        // Dropped here, with the lock released: the listener's captures may be the game's last handles on anything.
        removed.is_some()
    }

    fn clear(&self) {
        let removed = std::mem::take(&mut *self.listeners.write().unwrap_or_else(|p| p.into_inner()));
        drop(removed);
    }

    fn admit_held(&self, caller: Option<&Player>, args: &[u8]) -> bool {
        self.pipeline.admit(caller, args).is_some()
    }

    fn deliver(&self, caller: Option<&Player>, bytes: &[u8], ticket: EventTicket) -> bool {
        let Some(args) = self.pipeline.admit(caller, bytes) else { return false };
        let name = self.pipeline.def.name;
        let listeners = self.snapshot();
        let Some(middleware) = self.pipeline.middleware() else {
            fan_out(name, &listeners, caller, (args, bytes), &ticket);
            return true;
        };
        let outer = ticket.clone();
        let caller = caller.cloned();
        let payload_len = bytes.len();
        start_and_spawn(
            name,
            Box::pin(async move {
                let Ok(args) = middleware.run(caller.clone(), args, payload_len).await else { return };
                // Middleware may have replaced the arguments: copies for further listeners come from the new ones.
                let mut encoded = Vec::new();
                if listeners.len() > 1 && args.encode(&mut encoded).is_err() {
                    return;
                }
                fan_out(name, &listeners, caller.as_ref(), (args, &encoded), &ticket);
            }),
            &outer,
        );
        true
    }
}

struct HeldEvent {
    caller: Option<Player>,
    args: Bytes,
}

/// What becomes of an event, as decided under its slot's lock (see [`Listeners::route`]).
enum Route {
    Deliver(Arc<dyn EventSink>),
    Check(Arc<dyn EventSink>),
    /// Held; `dropped` is the oldest held event when the queue was full.
    Held {
        dropped: Option<HeldEvent>,
        first_overflow: bool,
    },
}

#[derive(Default)]
struct EventSlot {
    /// The event's hub, installed by its typed handle when the first listener connects.
    sink: Option<Arc<dyn EventSink>>,
    held: VecDeque<HeldEvent>,
    /// Held events are being handed to listeners: new events queue behind them.
    draining: bool,
    /// The held queue overflowed and that was logged; reset when it is drained (one warning per overflow).
    overflow_logged: bool,
}

/// The listeners of every event of one endpoint, indexed by local index.
pub(crate) struct Listeners {
    names: Box<[&'static str]>,
    slots: Box<[Mutex<EventSlot>]>,
    next_id: AtomicU64,
    queue_len: usize,
    /// Where events delivered and dropped are counted (`None` in unit tests of this table).
    telemetry: Option<Arc<Telemetry>>,
}

impl Listeners {
    pub(crate) fn new(names: Box<[&'static str]>, queue_len: usize, telemetry: Option<Arc<Telemetry>>) -> Listeners {
        let slots = names.iter().map(|_| Mutex::new(EventSlot::default())).collect();
        Listeners { names, slots, next_id: AtomicU64::new(1), queue_len, telemetry }
    }

    /// Adds a listener to event `index`'s hub (the one the event's typed handle owns; installed here on first use)
    /// and hands it the held events, in order. Returns the listener's id.
    pub(crate) fn connect<A: Args>(
        &self,
        index: usize,
        hub: &Arc<EventHub<A>>,
        listener: impl Fn(Option<&Player>, A) -> Option<EventFuture> + Send + Sync + 'static,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let drain = {
            let mut slot = self.lock(index);
            slot.sink.get_or_insert_with(|| Arc::clone(hub) as Arc<dyn EventSink>);
            hub.add(id, Arc::new(listener));
            let drain = !slot.draining && !slot.held.is_empty();
            slot.draining |= drain;
            drain
        };
        if drain {
            self.drain(index);
        }
        id
    }

    /// Removes listener `id`. `false` when it was already gone.
    pub(crate) fn disconnect(&self, index: usize, id: u64) -> bool {
        let sink = self.erased(index);
        sink.is_some_and(|sink| sink.remove(id))
    }

    /// `true` while listener `id` is connected.
    pub(crate) fn is_connected(&self, index: usize, id: u64) -> bool {
        self.erased(index).is_some_and(|sink| sink.contains(id))
    }

    /// Removes every listener and held event. What they own is dropped outside the locks.
    pub(crate) fn clear(&self) {
        for index in 0..self.slots.len() {
            let (sink, held) = {
                let mut slot = self.lock(index);
                (slot.sink.clone(), std::mem::take(&mut slot.held))
            };
            if let Some(sink) = sink {
                sink.clear();
            }
            drop(held);
        }
    }

    /// Delivers an event that arrived (or was predicted): to the listeners, or to the held queue when there are none
    /// yet (or held events are still being handed out).
    pub(crate) fn deliver(&self, index: usize, caller: Option<&Player>, args: Bytes, ticket: EventTicket) {
        let mut route = self.route(index, caller, &args, false);
        if let Route::Check(sink) = &route {
            // Checked with the slot unlocked: the constraints and rejection hooks may use this table.
            if !sink.admit_held(caller, &args) {
                return;
            }
            route = self.route(index, caller, &args, true);
        }
        match route {
            Route::Deliver(sink) => {
                let figures = self.telemetry.as_ref().map(|telemetry| telemetry.remote(index));
                let span = figures.map_or_else(tracing::Span::none, |f| f.event_span(caller.map(Player::id)));
                let delivered = {
                    let _in_span = enter(Some(&span));
                    sink.deliver(caller, &args, ticket)
                };
                if delivered {
                    figures.inspect(|f| f.event_delivered());
                }
            }
            Route::Held { dropped, first_overflow } => {
                if dropped.is_some() {
                    self.telemetry.as_ref().inspect(|t| t.remote(index).event_dropped(Dropped::NoListener));
                }
                drop(dropped);
                if first_overflow {
                    tracing::warn!(
                        event = self.names[index],
                        queue_len = self.queue_len,
                        "no listener connected and the event queue is full; dropping the oldest held events (logged once until a listener takes them)"
                    );
                }
            }
            Route::Check(_) => {}
        }
    }

    /// Decides under the slot's lock what becomes of an event: delivered to the listeners, checked before it may be
    /// held (unless it already was), or held as it is (no hub yet, so nothing to check it with until a listener
    /// connects; draining checks it then).
    fn route(&self, index: usize, caller: Option<&Player>, args: &Bytes, checked: bool) -> Route {
        let mut slot = self.lock(index);
        match &slot.sink {
            Some(sink) if !slot.draining && !sink.is_empty() => Route::Deliver(Arc::clone(sink)),
            Some(sink) if !checked => Route::Check(Arc::clone(sink)),
            _ => self.hold(&mut slot, caller, args),
        }
    }

    fn erased(&self, index: usize) -> Option<Arc<dyn EventSink>> {
        self.lock(index).sink.clone()
    }

    /// Queues an event in the held queue (under the slot's lock: it runs no user code). When the queue is full,
    /// the oldest event is handed back, to be dropped once the lock is released (its player may be the last handle
    /// on the game's player data), with whether this overflow is the first since the queue was last drained.
    fn hold(&self, slot: &mut EventSlot, caller: Option<&Player>, args: &Bytes) -> Route {
        let mut route = Route::Held { dropped: None, first_overflow: false };
        if slot.held.len() >= self.queue_len {
            let first_overflow = !std::mem::replace(&mut slot.overflow_logged, true);
            route = Route::Held { dropped: slot.held.pop_front(), first_overflow };
        }
        // Copied out of the read buffer: a held slice would keep the whole buffer alive.
        slot.held.push_back(HeldEvent { caller: caller.cloned(), args: Bytes::copy_from_slice(args) });
        route
    }

    fn drain(&self, index: usize) {
        loop {
            let (event, sink) = {
                let mut slot = self.lock(index);
                let sink = slot.sink.clone().filter(|sink| !sink.is_empty());
                match (slot.held.pop_front(), sink) {
                    (Some(event), Some(sink)) => (event, sink),
                    (other, _) => {
                        // Every listener left while draining: keep the event for the next one.
                        if let Some(event) = other {
                            slot.held.push_front(event);
                        }
                        slot.draining = false;
                        slot.overflow_logged = false;
                        return;
                    }
                }
            };
            if sink.deliver(event.caller.as_ref(), &event.args, None) {
                self.telemetry.as_ref().inspect(|t| t.remote(index).event_delivered());
            }
        }
    }

    fn lock(&self, index: usize) -> std::sync::MutexGuard<'_, EventSlot> {
        self.slots[index].lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_events_are_copied_out_of_the_read_buffer() {
        // A read buffer's worth of bytes, of which the event's payload is a small slice.
        let read_buffer = Bytes::from(vec![7u8; 1 << 20]);
        let listeners = Listeners::new(vec!["chat"].into_boxed_slice(), 4, None);
        for n in 0..10 {
            listeners.deliver(0, None, read_buffer.slice(n * 16..n * 16 + 16), None);
        }
        let slot = listeners.lock(0);
        assert_eq!(slot.held.len(), 4, "held up to event_queue_len, oldest dropped");
        for held in &slot.held {
            let range = read_buffer.as_ptr_range();
            assert!(!range.contains(&held.args.as_ptr()), "a held payload points into the read buffer");
            assert_eq!(held.args.len(), 16);
        }
        drop(slot);
        // Nothing held keeps the read buffer alive: this is its only handle.
        assert!(read_buffer.is_unique());
    }
}
