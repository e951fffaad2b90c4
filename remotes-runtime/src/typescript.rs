//! TypeScript bindings: the `.ts` file that `net::typescript()` returns for a `#[remotes]` module `net`, read by the
//! TypeScript package `remotes-client` (`clients/typescript/`).
//!
//! The file exports one TypeScript type per named type of the interface (structs and enums, by their serde
//! names, in alphabetical order), the remotes type `NetRemotes` (what a client sees, with each remote's `///` docs),
//! and the constant `net`: the interface's `spec`, which the TypeScript package reads at run time to encode and
//! decode MessagePack exactly as rmp-serde does here. Its format is specified, line by line, in
//! `clients/typescript/docs/bindings.md`.
//!
//! ```
//! use remotes_runtime::remotes;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct Receipt { pub item: u32, pub coins_left: u64 }
//!
//! #[remotes]
//! pub mod net {
//!     use super::Receipt;
//!     pub trait ServerFunctions {
//!         /// Buys `quantity` of `item`.
//!         fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
//!     }
//! }
//!
//! # fn main() -> Result<(), remotes_runtime::typescript::TypeScriptError> {
//! let ts = net::typescript()?;
//! assert!(ts.contains("export interface Receipt {\n  item: number;\n  coins_left: number | bigint;\n}"));
//! assert!(ts.contains("    /** Buys `quantity` of `item`. */\n"));
//! assert!(ts.contains("    buyItem: ServerFunction<[item: number, quantity: number], Receipt>;\n"));
//! assert!(ts.contains(r#"args: [["item", "u32"], ["quantity", "u8", { range: { min: 1, max: 99 } }]],"#));
//! # Ok(()) }
//! ```
//!
//! Write the file from a test of the crate that declares the interface, and commit it with the client, so that a
//! change to the interface shows in review and a stale file fails CI ([`keep_fresh`]; `REMOTES_BLESS=1 cargo test`
//! rewrites it):
//!
//! ```ignore
//! #[test]
//! fn typescript_bindings_are_fresh() {
//!     remotes_runtime::typescript::keep_fresh("client/src/net.ts", &net::typescript().unwrap()).unwrap();
//! }
//! ```
//!
//! Types are described by tracing their `Deserialize` implementations in MessagePack's compact form (structs as
//! arrays), the form the runtime uses. A type whose shape is not fixed cannot be described, and `typescript()`
//! says which and where ([`TypeScriptError`]) rather than writing `any`: untagged and internally tagged enums,
//! `#[serde(flatten)]` (they ask the format what comes next, `deserialize_any`), types whose `Deserialize` refuses
//! the values the tracer makes up (integers are 1, strings empty, bytes sixteen zeros), two types with one serde
//! name (such as one generic struct used with two type arguments), and `Option<Option<T>>` or `Option<()>`, whose
//! `None` and `Some(None)` are the same nil on the wire.
//!
//! Constraints become checks the TypeScript side runs before sending: `range` with number bounds (literals or
//! constant expressions), `len`, and finiteness. A `validate` function, or a `range` over another type, is
//! checked by the receiving side only.

mod check;
mod collect;
mod de;
mod fresh;
mod model;
mod names;
mod render;
mod trace;

use std::collections::BTreeMap;

#[doc(hidden)]
pub use check::{Bound, Check, NumericBound, OtherBound, Probe, Probed, ToBound};
#[doc(hidden)]
pub use collect::{Arg, Collector, NotTraceable, TraceFn, TraceProbe, Traceable, Traced, arg, trace};
pub use fresh::{BLESS, StaleBindings, keep_fresh};
#[doc(hidden)]
pub use trace::Tracer;

use crate::interface::{Interface, RemoteKind};
use model::{Container, Scalar, Shape, Variant};
use trace::{At, TraceError};

/// Why `typescript()` cannot describe an interface. Each message names the Rust type and where the interface uses
/// it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeScriptError {
    /// A type whose shape on the wire could not be traced.
    #[error("cannot describe `{ty}`, {place}, in TypeScript: {reason}")]
    Untraceable {
        /// The Rust type (`std::any::type_name`).
        ty: String,
        /// Where the interface uses it: "argument `item` of `buy_item`", "the return type of `buy_item`".
        place: String,
        /// What went wrong.
        reason: String,
    },
    /// Two Rust types have one serde name: the bindings name types by their serde names.
    #[error(
        "`{first}` and `{second}` are both named `{name}` by serde ({place}); the bindings need one type per name: \
         rename one with `#[serde(rename = \"...\")]`, or wrap a generic type in a struct per use"
    )]
    NameConflict {
        /// The serde name.
        name: String,
        /// The first Rust type met with that name.
        first: String,
        /// The second.
        second: String,
        /// Where the second was met.
        place: String,
    },
    /// A type whose values cannot all be told apart on the wire.
    #[error("`{ty}`, {place}, cannot be described in TypeScript: {reason}")]
    Ambiguous {
        /// The Rust type.
        ty: String,
        /// Where the interface uses it.
        place: String,
        /// Which values look alike.
        reason: String,
    },
    /// A name the TypeScript file cannot use as it is.
    #[error("`{name}` cannot be used in the TypeScript bindings: {problem}")]
    Name {
        /// The name.
        name: String,
        /// Why not.
        problem: String,
    },
}

