//! A cluster of three server nodes over a real NATS server, with clients on each, over TCP and WebSocket:
//! cluster-wide ids and player lists, events to everyone, to some, to rooms spanning nodes and to one player of
//! another node, calls across nodes with every outcome, a node killed mid-call (its own process, `kill -9`),
//! NATS itself going away and coming back, and garbage on the bus. Every wait is on the cluster's change
//! notifications or a channel, bounded by `within`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use remotes_cluster_tests::{NatsServer, cluster_name, net, settings};
use remotes_runtime::cluster::{BusStatus, Cluster};
use remotes_runtime::{Client, FunctionError, Player, Server};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Tcp,
    WebSocket,
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

struct Node {
    server: Server<net::Api>,
    remotes: net::server::Remotes,
    cluster: Cluster,
    transport: Transport,
}

/// A client, its id, what its `news` listener hears and the `vote` calls that reached its callback.
struct Member {
    client: Client<net::Api>,
    id: u64,
    news: mpsc::UnboundedReceiver<u32>,
    votes: mpsc::UnboundedReceiver<u32>,
}

impl Member {
    async fn next_news(&mut self) -> u32 {
        within("news", self.news.recv()).await.expect("listening")
    }
}

async fn node(nats: &NatsServer, cluster: &str, transport: Transport) -> Node {
    let builder = Server::builder().cluster(nats.connect().await, cluster).cluster_settings(settings());
    let server = match transport {
        Transport::Tcp => builder.bind::<net::Api>("127.0.0.1:0").await,
        Transport::WebSocket => builder.bind_websocket::<net::Api>("127.0.0.1:0").await,
    }
    .expect("bind");
    server.start();
    let remotes = server.remotes().clone();
    let cluster = server.cluster().expect("built with a cluster");
    Node { server, remotes, cluster, transport }
}

async fn connect(port: u16, transport: Transport) -> Client<net::Api> {
    let client = match transport {
        Transport::Tcp => Client::connect::<net::Api>(("127.0.0.1", port)).await,
        Transport::WebSocket => {
            Client::builder().connect_websocket::<net::Api>(&format!("ws://127.0.0.1:{port}/")).await
        }
    };
    client.expect("connect")
}

/// A client of `port` whose `vote` callback answers `n + 1` after `millis` (never, for `u64::MAX`).
async fn member_of(port: u16, transport: Transport) -> Member {
    let client = connect(port, transport).await;
    let (heard, news) = mpsc::unbounded_channel();
    client.remotes().events.news.connect(move |n| {
        let _ = heard.send(n);
        async {}
    });
    let (called, votes) = mpsc::unbounded_channel();
    client.remotes().functions.vote.set_callback(move |n, millis| {
        let _ = called.send(n);
        async move {
            if millis == u64::MAX {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_millis(millis)).await;
            n + 1
        }
    });
    Member { id: client.player_id(), client, news, votes }
}

async fn member(node: &Node) -> Member {
    member_of(node.server.local_addr().expect("a listener").port(), node.transport).await
}

/// Three nodes with `per_node` members each, once every node lists every player.
async fn world(test: &str, transport: Transport, per_node: usize) -> (NatsServer, Vec<Node>, Vec<Vec<Member>>) {
    let nats = NatsServer::for_test().await;
    let name = cluster_name(test);
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(node(&nats, &name, transport).await);
    }
    let mut members = Vec::new();
    for node in &nodes {
        let mut here = Vec::new();
        for _ in 0..per_node {
            here.push(member(node).await);
        }
        members.push(here);
    }
    for node in &nodes {
        within("every node lists every player", node.cluster.until(|c| c.players().len() == 3 * per_node)).await;
    }
    (nats, nodes, members)
}

fn remote(node: &Node, id: u64) -> Player {
    let player = node.server.player(id).expect("listed by the cluster");
    assert!(!player.is_local());
    player
}

macro_rules! both_transports {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tcp() { super::$name(super::Transport::Tcp).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn websocket() { super::$name(super::Transport::WebSocket).await }
        }
    )*};
}

both_transports!(ids_are_unique_and_listed_everywhere, events_reach_every_node, rooms_span_nodes, calls_cross_nodes);

