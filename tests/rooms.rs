//! Rooms (issue #14, part one): membership, leaving on disconnect, events to a room (encoded once), functions
//! invoked on a room or a list of players as a stream of answers, and user code re-entering rooms from callbacks.
//! Every wait is on a channel or an event, bounded by `within`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Transport, eventually, within};
use futures_util::StreamExt;
use remotes_runtime::{Client, FunctionError, Player, Server, remotes};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::sync::{mpsc, oneshot};

/// A value that counts how often it is serialized: an event or call encoded once serializes it once.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub n: u32,
    pub serializations: Arc<AtomicUsize>,
}

impl Serialize for Tally {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serializations.fetch_add(1, Ordering::SeqCst);
        self.n.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Tally {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Tally { n: u32::deserialize(deserializer)?, serializations: Arc::default() })
    }
}

#[remotes]
pub mod game {
    use super::Tally;

    pub trait ServerEvents {
        /// The player asks to join a room (the server's listener does it, and re-enters rooms).
        fn join_me(room: String);
    }

    pub trait ClientFunctions {
        fn vote(n: u32) -> u32;
        fn counted_call(c: Tally) -> u32;
    }

    pub trait ClientEvents {
        fn news(n: u32);
        fn counted(c: Tally);
    }
}

struct Game {
    server: Server<game::Api>,
    remotes: game::server::Remotes,
    transport: Transport,
}

/// A connected client, the server's `Player` for it, and what its `news` listener hears.
struct Member {
    client: Client<game::Api>,
    remotes: game::client::Remotes,
    player: Player,
    news: mpsc::UnboundedReceiver<u32>,
}

impl Game {
    async fn new(transport: Transport) -> Game {
        Game::unstarted(transport).await.started()
    }

    async fn unstarted(transport: Transport) -> Game {
        let server = common::bind::<game::Api>(transport, Server::builder()).await;
        let remotes = server.remotes().clone();
        Game { server, remotes, transport }
    }

    fn started(self) -> Game {
        self.server.start();
        self
    }

    async fn member(&self) -> Member {
        let client =
            common::connect_to::<game::Api, _>(self.transport, &self.server, Client::builder()).await.expect("connect");
        let remotes = client.remotes().clone();
        let (heard, news) = mpsc::unbounded_channel();
        remotes.events.news.connect(move |n| {
            let _ = heard.send(n);
            async {}
        });
        let player = self.server.player(client.player_id()).expect("listed once connected");
        Member { client, remotes, player, news }
    }

    async fn members(&self, n: usize) -> Vec<Member> {
        let mut members = Vec::new();
        for _ in 0..n {
            members.push(self.member().await);
        }
        members
    }
}

impl Member {
    async fn next_news(&mut self) -> u32 {
        within("news", self.news.recv()).await.expect("the listener is connected")
    }
}

fn ids(players: &[Player]) -> Vec<u64> {
    players.iter().map(Player::id).collect()
}

