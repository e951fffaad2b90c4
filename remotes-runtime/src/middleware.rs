//! Middleware: user code that sees each incoming request after validation and before the callback or listeners,
//! and may reject it. Global middleware sees every request's metadata; per-remote middleware sees the typed
//! arguments and may replace them.
//!
//! Order on the receiving side: rate limits (before decoding), decoding and declared constraints, global middleware
//! in registration order, per-remote middleware in registration order, then the callback or listeners. A rejected
//! function call settles the caller with `Cancelled`; a rejected event is dropped. A middleware that panics counts
//! as `Unprocessed`, like a panicking callback.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::interface::RemoteKind;
use crate::player::Player;

/// A middleware's refusal, with a reason for logs.
///
/// ```
/// use remotes_runtime::Reject;
///
/// let refusal = Reject::new("shop closed");
/// assert_eq!(refusal.reason(), "shop closed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    reason: Cow<'static, str>,
}

impl Reject {
    /// A refusal with a reason.
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Reject {
        Reject { reason: reason.into() }
    }

    /// Why the request was refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What global middleware sees of an incoming request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The calling player (on the server); `None` on a client, where requests come from the server.
    pub player: Option<Player>,
    /// The remote's name.
    pub remote: &'static str,
    /// Function call or event.
    pub kind: RemoteKind,
    /// The length of the encoded arguments, in bytes.
    pub payload_len: usize,
}

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A global middleware, type-erased.
pub(crate) type GlobalMiddleware = Arc<dyn Fn(Request) -> BoxFuture<Result<(), Reject>> + Send + Sync>;

/// A per-remote middleware over the argument tuple `A`, type-erased. `Option<Player>` is the caller on the server.
pub(crate) type RemoteMiddleware<A> = Arc<dyn Fn(Option<Player>, A) -> BoxFuture<Result<A, Reject>> + Send + Sync>;
