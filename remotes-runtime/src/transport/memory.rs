//! The in-process transport: a pair of in-memory byte pipes, no sockets. Frames, the handshake, ordering, limits and
//! every error are exactly as over TCP, because the same connection code runs on both ends. Dropping one end closes
//! the connection for the other, as closing a socket would.

use tokio::io::{DuplexStream, ReadHalf, WriteHalf};

/// One end of an in-process connection.
pub(crate) struct MemoryEnd {
    pub(crate) reader: ReadHalf<DuplexStream>,
    pub(crate) writer: WriteHalf<DuplexStream>,
}

/// Creates a connected pair: `(client end, server end)`. Each direction buffers up to `capacity` bytes; a writer that
/// gets ahead of its reader waits, as it would on a socket.
pub(crate) fn pair(capacity: usize) -> (MemoryEnd, MemoryEnd) {
    let (client, server) = tokio::io::duplex(capacity);
    let (client_reader, client_writer) = tokio::io::split(client);
    let (server_reader, server_writer) = tokio::io::split(server);
    (
        MemoryEnd { reader: client_reader, writer: client_writer },
        MemoryEnd { reader: server_reader, writer: server_writer },
    )
}
