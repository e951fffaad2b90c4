use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        type Reply;
        fn ping() -> u32;
    }
}

fn main() {}
