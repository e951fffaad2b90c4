use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ClientEvents {
        fn announce(text: String) -> bool;
    }
}

fn main() {}
