//! Namespaces (`mod shop { pub trait ServerFunctions { .. } }` inside a `#[remotes]` module) over the in-process
//! transport, and compatibility: a client built against an older interface keeps working against a server whose
//! interface gained unrelated remotes, because wire ids are negotiated at connect by name, kind, direction and hash.

use std::time::Duration;

use remotes_runtime::{Client, Player, RemoteDef, Server, remotes};
use tokio::sync::mpsc;

/// The interface as the server ships it today.
#[remotes]
pub mod v2 {
    pub trait ServerFunctions {
        fn join(name: String) -> u64;
        /// Added in v2, before the remotes the old client knows.
        fn daily_bonus() -> u64;
    }

    pub trait ClientEvents {
        fn announce(text: String);
    }

    pub mod shop {
        pub trait ServerFunctions {
            /// Added in v2.
            fn sell_item(item: u32) -> u64;
            fn buy_item(item: u32, quantity: u8) -> u64;
        }

        pub trait ClientFunctions {
            fn confirm(prompt: String) -> bool;
        }

        pub trait ClientEvents {
            fn opened(items: Vec<u32>);
        }

        pub mod prices {
            pub trait ServerEvents {
                fn ask(item: u32);
            }
            /// A namespace only v2 has.
            pub trait ClientEvents {
                fn changed(item: u32, price: u64);
            }
        }
    }

    /// A namespace only v2 has.
    pub mod guild {
        pub trait ServerFunctions {
            fn create(name: String) -> u64;
        }
    }
}

/// The same interface one version earlier: no `daily_bonus`, `shop.sell_item`, `shop.prices.changed`, `guild`.
#[remotes]
pub mod v1 {
    pub trait ServerFunctions {
        fn join(name: String) -> u64;
    }

    pub trait ClientEvents {
        fn announce(text: String);
    }

    pub mod shop {
        pub trait ServerFunctions {
            fn buy_item(item: u32, quantity: u8) -> u64;
        }

        pub trait ClientFunctions {
            fn confirm(prompt: String) -> bool;
        }

        pub trait ClientEvents {
            fn opened(items: Vec<u32>);
        }

        pub mod prices {
            pub trait ServerEvents {
                fn ask(item: u32);
            }
        }
    }
}

/// The same signature as `v1`'s `shop.buy_item`, outside any namespace.
#[remotes]
pub mod flat {
    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u8) -> u64;
    }
}

fn find(remotes: &'static [RemoteDef], name: &str) -> &'static RemoteDef {
    remotes.iter().find(|remote| remote.name == name).unwrap_or_else(|| panic!("`{name}` is in the interface"))
}

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future).await.expect("timed out")
}

