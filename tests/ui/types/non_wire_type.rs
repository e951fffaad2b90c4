use std::rc::Rc;

use remotes_runtime::remotes;

#[remotes]
mod net {
    use super::*;

    pub trait ServerFunctions {
        fn share(value: Rc<u8>) -> bool;
        fn fine(value: u8) -> u8;
    }

    pub trait ClientEvents {
        fn poke(at: *const u8);
    }
}

fn main() {}
