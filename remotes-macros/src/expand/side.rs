//! `server()` / `client()` and their modules: `Remotes`, `Functions`, `Events`, and one handle struct per name.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::handle::{self, Named, Part};
use super::{Context, has_any};
use crate::case::wire_name;
use crate::valid::Level;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }

    /// `Server` / `Client`, as runtime type names start.
    pub fn title(self) -> &'static str {
        match self {
            Side::Server => "Server",
            Side::Client => "Client",
        }
    }

    /// `true` for the side that handles (functions) or hears (events) remotes going `to_server`.
    pub fn handles(self, to_server: bool) -> bool {
        (self == Side::Server) == to_server
    }
}

pub fn generate(cx: &Context<'_>, side: Side) -> TokenStream {
    if !cx.generates(side.name()) {
        return TokenStream::new();
    }
    let rti = &cx.rt_inner;
    let module = Ident::new(side.name(), Span::call_site());
    let endpoint_name = Ident::new(&format!("{}Endpoint", side.title()), Span::call_site());
    let endpoint_ty = quote!(#rti::__private::#endpoint_name);
    let endpoint = Ident::new("endpoint", Span::mixed_site());

    let functions = named(cx, side, true);
    let events = named(cx, side, false);
    let handles = functions.iter().chain(&events).map(|named| handle::generate(cx, side, named));

    let m = &cx.module;
    let s = side.name();
    let dotted = cx.dotted();
    let (handles_doc, sees) = match side {
        Side::Server => ("answer and invoke its functions, hear and fire its events", "the server"),
        Side::Client => ("invoke and answer its functions, fire and hear its events", "a client"),
    };
    let derive = quote!(#[derive(::core::clone::Clone, ::core::fmt::Debug)]);
    let group = |functions: bool, list: &[Named<'_>]| {
        let (ty, what) = if functions { ("Functions", "functions") } else { ("Events", "events") };
        if !cx.level.is_root() && !has_any(cx.remotes, cx.level, functions) {
            return TokenStream::new();
        }
        let ty = Ident::new(ty, Span::call_site());
        let children: Vec<&Level<'_>> =
            cx.level.children.iter().filter(|child| child.linked && has_any(cx.remotes, child, functions)).collect();
        let mut fields: Vec<TokenStream> = list.iter().map(handle::field).collect();
        let mut inits: Vec<TokenStream> = list.iter().map(|named| handle::init(named, &endpoint)).collect();
        for child in &children {
            let ident = child.module_ident();
            let name = if dotted.is_empty() { wire_name(ident) } else { format!("{dotted}.{}", wire_name(ident)) };
            let doc = format!(
                "The {what} of the namespace `{name}` (the `{ty}` struct of `{m}::{}::{s}`).",
                name.replace('.', "::")
            );
            fields.push(quote!(#[doc = #doc] pub #ident: super::#ident::#module::#ty));
            inits.push(quote!(#ident: super::#ident::#module::#ty::__new(#endpoint)));
        }
        let unused = inits.is_empty().then(|| quote!(let _ = #endpoint;));
        let nested = match children.len() {
            0 => String::new(),
            _ if dotted.is_empty() => {
                " Remotes of a namespace are reached through its field: `.shop.buy_item`.".to_owned()
            }
            _ => " Remotes of a nested namespace are reached through its field.".to_owned(),
        };
        let doc = if dotted.is_empty() {
            format!("The {what} of `{m}` as {sees} sees them, one handle per name.{nested}")
        } else {
            format!(
                "The {what} of the namespace `{dotted}` of `{m}` as {sees} sees them, one handle per name; their wire \
                 names are `{dotted}.<name>`.{nested}"
            )
        };
        quote! {
            #[doc = #doc]
            #derive
            pub struct #ty { #(#fields,)* }

            impl #ty {
                pub(crate) fn __new(#endpoint: &#endpoint_ty) -> Self {
                    #unused
                    #ty { #(#inits,)* }
                }
            }
        }
    };
    let function_group = group(true, &functions);
    let event_group = group(false, &events);

    if !cx.level.is_root() {
        let module_doc = format!(
            "The remotes of the namespace `{dotted}` of `{m}` as {sees} sees them; reach them through \
             `{s}.remotes()`, as `.functions.{dotted}` and `.events.{dotted}`."
        );
        return quote! {
            #[doc = #module_doc]
            #[allow(dead_code)]
            pub mod #module {
                #[allow(unused_imports)]
                use super::*;

                #function_group
                #event_group
                #(#handles)*
            }
        };
    }

    let module_doc = format!(
        "The remotes of `{m}` as {sees} sees them: `{s}.remotes()` on a {title} of `{m}::Api`.",
        title = side.title()
    );
    let remotes_doc = format!(
        "Every remote of `{m}` as {sees} sees it: typed handles to {handles_doc}. Clones share the same callbacks \
         and listeners."
    );
    let functions_field_doc = format!("The functions of `{m}`, one handle each.");
    let events_field_doc = format!("The events of `{m}`, one handle each.");

    quote! {
        #[doc = #module_doc]
        #[allow(dead_code)]
        pub mod #module {
            #[allow(unused_imports)]
            use super::*;

            #[doc = #remotes_doc]
            #derive
            pub struct Remotes {
                #[doc = #functions_field_doc]
                pub functions: Functions,
                #[doc = #events_field_doc]
                pub events: Events,
            }

            impl Remotes {
                #[doc(hidden)]
                pub fn __new(#endpoint: #endpoint_ty) -> Self {
                    Remotes { functions: Functions::__new(&#endpoint), events: Events::__new(&#endpoint) }
                }
            }

            #function_group
            #event_group
            #(#handles)*
        }
    }
}

/// The functions (or events) as this side sees them: one entry per name, in interface order.
fn named<'a>(cx: &'a Context<'a>, side: Side, functions: bool) -> Vec<Named<'a>> {
    let mut out: Vec<Named<'a>> = Vec::new();
    for (_, remote) in cx.own() {
        if remote.group.is_function() != functions {
            continue;
        }
        let part = Part { remote, handled: side.handles(remote.group.to_server()) };
        match out.iter_mut().find(|named| named.parts[0].remote.name == remote.name) {
            Some(named) => named.parts.push(part),
            None => out.push(Named { parts: vec![part] }),
        }
    }
    out
}
