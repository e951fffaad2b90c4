use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping() -> u32;
    }

    pub fn typescript() -> String {
        String::new()
    }
}

fn main() {}
