use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn chat(#[remote()] text: String);
    }
}

fn main() {}
