use remotes_runtime::remotes;

#[remotes]
mod net {
    pub trait ServerFunctions {
        const fn a() -> u32;
        unsafe fn b() -> u32;
        extern "C" fn c() -> u32;
        fn d<T>() -> u32 where T: Copy;
    }
}

fn main() {}
