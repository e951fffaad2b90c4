//! The remote markers: one unit type per remote, in a private module of the level's module, implementing the
//! runtime's `Remote` with the remote's local index, argument tuple, return type and check. The typed handles in
//! `server` and `client` are generic over them, so each handle's types are its remote's by construction.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::{Context, checks, types};
use crate::case::wire_name;
use crate::valid::Remote;

/// The private module's name.
pub const MODULE: &str = "__remotes_markers";

pub fn generate(cx: &Context<'_>) -> TokenStream {
    let rti = &cx.rt_inner;
    let markers = cx.own().map(|(index, remote)| {
        let name = name(remote);
        let args = types::tuple(&remote.args.iter().map(|(_, ty)| types::relocate(ty)).collect::<Vec<_>>());
        let output = match remote.output {
            Some(ty) => {
                let ty = types::relocate(ty);
                quote!(#ty)
            }
            None => quote!(()),
        };
        let check = checks::reference(remote);
        quote! {
            pub struct #name;

            impl #rti::__private::Remote for #name {
                const INDEX: usize = #index;
                type Args = #args;
                type Output = #output;
                const CHECK: ::core::option::Option<#rti::__private::Check<Self::Args>> = #check;
            }
        }
    });
    let module = Ident::new(MODULE, Span::call_site());
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_camel_case_types)]
        mod #module {
            #[allow(unused_imports)]
            use super::*;

            #(#markers)*
        }
    }
}

/// The marker's name, `buy_item_to_server`: a name may be declared in both directions.
pub fn name(remote: &Remote<'_>) -> Ident {
    format_ident!("{}_{}", wire_name(remote.ident), remote.group.direction_str())
}

/// The marker as the generated `server` and `client` modules name it: `super::__remotes_markers::buy_item_to_server`.
pub fn reference(remote: &Remote<'_>) -> TokenStream {
    let module = Ident::new(MODULE, Span::call_site());
    let name = name(remote);
    quote!(super::#module::#name)
}
