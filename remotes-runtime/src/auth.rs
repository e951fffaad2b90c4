//! Authentication: the server's hook that decides, during the handshake, whether a client becomes a player.
//!
//! No remote of the server is reachable before the hook accepts: frames a client sends early are held unread until
//! then, and dropped with the connection if it is refused. The hook runs within the handshake deadline.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::interface::Mismatch;
use crate::middleware::{BoxFuture, Reject};

/// What the authentication hook learns of a connecting client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Handshake {
    /// The token the client sent (`ClientBuilder::auth_token`), if any.
    pub token: Option<String>,
    /// Where the client connects from: its socket address over TCP, `in-memory` in-process.
    pub peer: String,
    /// When the client announced its interface (`ClientBuilder::exact_interface`): the server's remotes it declares
    /// differently or lacks. `None` when it did not announce one.
    pub mismatches: Option<Vec<Mismatch>>,
}

/// The hook's acceptance, with what the game attaches to the player.
///
/// ```
/// use remotes_runtime::Accept;
///
/// #[derive(Debug, PartialEq)]
/// struct Account { id: u64 }
///
/// let accept = Accept::new().name("alice").data(Account { id: 7 });
/// assert_eq!(accept.display_name(), Some("alice"));
/// ```
#[derive(Clone, Default)]
pub struct Accept {
    pub(crate) name: Option<String>,
    pub(crate) data: Option<Arc<dyn Any + Send + Sync>>,
}

impl Accept {
    /// Accepts the client, with nothing attached.
    pub fn new() -> Accept {
        Accept::default()
    }

    /// Sets the player's display name ([`Player::name`](crate::Player::name)).
    pub fn name(mut self, name: impl Into<String>) -> Accept {
        self.name = Some(name.into());
        self
    }

    /// Attaches any value to the player ([`Player::data`](crate::Player::data)): an account, a session, a role.
    pub fn data<T: Any + Send + Sync>(mut self, data: T) -> Accept {
        self.data = Some(Arc::new(data));
        self
    }

    /// The display name set so far.
    pub fn display_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Debug for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accept").field("name", &self.name).field("data", &self.data.is_some()).finish()
    }
}

/// The hook, type-erased.
pub(crate) type AuthHook = Arc<dyn Fn(Handshake) -> BoxFuture<Result<Accept, Reject>> + Send + Sync>;

pub(crate) fn auth_hook<F, Fut>(hook: F) -> AuthHook
where
    F: Fn(Handshake) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Accept, Reject>> + Send + 'static,
{
    Arc::new(move |handshake| Box::pin(hook(handshake)))
}
