//! `interface()`: the static table of the module's remotes, whose positions are the handles' local indices.

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::Context;
use crate::hash::{HashedArg, signature_hash};
use crate::valid::Remote;

pub fn generate(cx: &Context<'_>) -> TokenStream {
    let rt = &cx.rt;
    let module = &cx.module;
    let entries = cx.remotes.iter().map(|remote| {
        let name = &remote.name;
        let kind = if remote.group.is_function() { quote!(Function) } else { quote!(Event) };
        let direction = if remote.group.to_server() { quote!(ToServer) } else { quote!(ToClient) };
        let hash = syn::LitInt::new(&format!("0x{:016x}_u64", hash(remote)), Span::call_site());
        let args = remote.args.iter().zip(&remote.constraints).map(|((ident, _), constraints)| {
            let arg = crate::case::wire_name(ident);
            let max_len = match constraints.max_len() {
                Some(max) => quote!(::core::option::Option::Some(#max)),
                None => quote!(::core::option::Option::None),
            };
            quote!(#rt::__private::arg(#arg, #max_len))
        });
        quote! {
            #rt::__private::remote(
                #name,
                #rt::__private::RemoteKind::#kind,
                #rt::__private::Direction::#direction,
                #hash,
                &[#(#args),*],
            )
        }
    });
    let doc = format!(
        "The interface `{module}` declares: each remote with its kind, its direction, a hash of its \
         signature and its arguments, in declaration order (the same as the `Api` marker's `interface()`)."
    );
    let accessor = cx.generates("interface").then(|| {
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            pub fn interface() -> &'static #rt::Interface {
                &__REMOTES_INTERFACE
            }
        }
    });
    let api = (cx.generates("Api") && cx.generates("server") && cx.generates("client")).then(|| {
        let doc = format!(
            "The interface `{module}` declares, as a type: make a server or a client for it with \
             `Server::bind::<{module}::Api>(addr)`, `Server::builder().in_memory::<{module}::Api>()` or \
             `Client::connect::<{module}::Api>(addr)`, then reach its remotes with `.remotes()`."
        );
        quote! {
            #[doc = #doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::default::Default)]
            pub struct Api;

            impl #rt::Api for Api {
                type Server = server::Remotes;
                type Client = client::Remotes;

                fn interface() -> &'static #rt::Interface {
                    &__REMOTES_INTERFACE
                }

                fn __server(endpoint: #rt::__private::ServerEndpoint) -> server::Remotes {
                    server::Remotes::__new(endpoint)
                }

                fn __client(endpoint: #rt::__private::ClientEndpoint) -> client::Remotes {
                    client::Remotes::__new(endpoint)
                }
            }
        }
    });
    quote! {
        #[allow(dead_code)]
        static __REMOTES_INTERFACE: #rt::Interface = #rt::Interface::__new(#module, &[#(#entries),*]);

        #accessor
        #api
    }
}

/// The hash of a remote's signature as declared (argument names aside).
pub fn hash(remote: &Remote<'_>) -> u64 {
    let args: Vec<HashedArg<'_>> =
        remote.args.iter().zip(&remote.constraints).map(|((_, ty), c)| (*ty, c.canonical())).collect();
    signature_hash(remote.group.kind_str(), remote.group.direction_str(), &remote.name, &args, remote.output)
}
