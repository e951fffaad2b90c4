//! The text of the bindings: TypeScript types of shapes, the `spec` object, and the file around them
//! (`clients/typescript/docs/bindings.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::TypeScriptError;
use super::model::{Container, Scalar, Shape, Variant};
use super::names::{label, property, quote};
use crate::interface::{Direction, RemoteKind};

/// One remote as the bindings describe it.
pub(crate) struct Remote {
    /// The wire name, `shop.sell`.
    pub(crate) name: &'static str,
    pub(crate) kind: RemoteKind,
    pub(crate) direction: Direction,
    pub(crate) hash: u64,
    /// `["functions", "shop", "sell"]`.
    pub(crate) path: Vec<String>,
    /// Each argument's camelCase name, shape and rendered check.
    pub(crate) args: Vec<(String, Shape, Option<String>)>,
    pub(crate) output: Shape,
    /// The remote's doc comment, one line each.
    pub(crate) docs: Vec<String>,
}

/// Everything the file states.
pub(crate) struct Bindings<'a> {
    /// The module's name, `net`.
    pub(crate) module: &'a str,
    /// The remotes type's name, `NetRemotes`.
    pub(crate) remotes_type: String,
    pub(crate) types: &'a BTreeMap<&'static str, Container>,
    pub(crate) remotes: &'a [Remote],
}

/// The TypeScript type of a value of `shape`, and whether it is a union (which needs parentheses before `[]`).
pub(crate) fn ts_type(shape: &Shape) -> (String, bool) {
    match shape {
        Shape::Unknown => ("never".to_owned(), false),
        Shape::Scalar(scalar) => (scalar.ts().to_owned(), scalar.ts().contains('|')),
        Shape::Option(inner) => (format!("{} | null", ts_type(inner).0), true),
        Shape::Seq(inner) => (array_of(inner), false),
        Shape::Map(key, value) => (format!("Map<{}, {}>", ts_type(key).0, ts_type(value).0), false),
        Shape::Tuple(items) => (tuple(items.iter()), false),
        Shape::Array(inner, n) if *n <= 32 => (tuple(std::iter::repeat_n(&**inner, *n)), false),
        Shape::Array(inner, _) => (array_of(inner), false),
        Shape::Ref(name) => ((*name).to_owned(), false),
    }
}

fn array_of(inner: &Shape) -> String {
    match ts_type(inner) {
        (text, true) => format!("({text})[]"),
        (text, false) => format!("{text}[]"),
    }
}

fn tuple<'s>(items: impl Iterator<Item = &'s Shape>) -> String {
    format!("[{}]", items.map(|item| ts_type(item).0).collect::<Vec<_>>().join(", "))
}

