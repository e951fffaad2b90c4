//! Generated documentation text.

use proc_macro2::TokenStream;
use quote::quote;

use crate::valid::{Remote, tidy};

/// `buy_item(item: u32, quantity: u8) -> Receipt`, `shop.buy_item(..)` in a namespace
pub fn signature(remote: &Remote<'_>) -> String {
    let args: Vec<String> = remote.args.iter().map(|(ident, ty)| format!("{ident}: {}", tidy(ty))).collect();
    let output = remote.output.map(|ty| format!(" -> {}", tidy(ty))).unwrap_or_default();
    format!("{}({}){output}", remote.name, args.join(", "))
}

/// "`chat(text: String)`: an event fired by clients, heard by the server."
pub fn role_line(remote: &Remote<'_>) -> String {
    let role = match (remote.group.is_function(), remote.group.to_server()) {
        (true, true) => "a function handled by the server, invoked by clients",
        (true, false) => "a function handled by clients, invoked by the server",
        (false, true) => "an event fired by clients, heard by the server",
        (false, false) => "an event fired by the server, heard by clients",
    };
    format!("`{}`: {role}.", signature(remote))
}

/// The checks on a remote's arguments, one list item per argument that has any, for example
/// "- `quantity`: `range = 1..=99`"; `None` without any.
pub fn constraints(remote: &Remote<'_>) -> Option<String> {
    let items: Vec<String> = remote
        .args
        .iter()
        .zip(&remote.constraints)
        .filter(|(_, constraints)| constraints.any_check() || !constraints.items.is_empty())
        .map(|((ident, _), constraints)| format!("- `{ident}`: {}", constraints.describe().join(", ")))
        .collect();
    if items.is_empty() {
        return None;
    }
    let sides = if remote.group.is_function() {
        "checked by the invoking side before sending and by the handling side before its middleware and callback; \
         a call that breaks them fails with `FunctionError::BadRequest`"
    } else {
        "checked by the firing side before sending and by the hearing side before its middleware and listeners; \
         an event that breaks them is not delivered"
    };
    Some(format!("Argument constraints, {sides}:\n\n{}", items.join("\n")))
}

/// The user's doc comments of every declaration of a name, then one generated line per declaration (with its
/// argument constraints, if any).
pub fn remote_docs(remotes: &[&Remote<'_>]) -> TokenStream {
    let user: Vec<_> = remotes.iter().flat_map(|remote| remote.docs.iter().copied()).collect();
    let separator = (!user.is_empty()).then(|| quote!(#[doc = ""]));
    let lines = remotes.iter().enumerate().map(|(i, remote)| {
        let line = role_line(remote);
        let gap = (i > 0).then(|| quote!(#[doc = ""]));
        let constraints = constraints(remote).map(|text| quote!(#[doc = ""] #[doc = #text]));
        quote!(#gap #[doc = #line] #constraints)
    });
    quote!(#(#user)* #separator #(#lines)*)
}
