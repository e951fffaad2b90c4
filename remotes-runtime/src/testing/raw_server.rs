//! [`RawServer`]: the server side of the raw protocol, to play a hostile or dead server against a real client.

use std::io;

use super::raw_client::to_io;
use super::{RAW_MAX_FRAME, RawClient};
use crate::config::{DEFAULT_MAX_FRAME_LEN, DEFAULT_TIMEOUT, millis};
use crate::handshake::read_frame;
use crate::interface::RemoteDef;
use crate::wire::message::{Message, PROTOCOL_VERSION, Welcome, WireRemote, encode_map, kind};

/// A server that speaks the wire protocol frame by frame: it completes the handshake with an empty interface and
/// then does only what the test makes it do (for example, nothing at all, to play a dead server).
#[derive(Debug)]
pub struct RawServer {
    listener: tokio::net::TcpListener,
}

impl RawServer {
    /// Listens on a free port of 127.0.0.1.
    pub async fn bind() -> io::Result<RawServer> {
        Ok(RawServer { listener: tokio::net::TcpListener::bind("127.0.0.1:0").await? })
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts one client and answers its `HELLO` with a `WELCOME` naming it player `player_id`, with no remotes.
    /// The connection is returned as a [`RawClient`], whose methods send and read frames either way.
    pub async fn accept(&self, player_id: u64) -> io::Result<RawClient> {
        self.accept_with(player_id, &[]).await
    }

    /// Like [`accept`](Self::accept), announcing `remotes` as the server's table (usually
    /// `net::interface().remotes()`): a remote's position in `remotes` is its wire id, both ways, so the client can
    /// call the server's functions and the raw server can send it requests and events.
    pub async fn accept_with(&self, player_id: u64, remotes: &[RemoteDef]) -> io::Result<RawClient> {
        let (stream, _) = self.listener.accept().await?;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        let mut conn = RawClient::from_halves(reader, writer);
        let body = read_frame(&mut conn.reader, &mut conn.buf, RAW_MAX_FRAME).await.map_err(to_io)?;
        if !matches!(Message::parse(body), Ok(Message::Hello(_))) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "expected HELLO"));
        }
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            player: player_id,
            timeout_ms: millis(DEFAULT_TIMEOUT),
            max_frame: DEFAULT_MAX_FRAME_LEN as u32,
            remotes: remotes.iter().map(WireRemote::from_def).collect(),
        };
        conn.send_frame(kind::WELCOME, &encode_map(&welcome)).await?;
        Ok(conn)
    }
}
