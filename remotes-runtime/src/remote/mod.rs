//! The typed handles that `#[remotes]`-generated code wraps: one per remote and per side.
//!
//! Users meet them through the generated structs (`net::server::BuyItem`, `net::client::Chat`), whose methods
//! name the arguments; the generic types here carry the arguments as a tuple.

pub(crate) mod event;
pub(crate) mod function;
pub(crate) mod invoke;
pub(crate) mod many;
pub(crate) mod marker;

pub use event::{Connection, Fired};
pub use function::Predict;
pub use invoke::Invoke;
pub use many::InvokeMany;
