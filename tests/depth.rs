//! Deeply nested input (issue #10, point 1): an argument or return value of a recursive type, nested far deeper than
//! any honest value, is refused inside decoding (a stack overflow would abort the process). A too-deep request is
//! answered `BadRequest`, a too-deep event dropped, a too-deep reply settles the call `InvalidResult`; the
//! connection stays and keeps working. Both ways: a hostile client cannot crash a server, a hostile server cannot
//! crash a client.

mod common;

use common::{Transport, within};
use remotes_runtime::testing::{RawClient, RawMessage, RawServer, encode, kinds};
use remotes_runtime::{BadRequestReport, Client, Direction, FunctionError, Player, RemoteKind, Server, remotes};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(i64),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
}

/// `W(Some(W(Some(..))))`: neither the newtype nor the `Some` consumes a byte, so `01` nests without end.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct W(pub Option<Box<W>>);

#[remotes]
pub mod deep {
    use super::*;

    pub trait ServerFunctions {
        fn eval(expr: Expr) -> i64;
        fn count(w: W) -> u32;
        fn simplify(expr: Expr) -> Expr;
    }

    pub trait ServerEvents {
        fn tree(expr: Expr);
    }

    pub trait ClientFunctions {
        fn build(levels: u32) -> Expr;
        fn check(expr: Expr) -> bool;
    }

    pub trait ClientEvents {
        fn shown(expr: Expr);
    }
}

/// The deepest `Neg(Neg(..Lit(_)))` accepted: 256 nested enum values (`2 × MAX_DEPTH`), one per variant.
const DEEPEST: usize = 255;

/// The argument array `[Neg(Neg(..Lit(lit)))]` with `levels` `Neg`s, by hand (variants by index): `91`, `81 01` per
/// level, `81 00 lit`.
fn negs(levels: usize, lit: u8) -> Vec<u8> {
    assert!(lit < 0x80, "a positive fixint");
    let mut out = Vec::with_capacity(4 + 2 * levels);
    out.push(0x91);
    for _ in 0..levels {
        out.extend_from_slice(&[0x81, 0x01]);
    }
    out.extend_from_slice(&[0x81, 0x00, lit]);
    out
}

/// The value of `negs(levels, lit)`'s argument.
fn negs_value(levels: usize, lit: u8) -> i64 {
    if levels & 1 == 0 { i64::from(lit) } else { -i64::from(lit) }
}

fn eval(expr: &Expr) -> i64 {
    match expr {
        Expr::Lit(n) => *n,
        Expr::Neg(e) => -eval(e),
        Expr::Add(a, b) => eval(a) + eval(b),
    }
}

fn count(w: &W) -> u32 {
    w.0.as_ref().map_or(0, |inner| 1 + count(inner))
}

/// A server with the `deep` interface, taking frames of up to 4 MiB (a million levels is 2 MB), its bad-request
/// reports, and the values of the `tree` events it handled.
struct Fixture {
    server: Server<deep::Api>,
    remotes: deep::server::Remotes,
    bad_requests: mpsc::UnboundedReceiver<BadRequestReport>,
    trees: mpsc::UnboundedReceiver<i64>,
    transport: Transport,
}

impl Fixture {
    async fn new(transport: Transport) -> Fixture {
        let builder = Server::builder().max_frame_len(4 << 20);
        let server = common::bind::<deep::Api>(transport, builder).await;
        server.start();
        let remotes = server.remotes().clone();
        remotes.functions.eval.set_callback(|_player: Player, expr| async move { eval(&expr) });
        remotes.functions.count.set_callback(|_player: Player, w| async move { count(&w) });
        let (reports, bad_requests) = mpsc::unbounded_channel();
        server.on_bad_request(move |report| {
            let _ = reports.send(report.clone());
        });
        let (values, trees) = mpsc::unbounded_channel();
        remotes.events.tree.connect(move |_player: Player, expr| {
            let values = values.clone();
            async move {
                let _ = values.send(eval(&expr));
            }
        });
        Fixture { server, remotes, bad_requests, trees, transport }
    }

    async fn raw(&self) -> RawClient {
        common::raw_to(self.transport, &self.server).await
    }

    /// Waits for the next bad-request report and checks it blames the depth of `remote`'s first argument.
    async fn refused_for_depth(&mut self, remote: &str) {
        let report = within("bad-request report", self.bad_requests.recv()).await.expect("reports");
        assert_eq!(report.remote, remote);
        assert!(report.reason.contains("levels deep"), "{}", report.reason);
    }
}

/// The next frame that is not a keepalive, as `Some` (so it compares with what `recv` returns).
async fn next(conn: &mut RawClient) -> Option<RawMessage> {
    let frame = conn.recv_matching(|m| !matches!(m, RawMessage::Ping | RawMessage::Pong));
    within("a frame", frame).await.expect("read")
}

