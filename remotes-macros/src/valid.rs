//! Every rule a remotes module must follow. Each violation becomes a `syn::Error` on the offending tokens; all of
//! them are collected. What passes is the validated model that `expand` generates from.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Ident;
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Item, Type, TypePath, UseTree};

use crate::ast::{Arg, Entry, Group, Method, Module, RemotesTrait};
use crate::case::{upper_camel, wire_name};
use crate::constraint::{self, Constraints};

/// The runtime implements argument tuples up to this many elements.
const MAX_ARGS: usize = 16;

/// Names `#[remotes]` adds to the module itself (the first two also to each namespace).
const MODULE_NAMES: [&str; 5] = ["server", "client", "interface", "Api", "typescript"];

/// Names `#[remotes]` defines inside the generated `server` and `client` modules, besides one struct per remote.
const SIDE_NAMES: [&str; 3] = ["Remotes", "Functions", "Events"];

/// A remote that passed every check, in interface order.
pub struct Remote<'a> {
    pub group: Group,
    /// The method's name as written.
    pub ident: &'a Ident,
    /// The name it travels under: `ident` without `r#`, after the names of its namespaces (`shop.buy_item`).
    pub name: String,
    /// The namespaces it is declared in, outermost first; empty at the top of the module.
    pub path: Vec<&'a Ident>,
    /// The generated struct's name, `BuyItem`.
    pub camel: Ident,
    pub docs: Vec<&'a Attribute>,
    pub args: Vec<(&'a Ident, &'a Type)>,
    /// The constraints of each argument, in the order of `args`.
    pub constraints: Vec<Constraints>,
    pub output: Option<&'a Type>,
}

/// What passed: the valid remotes, and the tree of modules (the annotated one and its namespaces).
pub struct Checked<'a> {
    /// Valid remotes of every level, in interface order.
    pub remotes: Vec<Remote<'a>>,
    pub root: Level<'a>,
}

/// The annotated module or one of its namespaces.
pub struct Level<'a> {
    pub module: &'a Module,
    /// The namespaces leading here, outermost first; empty for the annotated module.
    pub path: Vec<&'a Ident>,
    /// Names among `server`, `client` (and `interface`, `Api`, `typescript` at the top) that an item of this module
    /// declares (an error was reported); nothing of that name is generated, to avoid a second error about the
    /// duplicate.
    pub taken: Vec<&'static str>,
    /// The namespaces to emit, in source order (a namespace declared twice is reported and left out).
    pub children: Vec<Level<'a>>,
    /// Whether the parent's generated structs reach this namespace (`false` after an error about its name).
    pub linked: bool,
}

impl<'a> Level<'a> {
    pub fn is_root(&self) -> bool {
        self.path.is_empty()
    }

    /// The module's name as written.
    pub fn module_ident(&self) -> &'a Ident {
        &self.module.item.ident
    }
}

/// Checks `module`; returns what is valid and every error found.
pub fn check(module: &Module) -> (Checked<'_>, Option<syn::Error>) {
    let mut cx = Checker { errors: Vec::new(), constraint_errors: 0, generated: BTreeSet::new() };
    let mut remotes: Vec<Remote<'_>> = Vec::new();
    let root = cx.level(module, Vec::new(), &mut remotes);
    remotes.sort_by_key(|remote| Group::ALL.iter().position(|group| *group == remote.group));
    let error = cx.errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    });
    (Checked { remotes, root }, error)
}

/// Names a namespace cannot take: the generated modules and functions, and the fields of `Remotes`, which would
/// read as `remotes.functions.functions`.
const NAMESPACE_RESERVED: [&str; 2] = ["functions", "events"];

struct Checker {
    errors: Vec<syn::Error>,
    /// How many of `errors` are about `#[remote(...)]` constraints: the remote is still generated (without the
    /// constraint in error), so that code using it reports nothing more.
    constraint_errors: usize,
    /// Every name generated inside `server` and `client`, plus those two: a signature type starting with one
    /// of them would resolve to the generated item.
    generated: BTreeSet<String>,
}

