//! TLS settings (feature `tls`): a server's certificate chain and key, a client's trusted authorities. With them,
//! TCP servers and clients speak TLS, and WebSocket ones `wss://`: every other setting and behaviour is unchanged.
//!
//! ```no_run
//! # use remotes_runtime::{remotes, Client, Server};
//! # #[remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
//! use remotes_runtime::tls::{ClientTls, ServerTls};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = ServerTls::from_pem_files("cert.pem", "key.pem")?;
//! let server = Server::builder().tls(tls).bind::<net::Api>("0.0.0.0:7777").await?;
//! server.start();
//!
//! // The platform's trusted authorities, or a given one (`ClientTls::with_ca_pem`).
//! let client = Client::builder().tls(ClientTls::platform_roots()?).connect_tls::<net::Api>("game.example:7777").await?;
//! # Ok(()) }
//! ```
//!
//! The provider is rustls's `ring`. A server's TLS port answers a client that does not speak TLS with a plaintext
//! `REJECT` ("this server requires TLS"; over WebSocket, HTTP `400`), so the mistake is named on the client.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};

pub use tokio_rustls::rustls as rustls_crate;

/// Why TLS settings could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The PEM text holds no certificate, or one that does not parse.
    #[error("no certificate in the PEM text: {0}")]
    Certificate(String),
    /// The PEM text holds no private key, or one that does not parse.
    #[error("no private key in the PEM text: {0}")]
    PrivateKey(String),
    /// rustls refused the settings (a key that does not match the certificate, for example).
    #[error("rustls refused the settings: {0}")]
    Rustls(#[from] rustls::Error),
    /// The platform's trust store could not be read, or held nothing usable.
    #[error("the platform's trusted authorities could not be loaded: {0}")]
    PlatformRoots(String),
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read { path: path.display().to_string(), error })
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Certificate(error.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate("no `BEGIN CERTIFICATE` block".into()));
    }
    Ok(chain)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server's TLS settings: its certificate chain and private key.
#[derive(Clone)]
pub struct ServerTls {
    pub(crate) config: Arc<ServerConfig>,
}

impl ServerTls {
    /// From PEM text: the certificate chain (the server's certificate first) and its private key (PKCS#8, PKCS#1 or
    /// SEC1).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<ServerTls, TlsError> {
        let chain = certificates(cert_chain)?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|error| TlsError::PrivateKey(error.to_string()))?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(ServerTls { config: Arc::new(config) })
    }

    /// From PEM files: the certificate chain and the private key.
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<ServerTls, TlsError> {
        ServerTls::from_pem(&read(cert_chain.as_ref())?, &read(key.as_ref())?)
    }

    /// From a rustls configuration made by hand (client certificates, other providers, ALPN).
    pub fn from_config(config: Arc<ServerConfig>) -> ServerTls {
        ServerTls { config }
    }
}

/// A client's TLS settings: the authorities it trusts.
#[derive(Clone)]
pub struct ClientTls {
    pub(crate) config: Arc<ClientConfig>,
}

impl ClientTls {
    /// Trusts the authorities of the platform's trust store (read once, here).
    pub fn platform_roots() -> Result<ClientTls, TlsError> {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (added, _ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            return Err(TlsError::PlatformRoots(if errors.is_empty() {
                "the trust store is empty".into()
            } else {
                errors.join("; ")
            }));
        }
        ClientTls::with_roots(roots)
    }

    /// Trusts only the authorities in this PEM text (a private CA, or a test's own).
    pub fn with_ca_pem(ca: &[u8]) -> Result<ClientTls, TlsError> {
        let mut roots = RootCertStore::empty();
        for certificate in certificates(ca)? {
            roots.add(certificate)?;
        }
        ClientTls::with_roots(roots)
    }

    /// From a rustls configuration made by hand.
    pub fn from_config(config: Arc<ClientConfig>) -> ClientTls {
        ClientTls { config }
    }

    fn with_roots(roots: RootCertStore) -> Result<ClientTls, TlsError> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(ClientTls { config: Arc::new(config) })
    }
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls").finish_non_exhaustive()
    }
}
