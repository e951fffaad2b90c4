//! The listener table: for each event this side hears, its listeners, and the events that arrived before the first
//! listener connected (held in a bounded queue, delivered in order to the first listener, as Roblox does).
//!
//! Delivery keeps the order of arrival: listeners are started in order on the connection's reader (see
//! [`start`]), and while held events are being handed to a new listener, newer events join the queue behind them.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::endpoint::{CatchUnwind, log_panic};
use crate::player::Player;
use crate::wire::args::{Args, ArgsError};

/// A started listener.
pub(crate) type EventFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Checks that a payload decodes as an event's arguments.
pub(crate) type Validator = fn(&[u8]) -> Result<(), ArgsError>;

/// Default length of an event's queue of held events (events that arrived before any listener connected).
pub const DEFAULT_EVENT_QUEUE_LEN: usize = 64;

/// A type-erased event listener.
pub(crate) trait Listener: Send + Sync {
    /// Decodes `args` and calls the listener, returning its (not yet polled) future.
    fn start(&self, caller: Option<&Player>, args: &[u8]) -> Result<Option<EventFuture>, ArgsError>;
}

struct TypedListener<A, F> {
    callback: F,
    _args: std::marker::PhantomData<fn(A)>,
}

/// Wraps a typed listener. `callback` returns `None` when it cannot run for this caller (a server listener reached
/// without a player, which the connection code never does).
pub(crate) fn typed_listener<A, F, Fut>(callback: F) -> Arc<dyn Listener>
where
    A: Args,
    F: Fn(Option<&Player>, A) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(TypedListener { callback, _args: std::marker::PhantomData })
}

impl<A, F, Fut> Listener for TypedListener<A, F>
where
    A: Args,
    F: Fn(Option<&Player>, A) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn start(&self, caller: Option<&Player>, args: &[u8]) -> Result<Option<EventFuture>, ArgsError> {
        let args = A::decode(args)?;
        Ok((self.callback)(caller, args).map(|future| Box::pin(future) as EventFuture))
    }
}

/// Validates a payload as `A`.
pub(crate) fn validator<A: Args>() -> Validator {
    |bytes| A::decode(bytes).map(drop)
}

/// Polls `future` once right here, so callbacks start in the order their messages arrived and one that finishes at
/// once costs no task; if it is not finished, it continues in a task of its own. A panic is caught and logged.
pub(crate) fn start<F>(name: &str, future: Pin<Box<F>>) -> Option<Pin<Box<F>>>
where
    F: Future + Send + ?Sized + 'static,
{
    let mut future = future;
    let mut cx = Context::from_waker(Waker::noop());
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
        Ok(Poll::Ready(_)) => None,
        Ok(Poll::Pending) => Some(future),
        Err(panic) => {
            log_panic(name, &*panic);
            None
        }
    }
}

/// Runs a started listener to completion in a task of its own, logging a panic.
fn spawn_rest(name: &'static str, future: EventFuture) {
    let rest = async move {
        if let Err(panic) = (CatchUnwind { inner: future }).await {
            log_panic(name, &*panic);
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn(rest)),
        Err(_) => tracing::error!(event = name, "listener needs a tokio runtime to continue; it was dropped"),
    }
}

struct HeldEvent {
    caller: Option<Player>,
    args: Bytes,
}

#[derive(Default)]
struct EventSlot {
    listeners: Vec<(u64, Arc<dyn Listener>)>,
    held: VecDeque<HeldEvent>,
    /// Held events are being handed to listeners: new events queue behind them.
    draining: bool,
    validator: Option<Validator>,
}

