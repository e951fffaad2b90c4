use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        async fn ping() -> u32;
    }
}

fn main() {}
