use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        /// Doc comments are fine.
        #[inline]
        fn ping() -> u32;
        fn pong(#[serde(default)] times: u8);
    }
}

fn main() {}
