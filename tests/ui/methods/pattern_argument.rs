use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn moved((x, y): (f32, f32));
    }
}

fn main() {}
