use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn remotes() -> u32;
        fn buy_item() -> u32;
        fn buy__item() -> u32;
    }

    pub trait ServerEvents {
        fn functions();
    }
}

fn main() {}
