//! Shared by the cluster tests and the node process they kill: the interface, a NATS server to run them on, and
//! nodes with short timings.
//!
//! The tests use the NATS server at `REMOTES_NATS_URL` when it is set (`.ci/run` starts one), each test in a
//! cluster of its own name; otherwise each test starts a private `nats-server` (Debian's package) on a free
//! port and stops it when it ends. No test mocks NATS.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use remotes_runtime::cluster::{ClusterSettings, Nats};
use remotes_runtime::remotes;
use tokio::process::{Child, Command};

#[remotes]
pub mod net {
    pub trait ClientFunctions {
        /// Answers `n + 1` after `millis` (or never, for `u64::MAX`).
        fn vote(n: u32, millis: u64) -> u32;
    }

    pub trait ClientEvents {
        fn news(n: u32);
    }
}

/// The cluster timings of every test node: a dead node is noticed within 400 ms plus a 10 ms batch.
pub fn settings() -> ClusterSettings {
    ClusterSettings::default()
        .heartbeat(Duration::from_millis(100), Duration::from_millis(400))
        .batch_interval(Duration::from_millis(10))
}

/// A NATS server for a test: the shared one (`REMOTES_NATS_URL`), or a private process stopped on drop.
pub struct NatsServer {
    pub url: String,
    port: Option<u16>,
    child: Option<Child>,
}

impl NatsServer {
    /// The shared server when `REMOTES_NATS_URL` is set, otherwise a private one.
    pub async fn for_test() -> NatsServer {
        match std::env::var("REMOTES_NATS_URL") {
            Ok(url) if !url.is_empty() => NatsServer { url, port: None, child: None },
            _ => NatsServer::private(None).await,
        }
    }

    /// A `nats-server` process of this test's own, on `port` (or a free one).
    pub async fn private(port: Option<u16>) -> NatsServer {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "remotes-nats-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let port_arg = port.map_or("-1".to_string(), |port| port.to_string());
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port_arg, "--ports_file_dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("`nats-server` runs (apt-get install nats-server), or set REMOTES_NATS_URL");
        let url = ports_file(&dir, child.id().expect("running")).await;
        let port = url.rsplit(':').next().and_then(|port| port.parse().ok());
        NatsServer { url, port, child: Some(child) }
    }

    /// Stops a private server (as if NATS became unreachable).
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("a private server");
        child.kill().await.expect("kill nats-server");
    }

    /// Starts a private server again on the same port.
    pub async fn restart(&mut self) {
        let again = NatsServer::private(self.port).await;
        self.child = again.child;
        self.url = again.url;
    }

    /// A client connection to this server, for one node.
    pub async fn connect(&self) -> Nats {
        Nats::connect(&self.url).await.expect("connect to NATS")
    }
}

/// Waits for `nats-server` to write its ports file: it accepts connections from then on.
async fn ports_file(dir: &std::path::Path, pid: u32) -> String {
    let path: PathBuf = dir.join(format!("nats-server_{pid}.ports"));
    for _ in 0..1000 {
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Some(url) = text.split('"').find(|part| part.starts_with("nats://"))
        {
            return url.to_string();
        }
        // The ports file is written once the server listens: nothing to wait on but the file itself.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nats-server did not start (no ports file in {})", dir.display());
}

/// A cluster name no other test uses.
pub fn cluster_name(test: &str) -> String {
    format!(
        "{test}-{}-{}",
        std::process::id(),
        std::time::UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos() % 1_000_000_000
    )
}