/// `{ a: A; b: B }`, for a struct variant.
fn inline_object(fields: &[(&'static str, Shape)]) -> String {
    if fields.is_empty() {
        return "{}".to_owned();
    }
    let fields: Vec<String> =
        fields.iter().map(|(name, shape)| format!("{}: {}", property(name), ts_type(shape).0)).collect();
    format!("{{ {} }}", fields.join("; "))
}

/// The exported declaration of a named type.
pub(crate) fn declaration(name: &str, container: &Container) -> String {
    let alias = |text: String| format!("export type {name} = {text};\n");
    match container {
        Container::Struct(fields) if fields.is_empty() => format!("export interface {name} {{}}\n"),
        Container::Struct(fields) => {
            let mut out = format!("export interface {name} {{\n");
            for (field, shape) in fields {
                let _ = writeln!(out, "  {}: {};", property(field), ts_type(shape).0);
            }
            out.push_str("}\n");
            out
        }
        Container::Newtype(shape) => alias(ts_type(shape).0),
        Container::TupleStruct(items) => alias(tuple(items.iter())),
        Container::UnitStruct => alias("null".to_owned()),
        Container::Enum(variants) => {
            let variants: Vec<String> = variants
                .iter()
                .map(|(variant, content)| {
                    let key = property(variant);
                    match content {
                        None | Some(Variant::Unit) => quote(variant),
                        Some(Variant::Newtype(shape)) => format!("{{ {key}: {} }}", ts_type(shape).0),
                        Some(Variant::Tuple(items)) => format!("{{ {key}: {} }}", tuple(items.iter())),
                        Some(Variant::Struct(fields)) => format!("{{ {key}: {} }}", inline_object(fields)),
                    }
                })
                .collect();
            alias(variants.join(" | "))
        }
    }
}

/// The contract's `Shape` of `shape`, as written in the `spec` object.
pub(crate) fn spec_shape(shape: &Shape) -> String {
    match shape {
        Shape::Unknown => quote(Scalar::Unit.spec()),
        Shape::Scalar(scalar) => quote(scalar.spec()),
        Shape::Option(inner) => format!("{{ option: {} }}", spec_shape(inner)),
        Shape::Seq(inner) => format!("{{ seq: {} }}", spec_shape(inner)),
        Shape::Map(key, value) => format!("{{ map: [{}, {}] }}", spec_shape(key), spec_shape(value)),
        Shape::Tuple(items) => format!("{{ tuple: {} }}", spec_list(items)),
        Shape::Array(inner, n) => format!("{{ array: [{}, {n}] }}", spec_shape(inner)),
        Shape::Ref(name) => format!("{{ ref: {} }}", quote(name)),
    }
}

fn spec_list(items: &[Shape]) -> String {
    format!("[{}]", items.iter().map(spec_shape).collect::<Vec<_>>().join(", "))
}

fn spec_fields(fields: &[(&'static str, Shape)]) -> String {
    let fields: Vec<String> =
        fields.iter().map(|(name, shape)| format!("[{}, {}]", quote(name), spec_shape(shape))).collect();
    format!("[{}]", fields.join(", "))
}

/// The contract's `Container` of a named type.
pub(crate) fn spec_container(container: &Container) -> String {
    match container {
        Container::Struct(fields) => format!("{{ struct: {} }}", spec_fields(fields)),
        Container::Newtype(shape) => format!("{{ newtype: {} }}", spec_shape(shape)),
        Container::TupleStruct(items) => format!("{{ tuple_struct: {} }}", spec_list(items)),
        Container::UnitStruct => quote("unit_struct"),
        Container::Enum(variants) => {
            let variants: Vec<String> = variants
                .iter()
                .map(|(name, variant)| {
                    let variant = match variant {
                        None | Some(Variant::Unit) => quote("unit"),
                        Some(Variant::Newtype(shape)) => format!("{{ newtype: {} }}", spec_shape(shape)),
                        Some(Variant::Tuple(items)) => format!("{{ tuple: {} }}", spec_list(items)),
                        Some(Variant::Struct(fields)) => format!("{{ struct: {} }}", spec_fields(fields)),
                    };
                    format!("[{}, {variant}]", quote(name))
                })
                .collect();
            format!("{{ enum: [{}] }}", variants.join(", "))
        }
    }
}

/// `ServerFunction<[item: number], Receipt>`: the handle type of one remote.
fn handle(remote: &Remote) -> String {
    let args: Vec<String> =
        remote.args.iter().map(|(name, shape, _)| format!("{}: {}", label(name), ts_type(shape).0)).collect();
    let args = format!("[{}]", args.join(", "));
    let side = match remote.direction {
        Direction::ToServer => "Server",
        Direction::ToClient => "Client",
    };
    match remote.kind {
        RemoteKind::Function => format!("{side}Function<{args}, {}>", ts_type(&remote.output).0),
        RemoteKind::Event => format!("{side}Event<{args}>"),
    }
}

/// `/** ... */` at `indent`, or nothing without docs.
fn jsdoc(lines: &[&str], indent: &str) -> String {
    let lines: Vec<String> = lines.iter().map(|line| line.replace("*/", "*\\/")).collect();
    match lines.as_slice() {
        [] => String::new(),
        [line] => format!("{indent}/** {line} */\n"),
        lines => {
            let mut out = format!("{indent}/**\n");
            for line in lines {
                let _ = if line.is_empty() { writeln!(out, "{indent} *") } else { writeln!(out, "{indent} * {line}") };
            }
            let _ = writeln!(out, "{indent} */");
            out
        }
    }
}

/// One object of the remotes type: its remotes (a name declared in both directions is one entry), then its
/// namespaces, each in order of first appearance.
#[derive(Default)]
struct Node<'r> {
    leaves: Vec<(String, Vec<&'r Remote>)>,
    children: Vec<(String, Node<'r>)>,
}

impl<'r> Node<'r> {
    fn insert(&mut self, path: &[String], remote: &'r Remote) -> Result<(), TypeScriptError> {
        let clash = |key: &str| TypeScriptError::Name {
            name: key.to_owned(),
            problem: format!(
                "`{}` is reached as `{}` in the remotes type, as is a namespace or another remote there",
                remote.name,
                remote.path.join(".")
            ),
        };
        match path {
            [] => Ok(()),
            [key] => {
                if self.children.iter().any(|(name, _)| name == key) {
                    return Err(clash(key));
                }
                match self.leaves.iter_mut().find(|(name, _)| name == key) {
                    Some((_, list)) if list.iter().all(|other| other.direction != remote.direction) => {
                        list.push(remote)
                    }
                    Some(_) => return Err(clash(key)),
                    None => self.leaves.push((key.clone(), vec![remote])),
                }
                Ok(())
            }
            [key, rest @ ..] => {
                if self.leaves.iter().any(|(name, _)| name == key) {
                    return Err(clash(key));
                }
                if !self.children.iter().any(|(name, _)| name == key) {
                    self.children.push((key.clone(), Node::default()));
                }
                let (_, child) = self.children.iter_mut().find(|(name, _)| name == key).expect("just inserted");
                child.insert(rest, remote)
            }
        }
    }

    fn render(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        for (key, remotes) in &self.leaves {
            let mut docs: Vec<&str> = Vec::new();
            for remote in remotes {
                if !docs.is_empty() && !remote.docs.is_empty() {
                    docs.push("");
                }
                docs.extend(remote.docs.iter().map(String::as_str));
            }
            out.push_str(&jsdoc(&docs, &indent));
            let handles: Vec<String> = remotes.iter().map(|remote| handle(remote)).collect();
            let _ = writeln!(out, "{indent}{}: {};", property(key), handles.join(" & "));
        }
        for (key, child) in &self.children {
            let _ = writeln!(out, "{indent}{}: {{", property(key));
            child.render(out, depth + 1);
            let _ = writeln!(out, "{indent}}};");
        }
    }
}

/// The remotes type: `export interface NetRemotes { functions: {...}; events: {...}; }`.
fn remotes_interface(bindings: &Bindings<'_>) -> Result<String, TypeScriptError> {
    let mut root = Node::default();
    for group in ["functions", "events"] {
        root.children.push((group.to_owned(), Node::default()));
    }
    for remote in bindings.remotes {
        root.insert(&remote.path, remote)?;
    }
    let mut out = jsdoc(&[&format!("The remotes of `{}`, as a client sees them.", bindings.module)], "");
    let _ = writeln!(out, "export interface {} {{", bindings.remotes_type);
    for (key, child) in &root.children {
        if child.leaves.is_empty() && child.children.is_empty() {
            let _ = writeln!(out, "  {key}: {{}};");
        } else {
            let _ = writeln!(out, "  {key}: {{");
            child.render(&mut out, 2);
            out.push_str("  };\n");
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// One entry of `remotes` in the `spec` object.
fn spec_remote(remote: &Remote) -> String {
    let path: Vec<String> = remote.path.iter().map(|part| quote(part)).collect();
    let kind = match remote.kind {
        RemoteKind::Function => "function",
        RemoteKind::Event => "event",
    };
    let direction = match remote.direction {
        Direction::ToServer => "to_server",
        Direction::ToClient => "to_client",
    };
    let args: Vec<String> = remote
        .args
        .iter()
        .map(|(name, shape, check)| match check {
            Some(check) => format!("[{}, {}, {check}]", quote(name), spec_shape(shape)),
            None => format!("[{}, {}]", quote(name), spec_shape(shape)),
        })
        .collect();
    format!(
        "    {{\n      name: {}, path: [{}], kind: \"{kind}\", direction: \"{direction}\",\n      hash: \"{:016x}\",\n      \
         args: [{}],\n      output: {},\n    }},\n",
        quote(remote.name),
        path.join(", "),
        remote.hash,
        args.join(", "),
        spec_shape(&remote.output),
    )
}

/// The whole file.
pub(crate) fn file(bindings: &Bindings<'_>) -> Result<String, TypeScriptError> {
    let module = bindings.module;
    let remotes_type = &bindings.remotes_type;
    let mut out = format!(
        "// Generated by remotes from the `{module}` interface with `{module}::typescript()`. Do not edit: regenerate \
         instead.\nimport {{ defineInterface }} from \"remotes-client\";\n"
    );
    let mut imported = vec!["Interface"];
    for remote in bindings.remotes {
        let name = match (remote.kind, remote.direction) {
            (RemoteKind::Function, Direction::ToServer) => "ServerFunction",
            (RemoteKind::Function, Direction::ToClient) => "ClientFunction",
            (RemoteKind::Event, Direction::ToServer) => "ServerEvent",
            (RemoteKind::Event, Direction::ToClient) => "ClientEvent",
        };
        if !imported.contains(&name) {
            imported.push(name);
        }
    }
    imported.sort_unstable();
    let _ = writeln!(out, "import type {{ {} }} from \"remotes-client\";", imported.join(", "));
    for (name, container) in bindings.types {
        out.push('\n');
        out.push_str(&declaration(name, container));
    }
    out.push('\n');
    out.push_str(&remotes_interface(bindings)?);
    let _ = write!(
        out,
        "\nexport const {module}: Interface<{remotes_type}> = defineInterface<{remotes_type}>({{\n  name: {},\n",
        quote(module)
    );
    if bindings.types.is_empty() {
        out.push_str("  types: {},\n");
    } else {
        out.push_str("  types: {\n");
        for (name, container) in bindings.types {
            let _ = writeln!(out, "    {name}: {},", spec_container(container));
        }
        out.push_str("  },\n");
    }
    if bindings.remotes.is_empty() {
        out.push_str("  remotes: [],\n");
    } else {
        out.push_str("  remotes: [\n");
        for remote in bindings.remotes {
            out.push_str(&spec_remote(remote));
        }
        out.push_str("  ],\n");
    }
    out.push_str("});\n");
    Ok(out)
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
