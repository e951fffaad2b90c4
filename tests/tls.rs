//! TLS on TCP and WebSocket: a good certificate works, and each way a connection can fail is a typed
//! `ConnectError` naming the cause.

mod common;

use common::certs::Authority;
use common::{Harness, Transport, net, within};
use remotes_runtime::{Client, ConnectError, Server, TlsFailure};

/// A started TLS server of `net` on TCP (or WebSocket), answering `echo`.
async fn tls_server(tls: remotes_runtime::tls::ServerTls, websocket: bool) -> Harness {
    let builder = Server::builder().tls(tls);
    let server = match websocket {
        false => builder.bind::<net::Api>("127.0.0.1:0").await.unwrap(),
        true => builder.bind_websocket::<net::Api>("127.0.0.1:0").await.unwrap(),
    };
    server.start();
    let remotes = server.remotes().clone();
    remotes.functions.echo.set_callback(|_player, text| async move { text });
    let transport = if websocket { Transport::WebSocket } else { Transport::Tcp };
    Harness { server, remotes, transport }
}

fn localhost(h: &Harness) -> String {
    format!("localhost:{}", h.server.local_addr().unwrap().port())
}

async fn echo(client: &Client<net::Api>) {
    let remotes = client.remotes();
    assert_eq!(within("echo", remotes.functions.echo.invoke("secret".into())).await, Ok("secret".to_string()));
}

#[tokio::test]
async fn a_good_certificate_serves_tcp_and_wss() {
    let ca = Authority::new();
    let tcp = tls_server(ca.server("localhost"), false).await;
    let client = Client::builder().tls(ca.client()).connect_tls::<net::Api>(&localhost(&tcp)).await.unwrap();
    echo(&client).await;
    // Reconnecting keeps TLS.
    client.close();
    echo(&within("reconnect", client.reconnect()).await.unwrap()).await;

    let ws = tls_server(ca.server("localhost"), true).await;
    let url = format!("wss://{}/remotes", localhost(&ws));
    let client = Client::builder().tls(ca.client()).connect_websocket::<net::Api>(&url).await.unwrap();
    echo(&client).await;
}

#[tokio::test]
async fn each_certificate_failure_is_named() {
    let ca = Authority::new();
    for websocket in [false, true] {
        let connect = |h: &Harness, tls| {
            let builder = Client::builder().tls(tls);
            let (addr, url) = (localhost(h), format!("wss://{}/", localhost(h)));
            async move {
                match websocket {
                    false => builder.connect_tls::<net::Api>(&addr).await,
                    true => builder.connect_websocket::<net::Api>(&url).await,
                }
            }
        };
        let expired = tls_server(ca.expired("localhost"), websocket).await;
        let outcome = connect(&expired, ca.client()).await;
        assert!(matches!(outcome, Err(ConnectError::Tls(TlsFailure::Expired))), "{outcome:?}");

        let elsewhere = tls_server(ca.server("game.example"), websocket).await;
        let outcome = connect(&elsewhere, ca.client()).await;
        assert!(
            matches!(&outcome, Err(ConnectError::Tls(TlsFailure::WrongName(host))) if host == "localhost"),
            "{outcome:?}"
        );

        let good = tls_server(ca.server("localhost"), websocket).await;
        let outcome = connect(&good, Authority::new().client()).await;
        assert!(matches!(outcome, Err(ConnectError::Tls(TlsFailure::Untrusted))), "{outcome:?}");
        // None of this disturbed the server.
        echo(&connect(&good, ca.client()).await.unwrap()).await;
    }
}

#[tokio::test]
async fn a_plaintext_client_on_a_tls_port_is_told_so() {
    let ca = Authority::new();
    let tcp = tls_server(ca.server("localhost"), false).await;
    let outcome = Client::connect::<net::Api>(tcp.server.local_addr().unwrap()).await;
    match outcome {
        Err(ConnectError::Rejected { reason }) => assert_eq!(reason, "this server requires TLS"),
        other => panic!("expected a rejection naming TLS, got {other:?}"),
    }
    let ws = tls_server(ca.server("localhost"), true).await;
    let outcome = Client::builder().connect_websocket::<net::Api>(&format!("ws://{}/", localhost(&ws))).await;
    assert!(matches!(&outcome, Err(ConnectError::WebSocket(reason)) if reason.contains("400")), "{outcome:?}");
    // The TLS clients are still served.
    let client = Client::builder().tls(ca.client()).connect_tls::<net::Api>(&localhost(&tcp)).await.unwrap();
    echo(&client).await;
}

#[tokio::test]
async fn a_tls_client_on_a_plaintext_port_is_told_so() {
    let ca = Authority::new();
    let plain = Harness::new(Transport::Tcp).await;
    let addr = format!("localhost:{}", plain.server.local_addr().unwrap().port());
    let outcome = Client::builder().tls(ca.client()).connect_tls::<net::Api>(&addr).await;
    assert!(matches!(outcome, Err(ConnectError::Tls(TlsFailure::NotTls))), "{outcome:?}");
}
