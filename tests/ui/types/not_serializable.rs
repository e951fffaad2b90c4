use remotes_runtime::remotes;

/// A type the user forgot to derive `Serialize` and `Deserialize` for.
pub struct Item {
    pub id: u32,
}

#[remotes]
mod net {
    use super::*;

    pub trait ServerFunctions {
        fn inspect(item: Item) -> Vec<Item>;
        fn shared(item: std::sync::Arc<std::cell::Cell<u8>>);
    }
}

fn main() {}
