use remotes_runtime::remotes;

/// Takes a number, not the argument's `String`, and returns `bool`, not a `Result`.
pub fn short(length: u32) -> bool {
    length < 20
}

#[remotes]
mod net {
    use super::*;

    pub trait ServerFunctions {
        fn rename(#[remote(validate = short)] name: String);
    }
}

fn main() {}
