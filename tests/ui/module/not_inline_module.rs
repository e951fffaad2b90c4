use remotes_runtime::remotes;

#[remotes]
mod net;

fn main() {}
