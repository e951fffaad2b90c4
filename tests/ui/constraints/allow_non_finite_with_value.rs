use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn aim(#[remote(allow_non_finite = true)] angle: f32);
    }
}

fn main() {}
