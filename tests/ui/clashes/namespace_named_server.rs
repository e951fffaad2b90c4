use remotes_runtime::remotes;

#[remotes]
mod net {
    pub mod server {
        pub trait ServerFunctions {
            fn buy_item(item: u32) -> u64;
        }
    }

    pub mod shop {
        pub trait ServerFunctions {
            fn sell_item(item: u32) -> u64;
        }

        // `interface` is only generated at the top; `client` is generated in every namespace.
        pub fn interface() {}
        pub fn client() {}
    }
}

fn main() {}
