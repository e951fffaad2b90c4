//! Replies cannot reach the wrong call (issue #11, point 4). A reply names its call by slot (PROTOCOL.md section 6),
//! so a reply frame the caller cannot account for would shift every later reply onto another call: such a frame
//! closes the connection, its pending calls settle `Disconnected` at once, and the log names the cause. The property
//! test (in `replies/property.rs`) mixes such frames with every frame that keeps the accounting consistent.

mod common;

#[path = "replies/property.rs"]
mod property;

use std::time::Duration;

use common::{Harness, Logs, Transport, eventually, net, within};
use remotes_runtime::testing::{RawClient, RawMessage, RawServer, encode, kinds};
use remotes_runtime::{Client, FunctionError};

/// Long enough that a call settling `Timeout` here would be a bug, not a slow machine.
const PATIENT: Duration = Duration::from_secs(60);

/// A raw server that announced `net`, and a real client of `net` connected to it.
pub async fn raw_server_and_client() -> (RawClient, Client<net::Api>, net::client::Remotes) {
    let server = RawServer::bind().await.expect("bind");
    let connecting = tokio::spawn(Client::connect::<net::Api>(server.local_addr().expect("address")));
    let raw = within("accept", server.accept_with(1, net::interface().remotes())).await.expect("accept");
    let client = within("connect", connecting).await.expect("connect task").expect("connect");
    let remotes = client.remotes().clone();
    (raw, client, remotes)
}

/// The next request the raw end receives, skipping keepalive frames.
pub async fn next_request(raw: &mut RawClient) -> (u32, Vec<u8>) {
    match within("request", raw.recv_matching(|m| matches!(m, RawMessage::Request { .. }))).await {
        Ok(Some(RawMessage::Request { remote, args, .. })) => (remote, args),
        other => panic!("expected a request, got {other:?}"),
    }
}

/// A reply body: the slot varint, then `rest`.
pub fn reply_body(slot: u32, rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut value = slot;
    while value >= 0x80 {
        body.push(value as u8 | 0x80);
        value >>= 7;
    }
    body.push(value as u8);
    body.extend_from_slice(rest);
    body
}

/// Three calls in flight, one answered out of order, then `frame`: the other two settle `Disconnected` (not
/// `Timeout`: their deadline is a minute away), the client closes, and a warning names `cause`.
async fn client_closes_on(kind: u8, body: &[u8], cause: &str) {
    let (logs, _guard) = Logs::capture();
    let (mut raw, client, remotes) = raw_server_and_client().await;
    let call = |text: &str| tokio::spawn(remotes.functions.echo.invoke(text.to_string()).timeout(PATIENT));
    let (a, b, c) = (call("a"), call("b"), call("c"));
    for text in ["a", "b", "c"] {
        assert_eq!(next_request(&mut raw).await.1, encode(&(text,)));
    }
    // Slot 1 is "b": the accounting is right up to the bad frame.
    raw.send_frame(kinds::REPLY_OK, &reply_body(1, &encode("b"))).await.unwrap();
    assert_eq!(within("b", b).await.unwrap(), Ok("b".to_string()));

    raw.send_frame(kind, body).await.unwrap();
    assert_eq!(within("a", a).await.unwrap(), Err(FunctionError::Disconnected));
    assert_eq!(within("c", c).await.unwrap(), Err(FunctionError::Disconnected));
    within("client closed", client.closed()).await;
    assert_eq!(within("raw sees the close", raw.recv_until_closed()).await.unwrap(), vec![]);
    assert_eq!(client.pending_calls(), 0);
    assert_eq!(remotes.functions.echo.invoke("late".into()).await, Err(FunctionError::Disconnected));
    let warnings = logs.lines_with(&["WARN", "closing this connection", cause]);
    assert_eq!(warnings.len(), 1, "one warning naming {cause:?}; logs:\n{}", logs.text());
}

#[tokio::test]
async fn reply_err_without_its_code_closes() {
    client_closes_on(kinds::REPLY_ERR, &reply_body(0, &[]), "REPLY_ERR holds 0 bytes after its slot").await;
}

#[tokio::test]
async fn reply_err_with_bytes_after_its_code_closes() {
    client_closes_on(kinds::REPLY_ERR, &reply_body(0, &[1, 1]), "REPLY_ERR holds 2 bytes after its slot").await;
}

#[tokio::test]
async fn reply_ok_with_a_cut_short_slot_closes() {
    client_closes_on(kinds::REPLY_OK, &[0x80], "message of kind 0x12 is malformed").await;
}

#[tokio::test]
async fn reply_err_with_a_cut_short_slot_closes() {
    client_closes_on(kinds::REPLY_ERR, &[0x80], "message of kind 0x13 is malformed").await;
}

#[tokio::test]
async fn reply_ok_without_a_slot_closes() {
    client_closes_on(kinds::REPLY_OK, &[], "message of kind 0x12 is malformed").await;
}

#[tokio::test]
async fn reply_with_a_slot_past_u32_closes() {
    client_closes_on(kinds::REPLY_OK, &[0xff, 0xff, 0xff, 0xff, 0x7f, 0xc0], "message of kind 0x12 is malformed").await;
}

#[tokio::test]
async fn reply_naming_no_outstanding_call_closes() {
    // Two calls are outstanding after "b" was answered: slot 2 is one past the end.
    let cause = "reply names slot 2, but only 2 of this side's calls are unanswered";
    client_closes_on(kinds::REPLY_ERR, &reply_body(2, &[1]), cause).await;
}

