use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerEvents {
        fn shop(open: bool);
    }

    pub mod shop {
        pub trait ServerFunctions {
            fn buy_item(item: u32) -> u64;
        }
    }
}

fn main() {}
