//! The Rust side of the TypeScript client's tests and benchmarks: a server of the [`interface::net`] interface over
//! `ws://` and `wss://`, and a server of [`interface::old_net`] (an older build of it) for the interface-mismatch test.
//!
//! `cargo run -p remotes-typescript-peer` starts them and prints one JSON line with their URLs and the path of the
//! certificate authority the `wss://` server's certificate chains to; it exits when its standard input closes, so a
//! test runner that dies takes it along. `net::typescript()` gives the bindings the tests use,
//! `clients/typescript/test/peer/net.ts` (kept fresh by `tests/bindings.rs`).

pub mod interface;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remotes_runtime::tls::ServerTls;
use remotes_runtime::{Player, Server};
use tokio::sync::Notify;

use interface::{Receipt, net as api, old_net};

/// What the peer has seen of each player, for the remotes that let a test observe the server's side.
#[derive(Default)]
struct Seen {
    /// `slow` calls stopped before they finished (cancelled, timed out or disconnected).
    stopped: u32,
    /// `chat` lines, in arrival order.
    chat: Vec<String>,
}

#[derive(Default)]
struct State {
    players: Mutex<HashMap<u64, Seen>>,
    changed: Notify,
}

impl State {
    fn update(&self, player: u64, change: impl FnOnce(&mut Seen)) {
        change(self.players.lock().unwrap().entry(player).or_default());
        self.changed.notify_waiters();
    }

    /// Waits until `ready` holds for the player's record, then returns what `read` takes from it.
    async fn wait<T>(&self, player: u64, ready: impl Fn(&Seen) -> bool, read: impl Fn(&Seen) -> T) -> T {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let players = self.players.lock().unwrap();
                let seen = players.get(&player);
                let empty = Seen::default();
                let seen = seen.unwrap_or(&empty);
                if ready(seen) {
                    return read(seen);
                }
            }
            changed.await;
        }
    }
}

/// Counts a `slow` call as stopped unless it finished.
struct SlowGuard {
    state: Arc<State>,
    player: u64,
    finished: bool,
}

impl Drop for SlowGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.state.update(self.player, |seen| seen.stopped += 1);
        }
    }
}

/// The running servers.
pub struct Peer {
    /// `ws://127.0.0.1:PORT/`: the [`interface::net`] server.
    pub ws: String,
    /// `wss://localhost:PORT/`: the same server's remotes over TLS.
    pub wss: String,
    /// `ws://127.0.0.1:PORT/`: the [`interface::old_net`] server.
    pub mismatch: String,
    /// `wss://localhost:PORT/`: the [`interface::old_net`] server over TLS.
    pub mismatch_wss: String,
    /// The PEM certificate of the `wss://` server (self-signed for `localhost`), for clients to trust.
    pub certificate: String,
    servers: (Server<api::Api>, Server<api::Api>, Server<old_net::Api>, Server<old_net::Api>),
}

impl Peer {
    /// Starts the servers on loopback ports chosen by the system. `budget` keeps the servers' default receive
    /// budget per client (10,000 frames/s, which a benchmark of one client would measure instead of the client);
    /// without it the servers read each client as fast as it sends.
    pub async fn start(budget: bool) -> Result<Peer, Box<dyn std::error::Error>> {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
        let tls = ServerTls::from_pem(made.cert.pem().as_bytes(), made.signing_key.serialize_pem().as_bytes())?;
        let builder = || match budget {
            true => Server::builder(),
            false => Server::builder().receive_rate(None),
        };
        let plain = builder().bind_websocket::<api::Api>("127.0.0.1:0").await?;
        let secure = builder().tls(tls.clone()).bind_websocket::<api::Api>("127.0.0.1:0").await?;
        // Each server numbers its players from 1, so each keeps its own record of them.
        serve(&plain, &Arc::default());
        serve(&secure, &Arc::default());
        let old = Server::builder().bind_websocket::<old_net::Api>("127.0.0.1:0").await?;
        let old_secure = Server::builder().tls(tls).bind_websocket::<old_net::Api>("127.0.0.1:0").await?;
        for server in [&old, &old_secure] {
            server.remotes().functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
                Receipt { item, quantity: quantity.min(255) as u8, coins_left: 0 }
            });
            server.start();
        }
        Ok(Peer {
            ws: format!("ws://127.0.0.1:{}/", plain.local_addr()?.port()),
            wss: format!("wss://localhost:{}/", secure.local_addr()?.port()),
            mismatch: format!("ws://127.0.0.1:{}/", old.local_addr()?.port()),
            mismatch_wss: format!("wss://localhost:{}/", old_secure.local_addr()?.port()),
            certificate: made.cert.pem(),
            servers: (plain, secure, old, old_secure),
        })
    }

    /// Shuts every server down (each settles its calls and closes its connections).
    pub async fn shutdown(&self) {
        self.servers.0.shutdown().await;
        self.servers.1.shutdown().await;
        self.servers.2.shutdown().await;
        self.servers.3.shutdown().await;
    }
}

fn serve(server: &Server<api::Api>, state: &Arc<State>) {
    let remotes = server.remotes().clone();
    let functions = &remotes.functions;
    functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
        Receipt { item, quantity, coins_left: 100 - u64::from(quantity) }
    });
    let stops = state.clone();
    functions.slow.set_callback(move |player: Player, millis| {
        let guard = SlowGuard { state: stops.clone(), player: player.id(), finished: false };
        async move {
            // Moved in whole (not only the field the future writes), so dropping the future drops the guard.
            let mut guard = guard;
            tokio::time::sleep(Duration::from_millis(millis)).await;
            guard.finished = true;
        }
    });
    functions.echo.set_callback(|_player: Player, value| async move { value });
    functions.rename.set_callback(|_player: Player, name| async move { name });
    let asker = remotes.clone();
    functions.ask.set_callback(move |player: Player, prompt, timeout_ms| {
        let asker = asker.clone();
        async move {
            let call = asker.functions.confirm.invoke(&player, prompt);
            match call.timeout(Duration::from_millis(u64::from(timeout_ms))).await {
                Ok(answer) => answer.to_string(),
                Err(error) => format!("{error:?}"),
            }
        }
    });
    let pusher = remotes.clone();
    functions.push.set_callback(move |player: Player, count| {
        for n in 1..=count {
            pusher.events.tick.fire(&player, n);
        }
        async {}
    });
    let stops = state.clone();
    functions.wait_cancelled.set_callback(move |player: Player, count| {
        let stops = stops.clone();
        async move { stops.wait(player.id(), |seen| seen.stopped >= count, |seen| seen.stopped).await }
    });
    let lines = state.clone();
    functions.heard.set_callback(move |player: Player, count| {
        let lines = lines.clone();
        async move { lines.wait(player.id(), |seen| seen.chat.len() >= count as usize, |seen| seen.chat.clone()).await }
    });
    functions
        .shop
        .price
        .set_callback(|_player: Player, item| async move { (item % 2 == 0).then_some(u64::from(item) * 10) });
    let (relay, lines) = (remotes.clone(), state.clone());
    remotes.events.chat.connect(move |player: Player, text: String| {
        lines.update(player.id(), |seen| seen.chat.push(text.clone()));
        relay.events.said.fire(&player, player.id(), text);
        async {}
    });
    server.start();
}