async fn ids_are_unique_and_listed_everywhere(transport: Transport) {
    let (_nats, nodes, members) = world("ids", transport, 2).await;
    let mut ids: Vec<u64> = members.iter().flatten().map(|m| m.id).collect();
    for (node, here) in nodes.iter().zip(&members) {
        for member in here {
            assert_eq!((member.id >> 32) as u32, node.cluster.node_id(), "a player's id carries its node's");
        }
        let mut listed: Vec<u64> = node.cluster.players().iter().map(Player::id).collect();
        listed.sort();
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(listed, expected);
        assert_eq!(node.server.players().len(), 2, "`Server::players` stays this node's own");
        let health = node.cluster.health();
        assert_eq!(health.bus, BusStatus::Connected);
        assert_eq!(health.nodes.len(), 2);
        assert!(health.nodes.iter().all(|n| n.synced && n.players == 2), "{health:?}");
    }
    ids.dedup();
    assert_eq!(ids.len(), 6);
}

async fn events_reach_every_node(transport: Transport) {
    let (_nats, nodes, mut members) = world("events", transport, 2).await;
    let fired = nodes[0].remotes.events.news.broadcast(1);
    assert_eq!(fired.queued, 2, "the local players are counted");
    for member in members.iter_mut().flatten() {
        assert_eq!(member.next_news().await, 1);
    }
    // `except` a player of another node, then `fire` at one player of another node, then `fire_many` across two.
    let left_out = remote(&nodes[0], members[1][0].id);
    nodes[0].remotes.events.news.except(std::slice::from_ref(&left_out), 2);
    let target = remote(&nodes[0], members[2][1].id);
    assert!(nodes[0].remotes.events.news.fire(&target, 3).all_queued());
    let many = [remote(&nodes[1], members[0][0].id), remote(&nodes[1], members[2][0].id)];
    assert_eq!(nodes[1].remotes.events.news.fire_many(&many, 4).queued, 2);
    // Across publishers the bus gives no order: what each member heard, in any order, is exactly this.
    let expected = [[vec![2, 4], vec![2]], [vec![], vec![2]], [vec![2, 4], vec![2, 3]]];
    for (here, expected) in members.iter_mut().zip(expected) {
        for (member, expected) in here.iter_mut().zip(expected) {
            let mut heard = Vec::new();
            for _ in &expected {
                heard.push(member.next_news().await);
            }
            heard.sort();
            assert_eq!(heard, expected, "player {:x}", member.id);
        }
    }
    // Nothing more arrives: a final broadcast is the next thing each hears.
    nodes[2].remotes.events.news.broadcast(9);
    for member in members.iter_mut().flatten() {
        assert_eq!(member.next_news().await, 9);
    }
}

async fn rooms_span_nodes(transport: Transport) {
    let (_nats, nodes, mut members) = world("rooms", transport, 2).await;
    for (node, here) in nodes.iter().zip(&members) {
        let joined = node.server.room("match").join(&node.server.player(here[0].id).expect("local"));
        assert!(joined);
    }
    for node in &nodes {
        within("the room spans three nodes", node.cluster.until(|_| node.server.room("match").len() == 3)).await;
    }
    let room = nodes[0].server.room("match");
    let mut in_room: Vec<u64> = room.players().iter().map(Player::id).collect();
    in_room.sort();
    let mut expected: Vec<u64> = members.iter().map(|here| here[0].id).collect();
    expected.sort();
    assert_eq!(in_room, expected);
    let other = remote(&nodes[0], members[1][0].id);
    assert!(room.contains(&other));
    assert_eq!(nodes[0].server.rooms().of(&other), vec![room.clone()]);
    assert!(!room.join(&other), "a node adds only its own players");

    nodes[0].remotes.events.news.fire_room(&room, 5);
    nodes[0].remotes.events.news.fire_room_except(&room, std::slice::from_ref(&other), 6);
    assert_eq!(members[0][0].next_news().await, 5);
    assert_eq!(members[0][0].next_news().await, 6);
    assert_eq!(members[1][0].next_news().await, 5);
    assert_eq!(members[2][0].next_news().await, 5);
    assert_eq!(members[2][0].next_news().await, 6);

    // Leaving on node 2, and a disconnect on node 1, reach node 0's view.
    nodes[2].server.room("match").leave(&nodes[2].server.player(members[2][0].id).expect("local"));
    members[1][0].client.close();
    within("node 0 sees both leave", nodes[0].cluster.until(|_| room.len() == 1)).await;
    within("node 0 forgets the player", nodes[0].cluster.until(|c| c.players().len() == 5)).await;
    // The members who are left hear the room, the others do not: a broadcast follows to prove it.
    nodes[1].remotes.events.news.fire_room(&nodes[1].server.room("match"), 7);
    nodes[1].remotes.events.news.broadcast(8);
    assert_eq!(members[0][0].next_news().await, 7);
    assert_eq!(members[0][0].next_news().await, 8);
    assert_eq!(members[2][0].next_news().await, 8);
}

