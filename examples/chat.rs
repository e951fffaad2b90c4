//! Chat: one server and three clients in one process, over the in-process transport (no sockets; the same frames,
//! ordering and limits as TCP).
//!
//! Run it with `cargo run --example chat`. Clients never talk to each other: each fires `chat` at the server, which
//! relays it to everyone else with `except`, and announces every join with `broadcast`.
//!
//! The transcript is deterministic: instead of sleeping, `main` waits for each message it expects to be heard, and
//! every wait is bounded by a timeout, so the example can never hang.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remotes_runtime::{Client, Player, Server, remotes};
use tokio::sync::mpsc;

/// The chat's interface (`chat_server` and `chat_client` share the same one, plus `who`, in `chat_net/mod.rs`).
#[remotes]
pub mod net {
    /// Invoked by clients, handled by the server.
    pub trait ServerFunctions {
        /// Introduces the caller under `name`; the server announces it and returns who else is here.
        fn join(name: String) -> Vec<String>;
    }

    /// Fired by clients, heard by the server.
    pub trait ServerEvents {
        fn chat(text: String);
    }

    /// Fired by the server, heard by clients.
    pub trait ClientEvents {
        fn said(from: String, text: String);
        fn announce(text: String);
    }
}

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(5);

/// Sets up the server's side: names, the join function, the relay.
fn serve(server: &Server<net::Api>) {
    let remotes = server.remotes().clone();
    let names: Arc<Mutex<BTreeMap<u64, String>>> = Arc::default();

    let (announce, known) = (remotes.clone(), names.clone());
    remotes.functions.join.set_callback(move |player: Player, name: String| {
        let others: Vec<String> = known.lock().unwrap().values().cloned().collect();
        known.lock().unwrap().insert(player.id(), name.clone());
        println!("[server] {name} joined as player {}", player.id());
        // Everyone hears it, the newcomer included.
        announce.events.announce.broadcast(format!("{name} joined"));
        async move { others }
    });

    let (relay, known) = (remotes.clone(), names);
    remotes.events.chat.connect(move |player: Player, text: String| {
        let from = known.lock().unwrap().get(&player.id()).cloned().unwrap_or_default();
        // Print first: once relayed, the others may print what they heard before this line would appear.
        println!("[server] relaying {from}'s line to everyone else");
        let fired = relay.events.said.except(std::slice::from_ref(&player), from, text);
        assert!(fired.all_queued());
        async {}
    });
}

/// One chatting client and what it heard (its listeners feed a channel; `main` reads it in a fixed order).
struct Member {
    name: &'static str,
    remotes: net::client::Remotes,
    heard: mpsc::UnboundedReceiver<String>,
    _client: Client<net::Api>,
}

impl Member {
    async fn join(server: &Server<net::Api>, name: &'static str) -> Result<Member, Box<dyn std::error::Error>> {
        let client = Client::connect_in_memory(server).await?;
        let remotes = client.remotes().clone();
        let (tx, heard) = mpsc::unbounded_channel();
        let said = tx.clone();
        remotes.events.said.connect(move |from: String, text: String| {
            let _ = said.send(format!("<{from}> {text}"));
            async {}
        });
        remotes.events.announce.connect(move |text: String| {
            let _ = tx.send(format!("*** {text}"));
            async {}
        });
        let others = remotes.functions.join.invoke(name.to_string()).await?;
        println!("[{name}] joined; already here: {others:?}");
        Ok(Member { name, remotes, heard, _client: client })
    }

    /// Waits (bounded) until this member hears `expected`, and prints it.
    async fn hears(&mut self, expected: &str) {
        match tokio::time::timeout(WAIT, self.heard.recv()).await {
            Ok(Some(line)) if line == expected => println!("[{}] {line}", self.name),
            Ok(other) => panic!("{} expected {expected:?}, heard {other:?}", self.name),
            Err(_) => panic!("{} did not hear {expected:?} within {WAIT:?}", self.name),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let server = Server::builder().in_memory::<net::Api>();
    serve(&server);
    server.start();

    // Three people arrive one after the other; everyone present hears each arrival.
    let mut room: Vec<Member> = Vec::new();
    for name in ["alice", "bob", "carol"] {
        room.push(Member::join(&server, name).await?);
        for member in &mut room {
            member.hears(&format!("*** {name} joined")).await;
        }
    }

    // A scripted conversation. After each line, every other member must hear it.
    let script = [(0, "hi all"), (1, "hey alice"), (2, "hello! what did I miss?"), (0, "nothing yet, carol")];
    for (speaker, text) in script {
        println!("[{}] says {text:?}", room[speaker].name);
        let fired = room[speaker].remotes.events.chat.fire(text.to_string());
        assert!(fired.all_queued());
        let line = format!("<{}> {text}", room[speaker].name);
        for (index, member) in room.iter_mut().enumerate() {
            if index != speaker {
                member.hears(&line).await;
            }
        }
    }

    // Nobody heard their own lines: every channel is empty now. Everything sent on one connection arrives in order,
    // so a straggler would have arrived before the lines we waited for.
    for member in &mut room {
        assert!(member.heard.try_recv().is_err(), "{} heard something unexpected", member.name);
    }
    println!("done: {} players, every line heard exactly by the others", server.players().len());
    Ok(())
}
