use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn a(bytes: [u8]) -> impl Clone;
        fn b(value: Box<dyn std::any::Any>) -> Vec<_>;
        fn c(me: Self) -> Option<&'static [u8]>;
    }
}

fn main() {}