every_transport! {
    async fn membership(transport) {
        let game = Game::new(transport).await;
        let [a, b, c] = <[Member; 3]>::try_from(game.members(3).await).ok().unwrap();
        let room = game.server.room("match-42");
        assert_eq!(room.name(), "match-42");
        assert!(room.is_empty());
        assert!(game.server.rooms().list().is_empty(), "no room exists before a player joins one");

        assert!(room.join(&b.player));
        assert!(room.join(&a.player));
        assert!(!room.join(&a.player), "already a member");
        assert_eq!(room.len(), 2);
        assert!(!room.is_empty());
        assert_eq!(ids(&room.players()), vec![a.player.id(), b.player.id()], "by player id");
        assert!(room.contains(&a.player) && room.contains(&b.player) && !room.contains(&c.player));
        // Another handle of the same name is the same room.
        let same = game.server.rooms().room("match-42");
        assert_eq!(same, room);
        assert_eq!(same.len(), 2);

        let lobby = game.server.room("lobby");
        assert!(lobby.join(&a.player));
        let of_a: Vec<String> = game.server.rooms().of(&a.player).iter().map(|r| r.name().to_string()).collect();
        assert_eq!(of_a, ["match-42", "lobby"]);
        let listed: Vec<String> = game.server.rooms().list().iter().map(|r| r.name().to_string()).collect();
        assert_eq!(listed, ["lobby", "match-42"]);

        assert!(room.leave(&a.player));
        assert!(!room.leave(&a.player), "not a member any more");
        assert!(!room.leave(&c.player), "never was");
        assert_eq!(ids(&room.players()), vec![b.player.id()]);
        assert!(room.leave(&b.player));
        assert!(room.is_empty());
        assert!(lobby.leave(&a.player));
        // Empty rooms are forgotten; the handles stay usable.
        assert!(game.server.rooms().list().is_empty());
        assert!(game.server.rooms().of(&a.player).is_empty());
        assert!(room.join(&c.player));
        assert_eq!(ids(&room.players()), vec![c.player.id()]);
    }

    async fn a_player_leaves_every_room_when_it_disconnects(transport) {
        let game = Game::new(transport).await;
        let (removing, mut removed) = mpsc::unbounded_channel();
        let rooms = game.server.rooms();
        game.server.on_player_removing(move |player| {
            // The removing callbacks still find the player in its rooms.
            let names: Vec<String> = rooms.of(&player).iter().map(|r| r.name().to_string()).collect();
            let _ = removing.send((player.id(), names));
        });
        let [a, b] = <[Member; 2]>::try_from(game.members(2).await).ok().unwrap();
        let (red, blue) = (game.server.room("red"), game.server.room("blue"));
        assert!(red.join(&a.player) && blue.join(&a.player) && red.join(&b.player));

        a.client.close();
        let (id, names) = within("the removing callback", removed.recv()).await.expect("a callback");
        assert_eq!(id, a.player.id());
        assert_eq!(names, ["red", "blue"]);
        eventually("a leaves its rooms", || !red.contains(&a.player)).await;
        assert_eq!(ids(&red.players()), vec![b.player.id()]);
        assert!(blue.is_empty());
        let listed: Vec<String> = game.server.rooms().list().iter().map(|r| r.name().to_string()).collect();
        assert_eq!(listed, ["red"], "the room it left empty is forgotten");
        // A player whose connection is gone never rejoins.
        assert!(!blue.join(&a.player));
        assert!(blue.is_empty());
    }

    async fn a_player_of_another_server_cannot_join(transport) {
        let game = Game::new(transport).await;
        let other = Game::new(transport).await;
        let stranger = other.member().await;
        let room = game.server.room("match");
        assert!(!room.join(&stranger.player));
        assert!(room.is_empty());
        // Its room reaches nobody from this server's emitters.
        assert!(other.server.room("match").join(&stranger.player));
        let fired = game.remotes.events.news.fire_room(&other.server.room("match"), 1);
        assert_eq!(fired.queued, 0);
    }

    async fn fire_room_reaches_exactly_the_members(transport) {
        let game = Game::new(transport).await;
        let [mut a, mut b, mut c] = <[Member; 3]>::try_from(game.members(3).await).ok().unwrap();
        let room = game.server.room("match");
        room.join(&a.player);
        room.join(&b.player);

        let fired = game.remotes.events.news.fire_room(&room, 1);
        assert_eq!((fired.queued, fired.skipped), (2, 0));
        // Then one to everybody: events to one client keep their order, so `c` hearing 2 first proves it never
        // got 1.
        game.remotes.events.news.broadcast(2);
        assert_eq!((a.next_news().await, a.next_news().await), (1, 2));
        assert_eq!((b.next_news().await, b.next_news().await), (1, 2));
        assert_eq!(c.next_news().await, 2);
    }

    async fn fire_room_except_skips_the_excluded(transport) {
        let game = Game::new(transport).await;
        let [mut a, mut b, mut c, mut d] = <[Member; 4]>::try_from(game.members(4).await).ok().unwrap();
        let room = game.server.room("match");
        for member in [&a, &b, &c] {
            room.join(&member.player);
        }
        let fired = game.remotes.events.news.fire_room_except(&room, &[b.player.clone()], 1);
        assert_eq!(fired.queued, 2);
        game.remotes.events.news.broadcast(2);
        assert_eq!((a.next_news().await, a.next_news().await), (1, 2));
        assert_eq!((c.next_news().await, c.next_news().await), (1, 2));
        assert_eq!(b.next_news().await, 2, "excluded");
        assert_eq!(d.next_news().await, 2, "not a member");
    }

    async fn invoke_room_yields_each_answer_as_it_arrives(transport) {
        let game = Game::new(transport).await;
        let [a, b, c] = <[Member; 3]>::try_from(game.members(3).await).ok().unwrap();
        let room = game.server.room("vote");
        for member in [&a, &b, &c] {
            room.join(&member.player);
        }
        // `a` answers at once; `b` once the test has seen `a`'s answer; `c` never.
        a.remotes.functions.vote.set_callback(|n| async move { n + 1 });
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(tokio::sync::Mutex::new(Some(released)));
        b.remotes.functions.vote.set_callback(move |n| {
            let released = Arc::clone(&released);
            async move {
                let wait = released.lock().await.take();
                if let Some(wait) = wait {
                    let _ = wait.await;
                }
                n + 2
            }
        });
        c.remotes.functions.vote.set_callback(|_n| std::future::pending::<u32>());

        let timeout = Duration::from_secs(3);
        let mut answers = game.remotes.functions.vote.invoke_room(&room, 10).timeout(timeout);
        let started = tokio::time::Instant::now();
        let first = within("a's answer", answers.next()).await.expect("three answers");
        assert_eq!((first.0.id(), first.1), (a.player.id(), Ok(11)));
        release.send(()).expect("b is waiting");
        let second = within("b's answer", answers.next()).await.expect("three answers");
        assert_eq!((second.0.id(), second.1), (b.player.id(), Ok(12)));
        let third = within("c's timeout", answers.next()).await.expect("three answers");
        assert_eq!((third.0.id(), third.1), (c.player.id(), Err(FunctionError::Timeout)));
        assert!(started.elapsed() >= timeout, "c timed out at the deadline, not before");
        assert!(within("the end", answers.next()).await.is_none(), "every call settled: the stream ends");
        assert!(started.elapsed() < timeout + Duration::from_secs(5), "ends by the deadline");
        for member in [&a, &b, &c] {
            assert_eq!(member.player.pending_calls(), 0);
        }
    }

    async fn a_member_that_disconnects_mid_call_yields_disconnected(transport) {
        let game = Game::new(transport).await;
        let [a, b, c] = <[Member; 3]>::try_from(game.members(3).await).ok().unwrap();
        let room = game.server.room("vote");
        for member in [&a, &b, &c] {
            room.join(&member.player);
        }
        let (called, mut was_called) = mpsc::unbounded_channel();
        a.remotes.functions.vote.set_callback(move |_n| {
            let _ = called.send(());
            std::future::pending::<u32>()
        });
        b.remotes.functions.vote.set_callback(|n| async move { n });
        // `c` leaves the room once the calls went out: its call goes on as usual.
        c.remotes.functions.vote.set_callback(|n| async move { n * 2 });

        let mut answers = game.remotes.functions.vote.invoke_room(&room, 5);
        let mut outcomes = std::collections::HashMap::new();
        let (id, outcome) = within("the first answer", answers.next()).await.expect("answers");
        outcomes.insert(id.id(), outcome);
        room.leave(&c.player);
        within("a's call", was_called.recv()).await.expect("a was called");
        a.client.close();
        while let Some((player, outcome)) = within("the answers", answers.next()).await {
            outcomes.insert(player.id(), outcome);
        }
        assert_eq!(outcomes.len(), 3);
        assert_eq!(outcomes[&a.player.id()], Err(FunctionError::Disconnected));
        assert_eq!(outcomes[&b.player.id()], Ok(5));
        assert_eq!(outcomes[&c.player.id()], Ok(10));
    }

    async fn invoke_many_is_lazy_and_encodes_once(transport) {
        let game = Game::new(transport).await;
        let members = game.members(3).await;
        let room = game.server.room("all");
        let (heard, mut hear) = mpsc::unbounded_channel();
        for member in &members {
            room.join(&member.player);
            member.remotes.functions.counted_call.set_callback(|c: Tally| async move { c.n });
            let heard = heard.clone();
            member.remotes.events.counted.connect(move |c: Tally| {
                let _ = heard.send(c.n);
                async {}
            });
        }

        // An event to the room: one serialization for three recipients.
        let event = Tally { n: 7, ..Tally::default() };
        let fired = game.remotes.events.counted.fire_room(&room, event.clone());
        assert_eq!(fired.queued, 3);
        assert_eq!(event.serializations.load(Ordering::SeqCst), 1);
        for _ in 0..3 {
            assert_eq!(within("the event", hear.recv()).await, Some(7));
        }

        // A call to the room: encoded once, when made; sent when first polled.
        let call = Tally { n: 9, ..Tally::default() };
        let answers = game.remotes.functions.counted_call.invoke_room(&room, call.clone());
        assert_eq!(call.serializations.load(Ordering::SeqCst), 1);
        assert!(members.iter().all(|m| m.player.pending_calls() == 0), "nothing sent before the first poll");
        let outcomes: Vec<(Player, Result<u32, FunctionError>)> = within("the answers", answers.collect()).await;
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes.iter().all(|(_, outcome)| *outcome == Ok(9)));
        assert_eq!(call.serializations.load(Ordering::SeqCst), 1);

        // A list of players, a non-member among them; one that left settles `Disconnected` at once.
        let outsider = game.member().await;
        outsider.remotes.functions.counted_call.set_callback(|c: Tally| async move { c.n + 1 });
        let gone = members[2].player.clone();
        members[2].client.close();
        eventually("the player leaves", || !gone.is_connected()).await;
        let list = [members[0].player.clone(), outsider.player.clone(), gone.clone()];
        let call = Tally { n: 1, ..Tally::default() };
        let outcomes: Vec<(Player, Result<u32, FunctionError>)> =
            within("the answers", game.remotes.functions.counted_call.invoke_many(&list, call.clone()).collect()).await;
        assert_eq!(call.serializations.load(Ordering::SeqCst), 1);
        let mut outcomes: Vec<(u64, Result<u32, FunctionError>)> =
            outcomes.into_iter().map(|(player, outcome)| (player.id(), outcome)).collect();
        outcomes.sort_by_key(|(id, _)| *id);
        let mut expected =
            vec![(members[0].player.id(), Ok(1)), (outsider.player.id(), Ok(2)), (gone.id(), Err(FunctionError::Disconnected))];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(outcomes, expected);
    }

    async fn user_code_re_enters_rooms(transport) {
        let game = Game::unstarted(transport).await;
        let rooms = game.server.rooms();
        let (added, mut was_added) = mpsc::unbounded_channel();
        game.server.on_player_added({
            let rooms = rooms.clone();
            move |player| {
                let lobby = rooms.room("lobby");
                assert!(lobby.join(&player));
                let _ = added.send(lobby.len());
            }
        });
        let remotes = game.remotes.clone();
        game.server.on_player_removing({
            let rooms = rooms.clone();
            let remotes = remotes.clone();
            move |player| {
                for room in rooms.of(&player) {
                    remotes.events.news.fire_room_except(&room, std::slice::from_ref(&player), 99);
                    let _ = room.players();
                }
            }
        });
        let (voted, mut votes) = mpsc::unbounded_channel();
        game.remotes.events.join_me.connect({
            let rooms = rooms.clone();
            let remotes = remotes.clone();
            move |player: Player, name: String| {
                let room = rooms.room(&name);
                room.join(&player);
                remotes.events.news.fire_room(&room, room.len() as u32);
                let answers = remotes.functions.vote.invoke_room(&room, 1);
                let voted = voted.clone();
                let room = room.clone();
                async move {
                    let outcomes: Vec<_> = answers.collect().await;
                    // Leave and rejoin from the listener, with the stream's calls settled.
                    room.leave(&player);
                    room.join(&player);
                    let _ = voted.send(outcomes.into_iter().map(|(p, o)| (p.id(), o)).collect::<Vec<_>>());
                }
            }
        });
        let game = game.started();
        let mut a = game.member().await;
        assert_eq!(within("a joins the lobby", was_added.recv()).await, Some(1));
        let mut b = game.member().await;
        assert_eq!(within("b joins the lobby", was_added.recv()).await, Some(2));
        a.remotes.functions.vote.set_callback(|n| async move { n + 40 });

        a.remotes.events.join_me.fire("arena".to_string());
        assert_eq!(a.next_news().await, 1, "the room's size, fired at the room");
        let outcomes = within("the votes", votes.recv()).await.expect("a vote");
        assert_eq!(outcomes, vec![(a.player.id(), Ok(41))]);
        assert_eq!(ids(&game.server.room("arena").players()), vec![a.player.id()]);

        // `b` leaves: the removing callback fires at its rooms, except at `b`.
        b.client.close();
        assert_eq!(a.next_news().await, 99);
        eventually("b leaves the lobby", || !game.server.room("lobby").contains(&b.player)).await;
        assert!(b.news.try_recv().is_err());
    }
}
