use remotes_runtime::{Player, Server, remotes};

#[remotes]
mod net {
    pub trait ServerFunctions {
        fn ping(&self) -> u32;
        fn fine(value: u32) -> u32;
        async fn pong();
    }

    pub trait ClientEvent {
        fn announce(text: String);
    }

    pub trait ServerEvents {
        fn chat(text: &str);
        fn moved(x: f32) -> bool;
        fn left(_: u8);
        fn aim(#[remote(range = 0.0..=1.0, allow_non_finite = yes)] angle: f32);
    }
}

// The valid remote is still generated: no "cannot find" follow-on errors here.
async fn use_it(server: &Server<net::Api>, player: Player) {
    let _ = server.remotes().functions.fine.predict(&player, 1).await;
}

fn main() {
    let _ = use_it;
}