fn id(welcome: &remotes_runtime::testing::RawWelcome, name: &str, kind: RemoteKind, direction: Direction) -> u32 {
    welcome.id_of(name, kind, direction).unwrap_or_else(|| panic!("{name} is announced"))
}

every_transport! {
    // A raw client sends `eval` and `tree` at the limit, one past it, and 10^5 and 10^6 levels deep.
    async fn deep_arguments_are_bad_requests_and_the_connection_stays(transport) {
        let mut f = Fixture::new(transport).await;
        let mut raw = f.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let eval_id = id(&welcome, "eval", RemoteKind::Function, Direction::ToServer);
        let tree_id = id(&welcome, "tree", RemoteKind::Event, Direction::ToServer);
        let player = f.server.player(welcome.player_id).unwrap();

        raw.send_request(eval_id, None, &negs(DEEPEST, 5)).await.unwrap();
        let reply = next(&mut raw).await;
        assert_eq!(reply, Some(RawMessage::ReplyOk { call: 0, value: encode(&negs_value(DEEPEST, 5)) }));
        raw.send_event(tree_id, &negs(DEEPEST, 6)).await.unwrap();
        assert_eq!(within("event at the limit", f.trees.recv()).await, Some(negs_value(DEEPEST, 6)));

        let mut call = 1;
        for levels in [DEEPEST + 1, 100_000, 1_000_000] {
            raw.send_request(eval_id, None, &negs(levels, 1)).await.unwrap();
            let reply = next(&mut raw).await;
            assert_eq!(reply, Some(RawMessage::ReplyErr { call, error: FunctionError::BadRequest }), "{levels}");
            f.refused_for_depth("eval").await;
            raw.send_event(tree_id, &negs(levels, 1)).await.unwrap();
            f.refused_for_depth("tree").await;
            // The same connection still gets correct answers.
            raw.send_request(eval_id, None, &negs(3, 7)).await.unwrap();
            let reply = next(&mut raw).await;
            assert_eq!(reply, Some(RawMessage::ReplyOk { call: call + 1, value: encode(&-7i64) }));
            call += 2;
        }
        // The refused events were dropped: the next event handled is this one.
        raw.send_event(tree_id, &negs(2, 9)).await.unwrap();
        assert_eq!(within("event after", f.trees.recv()).await, Some(9));
        assert_eq!(player.bad_requests(), 6);
        assert!(f.server.player(welcome.player_id).is_some(), "the connection stays");
    }

    // `W` on the single byte `01`: nests forever without the limit, consuming nothing.
    async fn a_value_that_consumes_no_byte_is_refused(transport) {
        let mut f = Fixture::new(transport).await;
        let mut raw = f.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let count_id = id(&welcome, "count", RemoteKind::Function, Direction::ToServer);
        raw.send_request(count_id, None, &[0x91, 0x01]).await.unwrap();
        let reply = next(&mut raw).await;
        assert_eq!(reply, Some(RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest }));
        f.refused_for_depth("count").await;
        raw.send_request(count_id, None, &[0x91, 0xc0]).await.unwrap();
        let reply = next(&mut raw).await;
        assert_eq!(reply, Some(RawMessage::ReplyOk { call: 1, value: encode(&0u32) }));
    }

    // A hostile client answers the server's call with a reply 10^5 levels deep.
    async fn a_deep_reply_from_a_client_is_an_invalid_result(transport) {
        let f = Fixture::new(transport).await;
        let mut raw = f.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let player = f.server.player(welcome.player_id).unwrap();
        let (reports, mut bad_responses) = mpsc::unbounded_channel();
        f.server.on_bad_response(move |report| {
            let _ = reports.send(report.reason.clone());
        });
        let lit = |n| Box::new(Expr::Lit(n));
        let expectations = [(100_000, Err(FunctionError::InvalidResult)), (2, Ok(Expr::Neg(Box::new(Expr::Neg(lit(3))))))];
        for (levels, expected) in expectations {
            let call = tokio::spawn(f.remotes.functions.build.invoke(&player, 3));
            let request = next(&mut raw).await.unwrap();
            assert!(matches!(request, RawMessage::Request { .. }), "{request:?}");
            let mut reply = vec![0]; // slot 0: the only call outstanding
            reply.extend_from_slice(&negs(levels, 3)[1..]);
            raw.send_frame(kinds::REPLY_OK, &reply).await.unwrap();
            assert_eq!(within("call", call).await.unwrap(), expected);
            if levels > DEEPEST {
                let reason = within("bad-response report", bad_responses.recv()).await.unwrap();
                assert!(reason.contains("levels deep"), "{reason}");
            }
        }
        assert!(f.server.player(welcome.player_id).is_some());
    }
}

