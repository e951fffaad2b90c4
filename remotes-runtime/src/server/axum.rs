//! Serving remotes on a route of an axum app (feature `axum`): the app's HTTP server (hyper 1) answers the
//! WebSocket upgrade, and the upgraded connection joins the server as a standalone WebSocket listener's would, under
//! the same limits and handshake deadline.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use axum::routing::{MethodRouter, get};
use hyper_util::rt::TokioIo;

use super::{Server, ServerShared};
use crate::api::Api;
use crate::transport::websocket;

impl<A: Api> Server<A> {
    /// A route that serves this server's remotes over WebSocket, to mount on an axum `Router` next to the app's own
    /// routes (feature `axum`). Clients connect with the route's `ws://` (or, behind TLS, `wss://`) URL. A request
    /// that is not a WebSocket upgrade is answered `426 Upgrade Required`. Per-address connection limits apply when
    /// the app is served with `into_make_service_with_connect_info::<SocketAddr>()`; otherwise only the total does.
    ///
    /// ```no_run
    /// # use remotes_runtime::{remotes, Server};
    /// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
    /// # async fn demo() -> std::io::Result<()> {
    /// use axum::{Router, routing::get};
    ///
    /// let server = Server::builder().in_memory::<net::Api>();
    /// let app = Router::new().route("/", get(|| async { "the game's page" })).route("/remotes", server.axum_route());
    /// server.start();
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
    /// axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    /// # }
    /// ```
    pub fn axum_route<S: Clone + Send + Sync + 'static>(&self) -> MethodRouter<S> {
        let server = Arc::clone(&self.shared);
        get(move |request: Request<Body>| upgrade(Arc::clone(&server), request))
    }
}

/// Answers one request: `101` and the connection handed to the server, or an HTTP error.
async fn upgrade(server: Arc<ServerShared>, mut request: Request<Body>) -> Response<Body> {
    let Some(key) = upgrade_key(request.headers()) else {
        return plain(
            StatusCode::UPGRADE_REQUIRED,
            "this route speaks the remotes protocol over WebSocket: send a WebSocket upgrade request\n",
        );
    };
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let Some(slot) = server.admit(address.map(|address| address.ip())) else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "the server is at its connection limit\n");
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    let max_frame = server.config.max_frame_len;
    let open = async move {
        let upgraded = on_upgrade.await.map_err(|error| format!("the upgrade failed: {error}"))?;
        Ok(websocket::upgraded(TokioIo::new(upgraded), max_frame).await)
    };
    let peer = address.map_or_else(|| "websocket route".to_string(), |address| address.to_string());
    server.spawn_opening(open, peer, slot);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&websocket::accept_key(key.as_bytes())) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// The request's `Sec-WebSocket-Key`, if it is a WebSocket upgrade request (RFC 6455, section 4.2.1).
fn upgrade_key(headers: &HeaderMap) -> Option<String> {
    let has = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
    };
    let version = headers.get(header::SEC_WEBSOCKET_VERSION).is_some_and(|v| v == "13");
    if !(has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket") && version) {
        return None;
    }
    headers.get(header::SEC_WEBSOCKET_KEY)?.to_str().ok().map(str::to_string)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if status == StatusCode::UPGRADE_REQUIRED {
        response.headers_mut().insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    }
    response
}
