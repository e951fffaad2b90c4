use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn rename(#[remote(validate = |name: &String| name.len() < 20)] name: String);
    }
}

fn main() {}
