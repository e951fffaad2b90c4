//! Re-entry (issue #11, point 3): no user code runs under a runtime lock, so every kind of it may call back into the
//! runtime. Each test re-enters from one kind of user code (a callback, a listener, middleware, the rejection hooks,
//! the authentication hook, the player callbacks, a `validate` function) and does everything a game may do there:
//! connect and disconnect a listener, set a callback, fire an event, invoke a function (spawned, and awaited where
//! the code is async), list the players and kick one. Every wait is bounded, so a deadlock fails the test: a lock
//! taken twice blocks a runtime thread for good, which can stall the runtime's timers too, so besides `within` each
//! test has a watchdog thread that ends the test process if the test has not finished in time.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use common::{Transport, within};
use remotes_runtime::testing::{RawClient, RawMessage, RawWelcome, encode, encode_args, kinds};
use remotes_runtime::{
    Accept, Client, ClientBuilder, Direction, Fired, FunctionError, Player, RemoteKind, Server, ServerBuilder, remotes,
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
        fn checked(#[remote(validate = crate::visit)] key: u64) -> u64;
    }

    pub trait ClientFunctions {
        fn ask(n: u32) -> u32;
    }

    pub trait ServerEvents {
        fn said(n: u32);
        fn small(#[remote(range = ..=10)] n: u32);
        fn noted(#[remote(validate = crate::visit)] key: u64);
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
struct Probe(Arc<ProbeInner>);

struct ProbeInner {
    server: OnceLock<Weak<Server>>,
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
    fn reenter(&self, what: &'static str) {
        if let Some(done) = self.operate(what) {
            let _ = self.0.done.send(done);
        }
    }

    /// Re-enters from asynchronous user code: also awaits a call.
    async fn reenter_and_await(&self, what: &'static str) {
        let Some(mut done) = self.operate(what) else { return };
        let call = {
            let server = self.0.server.get().and_then(Weak::upgrade).expect("server alive");
            game::server(&server).functions.ask.invoke(&self.0.targets.get().expect("aimed").0, 1)
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
        // Attaching again shares the endpoint.
        let remotes = game::server(&server);
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
struct Peer {
    client: Client,
    remotes: game::client::Remotes,
    told: mpsc::UnboundedReceiver<u32>,
    player: Player,
}

/// A server with `game` attached (`work` answers `n`, `checked` its key) and a probe.
struct Game {
    server: Arc<Server>,
    remotes: game::server::Remotes,
    transport: Transport,
    probe: Probe,
    reports: mpsc::UnboundedReceiver<Done>,
    _watchdog: Watchdog,
}

impl Game {
    async fn new(transport: Transport) -> Game {
        Game::with(transport, |_probe| Server::builder()).await
    }

    async fn with(transport: Transport, builder: impl FnOnce(&Probe) -> ServerBuilder) -> Game {
        let watchdog = Watchdog::start();
        let (probe, reports) = Probe::new();
        let builder = builder(&probe);
        let server = Arc::new(match transport {
            Transport::Tcp => builder.bind("127.0.0.1:0").await.unwrap(),
            Transport::Memory => builder.in_memory(),
        });
        let _ = probe.0.server.set(Arc::downgrade(&server));
        let remotes = game::server(&server);
        remotes.functions.work.set_callback(|_player, n| async move { n });
        remotes.functions.checked.set_callback(|_player, key| async move { key });
        Game { server, remotes, transport, probe, reports, _watchdog: watchdog }
    }

    async fn connect(&self, builder: ClientBuilder) -> Client {
        let connecting = async {
            match self.transport {
                Transport::Tcp => builder.connect(self.server.local_addr()).await,
                Transport::Memory => builder.connect_in_memory(&self.server).await,
            }
        };
        within("connect", connecting).await.expect("connect")
    }

    async fn peer(&self) -> Peer {
        let client = self.connect(Client::builder()).await;
        let remotes = game::client(&client);
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
    async fn targets(&self) -> (Peer, Peer) {
        let (target, victim) = (self.peer().await, self.peer().await);
        let _ = self.probe.0.targets.set((target.player.clone(), victim.player.clone()));
        (target, victim)
    }

    async fn raw(&self) -> (RawClient, RawWelcome) {
        let mut raw = match self.transport {
            Transport::Tcp => RawClient::connect(self.server.local_addr()).await.unwrap(),
            Transport::Memory => RawClient::connect_in_memory(&self.server),
        };
        let welcome = within("raw handshake", raw.handshake()).await.unwrap();
        (raw, welcome)
    }

    /// A key that makes `visit` re-enter with this game's probe.
    fn key(&self) -> u64 {
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        PROBES.lock().unwrap().insert(key, self.probe.clone());
        key
    }

    /// Waits for the probe's report and checks that everything it did took effect.
    async fn check(&mut self, what: &str, target: &mut Peer, victim: &Peer, awaited: bool) {
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

fn event_id(welcome: &RawWelcome, name: &str) -> u32 {
    welcome.id_of(name, RemoteKind::Event, Direction::ToServer).unwrap()
}

fn function_id(welcome: &RawWelcome, name: &str) -> u32 {
    welcome.id_of(name, RemoteKind::Function, Direction::ToServer).unwrap()
}

/// The next reply the raw client gets (other frames skipped).
async fn reply(raw: &mut RawClient) -> RawMessage {
    let wanted = |m: &RawMessage| matches!(m, RawMessage::ReplyOk { .. } | RawMessage::ReplyErr { .. });
    within("a reply", raw.recv_matching(wanted)).await.unwrap().expect("connection open")
}

/// Makes sure the server's reader dispatched everything the raw client sent before: its reply comes after.
async fn barrier(raw: &mut RawClient, welcome: &RawWelcome, call: u32) {
    raw.send_request(function_id(welcome, "work"), None, &encode_args(&(1u32,))).await.unwrap();
    assert_eq!(reply(raw).await, RawMessage::ReplyOk { call, value: encode(&1u32) });
}

/// An `on_bad_request` hook that re-enters, and connects a listener to `small` (the found deadlock) that forwards
/// what it hears.
fn hook_connecting_a_listener(game: &Game) -> mpsc::UnboundedReceiver<u32> {
    let (tx, heard) = mpsc::unbounded_channel();
    let probe = game.probe.clone();
    let server = Arc::downgrade(&game.server);
    game.server.on_bad_request(move |_report| {
        probe.reenter("bad request");
        let tx = tx.clone();
        let server = server.upgrade().expect("server alive");
        // Dropping the `Connection` keeps the listener.
        game::server(&server).events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
    });
    heard
}

/// Runs its closure when dropped: stands for the game's values with a `Drop` of their own, captured by user code.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

both_transports! {
    async fn from_a_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.functions.work.set_callback(move |_player, n| {
            let probe = probe.clone();
            async move {
                probe.reenter_and_await("callback").await;
                n
            }
        });
        let (mut target, victim) = game.targets().await;
        assert_eq!(within("the call", target.remotes.functions.work.invoke(1)).await, Ok(1));
        game.check("callback", &mut target, &victim, true).await;
    }

    async fn from_a_listener(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.events.said.connect(move |_player, _n| {
            let probe = probe.clone();
            async move { probe.reenter_and_await("listener").await }
        });
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("listener", &mut target, &victim, true).await;
    }

    async fn from_a_global_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.middleware(move |request| {
            let probe = probe.clone();
            async move {
                if request.remote == "said" {
                    probe.reenter_and_await("global middleware").await;
                }
                Ok(())
            }
        });
        // Middleware runs for events that have listeners.
        game.remotes.events.said.connect(|_player, _n| async {});
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("global middleware", &mut target, &victim, true).await;
    }

    async fn from_an_event_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.events.said.middleware(move |_player, n| {
            let probe = probe.clone();
            async move {
                probe.reenter_and_await("event middleware").await;
                Ok(n)
            }
        });
        // Middleware runs for events that have listeners.
        game.remotes.events.said.connect(|_player, _n| async {});
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("event middleware", &mut target, &victim, true).await;
    }

    async fn from_a_function_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.functions.work.middleware(move |_player, n| {
            // In the synchronous part: the middleware is called on the connection's reader.
            probe.reenter("function middleware");
            async move { Ok(n) }
        });
        let (mut target, victim) = game.targets().await;
        assert_eq!(within("the call", target.remotes.functions.work.invoke(1)).await, Ok(1));
        game.check("function middleware", &mut target, &victim, false).await;
    }

    async fn from_a_bad_request_hook_on_a_call(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        raw.send_request(function_id(&welcome, "work"), None, &encode_args(&("seven".to_string(),))).await.unwrap();
        assert_eq!(reply(&mut raw).await, RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest });
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
    }

    // The found case: a malformed event from the network, delivered to listeners; the hook connects one.
    async fn from_a_bad_request_hook_on_a_malformed_event(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (tx, mut first) = mpsc::unbounded_channel();
        game.remotes.events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let small = event_id(&welcome, "small");
        // Not a u32 at all, then over the declared range.
        raw.send_event(small, &encode_args(&("eleven".to_string(),))).await.unwrap();
        raw.send_event(small, &encode_args(&(11u32,))).await.unwrap();
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(small, &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
        assert_eq!(within("the first listener", first.recv()).await, Some(5));
    }

    // The found case on the `hold` path: the event has a hub but no listener yet, so it is checked before it is
    // held; the hook connects the first listener.
    async fn from_a_bad_request_hook_on_an_event_about_to_be_held(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        game.remotes.events.small.connect(|_player, _n| async {}).disconnect();
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(11u32,))).await.unwrap();
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
    }

    // Events held before the event had a hub are checked when the first listener takes them: the hook then runs
    // inside `connect`, and connects a listener itself. Held events still arrive in order, before newer ones.
    async fn from_a_bad_request_hook_while_held_events_are_handed_out(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let small = event_id(&welcome, "small");
        for n in [1u32, 11, 2, 3] {
            raw.send_event(small, &encode_args(&(n,))).await.unwrap();
        }
        barrier(&mut raw, &welcome, 0).await;
        let (tx, mut first) = mpsc::unbounded_channel();
        game.remotes.events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        raw.send_event(small, &encode_args(&(4u32,))).await.unwrap();
        for n in 1..=4 {
            assert_eq!(within("the first listener", first.recv()).await, Some(n));
        }
        // The hook's listener connected while 11 was checked: it hears what came after.
        for n in 2..=4 {
            assert_eq!(within("the hook's listener", heard.recv()).await, Some(n));
        }
        game.check("bad request", &mut target, &victim, false).await;
    }

    async fn from_a_bad_response_hook(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_bad_response(move |_report| probe.reenter("bad response"));
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let player = game.server.player(welcome.player_id).unwrap();
        let call = tokio::spawn(game.remotes.functions.ask.invoke(&player, 1));
        let request = within("the request", raw.recv_matching(|m| matches!(m, RawMessage::Request { .. }))).await;
        assert!(request.unwrap().is_some());
        let mut body = vec![0];
        body.extend(encode("not a number"));
        raw.send_frame(kinds::REPLY_OK, &body).await.unwrap();
        assert_eq!(within("the call", call).await.unwrap(), Err(FunctionError::InvalidResult));
        game.check("bad response", &mut target, &victim, false).await;
    }

    async fn from_the_auth_hook(transport) {
        let mut game = Game::with(transport, |probe| {
            let probe = probe.clone();
            Server::builder().authenticate(move |handshake| {
                let probe = probe.clone();
                async move {
                    if handshake.token.as_deref() == Some("reenter") {
                        probe.reenter_and_await("auth").await;
                    }
                    Ok(Accept::new())
                }
            })
        })
        .await;
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder().auth_token("reenter")).await;
        assert!(third.is_connected());
        game.check("auth", &mut target, &victim, true).await;
    }

    async fn from_a_player_added_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_player_added(move |_player| probe.reenter("player added"));
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder()).await;
        game.check("player added", &mut target, &victim, false).await;
        assert!(third.is_connected());
    }

    async fn from_a_player_removing_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_player_removing(move |_player| probe.reenter("player removing"));
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder()).await;
        third.close();
        game.check("player removing", &mut target, &victim, false).await;
    }

    async fn from_a_validate_function_on_a_call(transport) {
        let mut game = Game::new(transport).await;
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_request(function_id(&welcome, "checked"), None, &encode_args(&(key,))).await.unwrap();
        assert_eq!(reply(&mut raw).await, RawMessage::ReplyOk { call: 0, value: encode(&key) });
        game.check("validate", &mut target, &victim, false).await;
    }

    async fn from_a_validate_function_on_an_event(transport) {
        let mut game = Game::new(transport).await;
        let (tx, mut noted) = mpsc::unbounded_channel();
        game.remotes.events.noted.connect(move |_player, key| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(key);
            }
        });
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_event(event_id(&welcome, "noted"), &encode_args(&(key,))).await.unwrap();
        game.check("validate", &mut target, &victim, false).await;
        assert_eq!(within("the listener", noted.recv()).await, Some(key));
    }

    // The `hold` path: the event has a hub but no listener, so it is checked before it is held.
    async fn from_a_validate_function_on_an_event_about_to_be_held(transport) {
        let mut game = Game::new(transport).await;
        game.remotes.events.noted.connect(|_player, _key| async {}).disconnect();
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_event(event_id(&welcome, "noted"), &encode_args(&(key,))).await.unwrap();
        game.check("validate", &mut target, &victim, false).await;
        let (tx, mut noted) = mpsc::unbounded_channel();
        game.remotes.events.noted.connect(move |_player, key| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(key);
            }
        });
        assert_eq!(within("the held event", noted.recv()).await, Some(key));
    }

    // On the client: a listener and a callback re-enter the client's runtime.
    async fn on_the_client(transport) {
        let game = Game::new(transport).await;
        let mut target = game.peer().await;
        let client = Arc::new(game.connect(Client::builder()).await);
        let remotes = game::client(&client);
        let (tx, mut reports) = mpsc::unbounded_channel();
        let weak = Arc::downgrade(&client);
        remotes.events.told.connect(move |n| {
            let (tx, client) = (tx.clone(), weak.upgrade().expect("client alive"));
            let remotes = game::client(&client);
            remotes.events.spare.fire(n);
            remotes.functions.ask.set_callback(|n| async move { n * 100 });
            let spawned = tokio::spawn(remotes.functions.work.invoke(n));
            let awaited = remotes.functions.work.invoke(n + 1);
            async move {
                let _ = tx.send((spawned.await.unwrap(), awaited.await));
            }
        });
        let player = game.server.player(client.player_id()).unwrap();
        assert_eq!(game.remotes.events.told.fire(&player, 2), Fired { queued: 1, skipped: 0 });
        assert_eq!(within("the listener's calls", reports.recv()).await, Some((Ok(2), Ok(3))));
        assert_eq!(within("the callback set by the listener", game.remotes.functions.ask.invoke(&player, 1)).await, Ok(100));
        assert_eq!(within("the other client", game.remotes.functions.ask.invoke(&target.player, 1)).await, Ok(2));
        assert!(target.told.try_recv().is_err());
    }

    // What user code captures is dropped with every lock released: here a listener's captures, when it is
    // disconnected, and a callback's, when the server is dropped; both re-enter the runtime from `Drop`.
    async fn dropping_what_user_code_captured(transport) {
        let game = Game::new(transport).await;
        let (tx, mut dropped) = mpsc::unbounded_channel();
        let (remotes, tx_listener) = (game::server(&game.server), tx.clone());
        let guard = OnDrop(move || {
            let again = remotes.events.said.connect(|_player, _n| async {});
            assert!(again.is_connected());
            again.disconnect();
            let _ = tx_listener.send("listener");
        });
        let listener = game.remotes.events.said.connect(move |_player, _n| {
            let _guard = &guard;
            async {}
        });
        listener.disconnect();
        assert_eq!(within("the listener's captures to drop", dropped.recv()).await, Some("listener"));

        let remotes = game::server(&game.server);
        let guard = OnDrop(move || {
            remotes.functions.work.set_callback(|_player, n| async move { n });
            let _ = tx.send("callback");
        });
        game.remotes.functions.work.set_callback(move |_player, n| {
            let _guard = &guard;
            async move { n }
        });
        drop(game);
        assert_eq!(within("the callback's captures to drop", dropped.recv()).await, Some("callback"));
    }
}
