use remotes_runtime::remotes;

#[remotes]
pub struct Net {
    pub port: u16,
}

fn main() {}
