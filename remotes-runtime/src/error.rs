//! Error types: how a call settles when it does not succeed, and why a connection could not be made.

use std::io;

/// Why a remote function call did not produce a value.
///
/// Every call settles with exactly one outcome: the callee's return value or one of these.
/// The meaning of each variant is precise, so callers can react to each differently.
///
/// ```
/// use remotes_runtime::FunctionError;
///
/// fn describe(error: FunctionError) -> &'static str {
///     match error {
///         FunctionError::Timeout => "try again later",
///         FunctionError::Disconnected => "the other side is gone",
///         FunctionError::BadRequest | FunctionError::InvalidResult => "the two sides disagree",
///         FunctionError::Cancelled | FunctionError::Unprocessed => "the other side did not answer",
///     }
/// }
/// assert_eq!(describe(FunctionError::Timeout), "try again later");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum FunctionError {
    /// No reply arrived within the call's deadline. The pending call was removed; a late reply is dropped.
    #[error("the remote call timed out")]
    Timeout,
    /// The receiver refused the request (its middleware rejected it, a rate limit, or its limit of calls in flight)
    /// or abandoned it (shutdown).
    #[error("the receiver cancelled the remote call")]
    Cancelled,
    /// The receiver could not decode the arguments as the types it declares (wrong arity or type, trailing data),
    /// or the two sides declare this remote with different signatures.
    #[error("the receiver rejected the arguments of the remote call")]
    BadRequest,
    /// The caller could not decode the reply as the declared return type.
    #[error("the reply to the remote call did not decode as the declared return type")]
    InvalidResult,
    /// The receiver has no callback for this function, or the callback panicked.
    #[error("the receiver did not process the remote call")]
    Unprocessed,
    /// The connection closed before the reply arrived, or the target player is not connected.
    #[error("the connection closed before the remote call settled")]
    Disconnected,
}

impl FunctionError {
    /// The one-byte code this error travels as in a `REPLY_ERR` frame (see PROTOCOL.md).
    pub(crate) fn wire_code(self) -> u8 {
        match self {
            FunctionError::Cancelled => 1,
            FunctionError::BadRequest => 2,
            FunctionError::InvalidResult => 3,
            FunctionError::Unprocessed => 4,
            // Sent when the receiver stops a handler at the call's deadline (the caller has settled the call by
            // then, and drops this answer).
            FunctionError::Timeout => 5,
            // Never sent: a closed connection settles calls locally. Mapped for completeness.
            FunctionError::Disconnected => 6,
        }
    }

    /// The error a `REPLY_ERR` code stands for. Unknown codes count as `Unprocessed`.
    pub(crate) fn from_wire_code(code: u8) -> FunctionError {
        match code {
            1 => FunctionError::Cancelled,
            2 => FunctionError::BadRequest,
            3 => FunctionError::InvalidResult,
            5 => FunctionError::Timeout,
            6 => FunctionError::Disconnected,
            _ => FunctionError::Unprocessed,
        }
    }
}

/// Why [`Client::connect`](crate::Client::connect) (or a server's accept of one connection) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The transport failed: the address could not be reached, or the stream broke during the handshake.
    #[error("i/o error while connecting: {0}")]
    Io(#[from] io::Error),
    /// The WebSocket upgrade was refused or failed: the URL is not a `ws://` URL, the server answered the upgrade
    /// request with an HTTP error, or its answer was not a WebSocket upgrade.
    #[error("the WebSocket upgrade failed: {0}")]
    WebSocket(String),
    /// The TLS handshake failed (a client with TLS, `ClientBuilder::tls`).
    #[error("the TLS handshake failed: {0}")]
    Tls(TlsFailure),
    /// The handshake did not finish within the handshake timeout.
    #[error("the handshake did not finish in time")]
    HandshakeTimeout,
    /// The peer sent something that is not a valid handshake.
    #[error("protocol error during the handshake: {0}")]
    Protocol(String),
    /// The server speaks another protocol version.
    #[error("the server speaks protocol version {server}, this client speaks {client}")]
    VersionMismatch {
        /// The client's protocol version.
        client: u32,
        /// The server's protocol version.
        server: u32,
    },
    /// The server refused the connection, with its reason.
    #[error("the server rejected the connection: {reason}")]
    Rejected {
        /// The reason the server gave.
        reason: String,
    },
    /// The client was built with [`ClientBuilder::exact_interface`](crate::ClientBuilder::exact_interface) and the server's
    /// interface differs for these remotes.
    #[error("the server's interface differs: {}", crate::interface::list_mismatches(.0))]
    InterfaceMismatch(Vec<crate::Mismatch>),
}

/// Why a TLS handshake failed, as [`ConnectError::Tls`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate has expired, or is not valid yet.
    #[error("the server's certificate has expired or is not valid yet")]
    Expired,
    /// The server's certificate is not valid for the host name the client connected to.
    #[error("the server's certificate is not valid for the host name {0}")]
    WrongName(String),
    /// The server's certificate is not signed by an authority the client trusts.
    #[error("the server's certificate is not signed by a trusted authority")]
    Untrusted,
    /// The server did not answer in TLS (it is probably not a TLS server).
    #[error("the server does not speak TLS")]
    NotTls,
    /// Another TLS failure, as rustls describes it.
    #[error("{0}")]
    Other(String),
}
