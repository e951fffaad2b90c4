//! Clusters on the in-process bus: what the NATS tests cannot stage. Forged messages that decode (so only the
//! node's own checks stop them), the publish rate limit, and a node cut off from the bus while a call waits on it.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::bus::testing::{Audience, Body, Header, Outcome, VERSION, encode, interface_hash};
use crate::cluster::{Adapter, ClusterSettings, MemoryBus, MemoryConnection};
use crate::wire::frame::put_frame;
use crate::wire::message::kind;
use crate::{Client, FunctionError, RateLimit, Server};

/// The interface of these tests (the documented example's shape, declared here to keep the layers apart).
#[crate::remotes(crate = crate)]
pub mod shop {
    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u8) -> u32;
    }

    pub trait ClientFunctions {
        fn confirm(prompt: String) -> bool;
    }

    pub trait ServerEvents {
        fn chat(text: String);
    }

    pub trait ClientEvents {
        fn announce(text: String);
    }
}

fn settings() -> ClusterSettings {
    ClusterSettings::default()
        .heartbeat(Duration::from_millis(50), Duration::from_millis(200))
        .batch_interval(Duration::from_millis(5))
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn node(bus: &MemoryConnection, settings: ClusterSettings) -> Server<shop::Api> {
    let server = Server::builder().cluster(bus.clone(), "unit").cluster_settings(settings).in_memory::<shop::Api>();
    server.start();
    server
}

/// A client whose `announce` listener reports what it hears.
async fn listener(server: &Server<shop::Api>) -> (Client<shop::Api>, mpsc::UnboundedReceiver<String>) {
    let client = Client::connect_in_memory(server).await.expect("connect");
    let (heard, rx) = mpsc::unbounded_channel();
    client.remotes().events.announce.connect(move |text| {
        let _ = heard.send(text);
        async {}
    });
    (client, rx)
}

/// A well-formed message from a node that does not exist (id 7), for the `shop` interface.
fn forged(body: Body, tail: &[u8]) -> Bytes {
    let header = Header { version: VERSION, interface: interface_hash(shop::interface()), node: 7, instance: 1, body };
    encode(&header, tail)
}

/// An `EVENT` frame of remote `remote` with `payload`.
fn event_frame(remote: u32, payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::new();
    put_frame(&mut frame, kind::EVENT, &[remote], payload);
    frame.freeze()
}

const ANNOUNCE: u32 = 3;
const CHAT: u32 = 2;
const BUY_ITEM: u32 = 0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_messages_are_checked_before_anything_is_done() {
    let bus = MemoryBus::new();
    let server = node(&bus.connect(), settings());
    let cluster = server.cluster().expect("a node");
    let (_client, mut heard) = listener(&server).await;
    let raw = bus.connect();
    let all = "remotes.unit.all".to_string();
    let mine = format!("remotes.unit.node.{:08x}", cluster.node_id());
    let mut replies = raw.subscribe("remotes.unit.node.00000007".to_string()).await.expect("subscribe");

    let text = rmp_serde::to_vec(&("hello",)).expect("encode");
    let forgeries = [
        // An event clients may not receive (a `ServerEvents` remote), and a frame cut short.
        forged(Body::Event { to: Audience::All }, &event_frame(CHAT, &text)),
        forged(Body::Event { to: Audience::All }, &event_frame(ANNOUNCE, &text)[..3]),
        // Another interface.
        encode(&Header { version: VERSION, interface: 1, node: 7, instance: 1, body: Body::Goodbye }, &[]),
        // A call of a function the server handles, not its clients.
        forged(Body::Call { call: 1, player: 1, remote: BUY_ITEM, timeout_ms: 1000 }, &[]),
    ];
    for message in forgeries {
        raw.publish(all.clone(), message).await.expect("publish");
    }
    within("four counted", cluster.until(|c| c.health().malformed == 4)).await;
    let reply = within("the forged call's answer", replies.next()).await.expect("a reply");
    let (header, _) = crate::bus::testing::decode(&reply).expect("decodes");
    assert_eq!(header.body, Body::Reply { call: 1, outcome: Outcome::Err(FunctionError::BadRequest.wire_code()) });

    // A node that lists more than `max_remote_members` players is cut off at the bound.
    let strict = node(&bus.connect(), settings().max_remote_members(2));
    let strict_cluster = strict.cluster().expect("a node");
    // It subscribes in the background: once it hears the first node, it hears its own subject too.
    within("the strict node hears the first", strict_cluster.until(|c| c.health().nodes.len() == 1)).await;
    let many = (1..=3).map(|n| (7u64 << 32 | n, None)).collect();
    let snapshot = forged(Body::Snapshot { seq: 0, players: many, rooms: Vec::new() }, &[]);
    raw.publish(format!("remotes.unit.node.{:08x}", strict_cluster.node_id()), snapshot).await.expect("publish");
    within("over the bound", strict_cluster.until(|c| c.health().malformed >= 1)).await;
    let of_seven = strict_cluster.players().iter().filter(|p| p.id() >> 32 == 7).count();
    assert_eq!(of_seven, 2, "held up to the bound");

    // A well-formed event for clients is delivered: the checks refuse only what they must.
    raw.publish(mine, forged(Body::Fire { players: vec![server.players()[0].id()] }, &event_frame(ANNOUNCE, &text)))
        .await
        .expect("publish");
    assert_eq!(within("the event", heard.recv()).await.as_deref(), Some("hello"));
    assert!(heard.try_recv().is_err(), "none of the forgeries reached the client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_is_bounded_by_the_rate_limit() {
    let bus = MemoryBus::new();
    let limited = settings().publish_rate(RateLimit::per(5, Duration::from_secs(3600)).burst(5));
    let (a, b) = (node(&bus.connect(), limited), node(&bus.connect(), settings()));
    let (_client, mut heard) = listener(&b).await;
    let cluster = a.cluster().expect("a node");
    within("A sees B's player", cluster.until(|c| c.players().len() == 1)).await;
    let before = cluster.health().dropped;
    for n in 0..50 {
        a.remotes().events.announce.broadcast(n.to_string());
    }
    assert_eq!(cluster.health().dropped - before, 45, "five published, the rest dropped and counted");
    for n in 0..5 {
        assert_eq!(within("the published events", heard.recv()).await, Some(n.to_string()));
    }
    // A call to another node is refused the same way, at once.
    let far = a.player(b.players()[0].id()).expect("listed");
    assert_eq!(a.remotes().functions.confirm.invoke(&far, "ok?".into()).await, Err(FunctionError::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_the_bus_is_lost_and_its_calls_settle() {
    let bus = MemoryBus::new();
    let b_bus = bus.connect();
    let (a, b) = (node(&bus.connect(), settings()), node(&b_bus, settings()));
    let client = Client::connect_in_memory(&b).await.expect("connect");
    let (called, mut calls) = mpsc::unbounded_channel();
    client.remotes().functions.confirm.set_callback(move |_prompt| {
        let _ = called.send(());
        std::future::pending::<bool>()
    });
    let cluster = a.cluster().expect("a node");
    within("A sees B's player", cluster.until(|c| c.players().len() == 1)).await;
    let far = a.player(client.player_id()).expect("listed");
    let call = tokio::spawn(a.remotes().functions.confirm.invoke(&far, "ok?".into()).timeout(Duration::from_secs(60)));
    within("the call reaches B's client", calls.recv()).await;
    b_bus.set_connected(false);
    assert_eq!(within("disconnected", call).await.expect("joined"), Err(FunctionError::Disconnected));
    assert!(cluster.health().nodes.is_empty());
    assert!(!far.is_connected());
    assert!(b.cluster().expect("a node").health().bus == crate::cluster::BusStatus::Disconnected);

    // Back on the bus, B is found again and its player is reachable.
    b_bus.set_connected(true);
    within("A sees B again", cluster.until(|c| c.player(client.player_id()).is_some())).await;
}
