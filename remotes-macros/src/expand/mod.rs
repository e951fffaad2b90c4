//! Generation, from the validated model only: the module's other items in order, then `interface()` and
//! `typescript()`, the wire checks, the argument checks, the markers, the TypeScript descriptions, and the `server`
//! and `client` entry points with their modules.

mod checks;
mod docs;
mod handle;
mod interface;
mod markers;
mod side;
mod types;
mod typescript;
mod wire;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Item, Path};

use crate::ast::{Entry, Module};
use crate::attr::Args;
use crate::valid::{self, Level, Remote};

/// The whole macro: parse, check, generate. Errors come out next to whatever could still be generated.
pub fn remotes(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let args = syn::parse2::<Args>(args).unwrap_or_else(|error| {
        errors.push(error);
        Args::default()
    });
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        Err(error) => {
            return quote!(#input).into_iter().chain(error.to_compile_error()).collect();
        }
    };
    let output = match item {
        Item::Mod(item) => match Module::from_item(item.clone()) {
            Some(module) => {
                let (checked, error) = valid::check(&module);
                let failed = error.is_some();
                errors.extend(error);
                let name = crate::case::wire_name(&module.item.ident);
                level_tokens(&checked.root, &name, args.krate.as_ref(), &checked.remotes, failed)
            }
            None => {
                errors.push(syn::Error::new_spanned(
                    &item,
                    format!(
                        "`#[remotes]` needs the module's content inline: write `mod {} {{ ... }}` here; it cannot \
                         read a module from another file",
                        item.ident
                    ),
                ));
                item.into_token_stream()
            }
        },
        other => {
            errors.push(syn::Error::new_spanned(
                head(&other),
                "`#[remotes]` goes on an inline module that declares remotes traits: `mod net { pub trait \
                 ServerFunctions { ... } }`",
            ));
            other.into_token_stream()
        }
    };
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote!(#output #(#errors)*)
}

/// What every generator needs, for one level: the annotated module or one of its namespaces.
pub struct Context<'a> {
    /// The runtime's path in this level's module, `::remotes_runtime` by default.
    pub rt: TokenStream,
    /// The runtime's path one module further in (inside `server` and `client`).
    pub rt_inner: TokenStream,
    /// The annotated module's name, as the interface is named.
    pub module: String,
    /// Every remote of the interface, in interface order (their positions are their local indices).
    pub remotes: &'a [Remote<'a>],
    pub level: &'a Level<'a>,
}

impl<'a> Context<'a> {
    fn new(module: &str, krate: Option<&Path>, remotes: &'a [Remote<'a>], level: &'a Level<'a>) -> Context<'a> {
        let (rt, rt_inner) = match krate {
            Some(path) => {
                let mut path = path.clone();
                for _ in 0..level.path.len() {
                    path = types::relocate_path(&path);
                }
                (path.to_token_stream(), types::relocate_path(&path).to_token_stream())
            }
            None => {
                let default = quote::quote_spanned!(Span::call_site()=> ::remotes_runtime);
                (default.clone(), default)
            }
        };
        Context { rt, rt_inner, module: module.to_owned(), remotes, level }
    }

    /// Whether to generate the item(s) called `name` in this level's module.
    pub fn generates(&self, name: &str) -> bool {
        !self.level.taken.contains(&name)
    }

    /// The remotes declared in this level's module itself, with their local indices.
    pub fn own(&self) -> impl Iterator<Item = (usize, &'a Remote<'a>)> + '_ {
        self.remotes.iter().enumerate().filter(|(_, remote)| remote.path == self.level.path)
    }

    /// This level's namespace as users read it, `shop.prices`; empty at the top.
    pub fn dotted(&self) -> String {
        self.level.path.iter().map(|ident| crate::case::wire_name(ident)).collect::<Vec<_>>().join(".")
    }
}

/// Whether `level` or a namespace it reaches declares a valid function (or event).
pub fn has_any(remotes: &[Remote<'_>], level: &Level<'_>, functions: bool) -> bool {
    remotes.iter().any(|remote| remote.path == level.path && remote.group.is_function() == functions)
        || level.children.iter().any(|child| child.linked && has_any(remotes, child, functions))
}

/// A level's module with its other items and namespaces, then the generated items. When the compile fails anyway,
/// lints about items left unused by a skipped remote (`use super::*;` imports for its types) are silenced: they
/// would only add noise.
fn level_tokens(
    level: &Level<'_>,
    name: &str,
    krate: Option<&Path>,
    remotes: &[Remote<'_>],
    failed: bool,
) -> TokenStream {
    let cx = Context::new(name, krate, remotes, level);
    let module = level.module;
    let mut item = module.item.clone();
    if failed {
        item.attrs.push(syn::parse_quote!(#[allow(unused_imports, dead_code)]));
    }
    let mut items: Vec<Item> = Vec::new();
    for entry in &module.items {
        match entry {
            Entry::Other(other) => items.push(other.clone()),
            Entry::Remotes(_) => {}
            Entry::Namespace(child) => {
                // A namespace declared twice was reported and has no level: it is left out.
                if let Some(child) = level.children.iter().find(|l| std::ptr::eq(l.module, child)) {
                    items.push(Item::Verbatim(level_tokens(child, name, krate, remotes, failed)));
                }
            }
        }
    }
    let root = level.is_root().then(|| {
        let mut root = interface::generate(&cx);
        root.extend(typescript::function(&cx));
        root
    });
    let generated = [
        root.unwrap_or_default(),
        wire::generate(&cx),
        checks::generate(&cx),
        markers::generate(&cx),
        typescript::generate(&cx),
        side::generate(&cx, side::Side::Server),
        side::generate(&cx, side::Side::Client),
    ];
    items.extend(generated.into_iter().map(Item::Verbatim));
    item.content = Some((module.brace, items));
    item.into_token_stream()
}

/// The tokens that name an item, for an error about the item as a whole: `struct Foo`, `fn foo(...)`.
fn head(item: &Item) -> TokenStream {
    match item {
        Item::Fn(item) => item.sig.to_token_stream(),
        Item::Struct(item) => {
            let (token, ident) = (&item.struct_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Enum(item) => {
            let (token, ident) = (&item.enum_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Trait(item) => {
            let (token, ident) = (&item.trait_token, &item.ident);
            quote!(#token #ident)
        }
        Item::Impl(item) => {
            let (token, ty) = (&item.impl_token, &item.self_ty);
            quote!(#token #ty)
        }
        other => other.to_token_stream(),
    }
}

#[cfg(test)]
mod tests;
