use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32 {
            7
        }
    }
}

fn main() {}
