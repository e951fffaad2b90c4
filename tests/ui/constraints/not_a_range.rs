use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn buy_item(item: u32, #[remote(range = 99)] quantity: u8) -> u32;
    }
}

fn main() {}
