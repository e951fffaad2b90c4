use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn chat(#[remote(len = ..=200)] #[remote(len = 1..)] text: String);
    }
}

fn main() {}
