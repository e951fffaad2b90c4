//! A server with bots playing on it, and its metrics in Prometheus's text format on `/metrics`:
//!
//! ```sh
//! cargo run --example metrics                 # until Ctrl-C; `-- --seconds 10` to stop by itself
//! curl -s http://127.0.0.1:9898/metrics | grep remotes_
//! ```
//!
//! The runtime records through the `metrics` facade; this example installs `metrics-exporter-prometheus` as the
//! recorder (before making the server) and serves its rendering with axum. Every two seconds it also prints what
//! `server.stats()` says, for games that want the figures without a metrics stack.

use std::net::SocketAddr;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use remotes_runtime::{Client, Player, Server, remotes};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Receipt {
    pub item: u32,
    pub coins_left: u64,
}

#[remotes]
pub mod net {
    use super::Receipt;

    pub trait ServerFunctions {
        /// Buys `quantity` of `item`; items above 950 come from the slow warehouse (the bots give up: `Timeout`).
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
    }

    pub trait ClientFunctions {
        /// The server asks a player to confirm; slow bots miss the deadline.
        fn confirm(prompt: String) -> bool;
    }

    pub trait ServerEvents {
        fn chat(#[remote(len = ..=200)] text: String);
    }

    pub trait ClientEvents {
        fn announce(text: String);
    }
}

/// A bot: buys in a loop, chats now and then, answers the server's questions (`slow` ones too late).
async fn bot(addr: SocketAddr, n: u32, slow: bool) {
    let Ok(client) = Client::connect::<net::Api>(addr).await else { return };
    client.remotes().events.announce.connect(|_text| async {});
    client.remotes().functions.confirm.set_callback(move |_prompt| async move {
        if slow {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        true
    });
    let mut round: u32 = 0;
    while client.is_connected() {
        round = round.wrapping_add(1);
        let item = (n * 131 + round * 17) % 1000;
        let buy = client.remotes().functions.buy_item.invoke(item, 1 + (round % 5) as u8);
        let _ = buy.timeout(Duration::from_millis(100)).await;
        if round.is_multiple_of(20) {
            client.remotes().events.chat.fire(format!("bot {n} says hi ({round})"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: Option<u64> = std::env::args().skip_while(|a| a != "--seconds").nth(1).and_then(|s| s.parse().ok());
    // The recorder first: the runtime registers each remote's metrics with the recorder of its first use.
    let prometheus = PrometheusBuilder::new().install_recorder()?;

    let server = std::sync::Arc::new(Server::bind::<net::Api>("127.0.0.1:0").await?);
    server.remotes().functions.buy_item.set_callback(|_player: Player, item: u32, quantity: u8| async move {
        if item > 950 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Receipt { item, coins_left: 1_000 - u64::from(quantity) * 7 }
    });
    let announce = server.remotes().events.announce.clone();
    server.remotes().events.chat.connect(move |player: Player, text: String| {
        announce.broadcast(format!("player {}: {text}", player.id()));
        async {}
    });
    server.start();
    let addr = server.local_addr()?;

    let app =
        axum::Router::new().route("/metrics", axum::routing::get(move || std::future::ready(prometheus.render())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:9898").await?;
    println!("metrics: http://{}/metrics (server on {addr})", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    for n in 0..8 {
        tokio::spawn(bot(addr, n, n % 4 == 3));
    }
    // The server asks a player to confirm every 100 ms, with a 200 ms deadline.
    let asker = std::sync::Arc::clone(&server);
    tokio::spawn(async move {
        let confirm = &asker.remotes().functions.confirm;
        let mut round = 0usize;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let all = asker.players();
            if let Some(player) = all.get(round % all.len().max(1)) {
                let _ = confirm.invoke(player, "ready?".into()).timeout(Duration::from_millis(200)).await;
            }
            round += 1;
        }
    });

    let started = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let stats = server.stats();
        for remote in stats.remotes.iter().filter(|r| r.calls > 0 || r.events_fired > 0 || r.events_delivered > 0) {
            println!(
                "{:>9}: {:>6} calls, {:>4} errors, p50 {:>7.1?}, p99 {:>7.1?}, {:>8} B in, {:>8} B out, {:>6} events",
                remote.name,
                remote.calls,
                remote.errors.total(),
                remote.p50,
                remote.p99,
                remote.bytes_in,
                remote.bytes_out,
                remote.events_fired + remote.events_delivered,
            );
        }
        println!("{} players", stats.players);
        if seconds.is_some_and(|limit| started.elapsed() >= Duration::from_secs(limit)) {
            return Ok(());
        }
    }
}
