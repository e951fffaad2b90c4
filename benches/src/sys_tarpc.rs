//! tarpc 0.38: TCP with its serde transport and bincode (`TCP_NODELAY` on both ends), and its in-memory channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::Bincode;
use tarpc::{client, context};

use crate::Transport;
use crate::harness::{Lengths, LoadResult, drive};
use crate::proto::{Bench, BenchClient, BenchServer, request};

/// Serves one tarpc channel: each request in a task of its own, as tarpc's examples do.
fn serve<T>(transport: T)
where
    T: tarpc::Transport<tarpc::Response<crate::proto::BenchResponse>, tarpc::ClientMessage<crate::proto::BenchRequest>>
        + Send
        + 'static,
{
    let channel = BaseChannel::with_defaults(transport);
    tokio::spawn(channel.execute(BenchServer.serve()).for_each(|response| async move {
        tokio::spawn(response);
    }));
}

/// A TCP server on 127.0.0.1; counts the connections it accepted.
pub async fn tcp_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let mut incoming =
        tarpc::serde_transport::tcp::listen("127.0.0.1:0", Bincode::default).await.expect("bind 127.0.0.1");
    incoming.config_mut().max_frame_length(usize::MAX);
    let addr = incoming.local_addr();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Some(transport) = incoming.next().await {
            let Ok(transport) = transport else { continue };
            transport.get_ref().set_nodelay(true).expect("nodelay");
            count.fetch_add(1, Ordering::Relaxed);
            serve(transport);
        }
    });
    (addr, accepted)
}

/// A client over TCP.
pub async fn tcp_client(addr: std::net::SocketAddr) -> BenchClient {
    let mut connect = tarpc::serde_transport::tcp::connect(addr, Bincode::default);
    connect.config_mut().max_frame_length(usize::MAX);
    let transport = connect.await.expect("connect");
    transport.get_ref().set_nodelay(true).expect("nodelay");
    BenchClient::new(client::Config::default(), transport).spawn()
}

/// A client over tarpc's in-memory channel, with its own server channel.
pub fn memory_client() -> BenchClient {
    let (client_end, server_end) = tarpc::transport::channel::unbounded();
    serve(server_end);
    BenchClient::new(client::Config::default(), client_end).spawn()
}

/// `clients` x `in_flight` calls.
pub async fn client_to_server(transport: Transport, clients: usize, in_flight: usize, lengths: Lengths) -> LoadResult {
    let mut handles = Vec::new();
    match transport {
        Transport::Tcp => {
            let (addr, _) = tcp_server().await;
            for _ in 0..clients {
                handles.push(tcp_client(addr).await);
            }
        }
        Transport::WebSocket | Transport::Tls => unimplemented!("tarpc runs over TCP and in-process here"),
        Transport::Memory => {
            for _ in 0..clients {
                handles.push(memory_client());
            }
        }
    }
    let req = request();
    drive(&handles, in_flight, lengths, move |c: BenchClient| {
        let req = req.clone();
        async move { c.work(context::current(), req).await.is_ok() }
    })
    .await
}
