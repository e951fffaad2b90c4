//! `remotes-typescript-peer`: starts the peer's servers and prints their URLs as one JSON line, then serves until
//! standard input closes (`serve --no-receive-budget` lifts the servers' receive budget, for benchmarks). `remotes-typescript-peer bench URL MILLIS IN_FLIGHT` measures the Rust client against a
//! peer instead, and `remotes-typescript-peer calls URL COUNT` makes COUNT calls one after another (to count the bytes
//! a call takes; see `clients/typescript/bench/`).

use std::time::{Duration, Instant};

use remotes_runtime::Client;
use remotes_typescript_peer::Peer;
use remotes_typescript_peer::interface::net;
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") if args.len() <= 1 => serve(true).await,
        Some("serve") if args.len() == 2 && args[1] == "--no-receive-budget" => serve(false).await,
        Some("bench") if args.len() == 4 => bench(&args[1], args[2].parse()?, args[3].parse()?).await,
        Some("calls") if args.len() == 3 => calls(&args[1], args[2].parse()?).await,
        _ => {
            eprintln!(
                "usage: remotes-typescript-peer [serve [--no-receive-budget]] | bench URL MILLIS IN_FLIGHT | calls URL \
                 COUNT"
            );
            std::process::exit(2);
        }
    }
}

async fn serve(budget: bool) -> Result<(), Box<dyn std::error::Error>> {
    let peer = Peer::start(budget).await?;
    let dir = std::env::temp_dir().join(format!("remotes-typescript-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("localhost.pem");
    std::fs::write(&ca, &peer.certificate)?;
    println!(
        "{{\"ws\":\"{}\",\"wss\":\"{}\",\"mismatch\":\"{}\",\"mismatchWss\":\"{}\",\"ca\":{:?}}}",
        peer.ws,
        peer.wss,
        peer.mismatch,
        peer.mismatch_wss,
        ca.display().to_string()
    );
    // Serve until standard input closes (the runner exited or closed it).
    let mut sink = Vec::new();
    tokio::io::stdin().read_to_end(&mut sink).await?;
    peer.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// Calls `buy_item(7, 2)` for `millis` ms with `in_flight` calls outstanding and prints `{"calls":N,"secs":S}`.
async fn bench(url: &str, millis: u64, in_flight: usize) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder().connect_websocket::<net::Api>(url).await?;
    let deadline = Instant::now() + Duration::from_millis(millis);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let remotes = client.remotes().clone();
        workers.push(tokio::spawn(async move {
            let mut calls = 0u64;
            while Instant::now() < deadline {
                remotes.functions.buy_item.invoke(7, 2).await.expect("a benchmark call");
                calls += 1;
            }
            calls
        }));
    }
    let mut calls = 0;
    for worker in workers {
        calls += worker.await?;
    }
    println!("{{\"calls\":{calls},\"secs\":{}}}", started.elapsed().as_secs_f64());
    client.close();
    Ok(())
}

/// Makes `count` calls of `buy_item(7, 2)` one after another, closes, and prints `{"calls":N}`.
async fn calls(url: &str, count: u64) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder().connect_websocket::<net::Api>(url).await?;
    for _ in 0..count {
        client.remotes().functions.buy_item.invoke(7, 2).await?;
    }
    client.close();
    client.closed().await;
    println!("{{\"calls\":{count}}}");
    Ok(())
}
