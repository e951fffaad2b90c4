//! The check functions: one per remote whose arguments have any check, `fn(&(A, B)) -> Result<(), Violation>`,
//! in a private module of the annotated module, where names resolve as they do in `server` and `client`.
//!
//! Each check is spanned at the constraint that asked for it, so that a constraint that does not fit its argument
//! (`range` on a `String`, `len` on a `u32`, a `validate` function of the wrong type) is reported there.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{Context, types};
use crate::case::wire_name;
use crate::constraint::Kind;
use crate::valid::Remote;

/// The private module's name.
pub const MODULE: &str = "__remotes_checks";

pub fn generate(cx: &Context<'_>) -> TokenStream {
    let functions: Vec<TokenStream> = cx.remotes.iter().filter_map(|remote| function(cx, remote)).collect();
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
        for item in &constraints.items {
            let (start, end) = (item.span(), item.end_span());
            // `&__remotes_args.i`, from the key to the end of the value: an error about the argument's type
            // covers the whole constraint.
            let field = syn::Index { index: i as u32, span: end };
            let subject = quote_spanned!(start=> &#args.#field);
            let call = match &item.kind {
                Kind::Range(range) => {
                    let range = types::relocate_expr(range);
                    quote_spanned!(start=> #rti::__private::check_range(#i, #subject, #range)?;)
                }
                Kind::Len(range) => {
                    let range = types::relocate_expr(range);
                    quote_spanned!(start=> #rti::__private::check_len(#i, #subject, #range)?;)
                }
                Kind::Validate(path) => {
                    let path = types::relocate_expr(path);
                    quote_spanned!(start=> #rti::__private::check_with(#i, #subject, #path)?;)
                }
                Kind::AllowNonFinite => continue,
            };
            calls.push(call);
        }
        if constraints.finite {
            let span = ty.span();
            let field = syn::Index { index: i as u32, span };
            calls.push(quote_spanned!(span=> #rti::__private::check_finite(#i, &#args.#field)?;));
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
