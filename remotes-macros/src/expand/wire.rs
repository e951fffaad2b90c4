//! One `<T as CrossesTheWire>::CROSSES` per argument and return type, spanned at the type, so a type that cannot cross the
//! wire is reported where the user wrote it.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;

use super::Context;

pub fn generate(cx: &Context<'_>) -> TokenStream {
    let rt = &cx.rt;
    let checks = cx.own().flat_map(|(_, remote)| {
        let types = remote.args.iter().map(|(_, ty)| *ty).chain(remote.output);
        types
            .map(|ty| quote_spanned!(ty.span()=> const _: () = <#ty as #rt::__private::CrossesTheWire>::CROSSES;))
            .collect::<Vec<_>>()
    });
    quote::quote!(#(#checks)*)
}
