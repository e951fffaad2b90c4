//! Remote markers: `#[remotes]` generates one unit type per remote and implements [`Remote`] for it, naming the
//! remote's place in the interface table, its argument tuple, its return type and its check. The typed handles are
//! generic over the marker, so a handle's types are the remote's by construction: nothing is matched or downcast
//! at run time.

use crate::validate::Check;

/// A remote of an interface, named by its generated marker type. Not implemented by hand.
pub trait Remote: 'static {
    /// The remote's local index: its position in the interface table.
    const INDEX: usize;
    /// The arguments, as a tuple: `(u32, u8)`, `(String,)`.
    type Args: 'static;
    /// The return type of a function; `()` for an event.
    type Output: 'static;
    /// The check of the declared constraints, if any argument has one.
    const CHECK: Option<Check<Self::Args>>;
}
