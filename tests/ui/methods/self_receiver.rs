use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping(&self) -> u32;
    }
}

fn main() {}
