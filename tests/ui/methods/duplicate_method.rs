use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32;
        fn ping(times: u8) -> u32;
    }
}

fn main() {}
