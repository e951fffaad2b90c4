//! jsonrpsee 0.26 over WebSocket: its server (`jsonrpsee::server`, WebSocket and HTTP on one port, as it ships) and
//! its WebSocket client (`jsonrpsee-ws-client`, without TLS), `TCP_NODELAY` on both ends (their default). The method
//! is registered with `register_method`, the synchronous kind, which jsonrpsee runs without spawning a task: its
//! fastest path (remotes' callback is async).

use std::sync::Arc;

use jsonrpsee::RpcModule;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::ArrayParams;
use jsonrpsee::server::{Server, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};

use crate::harness::{Lengths, LoadResult, drive};
use crate::proto::{Ack, Req, handle, request};

/// A server on 127.0.0.1 whose `work` answers every request.
pub async fn server() -> (std::net::SocketAddr, ServerHandle) {
    let server = Server::builder().build("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = server.local_addr().expect("local addr");
    let mut module = RpcModule::new(());
    module
        .register_method("work", |params, _, _| {
            let req: Req = params.one()?;
            Ok::<Ack, ErrorObjectOwned>(handle(&req))
        })
        .expect("register work");
    (addr, server.start(module))
}

/// A WebSocket client of `addr`.
pub async fn client(addr: std::net::SocketAddr) -> WsClient {
    WsClientBuilder::default().build(format!("ws://{addr}")).await.expect("connect")
}

/// `clients` x `in_flight` calls over WebSocket.
pub async fn client_to_server(clients: usize, in_flight: usize, lengths: Lengths) -> LoadResult {
    let (addr, server) = server().await;
    let mut handles = Vec::new();
    for _ in 0..clients {
        handles.push(Arc::new(client(addr).await));
    }
    let req = request();
    let result = drive(&handles, in_flight, lengths, move |c: Arc<WsClient>| {
        let req = req.clone();
        async move {
            let mut params = ArrayParams::new();
            if params.insert(req).is_err() {
                return false;
            }
            c.request::<Ack, _>("work", params).await.is_ok()
        }
    })
    .await;
    drop(handles);
    let _ = server.stop();
    result
}