async fn calls_cross_nodes(transport: Transport) {
    let (_nats, nodes, mut members) = world("calls", transport, 2).await;
    let vote = &nodes[0].remotes.functions.vote;
    let far = remote(&nodes[0], members[1][0].id);
    assert_eq!(within("a call across nodes", vote.invoke(&far, 41, 0)).await, Ok(42));

    // The deadline travels: the callee's node stops the call at it, and the caller settles `Timeout`.
    let slow = vote.invoke(&far, 1, u64::MAX).timeout(Duration::from_millis(200));
    assert_eq!(within("a timeout", slow).await, Err(FunctionError::Timeout));

    // A client without a callback answers `Unprocessed`, across nodes as here.
    let bare = connect(nodes[2].server.local_addr().unwrap().port(), nodes[2].transport).await;
    within("the bare client is listed", nodes[0].cluster.until(|c| c.player(bare.player_id()).is_some())).await;
    let bare_player = remote(&nodes[0], bare.player_id());
    assert_eq!(within("unprocessed", vote.invoke(&bare_player, 1, 0)).await, Err(FunctionError::Unprocessed));

    // A player that leaves mid-call: `Disconnected`, long before the deadline.
    let leaving = remote(&nodes[0], members[2][1].id);
    let call = tokio::spawn(vote.invoke(&leaving, 1, u64::MAX).timeout(Duration::from_secs(60)));
    within("the call reaches the client", members[2][1].votes.recv()).await;
    members[2][1].client.close();
    assert_eq!(within("disconnected", call).await.unwrap(), Err(FunctionError::Disconnected));
    within("node 0 forgets the player", nodes[0].cluster.until(|c| c.player(leaving.id()).is_none())).await;
    assert_eq!(vote.invoke(&leaving, 1, 0).await, Err(FunctionError::Disconnected), "known gone: settled at once");

    // Dropping a call cancels it on the far node, which then holds nothing for it.
    let dropped = vote.invoke(&far, 7, u64::MAX);
    let waiting = tokio::spawn(dropped);
    within("the call reaches the client", members[1][0].votes.recv()).await;
    waiting.abort();
    let far_player = nodes[1].server.player(far.id()).expect("local there");
    within("the far node stops the call", async {
        while far_player.pending_calls() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;

    // A room across nodes, invoked at once: each answer as it arrives.
    for (node, here) in nodes.iter().zip(&members) {
        node.server.room("vote").join(&node.server.player(here[0].id).expect("local"));
    }
    within("the room spans three nodes", nodes[0].cluster.until(|_| nodes[0].server.room("vote").len() == 3)).await;
    let answers: Vec<_> =
        within("room answers", vote.invoke_room(&nodes[0].server.room("vote"), 10, 0).collect()).await;
    assert_eq!(answers.len(), 3);
    assert!(answers.iter().all(|(_, outcome)| *outcome == Ok(11)), "{answers:?}");
}

/// Node B runs in its own process; its client is here. A calls the client through B; B is killed (`kill -9`,
/// no goodbye) while the call waits: A settles it `Disconnected` once B's heartbeats stop, not at the deadline,
/// and B's players leave A's rooms and lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_call() {
    for transport in [Transport::Tcp, Transport::WebSocket] {
        let nats = NatsServer::for_test().await;
        let name = cluster_name("killed");
        let a = node(&nats, &name, transport).await;
        let mut process = tokio::process::Command::new(env!("CARGO_BIN_EXE_cluster-node"))
            .args([nats.url.as_str(), name.as_str(), if transport == Transport::Tcp { "tcp" } else { "ws" }])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the node process");
        let mut lines = BufReader::new(process.stdout.take().expect("piped")).lines();
        let ready = within("the node process", lines.next_line()).await.expect("its stdout").expect("a line");
        let port: u16 = ready.strip_prefix("ready ").and_then(|port| port.parse().ok()).expect("`ready <port>`");
        let mut far = member_of(port, transport).await;
        within("A lists B's player", a.cluster.until(|c| c.player(far.id).is_some())).await;

        let player = remote(&a, far.id);
        let call = tokio::spawn(a.remotes.functions.vote.invoke(&player, 1, u64::MAX).timeout(Duration::from_secs(60)));
        within("the call reaches the client", far.votes.recv()).await;
        let killed = Instant::now();
        process.kill().await.expect("kill the node");
        assert_eq!(within("disconnected", call).await.unwrap(), Err(FunctionError::Disconnected));
        let noticed = killed.elapsed();
        assert!(noticed < Duration::from_secs(5), "noticed after {noticed:?}, well before the 60 s deadline");
        within("A forgets B", a.cluster.until(|c| c.player(far.id).is_none() && c.health().nodes.is_empty())).await;
    }
}

/// NATS goes away: each node keeps serving its own players, reports the loss, and settles calls to other nodes
/// `Disconnected` at once; NATS comes back on the same port and the cluster forms again without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_outage_and_recovery() {
    let mut nats = NatsServer::private(None).await;
    let name = cluster_name("outage");
    let (a, b) = (node(&nats, &name, Transport::Tcp).await, node(&nats, &name, Transport::Tcp).await);
    let (mut here, there) = (member(&a).await, member(&b).await);
    within("both listed", a.cluster.until(|c| c.players().len() == 2)).await;
    let far = remote(&a, there.id);

    nats.stop().await;
    within("A reports the loss", a.cluster.until(|c| c.health().bus == BusStatus::Disconnected)).await;
    assert_eq!(a.remotes.functions.vote.invoke(&far, 1, 0).await, Err(FunctionError::Disconnected));
    a.remotes.events.news.broadcast(1);
    assert_eq!(here.next_news().await, 1, "local players are still served");
    within("A forgets B after the node timeout", a.cluster.until(|c| c.health().nodes.is_empty())).await;

    nats.restart().await;
    within("A reconnects", a.cluster.until(|c| c.health().bus == BusStatus::Connected)).await;
    within("A sees B again", a.cluster.until(|c| c.player(there.id).is_some())).await;
    let far = remote(&a, there.id);
    assert_eq!(within("a call after recovery", a.remotes.functions.vote.invoke(&far, 2, 0)).await, Ok(3));
    drop(b);
}

/// Garbage and forgeries on the cluster's subjects are dropped and counted; the node carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_bus_is_dropped_and_counted() {
    let nats = NatsServer::for_test().await;
    let name = cluster_name("garbage");
    let (a, b) = (node(&nats, &name, Transport::Tcp).await, node(&nats, &name, Transport::Tcp).await);
    let mut there = member(&b).await;
    within("A lists B's player", a.cluster.until(|c| c.players().len() == 1)).await;
    let raw = nats.connect().await;
    let garbage: [&[u8]; 4] = [b"", b"\xff\xff\xff\xff", b"\x00\x00\x00\x02\xc1\xc1", b"\x00\x00\x00\x01\x90tail"];
    for subject in [format!("remotes.{name}.all"), format!("remotes.{name}.node.{:08x}", b.cluster.node_id())] {
        for message in garbage {
            raw.client().publish(subject.clone(), message.to_vec().into()).await.expect("publish");
        }
    }
    raw.client().flush().await.expect("flush");
    within("B counts every message", b.cluster.until(|c| c.health().malformed >= 8)).await;
    a.remotes.events.news.broadcast(1);
    assert_eq!(there.next_news().await, 1, "the cluster still works");
}
