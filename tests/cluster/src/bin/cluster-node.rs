//! One cluster node in its own process, for the test that kills a node mid-call (`kill -9`, no goodbye):
//! `cluster-node NATS_URL CLUSTER tcp|ws` serves `net` and prints `ready <port>` once it listens.

use remotes_cluster_tests::{net, settings};
use remotes_runtime::Server;
use remotes_runtime::cluster::Nats;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, cluster, transport] = &args[..] else {
        eprintln!("usage: cluster-node NATS_URL CLUSTER tcp|ws");
        std::process::exit(2);
    };
    let nats = Nats::connect(url).await.expect("connect to NATS");
    let builder = Server::builder().cluster(nats, cluster).cluster_settings(settings());
    let server = match transport.as_str() {
        "ws" => builder.bind_websocket::<net::Api>("127.0.0.1:0").await,
        _ => builder.bind::<net::Api>("127.0.0.1:0").await,
    }
    .expect("bind");
    server.start();
    println!("ready {}", server.local_addr().expect("a listener").port());
    std::future::pending::<()>().await;
}
