//! The wire format: how frames are laid out (`frame`), what each message kind carries (`message`), and how
//! arguments and return values are encoded (`args`). PROTOCOL.md at the repository root is the specification.

pub(crate) mod args;
pub(crate) mod frame;
pub(crate) mod message;
