//! Certificates made at test time with rcgen: an authority, and leaf certificates it signs (valid, expired, or for
//! another host name).

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use remotes_runtime::tls::{ClientTls, ServerTls};

/// One authority and a `localhost` certificate for the whole test process (made once: key generation is the slow
/// part), for the suite's TLS transports.
pub fn shared() -> &'static (ServerTls, ClientTls) {
    static SHARED: std::sync::OnceLock<(ServerTls, ClientTls)> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let ca = Authority::new();
        (ca.server("localhost"), ca.client())
    })
}

/// A certificate authority of the tests' own.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Authority {
    pub fn new() -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Authority { issuer: Issuer::new(params, key), pem }
    }

    /// A client that trusts this authority only.
    pub fn client(&self) -> ClientTls {
        ClientTls::with_ca_pem(self.pem.as_bytes()).expect("the authority's PEM")
    }

    /// A server certificate for `host`, valid now.
    pub fn server(&self, host: &str) -> ServerTls {
        self.leaf(host, false)
    }

    /// A server certificate for `host` that expired in 2020.
    pub fn expired(&self, host: &str) -> ServerTls {
        self.leaf(host, true)
    }

    fn leaf(&self, host: &str, expired: bool) -> ServerTls {
        let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
        if expired {
            params.not_before = date_time_ymd(2019, 1, 1);
            params.not_after = date_time_ymd(2020, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let chain = format!("{}{}", cert.pem(), self.pem);
        ServerTls::from_pem(chain.as_bytes(), key.serialize_pem().as_bytes()).expect("a valid chain and key")
    }
}
