use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunction {
        fn ping() -> u32;
    }
}

fn main() {}
