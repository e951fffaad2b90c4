//! Two server nodes of one cluster and clients on each, in one command, over a running NATS server:
//!
//! ```sh
//! nats-server -a 127.0.0.1 &          # Debian: apt-get install nats-server
//! cargo run --example cluster          # or: cargo run --example cluster -- nats://host:4222
//! ```
//!
//! Node "east" and node "west" join cluster `demo`; Ada and Bo connect to east, Cy and Di to west. East
//! broadcasts to all four, a room spans both nodes, west relays a player's chat to the room, east asks a player of
//! west a question (a call across nodes), and when west shuts down, east sees its players leave.

use std::time::Duration;

use remotes_runtime::cluster::{ClusterSettings, Nats};
use remotes_runtime::{Client, Player, Server, remotes};
use tokio::sync::mpsc;

#[remotes]
pub mod net {
    pub trait ServerEvents {
        /// A player says something to its room.
        fn say(text: String);
    }

    pub trait ClientFunctions {
        /// The server asks the player a yes/no question.
        fn ask(question: String) -> bool;
    }

    pub trait ClientEvents {
        /// Something for players to read.
        fn news(text: String);
    }
}

type Heard = mpsc::UnboundedSender<(String, String)>;

async fn node(
    url: &str,
    name: &str,
    settings: &ClusterSettings,
) -> Result<Server<net::Api>, Box<dyn std::error::Error>> {
    let nats = Nats::connect(url).await.map_err(|error| format!("{error} (is nats-server running at {url}?)"))?;
    let server = Server::builder()
        .cluster(nats, "demo")
        .cluster_settings(settings.clone())
        .bind::<net::Api>("127.0.0.1:0")
        .await?;
    // A player's chat goes to the players of its room, on every node.
    let rooms = server.rooms();
    let remotes = server.remotes().clone();
    let node = name.to_string();
    server.remotes().events.say.connect(move |player: Player, text: String| {
        for room in rooms.of(&player) {
            let line = format!("player {:x} (via {node}): {text}", player.id());
            remotes.events.news.fire_room(&room, line);
        }
        async {}
    });
    server.start();
    println!(
        "node {name}: id {:08x}, listening on {}",
        server.cluster().expect("a node").node_id(),
        server.local_addr()?
    );
    Ok(server)
}

/// A client named `name` that prints what it hears and answers `ask` with yes.
async fn player(
    server: &Server<net::Api>,
    name: &'static str,
    heard: &Heard,
) -> Result<Client<net::Api>, Box<dyn std::error::Error>> {
    let client = Client::connect::<net::Api>(server.local_addr()?).await?;
    let heard = heard.clone();
    client.remotes().events.news.connect(move |text| {
        let _ = heard.send((name.to_string(), text));
        async {}
    });
    client.remotes().functions.ask.set_callback(move |question| {
        println!("  {name} is asked: {question} -> yes");
        async { true }
    });
    Ok(client)
}

async fn hear(heard: &mut mpsc::UnboundedReceiver<(String, String)>, count: usize) {
    for _ in 0..count {
        match tokio::time::timeout(Duration::from_secs(5), heard.recv()).await {
            Ok(Some((who, text))) => println!("  {who} hears: {text}"),
            _ => println!("  (nothing more heard)"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "nats://127.0.0.1:4222".to_string());
    let settings = ClusterSettings::default().heartbeat(Duration::from_millis(250), Duration::from_secs(1));
    let (east, west) = (node(&url, "east", &settings).await?, node(&url, "west", &settings).await?);
    let (tx, mut heard) = mpsc::unbounded_channel();
    let names = ["Ada", "Bo", "Cy", "Di"];
    let mut clients = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        clients.push(player(if i < 2 { &east } else { &west }, name, &tx).await?);
    }
    let cluster = east.cluster().expect("a node");
    tokio::time::timeout(Duration::from_secs(5), cluster.until(|c| c.players().len() == 4)).await?;
    let listed: Vec<String> =
        cluster.players().iter().map(|p| format!("{:x}{}", p.id(), if p.is_local() { "" } else { "*" })).collect();
    println!("east lists every player (* = on west): {}", listed.join(", "));

    println!("east broadcasts:");
    east.remotes().events.news.broadcast("welcome to the demo world".into());
    hear(&mut heard, 4).await;

    // Each node puts its own players in the room; the room spans both.
    east.room("match").join(&east.player(clients[0].player_id()).expect("local"));
    west.room("match").join(&west.player(clients[2].player_id()).expect("local"));
    tokio::time::timeout(Duration::from_secs(5), cluster.until(|_| east.room("match").len() == 2)).await?;
    println!("room `match` on east: {} players; Cy (on west) says hello:", east.room("match").len());
    clients[2].remotes().events.say.fire("hello from the west".into());
    hear(&mut heard, 2).await;

    let di = east.player(clients[3].player_id()).expect("listed");
    println!("east asks Di, a player of west:");
    let answer = east.remotes().functions.ask.invoke(&di, "ready for the next round?".into()).await;
    println!("  answer: {answer:?}");

    println!("west shuts down:");
    west.shutdown().await;
    drop(west);
    tokio::time::timeout(Duration::from_secs(5), cluster.until(|c| c.players().len() == 2)).await?;
    println!("  east now lists {} players; room `match` has {}", cluster.players().len(), east.room("match").len());
    println!("  a call to Di now: {:?}", east.remotes().functions.ask.invoke(&di, "still there?".into()).await);
    Ok(())
}
