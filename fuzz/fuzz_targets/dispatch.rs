//! The dispatcher of a live in-process server, on arbitrary bytes sent after a valid handshake. After the bytes, a
//! valid call on a fresh connection must still be answered: no input may hurt the server or another player.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use remotes_runtime::testing::{RawClient, RawMessage, encode_args};
use remotes_runtime::{Direction, Player, RemoteKind, Server, remotes};

#[remotes]
pub mod net {
    pub trait ServerFunctions {
        fn echo(#[remote(len = ..=64)] text: String) -> String;
        fn add(a: u32, #[remote(range = 1..=99)] b: u8) -> u32;
        fn scale(factor: f64) -> f64;
    }
    pub trait ServerEvents {
        fn chat(text: String);
        fn path(#[remote(len = ..=8)] points: Vec<(i32, i32)>);
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Server<net::Api>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let server = runtime.block_on(async {
            let server = Server::builder().max_frame_len(64 << 10).in_memory::<net::Api>();
            let remotes = server.remotes().clone();
            remotes.functions.echo.set_callback(|_player: Player, text| async move { text });
            remotes.functions.add.set_callback(|_player: Player, a, b| async move { a.wrapping_add(u32::from(b)) });
            remotes.functions.scale.set_callback(|_player: Player, factor| async move { factor * 2.0 });
            remotes.events.chat.connect(|_player: Player, _text| async move {});
            remotes.events.path.connect(|_player: Player, _points| async move {});
            server.start();
            server
        });
        Fixture { runtime, server }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    fixture.runtime.block_on(async {
        let mut hostile = RawClient::connect_in_memory(&fixture.server);
        if hostile.handshake().await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_millis(50), hostile.send_bytes(data)).await;
        }
        drop(hostile);
        let mut honest = RawClient::connect_in_memory(&fixture.server);
        let welcome = honest.handshake().await.expect("the server still accepts clients");
        let echo = welcome.id_of("echo", RemoteKind::Function, Direction::ToServer).expect("declared");
        honest.send_request(echo, None, &encode_args(&("still here".to_string(),))).await.expect("send");
        let reply = tokio::time::timeout(Duration::from_secs(5), honest.recv_matching(|m| matches!(m, RawMessage::ReplyOk { .. })))
            .await
            .expect("the server still answers")
            .expect("read");
        assert!(reply.is_some(), "the honest call was not answered");
    });
});
