//! Remote events: firing them (`fire`, `fire_many`, `broadcast`, `except`) and hearing them (`connect`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::client::ClientShared;
use crate::endpoint::Endpoint;
use crate::player::Player;
use crate::server::ServerShared;
use crate::wire::args::Args;

/// What became of a fired event: how many players it was queued for, and how many it skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fired {
    /// Recipients whose outgoing queue took the event.
    pub queued: usize,
    /// Recipients that were skipped: no longer connected, or their outgoing queue was full.
    pub skipped: usize,
}

/// A listener registered with `connect`. Dropping it keeps the listener; call [`Connection::disconnect`] to remove it.
pub struct Connection {
    _todo: (),
}

impl Connection {
    /// Removes this listener (and only this one). Calling it again does nothing.
    pub fn disconnect(&self) {
        todo!()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Server side of an event declared in `ServerEvents`: the server hears it.
pub struct ServerListener<A> {
    endpoint: Arc<Endpoint>,
    index: usize,
    _sig: PhantomData<fn(A)>,
}

impl<A: Args> ServerListener<A> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>, index: usize) -> Self {
        ServerListener {
            endpoint: Arc::clone(endpoint),
            index,
            _sig: PhantomData,
        }
    }

    /// Adds a listener.
    pub fn connect<F, Fut>(&self, _listener: F) -> Connection
    where
        F: Fn(Player, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        todo!()
    }

    /// Runs the listeners as if `player` had fired the event.
    pub fn predict(&self, _player: &Player, _args: A) {
        todo!()
    }
}

/// Server side of an event declared in `ClientEvents`: the server fires it.
pub struct ServerEmitter<A> {
    server: Arc<ServerShared>,
    index: usize,
    _sig: PhantomData<fn(A)>,
}

impl<A: Args> ServerEmitter<A> {
    pub(crate) fn new(server: &Arc<ServerShared>, index: usize) -> Self {
        ServerEmitter {
            server: Arc::clone(server),
            index,
            _sig: PhantomData,
        }
    }

    /// Fires the event at one player.
    pub fn fire(&self, _player: &Player, _args: A) -> Fired {
        todo!()
    }

    /// Fires the event at each of `players`, encoding it once.
    pub fn fire_many(&self, _players: &[Player], _args: A) -> Fired {
        todo!()
    }

    /// Fires the event at every connected player, encoding it once.
    pub fn broadcast(&self, _args: A) -> Fired {
        todo!()
    }

    /// Fires the event at every connected player except `excluded`, encoding it once.
    pub fn except(&self, _excluded: &[Player], _args: A) -> Fired {
        todo!()
    }
}

/// Client side of an event declared in `ClientEvents`: the client hears it.
pub struct ClientListener<A> {
    endpoint: Arc<Endpoint>,
    index: usize,
    _sig: PhantomData<fn(A)>,
}

impl<A: Args> ClientListener<A> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>, index: usize) -> Self {
        ClientListener {
            endpoint: Arc::clone(endpoint),
            index,
            _sig: PhantomData,
        }
    }

    /// Adds a listener.
    pub fn connect<F, Fut>(&self, _listener: F) -> Connection
    where
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        todo!()
    }

    /// Runs the listeners as if the server had fired the event.
    pub fn predict(&self, _args: A) {
        todo!()
    }
}

/// Client side of an event declared in `ServerEvents`: the client fires it.
pub struct ClientEmitter<A> {
    client: Arc<ClientShared>,
    index: usize,
    _sig: PhantomData<fn(A)>,
}

impl<A: Args> ClientEmitter<A> {
    pub(crate) fn new(client: &Arc<ClientShared>, index: usize) -> Self {
        ClientEmitter {
            client: Arc::clone(client),
            index,
            _sig: PhantomData,
        }
    }

    /// Fires the event at the server.
    pub fn fire(&self, _args: A) -> Fired {
        todo!()
    }
}

macro_rules! debug_handle {
    ($($ty:ident { $field:ident } ),*) => {$(
        impl<A> fmt::Debug for $ty<A> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("remote", &self.$field.remote_name(self.index)).finish()
            }
        }
        impl<A> Clone for $ty<A> {
            fn clone(&self) -> Self {
                $ty { $field: Arc::clone(&self.$field), index: self.index, _sig: PhantomData }
            }
        }
    )*};
}

debug_handle!(
    ServerListener { endpoint },
    ServerEmitter { server },
    ClientListener { endpoint },
    ClientEmitter { client }
);