#[tokio::test]
async fn reply_before_any_call_closes() {
    let (logs, _guard) = Logs::capture();
    let (mut raw, client, _remotes) = raw_server_and_client().await;
    raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode("nobody asked"))).await.unwrap();
    within("client closed", client.closed()).await;
    let cause = "reply names slot 0, but only 0 of this side's calls are unanswered";
    assert_eq!(logs.lines_with(&["WARN", "closing this connection", cause]).len(), 1, "{}", logs.text());
}

/// Frames that keep the accounting consistent leave the connection open: an unknown error code consumes its slot
/// (`Unprocessed`), a late reply consumes the slot of a call that already timed out, a value of the wrong type
/// consumes its slot (`InvalidResult`), a malformed CANCEL names no slot at all. The next call gets its own value.
#[tokio::test]
async fn consistent_frames_keep_the_connection() {
    let (mut raw, client, remotes) = raw_server_and_client().await;
    let late = tokio::spawn(remotes.functions.echo.invoke("late".into()).timeout(Duration::from_millis(20)));
    let odd = tokio::spawn(remotes.functions.echo.invoke("odd".into()).timeout(PATIENT));
    let typed = tokio::spawn(remotes.functions.echo.invoke("typed".into()).timeout(PATIENT));
    for text in ["late", "odd", "typed"] {
        assert_eq!(next_request(&mut raw).await.1, encode(&(text,)));
    }
    assert_eq!(within("late", late).await.unwrap(), Err(FunctionError::Timeout));
    raw.send_frame(kinds::REPLY_ERR, &reply_body(1, &[0xee])).await.unwrap();
    assert_eq!(within("odd", odd).await.unwrap(), Err(FunctionError::Unprocessed));
    raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode("late"))).await.unwrap();
    raw.send_frame(kinds::CANCEL, &[0x80]).await.unwrap();
    raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode(&7u32))).await.unwrap();
    assert_eq!(within("typed", typed).await.unwrap(), Err(FunctionError::InvalidResult));

    let next = tokio::spawn(remotes.functions.echo.invoke("next".into()).timeout(PATIENT));
    assert_eq!(next_request(&mut raw).await.1, encode(&("next",)));
    raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode("next"))).await.unwrap();
    assert_eq!(within("next", next).await.unwrap(), Ok("next".to_string()));
    assert!(client.is_connected());
    assert_eq!(client.pending_calls(), 0);
}

/// The server side: a raw client that answers the server's call with a malformed reply loses its own connection,
/// and the server's calls to it settle `Disconnected`; another player, with a call of the server in flight across
/// the incident, keeps its connection and gets its answers.
#[tokio::test]
async fn a_player_that_breaks_the_accounting_is_closed_alone() {
    let (logs, _guard) = Logs::capture();
    let h = Harness::new(Transport::Tcp).await;
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    let (honest, honest_remotes) = h.client().await;
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let held = release.clone();
    honest_remotes.functions.confirm.set_callback(move |prompt: String| {
        let held = held.clone();
        async move {
            held.notified().await;
            prompt == "Sell?"
        }
    });
    let honest_player = h.player(&honest);
    let across = tokio::spawn(h.remotes.functions.confirm.invoke(&honest_player, "Sell?".into()).timeout(PATIENT));
    eventually("the honest client handles the call", || honest.calls_in_flight() == 1).await;

    let mut raw = h.raw().await;
    let welcome = raw.handshake().await.unwrap();
    let player = h.server.player(welcome.player_id).unwrap();
    let first = tokio::spawn(h.remotes.functions.confirm.invoke(&player, "one".into()).timeout(PATIENT));
    let second = tokio::spawn(h.remotes.functions.confirm.invoke(&player, "two".into()).timeout(PATIENT));
    next_request(&mut raw).await;
    next_request(&mut raw).await;
    raw.send_frame(kinds::REPLY_ERR, &reply_body(0, &[])).await.unwrap();
    assert_eq!(within("first", first).await.unwrap(), Err(FunctionError::Disconnected));
    assert_eq!(within("second", second).await.unwrap(), Err(FunctionError::Disconnected));
    within("raw closed", raw.recv_until_closed()).await.unwrap();
    eventually("the raw player is removed", || h.server.player(welcome.player_id).is_none()).await;
    assert!(!player.is_connected());
    let cause = format!("player {}", welcome.player_id);
    let warnings = logs.lines_with(&["WARN", "closing this connection", "REPLY_ERR holds 0 bytes", &cause]);
    assert_eq!(warnings.len(), 1, "{}", logs.text());

    // The honest player did not notice.
    release.notify_one();
    assert_eq!(within("across", across).await.unwrap(), Ok(true));
    assert_eq!(
        within("echo", honest_remotes.functions.echo.invoke("still here".into())).await,
        Ok("still here".into())
    );
    assert!(honest.is_connected() && honest_player.is_connected());
}

#[tokio::test]
async fn a_player_replying_to_no_call_is_closed() {
    let (logs, _guard) = Logs::capture();
    let h = Harness::new(Transport::Tcp).await;
    let mut raw = h.raw().await;
    let welcome = raw.handshake().await.unwrap();
    let player = h.server.player(welcome.player_id).unwrap();
    let call = tokio::spawn(h.remotes.functions.confirm.invoke(&player, "one".into()).timeout(PATIENT));
    next_request(&mut raw).await;
    raw.send_frame(kinds::REPLY_OK, &reply_body(5, &[0xc3])).await.unwrap();
    assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::Disconnected));
    within("raw closed", raw.recv_until_closed()).await.unwrap();
    let cause = "reply names slot 5, but only 1 of this side's calls are unanswered";
    assert_eq!(logs.lines_with(&["WARN", "closing this connection", cause]).len(), 1, "{}", logs.text());
}
