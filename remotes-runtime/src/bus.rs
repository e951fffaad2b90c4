//! The cluster bus: how the servers of one cluster reach each other's players over a message bus (NATS core
//! through `async-nats`, or the in-process `MemoryBus`). Public as `crate::cluster`; see its documentation for
//! what is promised.
//!
//! `adapter.rs` is the trait a bus implements, `memory.rs` and `nats.rs` the two buses, `envelope.rs` what
//! crosses the bus, `node.rs` one server's membership of a cluster, `tasks.rs` its publisher and ticker,
//! `away.rs` the node as the way to other nodes' players, `inbound.rs` what a node does with each message,
//! `directory.rs` its view of the other nodes, `calls.rs` the calls in flight between nodes.

mod adapter;
mod away;
mod calls;
mod directory;
mod envelope;
mod health;
mod inbound;
mod memory;
#[cfg(feature = "nats")]
mod nats;
mod node;
mod settings;
mod tasks;

pub use adapter::{Adapter, BusError, BusFuture, BusMessages, BusStatus};
pub(crate) use directory::Directory;
pub(crate) use envelope::{Audience, Change};
pub use health::{ClusterHealth, NodeInfo};
pub use memory::{MemoryBus, MemoryConnection};
#[cfg(feature = "nats")]
pub use nats::Nats;
pub(crate) use node::{Local, Node, Snapshot, valid_name};
pub use settings::ClusterSettings;

/// The bus format's internals, for the server's cluster tests.
#[cfg(test)]
pub(crate) mod testing {
    pub(crate) use super::envelope::{Audience, Body, Header, Outcome, VERSION, decode, encode};
    pub(crate) use super::node::interface_hash;
}
