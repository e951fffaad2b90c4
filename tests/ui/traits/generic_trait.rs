use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions<T>: Send {
        fn ping() -> u32;
    }
}

fn main() {}
