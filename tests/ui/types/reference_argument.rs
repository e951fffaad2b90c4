use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn chat(text: &str);
    }
}

fn main() {}
