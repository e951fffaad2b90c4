//! The binding: how a peer's remote ids map to this side's remotes, fixed when the connection is made (on the client,
//! from the server's table as the handshake announced it).

use std::sync::Arc;

use crate::FunctionError;
use crate::endpoint::Endpoint;
use crate::interface::{Mismatch, MismatchKind, RemoteKind};
use crate::wire::message::WireRemote;

/// How a peer's remote ids map to this side's remotes. The server's table is the wire's numbering, so on the
/// server it is the identity; the client builds it from the server's table when it connects.
pub(crate) struct Binding {
    pub(crate) endpoint: Arc<Endpoint>,
    /// Wire id -> local index; `None` for remotes this side lacks or declares differently.
    incoming: Box<[Option<usize>]>,
    /// Wire id -> name, for logs.
    names: Box<[String]>,
}

impl Binding {
    /// The client's binding to the server's table (`remotes`, as the handshake announced it), with the server's id
    /// for each local remote, or the error a call to it settles with. Each remote that differs (`mismatches`, the
    /// interface's against `remotes`) is logged.
    pub(crate) fn to_server(
        endpoint: Arc<Endpoint>,
        remotes: &[WireRemote],
        mismatches: &[Mismatch],
    ) -> (Binding, Box<[Result<u32, FunctionError>]>) {
        let interface = endpoint.interface();
        let mut incoming = vec![None; remotes.len()];
        let mut outgoing = Vec::with_capacity(interface.remotes().len());
        for (local, def) in interface.remotes().iter().enumerate() {
            let found = remotes.iter().enumerate().find_map(|(id, r)| r.hash_if_same(def).map(|h| (id, h)));
            outgoing.push(match found {
                Some((id, hash)) if hash == def.hash => {
                    incoming[id] = Some(local);
                    Ok(id as u32)
                }
                _ => Err(FunctionError::Unprocessed),
            });
        }
        for mismatch in mismatches {
            tracing::warn!(remote = %mismatch.remote, "{mismatch}; calls to it fail without being sent");
            if mismatch.kind == MismatchKind::Signature
                && let Some(local) = interface.remotes().iter().position(|d| d.name == mismatch.remote)
            {
                outgoing[local] = Err(FunctionError::BadRequest);
            }
        }
        let names = remotes.iter().map(|r| r.0.clone()).collect();
        (Binding { endpoint, incoming: incoming.into(), names }, outgoing.into())
    }

    /// The server's binding: wire ids are its own local indices.
    pub(crate) fn identity(endpoint: Arc<Endpoint>) -> Binding {
        let remotes = endpoint.interface().remotes();
        let incoming = (0..remotes.len()).map(Some).collect();
        let names = remotes.iter().map(|r| r.name.to_string()).collect();
        Binding { endpoint, incoming, names }
    }

    /// The name of the remote with wire id `remote`, for logs (`#id` for an id the peer's table lacks).
    pub(crate) fn label(&self, remote: u32) -> String {
        self.names.get(remote as usize).cloned().unwrap_or_else(|| format!("#{remote}"))
    }

    /// The local index of the remote with wire id `wire_id`, if it is a `kind` this side handles (or hears).
    pub(crate) fn handled(&self, wire_id: u32, kind: RemoteKind) -> Option<usize> {
        let local = self.incoming.get(wire_id as usize).copied().flatten()?;
        let def = self.endpoint.def(local);
        (def.kind == kind && def.direction == self.endpoint.handles()).then_some(local)
    }
}
