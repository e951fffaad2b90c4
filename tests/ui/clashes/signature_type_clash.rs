use remotes_runtime::remotes;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct BuyItem {
    pub item: u32,
}

#[remotes]
mod net {
    use super::*;

    pub trait ServerFunctions {
        fn buy_item(request: BuyItem) -> bool;
    }
}

fn main() {}
