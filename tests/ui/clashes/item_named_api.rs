use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32;
    }

    pub struct Api;
}

fn main() {}
