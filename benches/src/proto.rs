//! The benchmark's payloads, shared by every system: the request of the issue (`id`, a 64-byte `name`, 8 `values`)
//! and a small struct reply; the remotes interface and the tarpc service carrying them.

use serde::{Deserialize, Serialize};

/// The request: `{ id: u64, name: String (64 bytes), values: Vec<u32> (8 items) }`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Req {
    pub id: u64,
    pub name: String,
    pub values: Vec<u32>,
}

/// The small struct reply.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Ack {
    pub id: u64,
    pub sum: u64,
}

/// The request every call sends (cloned per call by every system, so each pays the same two allocations).
pub fn request() -> Req {
    Req { id: 0x0123_4567_89ab_cdef, name: "n".repeat(64), values: vec![1, 200, 40_000, 7, 123_456, 99, 3, 1 << 20] }
}

/// What every server does with a request.
pub fn handle(req: &Req) -> Ack {
    Ack { id: req.id, sum: req.values.iter().map(|&v| u64::from(v)).sum() }
}

/// The payload of the broadcast event: a 64-byte string.
pub fn event_payload() -> String {
    "e".repeat(64)
}

/// The remotes interface of the benchmark.
#[remotes_runtime::remotes]
pub mod net {
    use super::*;

    /// Client -> server calls.
    pub trait ServerFunctions {
        fn work(req: Req) -> Ack;
    }

    /// Server -> client calls.
    pub trait ClientFunctions {
        fn work_on_client(req: Req) -> Ack;
    }

    /// Server -> client events.
    pub trait ClientEvents {
        fn tick(payload: String);
    }
}

/// The tarpc service of the benchmark.
#[tarpc::service]
pub trait Bench {
    async fn work(req: Req) -> Ack;
}

/// The tarpc server.
#[derive(Clone)]
pub struct BenchServer;

impl Bench for BenchServer {
    async fn work(self, _: tarpc::context::Context, req: Req) -> Ack {
        handle(&req)
    }
}
