use remotes_runtime::remotes;

#[remotes(crate = ::remotes_runtime, crate = ::remotes_runtime)]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32;
    }
}

fn main() {}
