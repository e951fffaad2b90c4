//! `server()` / `client()` and their modules: `Remotes`, `Functions`, `Events`, and one handle struct per name.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::Context;
use super::handle::{self, Named, Part};

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
    let (rt, rti) = (&cx.rt, &cx.rt_inner);
    let module = Ident::new(side.name(), Span::call_site());
    let title = Ident::new(side.title(), Span::call_site());
    let endpoint_ty = Ident::new(&format!("{}Endpoint", side.title()), Span::call_site());
    let param = Ident::new(side.name(), Span::mixed_site());
    let endpoint = Ident::new("endpoint", Span::mixed_site());

    let functions = named(cx, side, true);
    let events = named(cx, side, false);
    let fields = |list: &[Named<'_>]| list.iter().map(handle::field).collect::<Vec<_>>();
    let inits = |list: &[Named<'_>]| list.iter().map(|named| handle::init(named, &endpoint)).collect::<Vec<_>>();
    let (function_fields, event_fields) = (fields(&functions), fields(&events));
    let (function_inits, event_inits) = (inits(&functions), inits(&events));
    let unused = (functions.is_empty() && events.is_empty()).then(|| quote!(let _ = &#endpoint;));
    let handles = functions.iter().chain(&events).map(|named| handle::generate(cx, side, named));

    let m = &cx.module;
    let s = side.name();
    let (handles_doc, sees) = match side {
        Side::Server => ("answer and invoke its functions, hear and fire its events", "the server"),
        Side::Client => ("invoke and answer its functions, fire and hear its events", "a client"),
    };
    let entry_doc = format!(
        "The remotes of `{m}` on this {s}: typed handles to {handles_doc}.\n\nCalling it again for the same \
         {s} returns handles that share the same callbacks and listeners."
    );
    let module_doc = format!("The remotes of `{m}` as {sees} sees them; get them with `{m}::{s}(..)`.");
    let remotes_doc = format!("Every remote of `{m}` as {sees} sees it.");
    let functions_field_doc = format!("The functions of `{m}`, one handle each.");
    let events_field_doc = format!("The events of `{m}`, one handle each.");
    let functions_doc = format!("The functions of `{m}` as {sees} sees them, one handle per name.");
    let events_doc = format!("The events of `{m}` as {sees} sees them, one handle per name.");
    let derive = quote!(#[derive(::core::clone::Clone, ::core::fmt::Debug)]);

    quote! {
        #[doc = #entry_doc]
        #[allow(dead_code)]
        pub fn #module(#param: &#rt::#title) -> #module::Remotes {
            #module::Remotes::__new(#rt::__private::#endpoint_ty::attach(#param, &__REMOTES_INTERFACE))
        }

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
                pub(super) fn __new(#endpoint: #rti::__private::#endpoint_ty) -> Self {
                    #unused
                    Remotes {
                        functions: Functions { #(#function_inits,)* },
                        events: Events { #(#event_inits,)* },
                    }
                }
            }

            #[doc = #functions_doc]
            #derive
            pub struct Functions { #(#function_fields,)* }

            #[doc = #events_doc]
            #derive
            pub struct Events { #(#event_fields,)* }

            #(#handles)*
        }
    }
}

/// The functions (or events) as this side sees them: one entry per name, in interface order.
fn named<'a>(cx: &'a Context<'a>, side: Side, functions: bool) -> Vec<Named<'a>> {
    let mut out: Vec<Named<'a>> = Vec::new();
    for (index, remote) in cx.remotes.iter().enumerate() {
        if remote.group.is_function() != functions {
            continue;
        }
        let part = Part { index, remote, handled: side.handles(remote.group.to_server()) };
        match out.iter_mut().find(|named| named.parts[0].remote.name == remote.name) {
            Some(named) => named.parts.push(part),
            None => out.push(Named { parts: vec![part] }),
        }
    }
    out
}
