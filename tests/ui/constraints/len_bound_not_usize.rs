use remotes_runtime::remotes;

const MAX: u32 = 200;

#[remotes]
mod net {
    use super::*;

    pub trait ServerEvents {
        fn chat(#[remote(len = ..=MAX)] text: String);
    }
}

fn main() {}
