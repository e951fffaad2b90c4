use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn chat(text: String) -> bool;
    }

    pub trait ServerEvents {
        fn chat(text: String);
    }
}

fn main() {}
