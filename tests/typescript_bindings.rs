//! The examples' committed TypeScript bindings are what their interfaces generate now: the web lobby's page imports
//! `examples/web_lobby/page/lobby.ts` (rewrite it with `REMOTES_BLESS=1 cargo test --test typescript_bindings`).

#[path = "../examples/web_lobby/interface.rs"]
mod interface;

#[test]
fn the_web_lobby_bindings_are_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/web_lobby/page/lobby.ts");
    remotes_runtime::typescript::keep_fresh(path, &interface::lobby::typescript().unwrap()).unwrap();
}
