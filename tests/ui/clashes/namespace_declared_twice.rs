use remotes_runtime::remotes;

#[remotes]
mod net {
    pub mod shop {
        pub trait ServerFunctions {
            fn buy_item(item: u32) -> u64;
        }
    }

    pub mod shop {
        pub trait ServerEvents {
            fn opened();
        }
    }
}

fn main() {}
