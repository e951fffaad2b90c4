//! Generation, from the validated model only: the module's other items in order, then `interface()`, the wire
//! checks, the argument checks, and the `server` and `client` entry points with their modules.

mod checks;
mod docs;
mod handle;
mod interface;
mod side;
mod types;
mod wire;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Item, Path};

use crate::ast::Module;
use crate::attr::Args;
use crate::valid::{self, Remote};

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
                let cx = Context::new(&module, args.krate.as_ref(), &checked.remotes, &checked.taken);
                module_tokens(&module, &cx, failed)
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

/// What every generator needs.
pub struct Context<'a> {
    /// The runtime's path in the annotated module, `::remotes_runtime` by default.
    pub rt: TokenStream,
    /// The runtime's path one module further in (inside `server` and `client`).
    pub rt_inner: TokenStream,
    /// The annotated module's name, as the interface is named.
    pub module: String,
    pub remotes: &'a [Remote<'a>],
    /// Module-level names the user's items already take: not generated.
    pub taken: &'a [&'static str],
}

impl<'a> Context<'a> {
    fn new(module: &Module, krate: Option<&Path>, remotes: &'a [Remote<'a>], taken: &'a [&'static str]) -> Context<'a> {
        let (rt, rt_inner) = match krate {
            Some(path) => (path.to_token_stream(), types::relocate_path(path).to_token_stream()),
            None => {
                let default = quote::quote_spanned!(Span::call_site()=> ::remotes_runtime);
                (default.clone(), default)
            }
        };
        Context { rt, rt_inner, module: crate::case::wire_name(&module.item.ident), remotes, taken }
    }

    /// Whether to generate the module-level item(s) called `name`.
    pub fn generates(&self, name: &str) -> bool {
        !self.taken.contains(&name)
    }
}

/// The module with its other items, then the generated ones. When the compile fails anyway, lints about items
/// left unused by a skipped remote (`use super::*;` imports for its types) are silenced: they would only add noise.
fn module_tokens(module: &Module, cx: &Context<'_>, failed: bool) -> TokenStream {
    let mut item = module.item.clone();
    if failed {
        item.attrs.push(syn::parse_quote!(#[allow(unused_imports, dead_code)]));
    }
    let mut items: Vec<Item> = module.other_items().cloned().collect();
    let generated = [
        interface::generate(cx),
        wire::generate(cx),
        checks::generate(cx),
        side::generate(cx, side::Side::Server),
        side::generate(cx, side::Side::Client),
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
