//! The in-process transport: two one-way in-memory pipes, no sockets. Frames, the handshake, ordering, limits and
//! every error are exactly as over TCP, because the same connection code runs on both ends.

use tokio::io::{ReadHalf, SimplexStream, WriteHalf};

/// One end of an in-process connection.
pub(crate) struct MemoryEnd {
    pub(crate) reader: ReadHalf<SimplexStream>,
    pub(crate) writer: WriteHalf<SimplexStream>,
}

/// Creates a connected pair: `(client end, server end)`. Each pipe buffers up to `capacity` bytes; a writer that
/// gets ahead of its reader waits, as it would on a socket.
pub(crate) fn pair(capacity: usize) -> (MemoryEnd, MemoryEnd) {
    let (server_reader, client_writer) = tokio::io::simplex(capacity);
    let (client_reader, server_writer) = tokio::io::simplex(capacity);
    (
        MemoryEnd { reader: client_reader, writer: client_writer },
        MemoryEnd { reader: server_reader, writer: server_writer },
    )
}
