//! The wire format: how frames are laid out (`frame`), what each message kind carries (`message`), how arguments
//! and return values are encoded (`args`), and the depth limit that holds while decoding them, for every type
//! (`depth`). PROTOCOL.md at the repository root is the specification.

pub(crate) mod args;
pub(crate) mod depth;
pub(crate) mod frame;
pub(crate) mod message;