/// Names the bindings declare or import themselves, which no type of the interface may take.
const TAKEN: [&str; 8] = [
    "defineInterface",
    "Interface",
    "ServerFunction",
    "ClientFunction",
    "ServerEvent",
    "ClientEvent",
    "Map",
    "Uint8Array",
];

/// The bindings of `interface`, whose remotes `collect` describes (generated `typescript()` functions call this).
#[doc(hidden)]
pub fn generate(interface: &'static Interface, collect: fn(&mut Collector)) -> Result<String, TypeScriptError> {
    let mut collector = Collector::default();
    collect(&mut collector);
    let module = interface.name();
    if !names::is_identifier(module) || names::is_reserved(module) {
        let problem = "the bindings export a constant named after the module, and this is not a TypeScript \
                       identifier; rename the module";
        return Err(TypeScriptError::Name { name: module.to_owned(), problem: problem.to_owned() });
    }
    let remotes_type = format!("{}Remotes", names::pascal(module));
    let mut tracer = Tracer::default();
    let mut remotes = Vec::new();
    // Every argument and return type: where it is used, its Rust type and its shape.
    let mut used = Vec::new();
    for (index, def) in interface.remotes().iter().enumerate() {
        let Some(described) = collector.remotes.remove(&index) else { continue };
        let mut args = Vec::new();
        for (arg_def, arg) in def.args.iter().zip(&described.args) {
            let place = format!("argument `{}` of `{}`", arg_def.name, def.name);
            let (shape, ty) = (arg.trace)(&mut tracer, &place).0?;
            used.push((place, ty, shape.clone()));
            args.push((names::camel(arg_def.name), shape, arg.check.render()));
        }
        let place = format!("the return type of `{}`", def.name);
        let (output, ty) = (described.output)(&mut tracer, &place).0?;
        used.push((place, ty, output.clone()));
        let group = match def.kind {
            RemoteKind::Function => "functions",
            RemoteKind::Event => "events",
        };
        let path = std::iter::once(group.to_owned()).chain(def.name.split('.').map(names::camel)).collect();
        let labels: Vec<String> = args.iter().map(|(name, _, _)| names::label(name)).collect();
        if let Some(twice) = labels.iter().enumerate().find(|(i, label)| labels[..*i].contains(label)) {
            let problem =
                format!("two arguments of `{}` are both labelled `{}` in camelCase; rename one", def.name, twice.1);
            return Err(TypeScriptError::Name { name: twice.1.clone(), problem });
        }
        remotes.push(render::Remote {
            name: def.name,
            kind: def.kind,
            direction: def.direction,
            hash: def.hash,
            path,
            args,
            output,
            docs: doc_lines(&described.docs),
        });
    }
    let types = finish(tracer, module, &remotes_type)?;
    for (place, ty, shape) in used {
        if let Some(reason) = ambiguous(&shape, &types) {
            return Err(TypeScriptError::Ambiguous { ty: ty.to_owned(), place, reason });
        }
    }
    for remote in &mut remotes {
        remote.output = std::mem::replace(&mut remote.output, Shape::Unknown).normalized();
        for (_, shape, _) in &mut remote.args {
            *shape = std::mem::replace(shape, Shape::Unknown).normalized();
        }
    }
    let types: BTreeMap<&'static str, Container> = types.into_iter().map(|(name, c)| (name, c.normalized())).collect();
    render::file(&render::Bindings { module, remotes_type, types: &types, remotes: &remotes })
}

