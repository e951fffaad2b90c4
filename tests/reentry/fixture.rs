//! The fixture of `tests/reentry.rs`: the `game` interface, a probe that re-enters the runtime from user code and
//! reports what it did, a server with clients and raw clients to aim it at, and a watchdog against deadlocks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use crate::common::{Transport, within};
use remotes_runtime::testing::{RawClient, RawMessage, RawWelcome, encode, encode_args};
use remotes_runtime::{
    Client, ClientBuilder, Direction, Fired, FunctionError, Player, RemoteKind, Server, ServerBuilder, remotes,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The `validate` function of `checked` and `noted`: a key registered in [`PROBES`] makes it re-enter the runtime.
pub fn visit(key: &u64) -> Result<(), String> {
    let probe = PROBES.lock().unwrap().get(key).cloned();
    if let Some(probe) = probe {
        probe.reenter("validate");
    }
    Ok(())
}

/// The probes `visit` can reach, by key (validate functions are plain functions: they find their test this way).
static PROBES: Mutex<BTreeMap<u64, Probe>> = Mutex::new(BTreeMap::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

#[remotes]
pub mod game {
    pub trait ServerFunctions {
        fn work(n: u32) -> u32;
        fn checked(#[remote(validate = crate::fixture::visit)] key: u64) -> u64;
    }

    pub trait ClientFunctions {
        fn ask(n: u32) -> u32;
    }

    pub trait ServerEvents {
        fn said(n: u32);
        fn small(#[remote(range = ..=10)] n: u32);
        fn noted(#[remote(validate = crate::fixture::visit)] key: u64);
        /// Only ever connected to and disconnected from, by re-entering code.
        fn spare(n: u32);
    }

    pub trait ClientEvents {
        fn told(n: u32);
    }
}

/// Ends the test process unless the test finishes within a minute. A deadlock on a runtime thread may leave no
/// thread to fire `within`'s timeout, and when `within` does fire, the test's runtime still waits for the deadlocked
/// thread as it shuts down: so a test that panics leaves its watchdog running.
struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    fn start() -> Watchdog {
        let test = std::thread::current().name().unwrap_or("a reentry test").to_string();
        let (finished, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(Duration::from_secs(60)) {
                // Straight to stderr: the test harness's capture would be lost with the process.
                let message = format!("{test} did not finish within a minute (deadlocked?): ending the test process\n");
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
                std::process::exit(101);
            }
        });
        Watchdog(Some(finished))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Dropping the sender tells the watchdog thread the test finished; forgetting it keeps the watch.
        if let Some(finished) = self.0.take()
            && std::thread::panicking()
        {
            std::mem::forget(finished);
        }
    }
}

/// What re-entering code reports, for the test to check.
struct Done {
    what: &'static str,
    players: usize,
    fired: Fired,
    asked: JoinHandle<Result<u32, FunctionError>>,
    awaited: Option<Result<u32, FunctionError>>,
}

/// Re-enters the runtime from user code: once, at the first chance after it is aimed at its targets.
#[derive(Clone)]
pub struct Probe(Arc<ProbeInner>);

struct ProbeInner {
    server: OnceLock<Weak<Server<game::Api>>>,
    /// The player told and asked, and the player kicked.
    targets: OnceLock<(Player, Player)>,
    used: AtomicBool,
    done: mpsc::UnboundedSender<Done>,
}

impl Probe {
    fn new() -> (Probe, mpsc::UnboundedReceiver<Done>) {
        let (done, reports) = mpsc::unbounded_channel();
        let inner =
            ProbeInner { server: OnceLock::new(), targets: OnceLock::new(), used: AtomicBool::new(false), done };
        (Probe(Arc::new(inner)), reports)
    }

    /// Re-enters from synchronous user code.
    pub fn reenter(&self, what: &'static str) {
        if let Some(done) = self.operate(what) {
            let _ = self.0.done.send(done);
        }
    }

    /// Re-enters from asynchronous user code: also awaits a call.
    pub async fn reenter_and_await(&self, what: &'static str) {
        let Some(mut done) = self.operate(what) else { return };
        let call = {
            let server = self.0.server.get().and_then(Weak::upgrade).expect("server alive");
            server.remotes().functions.ask.invoke(&self.0.targets.get().expect("aimed").0, 1)
        };
        done.awaited = Some(call.await);
        let _ = self.0.done.send(done);
    }

    /// Everything a game may do from its code, without awaiting.
    fn operate(&self, what: &'static str) -> Option<Done> {
        let (target, victim) = self.0.targets.get()?;
        if self.0.used.swap(true, Ordering::AcqRel) {
            return None;
        }
        let server = self.0.server.get().and_then(Weak::upgrade)?;
        // A clone of the handles shares the endpoint.
        let remotes = server.remotes().clone();
        // On every event this side hears, the one being delivered included.
        let events = &remotes.events;
        let listeners = [
            events.said.connect(|_player, _n| async {}),
            events.small.connect(|_player, _n| async {}),
            events.noted.connect(|_player, _key| async {}),
            events.spare.connect(|_player, _n| async {}),
        ];
        for listener in listeners {
            assert!(listener.is_connected());
            listener.disconnect();
            assert!(!listener.is_connected());
        }
        remotes.functions.work.set_callback(|_player, n| async move { n * 10 });
        let players = server.players().len();
        let fired = remotes.events.told.fire(target, 7);
        let asked = tokio::spawn(remotes.functions.ask.invoke(target, 4));
        victim.disconnect();
        Some(Done { what, players, fired, asked, awaited: None })
    }
}

/// A connected client: it answers `ask` with `n + 1` and forwards `told` into a channel.
pub struct Peer {
    pub client: Client<game::Api>,
    pub remotes: game::client::Remotes,
    pub told: mpsc::UnboundedReceiver<u32>,
    pub player: Player,
}

/// A started server of `game` (`work` answers `n`, `checked` its key) and a probe.
pub struct Game {
    pub server: Arc<Server<game::Api>>,
    pub remotes: game::server::Remotes,
    transport: Transport,
    pub probe: Probe,
    reports: mpsc::UnboundedReceiver<Done>,
    _watchdog: Watchdog,
}

impl Game {
    pub async fn new(transport: Transport) -> Game {
        Game::with(transport, |_probe| Server::builder()).await
    }

    pub async fn with(transport: Transport, builder: impl FnOnce(&Probe) -> ServerBuilder) -> Game {
        let watchdog = Watchdog::start();
        let (probe, reports) = Probe::new();
        let builder = builder(&probe);
        let server = Arc::new(crate::common::bind::<game::Api>(transport, builder).await);
        let _ = probe.0.server.set(Arc::downgrade(&server));
        let remotes = server.remotes().clone();
        remotes.functions.work.set_callback(|_player, n| async move { n });
        remotes.functions.checked.set_callback(|_player, key| async move { key });
        server.start();
        Game { server, remotes, transport, probe, reports, _watchdog: watchdog }
    }

    pub async fn connect(&self, builder: ClientBuilder) -> Client<game::Api> {
        let connecting = crate::common::connect_to::<game::Api, _>(self.transport, &self.server, builder);
        within("connect", connecting).await.expect("connect")
    }

    pub async fn peer(&self) -> Peer {
        let client = self.connect(Client::builder()).await;
        let remotes = client.remotes().clone();
        remotes.functions.ask.set_callback(|n| async move { n + 1 });
        let (tx, told) = mpsc::unbounded_channel();
        remotes.events.told.connect(move |n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        let player = self.server.player(client.player_id()).expect("listed once connected");
        Peer { client, remotes, told, player }
    }

    /// Connects the player the probe tells and asks and the one it kicks, and aims it at them.
    pub async fn targets(&self) -> (Peer, Peer) {
        let (target, victim) = (self.peer().await, self.peer().await);
        let _ = self.probe.0.targets.set((target.player.clone(), victim.player.clone()));
        (target, victim)
    }

    pub async fn raw(&self) -> (RawClient, RawWelcome) {
        let mut raw = crate::common::raw_to(self.transport, &self.server).await;
        let welcome = within("raw handshake", raw.handshake()).await.unwrap();
        (raw, welcome)
    }

    /// A key that makes `visit` re-enter with this game's probe.
    pub fn key(&self) -> u64 {
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        PROBES.lock().unwrap().insert(key, self.probe.clone());
        key
    }

    /// Waits for the probe's report and checks that everything it did took effect.
    pub async fn check(&mut self, what: &str, target: &mut Peer, victim: &Peer, awaited: bool) {
        let done = within(what, self.reports.recv()).await.expect("probe alive");
        assert_eq!(done.what, what);
        assert!(done.players >= 2, "{} players listed", done.players);
        assert_eq!(done.fired, Fired { queued: 1, skipped: 0 });
        assert_eq!(within("the fired event", target.told.recv()).await, Some(7));
        assert_eq!(within("the spawned call", done.asked).await.unwrap(), Ok(5));
        assert_eq!(done.awaited, awaited.then_some(Ok(2)));
        within("the kick", victim.client.closed()).await;
        let call = target.remotes.functions.work.invoke(3);
        assert_eq!(within("a call to the callback set by user code", call).await, Ok(30));
    }
}

pub fn event_id(welcome: &RawWelcome, name: &str) -> u32 {
    welcome.id_of(name, RemoteKind::Event, Direction::ToServer).unwrap()
}

pub fn function_id(welcome: &RawWelcome, name: &str) -> u32 {
    welcome.id_of(name, RemoteKind::Function, Direction::ToServer).unwrap()
}

/// The next reply the raw client gets (other frames skipped).
pub async fn reply(raw: &mut RawClient) -> RawMessage {
    let wanted = |m: &RawMessage| matches!(m, RawMessage::ReplyOk { .. } | RawMessage::ReplyErr { .. });
    within("a reply", raw.recv_matching(wanted)).await.unwrap().expect("connection open")
}

/// Makes sure the server's reader dispatched everything the raw client sent before: its reply comes after.
pub async fn barrier(raw: &mut RawClient, welcome: &RawWelcome, call: u32) {
    raw.send_request(function_id(welcome, "work"), None, &encode_args(&(1u32,))).await.unwrap();
    assert_eq!(reply(raw).await, RawMessage::ReplyOk { call, value: encode(&1u32) });
}

/// An `on_bad_request` hook that re-enters, and connects a listener to `small` (the found deadlock) that forwards
/// what it hears.
pub fn hook_connecting_a_listener(game: &Game) -> mpsc::UnboundedReceiver<u32> {
    let (tx, heard) = mpsc::unbounded_channel();
    let probe = game.probe.clone();
    let server = Arc::downgrade(&game.server);
    game.server.on_bad_request(move |_report| {
        probe.reenter("bad request");
        let tx = tx.clone();
        let server = server.upgrade().expect("server alive");
        // Dropping the `Connection` keeps the listener.
        server.remotes().events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
    });
    heard
}

/// Runs its closure when dropped: stands for the game's values with a `Drop` of their own, captured by user code.
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}
