//! One struct per remote name and side, wrapping the runtime's typed handle(s) with methods that name the
//! arguments. A name declared in both directions gets both handles (and both sets of methods).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::side::Side;
use super::{Context, docs, markers, types};
use crate::valid::Remote;

/// Every declaration of one name, as one side sees them.
pub struct Named<'a> {
    pub parts: Vec<Part<'a>>,
}

/// One declaration: the remote, and whether this side handles (or hears) it.
pub struct Part<'a> {
    pub remote: &'a Remote<'a>,
    pub handled: bool,
}

impl Named<'_> {
    fn ident(&self) -> &Ident {
        self.parts[0].remote.ident
    }

    fn camel(&self) -> &Ident {
        &self.parts[0].remote.camel
    }

    fn docs(&self) -> TokenStream {
        let remotes: Vec<&Remote<'_>> = self.parts.iter().map(|part| part.remote).collect();
        docs::remote_docs(&remotes)
    }
}

impl Part<'_> {
    /// The private field holding the runtime handle.
    fn field(&self) -> Ident {
        let name = match (self.remote.group.is_function(), self.handled) {
            (true, true) => "handled",
            (true, false) => "invoked",
            (false, true) => "heard",
            (false, false) => "fired",
        };
        Ident::new(name, Span::call_site())
    }

    /// The runtime handle type's name without the side (`Function`) and the endpoint method (`function`).
    fn kind(&self) -> (&'static str, &'static str) {
        match (self.remote.group.is_function(), self.handled) {
            (true, true) => ("Function", "function"),
            (true, false) => ("Invoker", "invoker"),
            (false, true) => ("Listener", "listener"),
            (false, false) => ("Emitter", "emitter"),
        }
    }
}

