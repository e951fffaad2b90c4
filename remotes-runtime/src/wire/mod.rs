//! The wire format: how frames are laid out (`frame`), what each message kind carries (`message`), how arguments
//! and return values are encoded (`args`), the depth limit that holds while decoding them, for every type
//! (`depth`), and 128-bit integers in every form MessagePack allows (`wide`). PROTOCOL.md at the repository root is the specification.

pub(crate) mod args;
pub(crate) mod depth;
pub(crate) mod frame;
pub(crate) mod message;
pub(crate) mod wide;
