//! TLS over TCP (feature `tls`), with tokio-rustls: the server side tells a TLS client from a plaintext one by the
//! first byte it sends (a TLS handshake record starts with `0x16`), so the caller can answer a plaintext client in
//! plaintext; the client side reports certificate failures by cause.

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};

use crate::error::TlsFailure;

/// The first byte of a TLS handshake record.
const HANDSHAKE_RECORD: u8 = 0x16;

/// What an accepted stream turned out to be.
pub(crate) enum Accepted {
    Tls(Box<server::TlsStream<TcpStream>>),
    /// The client did not start with a TLS handshake: the stream, untouched, to answer it in plaintext.
    Plaintext(TcpStream),
}

/// Runs the server side of the TLS handshake, unless the client speaks in plaintext.
pub(crate) async fn accept(stream: TcpStream, config: &Arc<ServerConfig>) -> io::Result<Accepted> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 || first[0] != HANDSHAKE_RECORD {
        return Ok(Accepted::Plaintext(stream));
    }
    let tls = TlsAcceptor::from(Arc::clone(config)).accept(stream).await?;
    Ok(Accepted::Tls(Box::new(tls)))
}

/// Runs the client side of the TLS handshake with the host of `authority` (`host:port`: the certificate must be
/// valid for `host`).
pub(crate) async fn connect(
    stream: TcpStream,
    authority: &str,
    config: &Arc<ClientConfig>,
) -> Result<client::TlsStream<TcpStream>, TlsFailure> {
    let host = host_of(authority);
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| TlsFailure::Other(format!("`{host}` is not a valid server name")))?;
    TlsConnector::from(Arc::clone(config)).connect(name, stream).await.map_err(|error| failure(error, host))
}

/// The host of a `host:port` (without the brackets of an IPv6 address).
fn host_of(authority: &str) -> &str {
    let host = match authority.rfind(':') {
        Some(colon) if !authority[colon..].contains(']') => &authority[..colon],
        _ => authority,
    };
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The cause of a failed client handshake.
fn failure(error: io::Error, host: &str) -> TlsFailure {
    let Some(tls) = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) else {
        return match error.kind() {
            // The server hung up on the ClientHello, or answered with something that is not TLS.
            io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData => TlsFailure::NotTls,
            _ => TlsFailure::Other(error.to_string()),
        };
    };
    match tls {
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. } | CertificateError::NotValidYet,
        )
        | rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext { .. }) => TlsFailure::Expired,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => TlsFailure::WrongName(host.to_string()),
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer | CertificateError::BadSignature) => {
            TlsFailure::Untrusted
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => TlsFailure::NotTls,
        other => TlsFailure::Other(other.to_string()),
    }
}