impl Checker {
    fn error(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// One module (the annotated one or a namespace) and, recursively, its namespaces. Its valid remotes are
    /// appended to `out`, in declaration order, before those of its namespaces.
    fn level<'a>(&mut self, module: &'a Module, path: Vec<&'a Ident>, out: &mut Vec<Remote<'a>>) -> Level<'a> {
        let root = path.is_empty();
        let mut generated: BTreeSet<String> =
            SIDE_NAMES.iter().chain(&MODULE_NAMES[..2]).map(|name| (*name).to_owned()).collect();
        for tr in module.remotes_traits() {
            for method in &tr.methods {
                generated.extend(upper_camel(&wire_name(method.ident())));
            }
        }
        let outer = std::mem::replace(&mut self.generated, generated);

        let mut groups: Vec<Group> = Vec::new();
        let mut remotes: Vec<Remote<'_>> = Vec::new();
        let mut children: Vec<Level<'a>> = Vec::new();
        let mut nested: Vec<Remote<'a>> = Vec::new();
        for entry in &module.items {
            match entry {
                Entry::Other(item) => self.other_item(item, root),
                Entry::Remotes(tr) => {
                    let first = !groups.contains(&tr.group);
                    if !first {
                        self.error(
                            &tr.item.ident,
                            format!(
                                "`{}` is declared twice in this module; put all of its remotes \
                                 in one trait",
                                tr.group.name()
                            ),
                        );
                    }
                    groups.push(tr.group);
                    let valid = self.remotes_trait(tr);
                    if first {
                        remotes.extend(valid);
                    }
                }
                Entry::Namespace(child) => {
                    let ident = &child.item.ident;
                    let name = wire_name(ident);
                    if children.iter().any(|other| wire_name(other.module_ident()) == name) {
                        self.error(
                            ident,
                            format!(
                                "the namespace `{name}` is declared twice in this module; put all of its remotes \
                                 in one `mod {name} {{ ... }}`"
                            ),
                        );
                        continue;
                    }
                    let mut linked = self.namespace_item(child, root);
                    let mut child_path = path.clone();
                    child_path.push(ident);
                    let mut level = self.level(child, child_path, &mut nested);
                    linked &= level.taken.is_empty();
                    level.linked = linked;
                    children.push(level);
                }
            }
        }
        remotes.sort_by_key(|remote| Group::ALL.iter().position(|group| *group == remote.group));
        let mut remotes = self.names(module, remotes);

        // A namespace and a remote of the same name would be two fields of one generated struct.
        for child in &mut children {
            let name = wire_name(child.module_ident());
            let clash = module.remotes_traits().flat_map(|tr| &tr.methods).find(|m| wire_name(m.ident()) == name);
            if let Some(method) = clash {
                let ident = child.module_ident();
                self.error(
                    ident,
                    format!(
                        "the namespace `{name}` has the name of the remote `{}` declared in this module; both would \
                         be reached as `.{name}`, rename one of them",
                        method.ident()
                    ),
                );
                child.linked = false;
            }
        }
        let prefix: String = path.iter().map(|ident| wire_name(ident) + ".").collect();
        for remote in &mut remotes {
            remote.path = path.clone();
            remote.name = format!("{prefix}{}", remote.name);
        }
        out.extend(remotes);
        out.extend(nested);

