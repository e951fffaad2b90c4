use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn transfer(amount: u64, amount: u64) -> bool;
    }
}

fn main() {}