/// Every named type, checked complete, well named and unambiguous, with its Rust type name.
fn finish(
    tracer: Tracer,
    module: &str,
    remotes_type: &str,
) -> Result<BTreeMap<&'static str, Container>, TypeScriptError> {
    let mut types = BTreeMap::new();
    for (name, entry) in tracer.types {
        let complete = match &entry.container {
            Container::Enum(variants) => variants.iter().all(|(_, v)| v.as_ref().is_some_and(Variant::complete)),
            other => other.shapes().into_iter().all(Shape::complete),
        };
        if !complete {
            let reason = format!(
                "tracing could not reach every part of `{name}` (every variant of an enum, every element): no finite \
                 value of it was found that holds them"
            );
            return Err(TypeScriptError::Untraceable { ty: entry.rust.to_owned(), place: entry.place, reason });
        }
        let problem = names::type_name_problem(name).map(str::to_owned).or_else(|| {
            (TAKEN.contains(&name) || name == module || name == remotes_type).then(|| {
                format!(
                    "the bindings already declare or import `{name}`; rename the type with `#[serde(rename = ...)]`"
                )
            })
        });
        if let Some(problem) = problem {
            let problem = format!("{problem} (the serde name of `{}`, {})", entry.rust, entry.place);
            return Err(TypeScriptError::Name { name: name.to_owned(), problem });
        }
        types.insert(name, (entry.rust, entry.container));
    }
    let containers: BTreeMap<&'static str, Container> = types.iter().map(|(n, (_, c))| (*n, c.clone())).collect();
    for (name, (rust, container)) in &types {
        for shape in container.shapes() {
            if let Some(reason) = ambiguous(shape, &containers) {
                let place = format!("in its serde type `{name}`");
                return Err(TypeScriptError::Ambiguous { ty: (*rust).to_owned(), place, reason });
            }
        }
    }
    Ok(containers)
}

/// Why a value of `shape` cannot always be told apart from another on the wire, if it cannot.
fn ambiguous(shape: &Shape, types: &BTreeMap<&'static str, Container>) -> Option<String> {
    match shape {
        Shape::Option(inner) if nilable(inner, types, &mut Vec::new()) => Some(format!(
            "it is an `Option` of `{}`, which may itself be nil: `None` and `Some` of that nil are the same nil in \
             MessagePack (as `Option<Option<T>>` and `Option<()>` are); use an enum to tell them apart",
            render::ts_type(inner).0
        )),
        Shape::Option(inner) | Shape::Seq(inner) | Shape::Array(inner, _) => ambiguous(inner, types),
        Shape::Map(key, value) => ambiguous(key, types).or_else(|| ambiguous(value, types)),
        Shape::Tuple(items) => items.iter().find_map(|item| ambiguous(item, types)),
        Shape::Unknown | Shape::Scalar(_) | Shape::Ref(_) => None,
    }
}

/// Whether a value of `shape` may be nil on the wire.
fn nilable(shape: &Shape, types: &BTreeMap<&'static str, Container>, seen: &mut Vec<&'static str>) -> bool {
    match shape {
        Shape::Scalar(Scalar::Unit) | Shape::Option(_) => true,
        Shape::Ref(name) if !seen.contains(name) => {
            seen.push(name);
            matches!(types.get(name), Some(Container::Newtype(inner)) if nilable(inner, types, seen))
        }
        _ => false,
    }
}

/// The remote's doc comment as lines: the common indentation removed, blank lines around it dropped.
fn doc_lines(docs: &[&str]) -> Vec<String> {
    let text = docs.join("\n");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let indent = lines.iter().filter(|l| !l.is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let mut lines: Vec<String> = lines.iter().map(|line| line.get(indent..).unwrap_or("").to_owned()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let first = lines.iter().position(|line| !line.is_empty()).unwrap_or(lines.len());
    lines.split_off(first)
}

/// The [`TypeScriptError`] for a trace of `ty` at `place` that failed.
fn explain(error: TraceError, ty: &str, place: &str) -> TypeScriptError {
    let within = |at: &At| match (at.container, at.field) {
        (Some(container), _) if container != ty => format!(" (in `{container}`)"),
        (_, Some(field)) => format!(" (in its field `{field}`)"),
        _ => String::new(),
    };
    let reason = match &error {
        TraceError::Conflict { name, first, second } => {
            return TypeScriptError::NameConflict {
                name: (*name).to_owned(),
                first: (*first).to_owned(),
                second: (*second).to_owned(),
                place: place.to_owned(),
            };
        }
        TraceError::Unsupported { method, at } => format!(
            "its `Deserialize` calls `{method}`{}: it asks the format what comes next (untagged and internally \
             tagged enums, `#[serde(flatten)]` and self-describing types do), so it has no fixed shape to describe",
            within(at)
        ),
        TraceError::Refused { message, at } => format!(
            "its `Deserialize` refused the value the tracer made up{} ({message}); a type that validates what it \
             decodes cannot be traced",
            within(at)
        ),
        TraceError::TooDeep { at } => format!(
            "no finite value of it could be built{} (every variant of an enum holds the enum again, or the type is \
             too large to trace)",
            within(at)
        ),
        TraceError::Unstable { at } => {
            format!("its `Deserialize` reads a different shape from one value to the next{}", within(at))
        }
    };
    TypeScriptError::Untraceable { ty: ty.to_owned(), place: place.to_owned(), reason }
}

#[cfg(test)]
#[path = "typescript/tests.rs"]
mod tests;
