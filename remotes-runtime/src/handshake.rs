//! The handshake: the client's `HELLO`, the server's `WELCOME` (or `REJECT`), before any remote is reachable.
//! Both halves run under the handshake deadline.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::ConnectError;
use crate::wire::frame::{put_frame, split_frame};
use crate::wire::message::{Hello, Message, PROTOCOL_VERSION, Reject, Welcome, decode_map, encode_map, kind};

/// Reads one whole frame body, with bytes read past it left in `buf`.
pub(crate) async fn read_frame<Rd: AsyncRead + Unpin>(
    reader: &mut Rd,
    buf: &mut BytesMut,
    max: usize,
) -> Result<Bytes, ConnectError> {
    loop {
        match split_frame(buf, max) {
            Ok(Some(body)) => return Ok(body),
            Ok(None) => {}
            Err(error) => return Err(ConnectError::Protocol(error.to_string())),
        }
        buf.reserve(256);
        if reader.read_buf(buf).await? == 0 {
            return Err(ConnectError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
    }
}

/// Writes one frame directly (the outbox does not exist yet).
pub(crate) async fn write_frame<Wr: AsyncWrite + Unpin>(
    writer: &mut Wr,
    kind: u8,
    payload: &[u8],
) -> std::io::Result<()> {
    let mut out = BytesMut::new();
    put_frame(&mut out, kind, &[], payload);
    writer.write_all(&out).await?;
    writer.flush().await
}

/// The client's half: sends `HELLO`, returns the server's `WELCOME` and any bytes read past it.
pub(crate) async fn client<Rd, Wr>(
    reader: &mut Rd,
    writer: &mut Wr,
    hello: &Hello,
    max_frame: usize,
) -> Result<(Welcome, BytesMut), ConnectError>
where
    Rd: AsyncRead + Unpin,
    Wr: AsyncWrite + Unpin,
{
    write_frame(writer, kind::HELLO, &encode_map(hello)).await?;
    let mut buf = BytesMut::new();
    let body = read_frame(reader, &mut buf, max_frame).await?;
    match Message::parse(body) {
        Ok(Message::Welcome(map)) => {
            let welcome: Welcome = decode_map(&map).map_err(ConnectError::Protocol)?;
            if welcome.protocol != PROTOCOL_VERSION {
                return Err(ConnectError::VersionMismatch { client: PROTOCOL_VERSION, server: welcome.protocol });
            }
            Ok((welcome, buf))
        }
        Ok(Message::Reject(map)) => {
            let reject: Reject = decode_map(&map).map_err(ConnectError::Protocol)?;
            if reject.protocol != PROTOCOL_VERSION {
                return Err(ConnectError::VersionMismatch { client: PROTOCOL_VERSION, server: reject.protocol });
            }
            Err(ConnectError::Rejected { reason: reject.reason })
        }
        Ok(_) => Err(ConnectError::Protocol("expected WELCOME or REJECT".into())),
        Err(error) => Err(ConnectError::Protocol(error.to_string())),
    }
}

/// The server's half, up to deciding: reads and checks `HELLO`. A client speaking another protocol version is
/// sent `REJECT` with the reason.
pub(crate) async fn server_hello<Rd, Wr>(
    reader: &mut Rd,
    writer: &mut Wr,
    buf: &mut BytesMut,
    max_frame: usize,
) -> Result<Hello, ConnectError>
where
    Rd: AsyncRead + Unpin,
    Wr: AsyncWrite + Unpin,
{
    let body = read_frame(reader, buf, max_frame).await?;
    let hello: Hello = match Message::parse(body) {
        Ok(Message::Hello(map)) => decode_map(&map).map_err(ConnectError::Protocol)?,
        Ok(_) => return Err(ConnectError::Protocol("expected HELLO".into())),
        Err(error) => return Err(ConnectError::Protocol(error.to_string())),
    };
    if hello.protocol != PROTOCOL_VERSION {
        let reason = format!("this server speaks protocol version {PROTOCOL_VERSION}, the client {}", hello.protocol);
        reject(writer, reason).await;
        return Err(ConnectError::VersionMismatch { client: hello.protocol, server: PROTOCOL_VERSION });
    }
    Ok(hello)
}

/// Sends `REJECT` with `reason` (best effort: the connection closes right after).
pub(crate) async fn reject<Wr: AsyncWrite + Unpin>(writer: &mut Wr, reason: String) {
    let reject = Reject { protocol: PROTOCOL_VERSION, reason };
    let _ = write_frame(writer, kind::REJECT, &encode_map(&reject)).await;
}

/// A duration announced in milliseconds, with 0 read as "not given" (the receiver's own default then applies).
pub(crate) fn announced(ms: u32, fallback: Duration) -> Duration {
    if ms == 0 { fallback } else { Duration::from_millis(ms.into()) }
}

/// A maximum frame length announced by the peer, with 0 read as "not given" (this side's own maximum applies).
pub(crate) fn announced_max_frame(max: u32, fallback: usize) -> usize {
    if max == 0 { fallback } else { max as usize }
}
