//! A chat client: every line read from stdin is fired as `chat`; everything heard is printed. Exits on end of input
//! (or when the server goes away).
//!
//! ```text
//! cargo run --example chat_client -- --addr 127.0.0.1:7878 --name alice
//! ```
//!
//! Type `/who` to ask the server who is here. Start `chat_server` first.

#[path = "chat_net/mod.rs"]
mod chat_net;

use std::io::BufRead;

use chat_net::net;
use remotes_runtime::Client;
use tokio::sync::mpsc;

/// Parses `--addr HOST:PORT` (default 127.0.0.1:7878) and `--name NAME` (required) with the standard library only.
fn parse_args() -> (String, String) {
    let usage = || -> ! {
        eprintln!("usage: chat_client [--addr HOST:PORT] --name NAME");
        std::process::exit(2);
    };
    let (mut addr, mut name) = ("127.0.0.1:7878".to_string(), None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            ("--name", Some(value)) => name = Some(value),
            _ => usage(),
        }
    }
    (addr, name.unwrap_or_else(|| usage()))
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
    let (addr, name) = parse_args();

    // `interface` makes connect fail at once, naming each remote, if the server declares a different chat.
    let client = Client::builder().exact_interface().connect::<net::Api>(&addr).await?;
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
