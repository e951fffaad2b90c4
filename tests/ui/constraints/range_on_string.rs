use remotes_runtime::{Server, remotes};

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn rename(#[remote(range = 3..=20)] name: String);
    }
}

// The remote is still generated: only the constraint is reported.
fn use_it(server: &Server<net::Api>) {
    server.remotes().functions.rename.set_callback(|_player, _name| async move {});
}

fn main() {
    let _ = use_it;
}
