use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn volume(#[remote(range = 0.0..=1.0)] level: u8);
    }
}

fn main() {}
