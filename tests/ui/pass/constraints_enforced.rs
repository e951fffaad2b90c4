//! The generated checks run: on the sending side before anything is sent, on the receiving side before middleware
//! and callback; middleware sees the arguments after validation and may change them.
#![deny(missing_docs, warnings)]

use remotes_runtime::testing::{RawClient, RawMessage, encode_args};
use remotes_runtime::{Client, Direction, FunctionError, Reject, RemoteKind, Server, remotes};

/// Refuses rude names.
pub fn polite(name: &str) -> Result<(), String> {
    if name.contains("heck") { Err(format!("{name:?} is rude")) } else { Ok(()) }
}

/// The remotes under test.
#[remotes]
pub mod net {
    use super::*;

    /// Handled by the server.
    pub trait ServerFunctions {
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> u8;
        fn rename(#[remote(len = 3..=20, validate = polite)] name: String) -> String;
        fn aim(angle: f32, #[remote(allow_non_finite)] spin: f64) -> bool;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = Server::builder().in_memory::<net::Api>();
    server.start();
    let remotes = server.remotes().clone();
    remotes.functions.buy_item.set_callback(|_player, _item, quantity| async move { quantity });
    remotes.functions.buy_item.middleware(|_player, (item, quantity)| async move {
        if item == 13 { Err(Reject::new("unlucky")) } else { Ok((item, quantity.min(10))) }
    });
    remotes.functions.rename.set_callback(|_player, name| async move { name });
    remotes.functions.aim.set_callback(|_player, _angle, spin| async move { spin.is_nan() });

    let client = Client::connect_in_memory(&server).await.expect("connect");
    let net = client.remotes().clone();
    let functions = &net.functions;

    // In range, then capped by the middleware; refused by the middleware.
    assert_eq!(functions.buy_item.invoke(1, 5).await, Ok(5));
    assert_eq!(functions.buy_item.invoke(1, 50).await, Ok(10));
    assert_eq!(functions.buy_item.invoke(13, 5).await, Err(FunctionError::Cancelled));
    // Out of range: refused by the sender's own check.
    assert_eq!(functions.buy_item.invoke(1, 0).await, Err(FunctionError::BadRequest));
    assert_eq!(functions.buy_item.invoke(1, 100).await, Err(FunctionError::BadRequest));
    // Length and custom check.
    assert_eq!(functions.rename.invoke("bob".into()).await, Ok("bob".to_string()));
    assert_eq!(functions.rename.invoke("al".into()).await, Err(FunctionError::BadRequest));
    assert_eq!(functions.rename.invoke("what the heck".into()).await, Err(FunctionError::BadRequest));
    // Floats are finite unless allowed.
    assert_eq!(functions.aim.invoke(1.0, f64::NAN).await, Ok(true));
    assert_eq!(functions.aim.invoke(f32::INFINITY, 0.0).await, Err(FunctionError::BadRequest));

    // The server checks too, whatever a client sends.
    let mut raw = RawClient::connect_in_memory(&server);
    let welcome = raw.handshake().await.expect("handshake");
    let buy_item = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).expect("buy_item");
    raw.send_request(buy_item, None, &encode_args(&(1u32, 0u8))).await.expect("send");
    let reply = raw.recv().await.expect("reply");
    assert_eq!(reply, Some(RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest }));
}
