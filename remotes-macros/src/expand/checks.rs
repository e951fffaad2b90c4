//! The check functions: one per remote whose arguments have any check, `fn(&(A, B)) -> Result<(), Violation>`,
//! in a private module of the annotated module, where names resolve as they do in `server` and `client`.
//!
//! Each check is spanned at the constraint that asked for it, so that a constraint that does not fit its argument
//! (`range` on a `String`, `len` on a `u32`, a `validate` function of the wrong type) is reported there.

use proc_macro2::{Delimiter, Group, TokenTree};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use super::{Context, types};
use crate::case::wire_name;
use crate::constraint::Kind;
use crate::valid::Remote;

/// The private module's name.
pub const MODULE: &str = "__remotes_checks";

pub fn generate(cx: &Context<'_>) -> TokenStream {
    let functions: Vec<TokenStream> = cx.own().filter_map(|(_, remote)| function(cx, remote)).collect();
    if functions.is_empty() {
        return TokenStream::new();
    }
    let module = Ident::new(MODULE, Span::call_site());
    quote! {
        #[allow(dead_code, non_snake_case)]
        mod #module {
            #[allow(unused_imports)]
            use super::*;

            #(#functions)*
        }
    }
}

/// The check function's name, `buy_item_to_server`: a name may be declared in both directions, each with its own
/// constraints.
pub fn name(remote: &Remote<'_>) -> Ident {
    format_ident!("{}_{}", wire_name(remote.ident), remote.group.direction_str())
}

/// The check for the remote's arguments, as the generated `server` and `client` modules pass it to the runtime:
/// `::core::option::Option::Some(super::__remotes_checks::buy_item_to_server)`, or `None` without checks.
pub fn reference(remote: &Remote<'_>) -> TokenStream {
    if !has_checks(remote) {
        return quote!(::core::option::Option::None);
    }
    let module = Ident::new(MODULE, Span::call_site());
    let name = name(remote);
    quote!(::core::option::Option::Some(super::#module::#name))
}

fn has_checks(remote: &Remote<'_>) -> bool {
    remote.constraints.iter().any(|constraints| constraints.any_check())
}

fn function(cx: &Context<'_>, remote: &Remote<'_>) -> Option<TokenStream> {
    if !has_checks(remote) {
        return None;
    }
    let rti = &cx.rt_inner;
    let args = Ident::new("__remotes_args", Span::call_site());
    let types: Vec<syn::Type> = remote.args.iter().map(|(_, ty)| types::relocate(ty)).collect();
    let tuple = types::tuple(&types);
    let mut calls = Vec::new();
    for (i, ((_, ty), constraints)) in remote.args.iter().zip(&remote.constraints).enumerate() {
        let field = syn::Index::from(i);
        for item in &constraints.items {
            let (check, value) = match &item.kind {
                Kind::Range(range) => ("check_range", types::relocate_expr(range)),
                Kind::Len(range) => ("check_len", types::relocate_expr(range)),
                Kind::Validate(path) => ("check_with", types::relocate_expr(path)),
                Kind::AllowNonFinite => continue,
            };
            let check = Ident::new(check, Span::call_site());
            // Every generated token is spanned at the constraint, from its key to the end of its value, so that
            // an error about the call or about the argument's type points at `range = 1..=99`.
            let (start, end) = (item.span(), item.end_span());
            let path = respan(quote!(#rti::__private::#check), start);
            let subject = respan(quote!(#i, &#args.), start);
            let field = respan(quote!(#field), end);
            let mut arguments = Group::new(Delimiter::Parenthesis, quote!(#subject #field, #value));
            arguments.set_span(start);
            let question = respan(quote!(?;), start);
            calls.push(quote!(#path #arguments #question));
        }
        if constraints.finite {
            let head = respan(quote!(#rti::__private::check_finite(#i, &#args.#field)?;), ty.span());
            calls.push(head);
        }
    }
    let name = name(remote);
    let doc = format!("Checks the declared constraints of `{}`'s arguments.", remote.ident);
    Some(quote! {
        #[doc = #doc]
        pub(super) fn #name(#args: &#tuple) -> ::core::result::Result<(), #rti::__private::Violation> {
            #(#calls)*
            ::core::result::Result::Ok(())
        }
    })
}

/// `tokens` with every token, at any depth, spanned at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            }
            token.set_span(span);
            token
        })
        .collect()
}
