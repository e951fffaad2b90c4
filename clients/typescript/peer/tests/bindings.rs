//! The TypeScript tests use `clients/typescript/test/peer/net.ts`, the bindings of the peer's interface: this fails
//! when that file is not what `net::typescript()` generates now (rewrite it with `REMOTES_BLESS=1 cargo test -p
//! remotes-typescript-peer`).

use remotes_typescript_peer::interface::net;

#[test]
fn the_committed_bindings_are_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/peer/net.ts");
    remotes_runtime::typescript::keep_fresh(path, &net::typescript().unwrap()).unwrap();
}