/// The listeners of every event of one endpoint, indexed by local index.
pub(crate) struct Listeners {
    names: Box<[&'static str]>,
    slots: Box<[Mutex<EventSlot>]>,
    next_id: AtomicU64,
    queue_len: usize,
}

impl Listeners {
    pub(crate) fn new(names: Box<[&'static str]>, queue_len: usize) -> Listeners {
        let slots = names.iter().map(|_| Mutex::new(EventSlot::default())).collect();
        Listeners { names, slots, next_id: AtomicU64::new(1), queue_len }
    }

    /// Sets how payloads of event `index` are checked while no listener can decode them.
    pub(crate) fn set_validator(&self, index: usize, validator: Validator) {
        self.lock(index).validator = Some(validator);
    }

    /// Adds a listener and hands it the held events, in order. Returns the listener's id.
    pub(crate) fn connect(&self, index: usize, listener: Arc<dyn Listener>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let drain = {
            let mut slot = self.lock(index);
            slot.listeners.push((id, listener));
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
        let mut slot = self.lock(index);
        let before = slot.listeners.len();
        slot.listeners.retain(|(listener, _)| *listener != id);
        slot.listeners.len() != before
    }

    /// Removes every listener and held event.
    pub(crate) fn clear(&self) {
        for index in 0..self.slots.len() {
            let mut slot = self.lock(index);
            slot.listeners.clear();
            slot.held.clear();
        }
    }

    /// `true` while listener `id` is connected.
    pub(crate) fn is_connected(&self, index: usize, id: u64) -> bool {
        self.lock(index).listeners.iter().any(|(listener, _)| *listener == id)
    }

    /// Delivers an event that arrived (or was predicted): to the listeners, or to the held queue when there are none
    /// yet (or held events are still being handed out).
    pub(crate) fn deliver(&self, index: usize, caller: Option<&Player>, args: Bytes) {
        let listeners = {
            let mut slot = self.lock(index);
            if slot.listeners.is_empty() || slot.draining {
                self.hold(index, &mut slot, caller, args);
                return;
            }
            slot.listeners.iter().map(|(_, l)| Arc::clone(l)).collect::<Vec<_>>()
        };
        self.run(index, &listeners, caller, &args);
    }

    fn hold(&self, index: usize, slot: &mut EventSlot, caller: Option<&Player>, args: Bytes) {
        if let Some(validate) = slot.validator
            && let Err(error) = validate(&args)
        {
            return self.warn_bad_payload(index, caller, &error);
        }
        if slot.held.len() >= self.queue_len {
            slot.held.pop_front();
            tracing::warn!(
                event = self.names[index],
                queue_len = self.queue_len,
                "no listener connected and the event queue is full; dropped the oldest held event"
            );
        }
        slot.held.push_back(HeldEvent { caller: caller.cloned(), args });
    }

    fn drain(&self, index: usize) {
        loop {
            let (event, listeners) = {
                let mut slot = self.lock(index);
                match slot.held.pop_front() {
                    Some(event) if !slot.listeners.is_empty() => {
                        let listeners = slot.listeners.iter().map(|(_, l)| Arc::clone(l)).collect::<Vec<_>>();
                        (event, listeners)
                    }
                    other => {
                        // Every listener left while draining: keep the event for the next one.
                        if let Some(event) = other {
                            slot.held.push_front(event);
                        }
                        slot.draining = false;
                        return;
                    }
                }
            };
            self.run(index, &listeners, event.caller.as_ref(), &event.args);
        }
    }

    fn run(&self, index: usize, listeners: &[Arc<dyn Listener>], caller: Option<&Player>, args: &[u8]) {
        let name = self.names[index];
        for listener in listeners {
            match listener.start(caller, args) {
                Ok(Some(future)) => {
                    if let Some(rest) = start(name, future) {
                        spawn_rest(name, rest);
                    }
                }
                Ok(None) => {}
                // All listeners of an event decode the same types: the first failure speaks for all.
                Err(error) => return self.warn_bad_payload(index, caller, &error),
            }
        }
    }

    fn warn_bad_payload(&self, index: usize, caller: Option<&Player>, error: &ArgsError) {
        tracing::warn!(
            event = self.names[index],
            player = caller.map(Player::id),
            argument = ?error.index,
            reason = %error.reason,
            "event payload did not decode as the declared types; dropped"
        );
    }

    fn lock(&self, index: usize) -> std::sync::MutexGuard<'_, EventSlot> {
        self.slots[index].lock().unwrap_or_else(|p| p.into_inner())
    }
}
