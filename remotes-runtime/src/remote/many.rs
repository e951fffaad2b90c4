//! `InvokeMany`: one function invoked on many players at once (a room's members, or a list), each answer yielded
//! as it arrives.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::FuturesUnordered;
use pin_project_lite::pin_project;

use crate::FunctionError;
use crate::boundary::Boundary;
use crate::player::Player;
use crate::remote::invoke::{Invoke, Payload, Report, Target};
use crate::server::Room;
use crate::wire::args::Wire;

/// A stream of `(Player, Result<R, FunctionError>)`: one function invoked on each of many players, yielding each
/// player's answer as it arrives. Returned by the generated `invoke_room` and `invoke_many`.
///
/// The arguments are encoded once, when it is made, and the encoded bytes are shared by every call. Like
/// [`Invoke`] it is lazy: **nothing is sent until it is first polled**. Then a call goes to each player (for a room,
/// its members at that moment), each with the server's default timeout or the one given with
/// [`timeout`](InvokeMany::timeout), all counted from that first poll. Each player yields exactly once: its value,
/// or the error its call settled with (`Timeout` when it did not answer in time, `Disconnected` when its connection
/// closed, ...), so the stream ends once every call has settled, by the deadline at the latest. A player who
/// leaves the room after the calls went out still answers (or fails) as usual. Dropping the stream cancels the
/// calls not settled yet, as dropping an `Invoke` does.
///
/// ```no_run
/// # use remotes_runtime::{remotes, Player, Server};
/// # #[remotes] pub mod net { pub trait ClientFunctions { fn vote(question: String) -> bool; } }
/// # async fn demo(server: Server<net::Api>) {
/// use futures_util::StreamExt;
/// use std::time::Duration;
///
/// let room = server.room("match-42");
/// let mut answers = server.remotes().functions.vote.invoke_room(&room, "next map?".into()).timeout(Duration::from_secs(5));
/// while let Some((player, answer)) = answers.next().await {
///     println!("player {}: {answer:?}", player.id());
/// }
/// # }
/// ```
#[must_use = "an `InvokeMany` sends nothing until it is polled"]
pub struct InvokeMany<R> {
    state: State<R>,
    timeout: Duration,
}

/// Who the calls go to.
pub(crate) enum Targets {
    Room(Room),
    Players(Vec<Player>),
}

/// What every call needs, bar the player.
pub(crate) struct Request {
    pub(crate) remote: u32,
    pub(crate) name: &'static str,
    /// `None` when the arguments failed their checks or their encoding: every call settles `BadRequest`.
    pub(crate) args: Option<Bytes>,
    pub(crate) boundary: Arc<Boundary>,
}

enum State<R> {
    Unsent { targets: Targets, request: Request },
    Running { ready: VecDeque<(Player, Result<R, FunctionError>)>, calls: FuturesUnordered<Pin<Box<Tagged<R>>>> },
}

pin_project! {
    /// One player's call, yielding the player with the outcome.
    struct Tagged<R> {
        player: Option<Player>,
        #[pin]
        call: Invoke<R>,
    }
}

impl<R: Wire> Future for Tagged<R> {
    type Output = (Player, Result<R, FunctionError>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = std::task::ready!(this.call.poll(cx));
        Poll::Ready((this.player.take().expect("`Tagged` polled after completion"), outcome))
    }
}

// Nothing of it is pinned in place: the calls are boxed, and `R` is only ever moved out of finished ones.
impl<R> Unpin for InvokeMany<R> {}

impl<R> InvokeMany<R> {
    pub(crate) fn unsent(targets: Targets, request: Request, timeout: Duration) -> Self {
        InvokeMany { state: State::Unsent { targets, request }, timeout }
    }

    /// Gives every call its own deadline instead of the server's default timeout, counted from the first poll,
    /// when the calls are sent. Has no effect once the stream has been polled.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<R: Wire> InvokeMany<R> {
    /// Sends every call, polling each once so that all go out now, with deadlines from this moment.
    fn send(targets: Targets, request: Request, timeout: Duration, cx: &mut Context<'_>) -> State<R> {
        let players = match targets {
            Targets::Players(players) => players,
            Targets::Room(room) => room.players(),
        };
        let mut ready = VecDeque::new();
        let calls = FuturesUnordered::new();
        for player in players {
            let call = match &request.args {
                Some(args) => {
                    let report = Report {
                        boundary: Arc::clone(&request.boundary),
                        player: Some(player.clone()),
                        name: request.name,
                        index: request.remote as usize,
                    };
                    Invoke::unsent(
                        Target::player(&player),
                        request.remote,
                        request.name,
                        Payload::Shared(args.clone()),
                        timeout,
                        report,
                    )
                }
                None => Invoke::failed(FunctionError::BadRequest),
            };
            let mut tagged = Box::pin(Tagged { player: Some(player), call });
            match tagged.as_mut().poll(cx) {
                Poll::Ready(outcome) => ready.push_back(outcome),
                Poll::Pending => calls.push(tagged),
            }
        }
        State::Running { ready, calls }
    }
}

impl<R: Wire> Stream for InvokeMany<R> {
    type Item = (Player, Result<R, FunctionError>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let State::Unsent { .. } = this.state {
            let placeholder = State::Running { ready: VecDeque::new(), calls: FuturesUnordered::new() };
            let State::Unsent { targets, request } = std::mem::replace(&mut this.state, placeholder) else {
                unreachable!("state checked above")
            };
            this.state = Self::send(targets, request, this.timeout, cx);
        }
        let State::Running { ready, calls } = &mut this.state else { unreachable!("sent above") };
        if let Some(outcome) = ready.pop_front() {
            return Poll::Ready(Some(outcome));
        }
        Pin::new(calls).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.state {
            State::Unsent { targets: Targets::Players(players), .. } => (players.len(), Some(players.len())),
            State::Unsent { targets: Targets::Room(_), .. } => (0, None),
            State::Running { ready, calls } => {
                let left = ready.len() + calls.len();
                (left, Some(left))
            }
        }
    }
}

impl<R> fmt::Debug for InvokeMany<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (state, left) = match &self.state {
            State::Unsent { .. } => ("unsent", None),
            State::Running { ready, calls } => ("sent", Some(ready.len() + calls.len())),
        };
        f.debug_struct("InvokeMany").field("state", &state).field("unsettled", &left).finish()
    }
}
