//! The lobby's interface, shared by the server (`main.rs`), its bots, and the page: `lobby::typescript()` writes
//! `page/lobby.ts`, which the page imports (`tests/typescript_bindings.rs` fails when that file is stale).

use remotes_runtime::remotes;
use serde::{Deserialize, Serialize};

/// Someone in the lobby.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Member {
    pub id: u64,
    pub name: String,
    /// One of the server's own bots.
    pub bot: bool,
}

/// How a vote went.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
pub struct Tally {
    pub yes: u32,
    pub no: u32,
    /// Members who did not answer in time (or left).
    pub silent: u32,
}

#[remotes]
pub mod lobby {
    use super::*;

    /// Called by players, handled by the server.
    pub trait ServerFunctions {
        /// Enters the lobby under `name`; returns everyone here, yourself included.
        fn join(#[remote(len = 1..=24)] name: String) -> Vec<Member>;
        /// Rolls a die with `sides` sides (2 to 100); everyone is told the result.
        fn roll(#[remote(range = 2..=100)] sides: u8) -> u8;
        /// Asks every member `question` (their `vote`, 20 seconds to answer) and returns the tally.
        fn start_vote(#[remote(len = 1..=100)] question: String) -> Tally;
    }

    /// Called by the server, handled by each player.
    pub trait ClientFunctions {
        /// A yes-or-no question from `asked_by`.
        fn vote(question: String, asked_by: String) -> bool;
    }

    /// Fired by players.
    pub trait ServerEvents {
        /// A line of chat, relayed to everyone.
        fn say(#[remote(len = 1..=200)] text: String);
    }

    /// Fired by the server.
    pub trait ClientEvents {
        /// A chat line.
        fn said(from: String, text: String);
        /// Everyone in the lobby, in the order they came, after each change.
        fn members(members: Vec<Member>);
        /// Something happened: a join, a leave, a roll, a vote's result.
        fn notice(text: String);
    }
}
