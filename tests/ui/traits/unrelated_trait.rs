use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait Shop {
        fn price(&self) -> u32;
    }
}

fn main() {}
