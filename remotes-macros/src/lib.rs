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
#[proc_macro_attribute]
pub fn remotes(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::remotes(args.into(), input.into()).into()
}
