//! The `#[remotes]` attribute macro. Use it through `remotes_runtime::remotes`, whose documentation describes
//! what it accepts and what it generates.
//!
//! Layout: `attr` reads the macro's own arguments, `ast` models the annotated module, `valid` applies every rule
//! and keeps the remotes that pass, `expand` generates code from those. `constraint` reads the
//! `#[remote(...)]` attributes of arguments. `case` and `hash` are small helpers.

extern crate proc_macro;

mod ast;
mod attr;
mod case;
mod constraint;
mod expand;
mod hash;
mod valid;

use proc_macro::TokenStream;

/// Turns a module of remotes traits into typed server and client handles. See `remotes_runtime::remotes`.
///
/// # Namespaces
///
/// An inline module nested in the `#[remotes]` module that declares remotes traits (directly or deeper) is a
/// namespace: its remotes are reached as `remotes.functions.shop.buy_item` and `remotes.events.shop.opened`, travel
/// under dotted names (`shop.buy_item`, covered by the signature hash), and their types resolve as written inside the
/// namespace module. Each namespace gets its own `server` and `client` modules with its handle structs. Nested modules
/// without any remotes trait pass through unchanged, whatever they contain. A namespace cannot be named `server`,
/// `client`, `interface` or `typescript` (at the top), `functions` or `events`, nor like a remote of its enclosing module, and takes
/// only doc comments and lint attributes (no `#[cfg]`).
#[proc_macro_attribute]
pub fn remotes(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::remotes(args.into(), input.into()).into()
}
