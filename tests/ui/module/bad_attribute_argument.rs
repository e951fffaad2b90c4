use remotes_runtime::remotes;

#[remotes(krate = remotes_runtime)]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32;
    }
}

fn main() {
    let _ = net::interface();
}
