use remotes_runtime::remotes;

#[remotes]
mod net {
    pub unsafe trait ClientEvents where u8: Copy {
        const LIMIT: u32 = 5;
        fn announce(text: String);
    }
}

fn main() {}