        let generated_here = if root { &MODULE_NAMES[..] } else { &MODULE_NAMES[..2] };
        let taken = generated_here
            .iter()
            .copied()
            .filter(|name| {
                let namespaces = module.items.iter().filter_map(|entry| match entry {
                    Entry::Namespace(child) => Some(&child.item.ident),
                    _ => None,
                });
                module.other_items().flat_map(declared_names).chain(namespaces).any(|ident| ident == name)
            })
            .collect();
        self.generated = outer;
        Level { module, path, taken, children, linked: true }
    }

    /// A namespace's own declaration: its name and attributes. Returns whether the parent may reach it.
    fn namespace_item(&mut self, child: &Module, root: bool) -> bool {
        let item = &child.item;
        let ident = &item.ident;
        let name = wire_name(ident);
        let mut linked = true;
        for attr in &item.attrs {
            let path = attr.path();
            let lint = ["allow", "expect", "warn", "deny"].iter().any(|lint| path.is_ident(lint));
            if !path.is_ident("doc") && !lint {
                self.error(
                    attr,
                    "unsupported attribute on a namespace; only doc comments and lint attributes are allowed here \
                     (the generated code of the enclosing module refers to the namespace)",
                );
                linked = false;
            }
        }
        let generated_here = if root { &MODULE_NAMES[..] } else { &MODULE_NAMES[..2] };
        if generated_here.contains(&name.as_str()) {
            let what = if root {
                "functions `server`, `client`, `interface` and `typescript`, modules `server` and `client`"
            } else {
                "modules `server` and `client`"
            };
            self.error(
                ident,
                format!(
                    "`{name}` clashes with the `{name}` that `#[remotes]` generates in this module ({what}); \
                     rename the namespace"
                ),
            );
            return false;
        }
        if NAMESPACE_RESERVED.contains(&name.as_str()) {
            self.error(
                ident,
                format!(
                    "a namespace cannot be named `{name}`: its remotes would be reached as \
                     `remotes.functions.{name}` and `remotes.events.{name}`, which reads like the generated \
                     `functions` and `events` fields; rename the namespace"
                ),
            );
            return false;
        }
        linked
    }

    /// Items that pass through: they must not take a generated name, and traits must be remotes traits.
    fn other_item(&mut self, item: &Item, root: bool) {
        let (generated_here, what) = if root {
            (
                &MODULE_NAMES[..],
                "modules `server` and `client`, the functions `interface` and `typescript` and the struct `Api`",
            )
        } else {
            (&MODULE_NAMES[..2], "modules `server` and `client` in each namespace")
        };
        for ident in declared_names(item) {
            if generated_here.iter().any(|name| ident == name) {
                self.error(
                    ident,
                    format!(
                        "`{ident}` clashes with the `{ident}` that `#[remotes]` generates in this module \
                         ({what}); rename this item or move it out of the module"
                    ),
                );
            }
        }
        if let Item::Trait(tr) = item {
            let name = tr.ident.to_string();
            let hint =
                closest_group(&name).map(|group| format!(" (did you mean `{}`?)", group.name())).unwrap_or_default();
            self.error(
                &tr.ident,
                format!(
                    "`{name}` is not a remotes trait{hint}; expected one of ServerFunctions, ClientFunctions, \
                     ServerEvents, ClientEvents. Move unrelated traits out of the `#[remotes]` module"
                ),
            );
        }
    }

    /// The trait itself, then each method; returns the valid methods' remotes.
    fn remotes_trait<'a>(&mut self, tr: &'a RemotesTrait) -> Vec<Remote<'a>> {
        let item = &tr.item;
        let group = tr.group.name();
        self.only_docs(&item.attrs, "a remotes trait");
        if let Some(token) = &item.unsafety {
            self.error(token, format!("`{group}` cannot be `unsafe`; remove `unsafe`"));
        }
        if let Some(token) = &item.auto_token {
            self.error(token, format!("`{group}` cannot be an auto trait; remove `auto`"));
        }
        if !item.generics.params.is_empty() {
            self.error(
                &item.generics,
                format!("`{group}` cannot be generic; remove the parameters and use concrete types in its methods"),
            );
        }
        if let Some(clause) = &item.generics.where_clause {
            self.error(clause, format!("`{group}` cannot have a where clause; remove it"));
        }
        if let Some(colon) = &item.colon_token {
            let supertraits = &item.supertraits;
            self.error(
                quote!(#colon #supertraits),
                format!("`{group}` cannot have supertraits; remove `: {}`", tidy(supertraits)),
            );
        }
        for entry in &item.items {
            let what = match entry {
                syn::TraitItem::Fn(_) => continue,
                syn::TraitItem::Const(_) => "an associated constant",
                syn::TraitItem::Type(_) => "an associated type",
                syn::TraitItem::Macro(_) => "a macro invocation",
                _ => "this item",
            };
            self.error(
                entry,
                format!(
                    "{what} cannot appear in `{group}`; it may only declare remotes as \
                     `fn name(arg: Type) -> Type;` (move other items out of the trait)"
                ),
            );
        }

        let mut seen: Vec<&Ident> = Vec::new();
        let mut remotes = Vec::new();
        for method in &tr.methods {
            let ident = method.ident();
            let duplicate = seen.iter().any(|other| wire_name(other) == wire_name(ident));
            if duplicate {
                self.error(ident, format!("`{ident}` is already declared in `{group}`; give each remote its own name"));
            }
            seen.push(ident);
            let remote = self.method(tr.group, method);
            if !duplicate {
                remotes.extend(remote);
            }
        }
        remotes
    }

    fn method<'a>(&mut self, group: Group, method: &'a Method) -> Option<Remote<'a>> {
        let before = self.errors.len() - self.constraint_errors;
        let sig = &method.item.sig;
        let name = &sig.ident;
        self.only_docs(&method.item.attrs, "a remote");
        if let Some(token) = &sig.constness {
            self.error(token, format!("a remote cannot be `const`; declare it as `fn {name}(...)`"));
        }
        if let Some(token) = &sig.asyncness {
            self.error(
                token,
                format!(
                    "a remote cannot be declared `async`; write `fn {name}(...)`: invoking it already returns \
                     a future, and its callback may be an async block"
                ),
            );
        }
        if let Some(token) = &sig.unsafety {
            self.error(token, "a remote cannot be `unsafe`; remove `unsafe`");
        }
        if let Some(abi) = &sig.abi {
            self.error(abi, "a remote cannot have an ABI; remove `extern`");
        }
        if !sig.generics.params.is_empty() {
            self.error(
                &sig.generics,
                "a remote cannot be generic: both sides must agree on concrete types; remove the parameters",
            );
        }
        if let Some(clause) = &sig.generics.where_clause {
            self.error(clause, "a remote cannot have a where clause; remove it");
        }
        if let Some(receiver) = &method.receiver {
            self.error(
                receiver,
                format!(
                    "a remote takes no `{}`; remove it (server callbacks receive the calling player as their \
                     first argument)",
                    tidy(receiver)
                ),
            );
        }
        if let Some(variadic) = &sig.variadic {
            self.error(variadic, "a remote cannot be variadic; declare each argument");
        }
        if let Some(body) = &method.item.default {
            self.error(
                body,
                "a remote cannot have a body; end the declaration with `;` and set the callback on the \
                 generated handle instead",
            );
        }
        if method.args.len() > MAX_ARGS {
            let extra = method.args[MAX_ARGS..].iter().map(|arg| {
                let (pat, ty) = (&arg.pat, &arg.ty);
                quote!(#pat: #ty)
            });
            self.error(
                quote!(#(#extra),*),
                format!("a remote takes at most {MAX_ARGS} arguments; group some of them into a struct"),
            );
        }
        let mut args: Vec<(&Ident, &Type)> = Vec::new();
        let mut constraints = Vec::new();
        for arg in &method.args {
            if let Some((ident, ty, declared)) = self.arg(name, arg, &args) {
                args.push((ident, ty));
                constraints.push(declared);
            }
        }
        let output = method.output.as_ref();
        match output {
            Some(ty) if group.is_function() => self.ty(ty),
            Some(_) => self.error(
                &sig.output,
                format!(
                    "an event has no return value; remove `{}`, or declare `{name}` in {} if the sender \
                     needs a reply",
                    tidy(&sig.output),
                    if group.to_server() { "ServerFunctions" } else { "ClientFunctions" },
                ),
            ),
            None => {}
        }
        if self.errors.len() - self.constraint_errors > before {
            return None;
        }
        let wire = wire_name(name);
        let camel = Ident::new(&upper_camel(&wire)?, name.span());
        Some(Remote {
            group,
            ident: name,
            name: wire,
            path: Vec::new(),
            camel,
            docs: method.docs().collect(),
            args,
            constraints,
            output,
        })
    }

    fn arg<'a>(
        &mut self,
        method: &Ident,
        arg: &'a Arg,
        previous: &[(&Ident, &Type)],
    ) -> Option<(&'a Ident, &'a Type, Constraints)> {
        let parsed = self.errors.len();
        let constraints = constraint::parse(&arg.attrs, &arg.ty, &mut self.errors);
        self.constraint_errors += self.errors.len() - parsed;
        let before = self.errors.len();
        let ident = arg.ident();
        match ident {
            None => {
                let pat = &arg.pat;
                self.error(
                    pat,
                    format!(
                        "write the argument as `name: Type`; `{}` is a pattern, which remote declarations do not take",
                        tidy(pat)
                    ),
                );
            }
            Some(ident) if previous.iter().any(|(other, _)| wire_name(other) == wire_name(ident)) => self.error(
                ident,
                format!("`{ident}` is already an argument of `{method}`; give each argument its own name"),
            ),
            Some(_) => {}
        }
        self.ty(&arg.ty);
        if self.errors.len() > before { None } else { ident.map(|ident| (ident, &arg.ty, constraints)) }
    }

    /// A signature type: no references, `impl Trait`, `Self` or `_`, nothing that generated names would capture.
    fn ty(&mut self, ty: &Type) {
        let mut top = ty;
        while let Type::Paren(syn::TypeParen { elem: inner, .. }) | Type::Group(syn::TypeGroup { elem: inner, .. }) =
            top
        {
            top = inner;
        }
        match top {
            Type::TraitObject(_) => {
                return self.error(ty, "a trait object cannot cross the wire; use a concrete type");
            }
            Type::Slice(slice) => {
                let elem = &slice.elem;
                return self.error(ty, format!("a slice cannot cross the wire; use `Vec<{}>`", tidy(elem)));
            }
            _ => {}
        }
        let mut visitor = TypeRules { checker: self };
        visitor.visit_type_mut(&mut ty.clone());
    }

    fn only_docs(&mut self, attrs: &[Attribute], what: &str) {
        for attr in attrs.iter().filter(|attr| !attr.path().is_ident("doc")) {
            self.error(attr, format!("unsupported attribute on {what}; only doc comments are allowed here"));
        }
    }

    /// Names across traits: a name is a function or an event, and each maps to its own struct name.
    fn names<'a>(&mut self, module: &'a Module, remotes: Vec<Remote<'a>>) -> Vec<Remote<'a>> {
        // Every declaration, valid or not, in interface order, to find clashes.
        let mut all: Vec<(Group, &Ident)> = Vec::new();
        for group in Group::ALL {
            for tr in module.remotes_traits().filter(|tr| tr.group == group) {
                all.extend(tr.methods.iter().map(|method| (group, method.ident())));
            }
        }
        let mut kinds: BTreeMap<String, Group> = BTreeMap::new();
        let mut camels: BTreeMap<String, String> = BTreeMap::new();
        let mut broken: Vec<*const Ident> = Vec::new();
        for (group, ident) in all {
            let name = wire_name(ident);
            match kinds.get(&name) {
                Some(first) if first.is_function() != group.is_function() => {
                    self.error(
                        ident,
                        format!(
                            "`{name}` is declared both as a function (in `{}`) and as an event (in `{}`); \
                             a name is either a function or an event, rename one of them",
                            first.name(),
                            group.name()
                        ),
                    );
                    broken.push(ident);
                    continue;
                }
                Some(_) => continue,
                None => {
                    kinds.insert(name.clone(), group);
                }
            }
            let Some(camel) = upper_camel(&name) else {
                self.error(ident, format!("cannot derive a struct name from `{name}`; rename the remote"));
                broken.push(ident);
                continue;
            };
            if SIDE_NAMES.contains(&camel.as_str()) {
                self.error(
                    ident,
                    format!(
                        "`{name}` would generate a struct named `{camel}`, which clashes with the `{camel}` struct \
                         `#[remotes]` generates; rename the remote"
                    ),
                );
                broken.push(ident);
            } else if let Some(first) = camels.get(&camel) {
                self.error(
                    ident,
                    format!("`{name}` and `{first}` would both generate a struct named `{camel}`; rename one of them"),
                );
                broken.push(ident);
            } else {
                camels.insert(camel, name);
            }
        }
        remotes.into_iter().filter(|remote| !broken.contains(&(remote.ident as *const Ident))).collect()
    }
}

