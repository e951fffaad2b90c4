//! A chat server: relays what each client says to everyone else, and announces joins and leaves.
//!
//! ```text
//! cargo run --example chat_server -- --addr 127.0.0.1:7878
//! cargo run --example chat_client -- --addr 127.0.0.1:7878 --name alice
//! ```
//!
//! `--websocket` serves WebSocket instead of TCP (`ws://`); `--tls` adds TLS (TCP with TLS, or `wss://`), with a
//! certificate for `localhost` made at start and written to `chat-cert.pem` for clients to trust, or with
//! `--tls CERT.pem KEY.pem` with yours:
//!
//! ```text
//! cargo run --example chat_server -- --websocket --tls
//! cargo run --example chat_client -- --addr localhost:7878 --name alice --websocket --tls chat-cert.pem
//! ```
//!
//! It runs until it is killed (Ctrl-C ends the process; the examples' tokio has no `signal` feature, so there is no
//! graceful shutdown). Clients never talk to each other directly: a client fires `chat` at the server, and the server
//! fires `said` at every other player with `except`.

#[path = "chat_net/mod.rs"]
mod chat_net;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chat_net::net;
use remotes_runtime::{Player, Server};

/// Display names by player id. Ids grow with each connection, so the map's order is the order of arrival.
type Names = Arc<Mutex<BTreeMap<u64, String>>>;

fn name_of(names: &Names, player: &Player) -> String {
    names.lock().unwrap().get(&player.id()).cloned().unwrap_or_else(|| format!("player {}", player.id()))
}

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:7878), `--websocket`, `--tls [CERT.pem KEY.pem]`.
struct Options {
    addr: String,
    websocket: bool,
    /// `Some(None)`: TLS with a certificate made here; `Some(Some((cert, key)))`: with these files.
    tls: Option<Option<(String, String)>>,
}

/// Parses the command line with the standard library only.
fn parse_args() -> Options {
    let usage = || -> ! {
        eprintln!("usage: chat_server [--addr HOST:PORT] [--websocket] [--tls [CERT.pem KEY.pem]]");
        std::process::exit(2);
    };
    let mut options = Options { addr: "127.0.0.1:7878".to_string(), websocket: false, tls: None };
    let mut args = std::env::args().skip(1).peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => options.addr = args.next().unwrap_or_else(|| usage()),
            "--websocket" => options.websocket = true,
            "--tls" => {
                let files = match args.peek() {
                    Some(next) if !next.starts_with("--") => {
                        let cert = args.next().unwrap_or_else(|| usage());
                        Some((cert, args.next().unwrap_or_else(|| usage())))
                    }
                    _ => None,
                };
                options.tls = Some(files);
            }
            _ => usage(),
        }
    }
    options
}

/// The server's TLS settings: from the given files, or a certificate for `localhost` made now (written to
/// `chat-cert.pem`, for clients to trust with `--tls chat-cert.pem`).
fn tls(files: Option<(String, String)>) -> Result<remotes_runtime::tls::ServerTls, Box<dyn std::error::Error>> {
    if let Some((cert, key)) = files {
        return Ok(remotes_runtime::tls::ServerTls::from_pem_files(cert, key)?);
    }
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    std::fs::write("chat-cert.pem", made.cert.pem())?;
    println!("made a certificate for localhost; clients trust it with --tls chat-cert.pem");
    Ok(remotes_runtime::tls::ServerTls::from_pem(
        made.cert.pem().as_bytes(),
        made.signing_key.serialize_pem().as_bytes(),
    )?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let options = parse_args();
    let mut builder = Server::builder();
    if let Some(files) = options.tls.clone() {
        builder = builder.tls(tls(files)?);
    }
    let server = match options.websocket {
        false => builder.bind::<net::Api>(&options.addr).await?,
        true => builder.bind_websocket::<net::Api>(&options.addr).await?,
    };
    let remotes = server.remotes().clone();
    let names: Names = Arc::default();

    // A client introduces itself: remember its name, tell everyone (itself included), answer who else is here.
    let (announce, known) = (remotes.clone(), names.clone());
    remotes.functions.join.set_callback(move |player: Player, name: String| {
        let others: Vec<String> = known.lock().unwrap().values().cloned().collect();
        known.lock().unwrap().insert(player.id(), name.clone());
        println!("{name} joined (player {})", player.id());
        announce.events.announce.broadcast(format!("{name} joined"));
        async move { others }
    });
    let known = names.clone();
    remotes.functions.who.set_callback(move |_player| {
        let here: Vec<String> = known.lock().unwrap().values().cloned().collect();
        async move { here }
    });

    // Relay chat: every connected player except the one who said it.
    let (relay, known) = (remotes.clone(), names.clone());
    remotes.events.chat.connect(move |player: Player, text: String| {
        let from = name_of(&known, &player);
        let fired = relay.events.said.except(std::slice::from_ref(&player), from.clone(), text.clone());
        println!("<{from}> {text}   (relayed to {} player(s))", fired.queued);
        async {}
    });

    server.on_player_added(|player| println!("player {} connected", player.id()));
    let (farewell, known) = (remotes.clone(), names.clone());
    server.on_player_removing(move |player| {
        let name = name_of(&known, &player);
        known.lock().unwrap().remove(&player.id());
        println!("{name} left (player {})", player.id());
        // The leaving player's connection is already closed, so a broadcast skips it.
        farewell.events.announce.broadcast(format!("{name} left"));
    });

    server.start();
    let scheme = match (options.websocket, options.tls.is_some()) {
        (false, false) => "tcp",
        (false, true) => "tcp with tls",
        (true, false) => "ws",
        (true, true) => "wss",
    };
    println!("chat server listening on {} ({scheme})", server.local_addr()?);
    // Serve until the process is killed.
    std::future::pending::<()>().await;
    Ok(())
}
