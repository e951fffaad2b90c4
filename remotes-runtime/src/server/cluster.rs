//! A server's side of its cluster: what its node needs of it (`Local`), and the [`Cluster`] handle a game reads
//! the cluster through.

use std::fmt;
use std::sync::Arc;

use super::ServerShared;
use crate::bus::{ClusterHealth, Local, Node, Snapshot};
use crate::player::Player;

impl Local for ServerShared {
    fn player(&self, id: u64) -> Option<Player> {
        self.lock_players().get(&id).cloned()
    }

    fn players(&self) -> Vec<Player> {
        self.connected_players()
    }

    fn room_members(&self, name: &str) -> Vec<Player> {
        self.rooms.members(name)
    }

    fn snapshot(&self) -> Snapshot {
        self.rooms.snapshot()
    }
}

/// A server's view of its cluster: every node's players, and the node's health. Get it with
/// [`Server::cluster`](crate::Server::cluster); cheap to clone.
///
/// What it lists of other nodes is eventually consistent: a player that joined another node, or a room change
/// there, appears here one batch interval and one bus hop later
/// ([`ClusterSettings::batch_interval`](crate::cluster::ClusterSettings::batch_interval)); a node that died
/// disappears within its node timeout.
///
/// ```no_run
/// # async fn demo(server: remotes_runtime::Server) {
/// let cluster = server.cluster().expect("built with `ServerBuilder::cluster`");
/// cluster.until(|cluster| cluster.players().len() >= 10).await;
/// println!("{:?}", cluster.health());
/// # }
/// ```
#[derive(Clone)]
pub struct Cluster {
    server: Arc<ServerShared>,
    node: Arc<Node>,
}

impl Cluster {
    pub(crate) fn of(server: &Arc<ServerShared>) -> Option<Cluster> {
        let node = Arc::clone(server.node.as_ref()?);
        Some(Cluster { server: Arc::clone(server), node })
    }

    /// This node's id: the high 32 bits of its players' ids.
    pub fn node_id(&self) -> u32 {
        self.node.id
    }

    /// Every player of the cluster: this server's, in the order they joined, then the other nodes' (by node,
    /// then id).
    pub fn players(&self) -> Vec<Player> {
        let mut players = self.server.connected_players();
        players.extend(self.directory(|directory| directory.players()));
        players
    }

    /// The player with this id, on any node.
    pub fn player(&self, id: u64) -> Option<Player> {
        let local = Local::player(&*self.server, id);
        local.or_else(|| self.directory(|directory| directory.player(id).cloned()))
    }

    /// The node's health: the bus's status, the nodes it hears, what it published, received and dropped.
    pub fn health(&self) -> ClusterHealth {
        self.node.health()
    }

    /// Resolves once `condition` holds, checking it now and after each change of this node's view (a node seen
    /// or lost, a membership batch or snapshot applied). Wrap it in a timeout where the condition may never hold.
    pub async fn until(&self, mut condition: impl FnMut(&Cluster) -> bool) {
        let mut changes = self.node.changes();
        loop {
            changes.borrow_and_update();
            if condition(self) {
                return;
            }
            if changes.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    fn directory<T>(&self, read: impl FnOnce(&crate::bus::Directory) -> T) -> T {
        read(&self.node.directory())
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster").field("node", &format_args!("{:08x}", self.node.id)).finish()
    }
}

#[cfg(test)]
mod tests;
