//! Callbacks, listeners and middleware of the wrong shape: each error says what is expected.

use remotes_runtime::{Player, remotes};

#[remotes]
pub mod net {
    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u8) -> u32;
    }
    pub trait ClientFunctions {
        fn confirm(prompt: String) -> bool;
    }
    pub trait ServerEvents {
        fn chat(text: String);
    }
    pub trait ClientEvents {
        fn announce(text: String);
    }
}

fn server(remotes: net::server::Remotes) {
    // Not a future.
    remotes.functions.buy_item.set_callback(|_player: Player, item, quantity| item + u32::from(quantity));
    // A future of the wrong type.
    remotes.functions.buy_item.set_callback(|_player: Player, _item, _quantity| async move { "receipt" });
    // The calling player left out: rustc's own error (the method's signature lists the arguments, `Player` first).
    remotes.functions.buy_item.set_callback(|item: u32, _quantity: u8| async move { item });
    // A listener that is not async.
    remotes.events.chat.connect(|_player: Player, text: String| drop(text));
    // A middleware that returns the arguments without the `Result`.
    remotes.functions.buy_item.middleware(|_player: Player, args: (u32, u8)| async move { args });
}

fn client(remotes: net::client::Remotes) {
    remotes.functions.confirm.set_callback(|prompt: String| prompt.is_empty());
    remotes.events.announce.connect(|text: String| async move { text });
}

fn main() {
    let _ = (server, client);
}
