//! A chat client: every line read from stdin is fired as `chat`; everything heard is printed. Exits on end of input
//! (or when the server goes away).
//!
//! ```text
//! cargo run --example chat_client -- --addr 127.0.0.1:7878 --name alice
//! ```
//!
//! Type `/who` to ask the server who is here. Start `chat_server` first. `--websocket` connects over WebSocket;
//! `--tls CA.pem` over TLS, trusting that certificate (the server's `chat-cert.pem`), with `--addr localhost:PORT`
//! (the name the certificate is for).

#[path = "chat_net/mod.rs"]
mod chat_net;

use std::io::BufRead;

use chat_net::net;
use remotes_runtime::Client;
use tokio::sync::mpsc;

/// The command line: `--addr HOST:PORT` (default 127.0.0.1:7878), `--name NAME` (required), `--websocket`,
/// `--tls CA.pem`.
struct Options {
    addr: String,
    name: String,
    websocket: bool,
    tls: Option<String>,
}

/// Parses the command line with the standard library only.
fn parse_args() -> Options {
    let usage = || -> ! {
        eprintln!("usage: chat_client [--addr HOST:PORT] --name NAME [--websocket] [--tls CA.pem]");
        std::process::exit(2);
    };
    let (mut addr, mut name, mut websocket, mut tls) = ("127.0.0.1:7878".to_string(), None, false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().unwrap_or_else(|| usage()),
            "--name" => name = Some(args.next().unwrap_or_else(|| usage())),
            "--websocket" => websocket = true,
            "--tls" => tls = Some(args.next().unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    Options { addr, name: name.unwrap_or_else(|| usage()), websocket, tls }
}

/// Reads stdin on a thread of its own (blocking reads do not belong on the async runtime) and sends each line.
/// The channel closes at end of input.
fn stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let Options { addr, name, websocket, tls } = parse_args();

    // `exact_interface` makes connect fail at once, naming each remote, if the server declares a different chat.
    let mut builder = Client::builder().exact_interface();
    if let Some(ca) = &tls {
        builder = builder.tls(remotes_runtime::tls::ClientTls::with_ca_pem(&std::fs::read(ca)?)?);
    }
    let client = match (websocket, tls.is_some()) {
        (false, false) => builder.connect::<net::Api>(&addr).await?,
        (false, true) => builder.connect_tls::<net::Api>(&addr).await?,
        (true, false) => builder.connect_websocket::<net::Api>(&format!("ws://{addr}/chat")).await?,
        (true, true) => builder.connect_websocket::<net::Api>(&format!("wss://{addr}/chat")).await?,
    };
    let remotes = client.remotes().clone();
    remotes.events.said.connect(|from: String, text: String| async move { println!("<{from}> {text}") });
    remotes.events.announce.connect(|text: String| async move { println!("*** {text}") });

    let others = remotes.functions.join.invoke(name.clone()).await?;
    println!("*** connected to {addr} as {name} (player {}); already here: {others:?}", client.player_id());

    let mut lines = stdin_lines();
    loop {
        tokio::select! {
            line = lines.recv() => match line.as_deref() {
                None => break,
                Some("") => {}
                Some("/who") => println!("*** here: {:?}", remotes.functions.who.invoke().await?),
                Some(text) => {
                    remotes.events.chat.fire(text.to_string());
                }
            },
            () = client.closed() => {
                println!("*** the server closed the connection");
                return Ok(());
            }
        }
    }
    // Events are queued, not awaited. A call that has been answered proves the server has read everything sent
    // before it (one connection is one ordered stream), so our last lines are not lost when the process exits.
    remotes.functions.who.invoke().await?;
    println!("*** end of input; bye");
    Ok(())
}