/// A real client connected to a raw server that announces the `deep` interface.
async fn client_of_raw_server() -> (Client<deep::Api>, deep::client::Remotes, RawClient) {
    let raw_server = RawServer::bind().await.unwrap();
    let addr = raw_server.local_addr().unwrap();
    let accepting = tokio::spawn(async move { raw_server.accept_with(1, deep::interface().remotes()).await });
    // A million levels is 2 MB: above the default maximum frame, which would close the connection instead.
    let client = within("connect", Client::builder().max_frame_len(4 << 20).connect::<deep::Api>(addr)).await.unwrap();
    let conn = within("accept", accepting).await.unwrap().unwrap();
    let remotes = client.remotes().clone();
    (client, remotes, conn)
}

/// The wire id of a remote of `deep`: its position in the interface, as `accept_with` announced it.
fn deep_id(name: &str, kind: RemoteKind, direction: Direction) -> u32 {
    let remotes = deep::interface().remotes();
    let position = remotes.iter().position(|r| r.name == name && r.kind == kind && r.direction == direction);
    u32::try_from(position.expect("declared")).unwrap()
}

// A hostile server answers a client's call with a reply 10^5 levels deep: the call settles InvalidResult.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_reply_from_a_server_is_an_invalid_result() {
    let (client, remotes, mut server) = client_of_raw_server().await;
    let (reports, mut bad_responses) = mpsc::unbounded_channel();
    client.on_bad_response(move |report| {
        let _ = reports.send(report.reason.clone());
    });
    let simplify = deep_id("simplify", RemoteKind::Function, Direction::ToServer);
    let call = tokio::spawn(remotes.functions.simplify.invoke(Expr::Lit(1)));
    let request = next(&mut server).await.unwrap();
    assert!(matches!(request, RawMessage::Request { remote, .. } if remote == simplify), "{request:?}");
    let mut reply = vec![0];
    reply.extend_from_slice(&negs(100_000, 1)[1..]);
    server.send_frame(kinds::REPLY_OK, &reply).await.unwrap();
    assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::InvalidResult));
    let reason = within("bad-response report", bad_responses.recv()).await.unwrap();
    assert!(reason.contains("levels deep"), "{reason}");
    // The client keeps working.
    let call = tokio::spawn(remotes.functions.simplify.invoke(Expr::Lit(1)));
    next(&mut server).await.unwrap();
    let mut reply = vec![0];
    reply.extend(encode(&Expr::Lit(2)));
    server.send_frame(kinds::REPLY_OK, &reply).await.unwrap();
    assert_eq!(within("call", call).await.unwrap(), Ok(Expr::Lit(2)));
    assert!(client.is_connected());
}

// A hostile server sends a client a deep request and a deep event: BadRequest and dropped; the client keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_requests_and_events_to_a_client_are_refused() {
    let (client, remotes, mut server) = client_of_raw_server().await;
    let (reports, mut bad_requests) = mpsc::unbounded_channel();
    client.on_bad_request(move |report| {
        let _ = reports.send((report.remote, report.reason.clone()));
    });
    remotes.functions.check.set_callback(|expr| async move { eval(&expr) > 0 });
    let (values, mut shown) = mpsc::unbounded_channel();
    remotes.events.shown.connect(move |expr| {
        let values = values.clone();
        async move {
            let _ = values.send(eval(&expr));
        }
    });
    let check = deep_id("check", RemoteKind::Function, Direction::ToClient);
    let shown_id = deep_id("shown", RemoteKind::Event, Direction::ToClient);
    for (call, levels) in [100_000, 1_000_000].into_iter().enumerate() {
        let call = call as u32 * 2;
        server.send_event(shown_id, &negs(levels, 1)).await.unwrap();
        let (remote, reason) = within("event report", bad_requests.recv()).await.unwrap();
        assert_eq!(remote, "shown");
        assert!(reason.contains("levels deep"), "{reason}");
        server.send_request(check, None, &negs(levels, 1)).await.unwrap();
        let reply = next(&mut server).await;
        assert_eq!(reply, Some(RawMessage::ReplyErr { call, error: FunctionError::BadRequest }));
        let (remote, reason) = within("request report", bad_requests.recv()).await.unwrap();
        assert_eq!(remote, "check");
        assert!(reason.contains("levels deep"), "{reason}");
        server.send_request(check, None, &negs(2, 4)).await.unwrap();
        let reply = next(&mut server).await;
        assert_eq!(reply, Some(RawMessage::ReplyOk { call: call + 1, value: encode(&true) }));
    }
    server.send_event(shown_id, &negs(DEEPEST, 8)).await.unwrap();
    assert_eq!(within("event at the limit", shown.recv()).await, Some(negs_value(DEEPEST, 8)));
    assert!(client.is_connected());
}
