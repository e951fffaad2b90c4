//! The text of each shape, container and remote, as the contract writes them.
