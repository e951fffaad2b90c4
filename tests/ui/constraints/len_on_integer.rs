use remotes_runtime::{Client, remotes};

#[remotes]
mod net {
    pub trait ServerEvents {
        fn buy(#[remote(len = ..=99)] quantity: u32);
    }
}

fn use_it(client: &Client<net::Api>) {
    let _ = client.remotes().events.buy.fire(5);
}

fn main() {
    let _ = use_it;
}
