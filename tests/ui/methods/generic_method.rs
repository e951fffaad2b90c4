use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn store<T>(value: T);
    }
}

fn main() {}
