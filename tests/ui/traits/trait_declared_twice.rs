use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn chat(text: String);
    }

    pub trait ServerEvents {
        fn moved(x: f32);
    }
}

fn main() {}
