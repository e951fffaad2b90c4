use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn moved(x: f32, #[remote(allow_non_finite)] floor: i32);
    }
}

fn main() {}