/// Walks a signature type.
struct TypeRules<'c> {
    checker: &'c mut Checker,
}

impl VisitMut for TypeRules<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        match ty {
            Type::Reference(reference) => {
                let elem = &reference.elem;
                let owned = match &**elem {
                    Type::Path(path) if path.path.is_ident("str") => "`String`".to_owned(),
                    Type::Slice(slice) => format!("`Vec<{}>`", tidy(&slice.elem)),
                    other => format!("`{}`", tidy(other)),
                };
                self.checker.error(
                    &*ty,
                    format!("a reference cannot cross the wire; take an owned type instead, such as {owned}"),
                );
            }
            Type::ImplTrait(_) => {
                self.checker.error(&*ty, "`impl Trait` cannot cross the wire; use a concrete type");
            }
            Type::Infer(_) => {
                self.checker.error(&*ty, "a remote's types cannot be inferred; write the type");
            }
            _ => visit_mut::visit_type_mut(self, ty),
        }
    }

    fn visit_type_path_mut(&mut self, ty: &mut TypePath) {
        if ty.qself.is_none() && ty.path.leading_colon.is_none() {
            if let Some(first) = ty.path.segments.first() {
                let ident = &first.ident;
                if ident == "Self" {
                    self.checker.error(ident, "`Self` has no meaning in a remotes trait; name the type");
                } else if self.checker.generated.contains(&ident.to_string()) {
                    let message = if ident == "server" || ident == "client" {
                        format!(
                            "`{ident}` here would name the `{ident}` module that `#[remotes]` generates; write an \
                             absolute path instead, such as `::{ident}::...` for a crate or `crate::...`"
                        )
                    } else {
                        format!(
                            "`{ident}` here would name the `{ident}` struct that `#[remotes]` generates inside \
                             `server` and `client`, not your type; qualify it, for example `self::{ident}` or \
                             `crate::{ident}`"
                        )
                    };
                    self.checker.error(ident, message);
                }
            }
        }
        visit_mut::visit_type_path_mut(self, ty);
    }
}

