//! The wire format: how frames are laid out (`frame`), what each message kind carries (`message`), how arguments
//! and return values are encoded (`args`) and the buffers they are encoded into (`buffers`), the depth limit that holds while decoding them, for every type
//! (`depth`), the extent of a value read from its headers (`extent`), and 128-bit integers in every form MessagePack allows (`wide`). PROTOCOL.md at the repository root is the specification.

pub(crate) mod args;
pub(crate) mod buffers;
pub(crate) mod depth;
pub(crate) mod extent;
pub(crate) mod frame;
pub(crate) mod message;
pub(crate) mod wide;
