//! The macro's model of the annotated module: the remotes traits pulled out, every other item kept in order.
//! Nothing is checked here beyond what is needed to build the model; `valid` applies the rules.

use proc_macro2::Ident;
use syn::{Attribute, FnArg, ItemMod, ItemTrait, Pat, Receiver, TraitItem, TraitItemFn, Type};

/// One of the four traits a remotes module may declare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Group {
    ServerFunctions,
    ClientFunctions,
    ServerEvents,
    ClientEvents,
}

impl Group {
    /// In the order their remotes are numbered.
    pub const ALL: [Group; 4] =
        [Group::ServerFunctions, Group::ClientFunctions, Group::ServerEvents, Group::ClientEvents];

    pub fn name(self) -> &'static str {
        match self {
            Group::ServerFunctions => "ServerFunctions",
            Group::ClientFunctions => "ClientFunctions",
            Group::ServerEvents => "ServerEvents",
            Group::ClientEvents => "ClientEvents",
        }
    }

    pub fn from_ident(ident: &Ident) -> Option<Group> {
        Group::ALL.into_iter().find(|group| ident == group.name())
    }

    pub fn is_function(self) -> bool {
        matches!(self, Group::ServerFunctions | Group::ClientFunctions)
    }

    /// The kind as the signature hash spells it.
    pub fn kind_str(self) -> &'static str {
        if self.is_function() { "function" } else { "event" }
    }

    /// The direction as the signature hash spells it.
    pub fn direction_str(self) -> &'static str {
        if self.to_server() { "to_server" } else { "to_client" }
    }

    /// `true` when the server handles (functions) or hears (events) these remotes.
    pub fn to_server(self) -> bool {
        matches!(self, Group::ServerFunctions | Group::ServerEvents)
    }
}

/// The annotated module.
pub struct Module {
    /// The module as written, its content taken out (see `items`).
    pub item: ItemMod,
    pub brace: syn::token::Brace,
    pub items: Vec<Entry>,
}

/// One item of the module, in source order.
pub enum Entry {
    Remotes(RemotesTrait),
    /// A nested inline module that declares remotes traits (at any depth): a namespace, `shop.buy_item`.
    Namespace(Module),
    /// Any other item, passed through unchanged (including traits with other names, which `valid` reports, and
    /// nested modules without remotes traits).
    Other(syn::Item),
}

/// A trait named after one of the four groups.
pub struct RemotesTrait {
    pub group: Group,
    /// The trait as written, for spans.
    pub item: ItemTrait,
    pub methods: Vec<Method>,
}

/// A method of a remotes trait: one remote.
pub struct Method {
    /// The method as written, for spans.
    pub item: TraitItemFn,
    pub receiver: Option<Receiver>,
    pub args: Vec<Arg>,
    pub output: Option<Type>,
}

/// One argument of a remote.
pub struct Arg {
    pub attrs: Vec<Attribute>,
    pub pat: Pat,
    pub ty: Type,
}

impl Module {
    /// Splits an inline module's content; `None` for `mod name;`.
    pub fn from_item(mut item: ItemMod) -> Option<Module> {
        let (brace, content) = item.content.take()?;
        let items = content
            .into_iter()
            .map(|item| match item {
                syn::Item::Trait(tr) => match Group::from_ident(&tr.ident) {
                    Some(group) => Entry::Remotes(RemotesTrait::new(group, tr)),
                    None => Entry::Other(syn::Item::Trait(tr)),
                },
                syn::Item::Mod(nested) => match Module::from_item(nested.clone()) {
                    Some(module) if module.declares_remotes() => Entry::Namespace(module),
                    _ => Entry::Other(syn::Item::Mod(nested)),
                },
                other => Entry::Other(other),
            })
            .collect();
        Some(Module { item, brace, items })
    }

    /// Whether the module or a module nested in it declares a remotes trait.
    pub fn declares_remotes(&self) -> bool {
        self.items.iter().any(|entry| matches!(entry, Entry::Remotes(_) | Entry::Namespace(_)))
    }

    pub fn remotes_traits(&self) -> impl Iterator<Item = &RemotesTrait> {
        self.items.iter().filter_map(|entry| match entry {
            Entry::Remotes(tr) => Some(tr),
            Entry::Other(_) | Entry::Namespace(_) => None,
        })
    }

    pub fn other_items(&self) -> impl Iterator<Item = &syn::Item> {
        self.items.iter().filter_map(|entry| match entry {
            Entry::Other(item) => Some(item),
            Entry::Remotes(_) | Entry::Namespace(_) => None,
        })
    }
}

impl RemotesTrait {
    fn new(group: Group, item: ItemTrait) -> RemotesTrait {
        let methods = item
            .items
            .iter()
            .filter_map(|entry| match entry {
                TraitItem::Fn(method) => Some(Method::new(method.clone())),
                _ => None,
            })
            .collect();
        RemotesTrait { group, item, methods }
    }
}

impl Method {
    fn new(item: TraitItemFn) -> Method {
        let mut receiver = None;
        let mut args = Vec::new();
        for input in &item.sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.clone()),
                FnArg::Typed(arg) => {
                    args.push(Arg { attrs: arg.attrs.clone(), pat: (*arg.pat).clone(), ty: (*arg.ty).clone() })
                }
            }
        }
        let output = match &item.sig.output {
            syn::ReturnType::Default => None,
            syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Method { item, receiver, args, output }
    }

    pub fn ident(&self) -> &Ident {
        &self.item.sig.ident
    }

    pub fn docs(&self) -> impl Iterator<Item = &Attribute> {
        self.item.attrs.iter().filter(|attr| attr.path().is_ident("doc"))
    }
}

impl Arg {
    /// The argument's name when its pattern is a plain `name`.
    pub fn ident(&self) -> Option<&Ident> {
        match &self.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.mutability.is_none() && pat.subpat.is_none() => {
                Some(&pat.ident)
            }
            _ => None,
        }
    }
}