#[test]
fn names_are_dotted_and_hashes_stay_when_unrelated_remotes_are_added() {
    let (old, new) = (v1::interface().remotes(), v2::interface().remotes());
    let names: Vec<&str> = new.iter().map(|remote| remote.name).collect();
    for name in ["join", "shop.buy_item", "shop.confirm", "shop.opened", "shop.prices.ask", "guild.create"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    for remote in old {
        let newer = find(new, remote.name);
        assert_eq!((remote.kind, remote.direction, remote.hash), (newer.kind, newer.direction, newer.hash));
    }
    // The hash covers the dotted name: the same signature outside the namespace is another remote.
    assert_ne!(find(old, "shop.buy_item").hash, find(flat::interface().remotes(), "buy_item").hash);
    // Local indices moved (v2 inserted remotes before them); the wire ids are negotiated, not positional.
    let position = |list: &[RemoteDef], name: &str| list.iter().position(|remote| remote.name == name);
    assert_ne!(position(old, "shop.buy_item"), position(new, "shop.buy_item"));
}

#[tokio::test]
async fn namespaced_remotes_work_in_both_directions() {
    let server = Server::builder().in_memory::<v2::Api>();
    let on_server = server.remotes().clone();
    on_server
        .functions
        .shop
        .buy_item
        .set_callback(|_player: Player, item, quantity| async move { u64::from(item) * 10 + u64::from(quantity) });
    on_server.functions.guild.create.set_callback(|_player, name: String| async move { name.len() as u64 });
    let (asked_tx, mut asked) = mpsc::unbounded_channel();
    let _ask = on_server.events.shop.prices.ask.connect(move |_player, item| {
        let asked_tx = asked_tx.clone();
        async move {
            let _ = asked_tx.send(item);
        }
    });

    server.start();
    let client = Client::connect_in_memory(&server).await.unwrap();
    let on_client = client.remotes().clone();
    on_client.functions.shop.confirm.set_callback(|prompt: String| async move { prompt == "sure?" });
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let _changed = on_client.events.shop.prices.changed.connect(move |item, price| {
        let changed_tx = changed_tx.clone();
        async move {
            let _ = changed_tx.send((item, price));
        }
    });

    assert_eq!(within(on_client.functions.shop.buy_item.invoke(7, 2)).await.unwrap(), 72);
    assert_eq!(within(on_client.functions.guild.create.invoke("abc".to_string())).await.unwrap(), 3);
    let player = server.player(client.player_id()).unwrap();
    assert!(within(on_server.functions.shop.confirm.invoke(&player, "sure?".to_string())).await.unwrap());
    on_client.events.shop.prices.ask.fire(5);
    assert_eq!(within(asked.recv()).await, Some(5));
    on_server.events.shop.prices.changed.fire(&player, 5, 99);
    assert_eq!(within(changed.recv()).await, Some((5, 99)));
}

#[tokio::test]
async fn a_client_built_before_unrelated_remotes_were_added_keeps_working() {
    let server = Server::builder().in_memory::<v2::Api>();
    let on_server = server.remotes().clone();
    on_server.functions.join.set_callback(|_player, name: String| async move { name.len() as u64 });
    on_server.functions.daily_bonus.set_callback(|_player| async move { 1000 });
    on_server.functions.shop.sell_item.set_callback(|_player, _item| async move { 1 });
    on_server
        .functions
        .shop
        .buy_item
        .set_callback(|_player, item, quantity| async move { u64::from(item) * 10 + u64::from(quantity) });
    let (asked_tx, mut asked) = mpsc::unbounded_channel();
    let _ask = on_server.events.shop.prices.ask.connect(move |_player, item| {
        let asked_tx = asked_tx.clone();
        async move {
            let _ = asked_tx.send(item);
        }
    });

    // The old client checks its interface at connect: every remote it declares exists with the same signature.
    server.start();
    let client = within(Client::builder().exact_interface().connect_in_memory_as::<v1::Api, _>(&server)).await.unwrap();
    let on_client = client.remotes().clone();
    on_client.functions.shop.confirm.set_callback(|prompt: String| async move { !prompt.is_empty() });
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    let _opened = on_client.events.shop.opened.connect(move |items| {
        let opened_tx = opened_tx.clone();
        async move {
            let _ = opened_tx.send(items);
        }
    });
    let (announced_tx, mut announced) = mpsc::unbounded_channel();
    let _announced = on_client.events.announce.connect(move |text| {
        let announced_tx = announced_tx.clone();
        async move {
            let _ = announced_tx.send(text);
        }
    });

    // Client to server: functions and events on common remotes, top level and namespaced.
    assert_eq!(within(on_client.functions.join.invoke("alice".to_string())).await.unwrap(), 5);
    assert_eq!(within(on_client.functions.shop.buy_item.invoke(3, 4)).await.unwrap(), 34);
    on_client.events.shop.prices.ask.fire(8);
    assert_eq!(within(asked.recv()).await, Some(8));

    // Server to client: a function and events, including a broadcast.
    let player = server.player(client.player_id()).unwrap();
    assert!(within(on_server.functions.shop.confirm.invoke(&player, "ok?".to_string())).await.unwrap());
    on_server.events.shop.opened.fire(&player, vec![1, 2, 3]);
    assert_eq!(within(opened.recv()).await, Some(vec![1, 2, 3]));
    on_server.events.announce.broadcast("hello".to_string());
    assert_eq!(within(announced.recv()).await.as_deref(), Some("hello"));
    // An event the old client does not know is not delivered and does not disturb the connection.
    on_server.events.shop.prices.changed.fire(&player, 1, 2);
    assert_eq!(within(on_client.functions.join.invoke("bob".to_string())).await.unwrap(), 3);
}
