//! TCP: `TCP_NODELAY` on every stream (the outbox batches frames itself, so Nagle would only add latency), and on
//! Linux `TCP_NOTSENT_LOWAT`: the kernel keeps at most `NOT_SENT_LOW_WATER` bytes queued that it has not sent, so
//! frames wait in the outbox (where the caps apply) rather than in megabytes of kernel buffer, and the writer sees a
//! slow peer's reading as it happens: the slow-peer rule then judges reading, not the size of the kernel's buffer.

use std::io;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

/// Connects to `addr` and returns the two halves of the stream.
pub(crate) async fn connect(
    addr: impl ToSocketAddrs,
) -> io::Result<(tokio::net::tcp::OwnedReadHalf, tokio::net::tcp::OwnedWriteHalf)> {
    Ok(connect_stream(addr).await?.into_split())
}

/// Connects to `addr`, configured (see the module docs), for a transport on top of TCP.
pub(crate) async fn connect_stream(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    configure(&stream)?;
    Ok(stream)
}

/// Bytes the kernel may hold unsent per stream before it reports the stream not writable (Linux).
const NOT_SENT_LOW_WATER: u32 = 128 << 10;

/// Sets the options of every stream (see the module docs).
fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    socket2::SockRef::from(stream).set_tcp_notsent_lowat(NOT_SENT_LOW_WATER)?;
    Ok(())
}

/// Accepts the next stream, configured (see the module docs), with its peer's address. Accept errors are per
/// connection (the peer reset before it was accepted) or resource exhaustion (too many open files): they are logged
/// and the listener pauses briefly, so a persistent error does not spin.
pub(crate) async fn accept(listener: &TcpListener) -> (TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                if let Err(error) = configure(&stream) {
                    tracing::debug!(%addr, %error, "could not set the stream's options");
                }
                return (stream, addr);
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}