/// The names an item declares in the module (types, values, imports).
fn declared_names(item: &Item) -> Vec<&Ident> {
    match item {
        Item::Const(item) => vec![&item.ident],
        Item::Enum(item) => vec![&item.ident],
        Item::ExternCrate(item) => vec![item.rename.as_ref().map_or(&item.ident, |(_, rename)| rename)],
        Item::Fn(item) => vec![&item.sig.ident],
        Item::Mod(item) => vec![&item.ident],
        Item::Static(item) => vec![&item.ident],
        Item::Struct(item) => vec![&item.ident],
        Item::Trait(item) => vec![&item.ident],
        Item::TraitAlias(item) => vec![&item.ident],
        Item::Type(item) => vec![&item.ident],
        Item::Union(item) => vec![&item.ident],
        Item::Use(item) => {
            let mut names = Vec::new();
            use_names(&item.tree, None, &mut names);
            names
        }
        _ => Vec::new(),
    }
}

fn use_names<'a>(tree: &'a UseTree, parent: Option<&'a Ident>, out: &mut Vec<&'a Ident>) {
    match tree {
        UseTree::Path(path) => use_names(&path.tree, Some(&path.ident), out),
        UseTree::Name(name) if name.ident == "self" => out.extend(parent),
        UseTree::Name(name) => out.push(&name.ident),
        UseTree::Rename(rename) => out.push(&rename.rename),
        UseTree::Glob(_) => {}
        UseTree::Group(group) => group.items.iter().for_each(|tree| use_names(tree, parent, out)),
    }
}

/// The group whose name is closest to `name`, when it is close enough to be a likely typo.
fn closest_group(name: &str) -> Option<Group> {
    let lower = name.to_lowercase();
    Group::ALL
        .into_iter()
        .map(|group| (levenshtein(&lower, &group.name().to_lowercase()), group))
        .filter(|(distance, _)| *distance <= 3.max(name.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, group)| group)
}

pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Tokens as a user would write them, for messages: `Vec<u8>` rather than `Vec < u8 >`.
pub fn tidy(tokens: impl ToTokens) -> String {
    let chars: Vec<char> = tokens.to_token_stream().to_string().chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && i > 0 {
            let (prev, next) = (chars[i - 1], at(i + 1));
            let after = matches!(prev, '<' | '(' | '[' | '&') || (prev == ':' && i >= 2 && chars[i - 2] == ':');
            let before =
                matches!(next, Some('<' | '>' | ')' | ']' | ',')) || (next == Some(':') && at(i + 2) == Some(':'));
            if after || before {
                continue;
            }
        }
        out.push(c);
    }
    out
}