/// `pub buy_item: BuyItem` in `Functions` or `Events`.
pub fn field(named: &Named<'_>) -> TokenStream {
    let (ident, camel, docs) = (named.ident(), named.camel(), named.docs());
    quote!(#docs pub #ident: #camel)
}

/// `buy_item: BuyItem { handled: endpoint.function::<super::__remotes_markers::buy_item_to_server>() }` in
/// `Remotes::__new`: the marker carries the remote's index, types and check (both sides check the same constraints).
pub fn init(named: &Named<'_>, endpoint: &Ident) -> TokenStream {
    let (ident, camel) = (named.ident(), named.camel());
    let handles = named.parts.iter().map(|part| {
        let field = part.field();
        let method = Ident::new(part.kind().1, Span::call_site());
        let marker = markers::reference(part.remote);
        quote!(#field: #endpoint.#method::<#marker>())
    });
    quote!(#ident: #camel { #(#handles),* })
}

/// The struct for one name and its methods.
pub fn generate(cx: &Context<'_>, side: Side, named: &Named<'_>) -> TokenStream {
    let rti = &cx.rt_inner;
    let (camel, docs) = (named.camel(), named.docs());
    let fields = named.parts.iter().map(|part| {
        let field = part.field();
        let ty = format_ident!("{}{}", side.title(), part.kind().0);
        let marker = markers::reference(part.remote);
        quote!(#field: #rti::__private::#ty<#marker>)
    });
    let methods = named.parts.iter().map(|part| methods(cx, side, part));
    quote! {
        #docs
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        pub struct #camel { #(#fields,)* }

        // The methods take a remote's arguments one by one, as declared (up to 16): many is not a smell here.
        #[allow(clippy::too_many_arguments)]
        impl #camel { #(#methods)* }
    }
}

/// A remote's types as written inside the generated module, and its argument names.
struct Signature<'a> {
    idents: Vec<&'a Ident>,
    types: Vec<syn::Type>,
    output: TokenStream,
}

impl<'a> Signature<'a> {
    fn of(remote: &'a Remote<'a>) -> Signature<'a> {
        Signature {
            idents: remote.args.iter().map(|(ident, _)| *ident).collect(),
            types: remote.args.iter().map(|(_, ty)| types::relocate(ty)).collect(),
            output: remote.output.map_or_else(|| quote!(()), |ty| types::relocate(ty).into_token_stream()),
        }
    }

    /// `item: u32, quantity: u8`
    fn params(&self) -> TokenStream {
        let (idents, types) = (&self.idents, &self.types);
        quote!(#(#idents: #types),*)
    }

    /// `(item, quantity)`
    fn values(&self) -> TokenStream {
        types::tuple(&self.idents)
    }

    /// `for<'__wire> T: Wire` for each argument and return type that is not a plain primitive or `String`.
    ///
    /// The runtime's handle methods require their types to be `Wire`. Stating it as a higher-ranked where
    /// clause makes each generated method compile whatever the types: a type that is not `Wire` is reported once,
    /// at the user's type, by the `CrossesTheWire` checks (and again only where user code calls the method).
    fn wire_bounds(&self, rti: &TokenStream) -> Vec<TokenStream> {
        let output: Option<syn::Type> = syn::parse2(self.output.clone()).ok();
        let mut seen: Vec<String> = Vec::new();
        let mut bounds = Vec::new();
        for ty in self.types.iter().chain(output.as_ref()) {
            let key = ty.to_token_stream().to_string();
            if obviously_wire(ty) || seen.contains(&key) {
                continue;
            }
            seen.push(key);
            bounds.push(quote!(for<'__wire> #ty: #rti::__private::Wire));
        }
        bounds
    }

    /// The names of the callback's type parameters, as the docs show them: `F` and `Fut`, unless the remote's types
    /// mention either name (a user type `F` would be shadowed), then longer ones.
    fn generic_names(&self) -> (Ident, Ident) {
        fn idents(tokens: TokenStream, out: &mut Vec<String>) {
            for token in tokens {
                match token {
                    proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
                    proc_macro2::TokenTree::Group(group) => idents(group.stream(), out),
                    _ => {}
                }
            }
        }
        let mut used = Vec::new();
        for ty in &self.types {
            idents(ty.to_token_stream(), &mut used);
        }
        idents(self.output.clone(), &mut used);
        let pick = |candidates: [&str; 3]| {
            let name =
                candidates.into_iter().find(|name| !used.iter().any(|used| used == name)).unwrap_or(candidates[2]);
            Ident::new(name, Span::call_site())
        };
        (pick(["F", "Callback", "__RemotesF"]), pick(["Fut", "CallbackFuture", "__RemotesFut"]))
    }

    /// Internal names for the arguments inside a closure: `a0, a1`, invisible to user code.
    fn bindings(&self) -> Vec<Ident> {
        (0..self.idents.len()).map(|i| Ident::new(&format!("a{i}"), Span::mixed_site())).collect()
    }
}

/// Types that are `Wire` unless the user shadows their names, which need no where clause (in the docs or for the
/// type checker): primitives, `String`, and `Vec`, `VecDeque`, `Option`, `Box`, tuples and arrays of those.
fn obviously_wire(ty: &syn::Type) -> bool {
    const PRIMITIVES: [&str; 17] = [
        "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
        "f64", "String",
    ];
    const WRAPPERS: [&str; 4] = ["Vec", "VecDeque", "Option", "Box"];
    match ty {
        syn::Type::Tuple(tuple) => tuple.elems.iter().all(obviously_wire),
        syn::Type::Array(array) => obviously_wire(&array.elem),
        syn::Type::Paren(paren) => obviously_wire(&paren.elem),
        syn::Type::Path(path) if path.qself.is_none() && path.path.leading_colon.is_none() => {
            let [segment] = path.path.segments.iter().collect::<Vec<_>>()[..] else {
                return false;
            };
            let name = segment.ident.to_string();
            match &segment.arguments {
                syn::PathArguments::None => PRIMITIVES.contains(&name.as_str()),
                syn::PathArguments::AngleBracketed(args) if WRAPPERS.contains(&name.as_str()) => {
                    matches!(&args.args.iter().collect::<Vec<_>>()[..], [syn::GenericArgument::Type(inner)] if obviously_wire(inner))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn methods(cx: &Context<'_>, side: Side, part: &Part<'_>) -> TokenStream {
    let rti = &cx.rt_inner;
    let sig = Signature::of(part.remote);
    let name = part.remote.ident;
    let field = part.field();
    let (params, values, types, output) = (sig.params(), sig.values(), &sig.types, &sig.output);
    let bindings = sig.bindings();
    let pattern = types::tuple(&bindings);
    let internal = |name: &str| Ident::new(name, Span::mixed_site());
    let (player, players) = (internal("player"), internal("players"));
    let callback = internal(if part.remote.group.is_function() { "callback" } else { "listener" });
    let server = side == Side::Server;
    // What the server-side methods take first, and what its callbacks receive first.
    let (player_param, player_arg, player_ty, player_binding) = if server {
        (quote!(#player: &#rti::Player,), quote!(#player,), quote!(#rti::Player,), quote!(#player,))
    } else {
        (quote!(), quote!(), quote!(), quote!())
    };
    let send_sync = quote!(::core::marker::Send + ::core::marker::Sync + 'static);
    let send = quote!(::core::marker::Send + 'static);
    let (f, fut) = sig.generic_names();
    let wire = sig.wire_bounds(rti);
    // The future's bound is one of the runtime's `callback` traits, whose error says what a callback must be.
    let callback_bounds = |future: &TokenStream| {
        quote! {
            where
                #f: ::core::ops::Fn(#player_ty #(#types),*) -> #fut + #send_sync,
                #fut: #future + #send,
                #(#wire,)*
        }
    };
    let side_title = side.title();
    let bounds = (!wire.is_empty()).then(|| quote!(where #(#wire,)*));
    let forward = quote!(move |#player_binding #pattern| #callback(#player_binding #(#bindings),*));

    match (part.remote.group.is_function(), part.handled) {
        (true, true) => {
            let reply = format_ident!("{side_title}Reply");
            let callback_where = callback_bounds(&quote!(#rti::callback::#reply<#output>));
            let (set_doc, predict_doc) = if server {
                (
                    format!(
                        "Sets the callback that answers `{name}` when a client invokes it, replacing any callback \
                         set before. It receives the calling player, then the arguments."
                    ),
                    format!(
                        "Runs this server's own callback for `{name}` as if `player` had invoked it, without the \
                         network: arguments and reply are encoded and decoded as for a real call."
                    ),
                )
            } else {
                (
                    format!(
                        "Sets the callback that answers `{name}` when the server invokes it, replacing any \
                         callback set before."
                    ),
                    format!(
                        "Runs this client's own callback for `{name}` as if the server had invoked it, without \
                         the network: arguments and reply are encoded and decoded as for a real call."
                    ),
                )
            };
            let extra = receiving(cx, side, part, &sig);
            quote! {
                #[doc = #set_doc]
                pub fn set_callback<#f, #fut>(&self, #callback: #f) #callback_where {
                    self.#field.set_callback(#forward)
                }

                #[doc = #predict_doc]
                pub fn predict(&self, #player_param #params) -> #rti::Predict<#output> #bounds {
                    self.#field.predict(#player_arg #values)
                }

                #extra
            }
        }
        (true, false) => {
            let (target, default) =
                if server { ("`player`'s client", "the server's") } else { ("the server", "the client's") };
            let invoke_doc = format!(
                "Invokes `{name}` on {target}, with {default} default timeout unless the call is given one \
                 (`.timeout(duration)` on the returned `Invoke`). Nothing is sent until the future is first polled; \
                 dropping it after that cancels the call."
            );
            let many = server.then(|| {
                let room = internal("room");
                let room_doc = format!(
                    "Invokes `{name}` on every member of `room` (its members when the stream is first polled), \
                     encoding the arguments once. Returns a stream of `(Player, Result)`, each player's answer as \
                     it arrives; every call has the server's default timeout unless the stream is given one \
                     (`.timeout(duration)` on the returned `InvokeMany`), and the stream ends once every call has \
                     settled, by that deadline at the latest (a player that did not answer yields \
                     `Err(FunctionError::Timeout)`). Nothing is sent until the stream is first polled; dropping it \
                     cancels the calls not settled yet."
                );
                let many_doc = format!(
                    "Invokes `{name}` on each of `players`, encoding the arguments once: like `invoke_room`, a \
                     stream of each player's answer as it arrives, ending by the deadline."
                );
                quote! {
                    #[doc = #room_doc]
                    pub fn invoke_room(&self, #room: &#rti::Room, #params) -> #rti::InvokeMany<#output> #bounds {
                        self.#field.invoke_room(#room, #values)
                    }

                    #[doc = #many_doc]
                    pub fn invoke_many(&self, #players: &[#rti::Player], #params) -> #rti::InvokeMany<#output> #bounds {
                        self.#field.invoke_many(#players, #values)
                    }
                }
            });
            quote! {
                #[doc = #invoke_doc]
                pub fn invoke(&self, #player_param #params) -> #rti::Invoke<#output> #bounds {
                    self.#field.invoke(#player_arg #values)
                }

                #many
            }
        }
        (false, true) => {
            let heard = format_ident!("{side_title}Heard");
            let callback_where = callback_bounds(&quote!(#rti::callback::#heard));
            let (connect_doc, predict_doc) = if server {
                (
                    format!(
                        "Adds a listener that runs with the sending player and the arguments each time a client \
                         fires `{name}`. Keep the returned `Connection` to remove it."
                    ),
                    format!("Runs the listeners of `{name}` as if `player` had fired it, without the network."),
                )
            } else {
                (
                    format!(
                        "Adds a listener that runs with the arguments each time the server fires `{name}`. Keep \
                         the returned `Connection` to remove it."
                    ),
                    format!("Runs the listeners of `{name}` as if the server had fired it, without the network."),
                )
            };
            let extra = receiving(cx, side, part, &sig);
            quote! {
                #[doc = #connect_doc]
                pub fn connect<#f, #fut>(&self, #callback: #f) -> #rti::Connection #callback_where {
                    self.#field.connect(#forward)
                }

                #[doc = #predict_doc]
                pub fn predict(&self, #player_param #params) #bounds {
                    self.#field.predict(#player_arg #values)
                }

                #extra
            }
        }
        (false, false) if server => {
            let fire_doc = format!("Fires `{name}` at `player` (of any node, in a cluster).");
            let many_doc = format!("Fires `{name}` at each of `players`, encoding it once.");
            let broadcast_doc =
                format!("Fires `{name}` at every connected player (of every node, in a cluster), encoding it once.");
            let except_doc = format!("Fires `{name}` at every connected player except `players`, encoding it once.");
            let room = internal("room");
            let room_doc =
                format!("Fires `{name}` at every member of `room` (on every node, in a cluster), encoding it once.");
            let room_except_doc =
                format!("Fires `{name}` at every member of `room` except `players`, encoding it once.");
            quote! {
                #[doc = #fire_doc]
                pub fn fire(&self, #player: &#rti::Player, #params) -> #rti::Fired #bounds {
                    self.#field.fire(#player, #values)
                }

                #[doc = #many_doc]
                pub fn fire_many(&self, #players: &[#rti::Player], #params) -> #rti::Fired #bounds {
                    self.#field.fire_many(#players, #values)
                }

                #[doc = #broadcast_doc]
                pub fn broadcast(&self, #params) -> #rti::Fired #bounds {
                    self.#field.broadcast(#values)
                }

                #[doc = #except_doc]
                pub fn except(&self, #players: &[#rti::Player], #params) -> #rti::Fired #bounds {
                    self.#field.except(#players, #values)
                }

                #[doc = #room_doc]
                pub fn fire_room(&self, #room: &#rti::Room, #params) -> #rti::Fired #bounds {
                    self.#field.fire_room(#room, #values)
                }

                #[doc = #room_except_doc]
                pub fn fire_room_except(&self, #room: &#rti::Room, #players: &[#rti::Player], #params) -> #rti::Fired #bounds {
                    self.#field.fire_room_except(#room, #players, #values)
                }
            }
        }
        (false, false) => {
            let fire_doc = format!("Fires `{name}` at the server.");
            quote! {
                #[doc = #fire_doc]
                pub fn fire(&self, #params) -> #rti::Fired #bounds {
                    self.#field.fire(#values)
                }
            }
        }
    }
}

/// `middleware` (both sides) and `rate_limit` (server only), on the side that handles or hears the remote.
fn receiving(cx: &Context<'_>, side: Side, part: &Part<'_>, sig: &Signature<'_>) -> TokenStream {
    let rti = &cx.rt_inner;
    let name = part.remote.ident;
    let field = part.field();
    let server = side == Side::Server;
    let function = part.remote.group.is_function();
    let args = types::tuple(&sig.types);
    let middleware = Ident::new("middleware", Span::mixed_site());
    let limit = Ident::new("limit", Span::mixed_site());
    let (f, fut) = sig.generic_names();
    let wire = sig.wire_bounds(rti);
    let player_ty = if server { quote!(#rti::Player,) } else { quote!() };

    let (what, target, refused) = if function {
        ("call", "the callback", "the caller's call settles as `FunctionError::Cancelled`")
    } else {
        ("event", "the listeners", "the event is dropped")
    };
    let receives = if server { "the sending player and the arguments as a tuple" } else { "the arguments as a tuple" };
    let global = if server { "the server's global middleware" } else { "the client's global middleware" };
    let middleware_doc = format!(
        "Adds a middleware to `{name}`. It runs for each incoming {what} that passed validation (decoding and the \
         declared argument constraints), after {global} and the middleware added to `{name}` before it (in \
         registration order), and before {target}.\n\nIt receives {receives}, and returns `Ok` with the arguments \
         to go on with (it may change them) or `Err(Reject)` to refuse the {what}: then {refused}. A middleware \
         that panics counts as `Unprocessed`, like a panicking {}.",
        if function { "callback" } else { "listener" },
    );
    let middleware_method = quote! {
        #[doc = #middleware_doc]
        pub fn middleware<#f, #fut>(&self, #middleware: #f)
        where
            #f: ::core::ops::Fn(#player_ty #args) -> #fut + ::core::marker::Send + ::core::marker::Sync + 'static,
            #fut: #rti::callback::Verdict<#args> + ::core::marker::Send + 'static,
            #(#wire,)*
        {
            self.#field.middleware(#middleware)
        }
    };
    if !server {
        return middleware_method;
    }
    let over =
        if function { "are rejected (the caller's call settles as `FunctionError::Cancelled`)" } else { "are dropped" };
    let rate_doc = format!(
        "Limits how often each player may {} `{name}`: a token bucket per player for this remote, checked before \
         the arguments are decoded. {} over the limit {over} and counted.",
        if function { "invoke" } else { "fire" },
        if function { "Calls" } else { "Events" },
    );
    let bounds = (!wire.is_empty()).then(|| quote!(where #(#wire,)*));
    quote! {
        #middleware_method

        #[doc = #rate_doc]
        pub fn rate_limit(&self, #limit: #rti::RateLimit) #bounds {
            self.#field.rate_limit(#limit)
        }
    }
}
