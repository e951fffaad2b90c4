//! Tracing: what shape a type has on the wire, found by deserializing it from a `Deserializer` (`de.rs`, which
//! also drives the passes) that makes up every value it is asked for and notes which `deserialize_*` method serde
//! called. This module holds the state of tracing: the types met, the containers in progress, the limits.
//!
//! One pass builds one value, so an enum shows one variant per pass: a type is traced again until a pass learns
//! nothing new. Each enum met picks a variant not traced yet, so every variant is reached, however deep the enum
//! sits (in a field, an `Option`, a `Vec`, a map). Recursion ends because an option, sequence or map met inside a
//! type that is already being traced further out comes out empty, and an enum met inside itself picks another
//! variant than the ones in progress (preferring one that holds no other type).
//!
//! (serde-reflection, which this follows, traces only the enums it is asked for by type, and overflows the stack
//! on an enum whose first variant recurses; the interface's types are known only as the macro wrote them.)

use std::collections::BTreeMap;
use std::fmt;

use super::model::Container;

/// How deep a value the tracer builds: deeper means no finite value could be found.
const MAX_DEPTH: usize = 256;
/// How many `deserialize_*` calls one pass may make.
const MAX_STEPS: usize = 1_000_000;

/// A named type met while tracing.
#[derive(Debug)]
pub(crate) struct Entry {
    /// `std::any::type_name` of the Rust type that gave the name.
    pub(crate) rust: &'static str,
    pub(crate) container: Container,
    /// Where it was first met, for errors: "argument `item` of `buy_item`".
    pub(crate) place: String,
}

/// A named type being traced, innermost last.
struct Frame {
    name: &'static str,
    /// For an enum, the variant this pass takes.
    variant: Option<usize>,
}

/// The state of tracing one interface's types: every named type met so far.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Tracer {
    pub(crate) types: BTreeMap<&'static str, Entry>,
    stack: Vec<Frame>,
    steps: usize,
    progress: bool,
    place: String,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)
    }
}

/// Why a type could not be traced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TraceError {
    /// A `deserialize_*` method the tracer cannot follow (`deserialize_any`, `deserialize_ignored_any`, ...).
    Unsupported { method: &'static str, at: At },
    /// The type's own `Deserialize` refused a value the tracer made up.
    Refused { message: String, at: At },
    /// Two Rust types gave the same serde name.
    Conflict { name: &'static str, first: &'static str, second: &'static str },
    /// No finite value could be built, or the type is too large to trace.
    TooDeep { at: At },
    /// Two passes saw different shapes for the type.
    Unstable { at: At },
}

/// Where in a type a trace failed: the innermost named type, and the field within it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) container: Option<&'static str>,
    pub(crate) field: Option<&'static str>,
}

impl TraceError {
    pub(crate) fn at_mut(&mut self) -> Option<&mut At> {
        match self {
            TraceError::Unsupported { at, .. }
            | TraceError::Refused { at, .. }
            | TraceError::TooDeep { at }
            | TraceError::Unstable { at } => Some(at),
            TraceError::Conflict { .. } => None,
        }
    }

    /// Notes the innermost named type (`rust`) the error came through, if none is noted yet.
    pub(crate) fn within(mut self, rust: &'static str) -> TraceError {
        if let Some(at) = self.at_mut() {
            at.container.get_or_insert(rust);
        }
        self
    }

    /// Notes the field the error came through, if no named type is noted yet.
    pub(crate) fn in_field(mut self, field: &'static str) -> TraceError {
        if let Some(at) = self.at_mut() {
            if at.container.is_none() {
                at.field.get_or_insert(field);
            }
        }
        self
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Unsupported { method, .. } => write!(f, "`{method}` cannot be traced"),
            TraceError::Refused { message, .. } => f.write_str(message),
            TraceError::Conflict { name, .. } => write!(f, "two types are named `{name}`"),
            TraceError::TooDeep { .. } => f.write_str("no finite value could be built"),
            TraceError::Unstable { .. } => f.write_str("two passes saw different shapes"),
        }
    }
}

impl std::error::Error for TraceError {}

impl serde::de::Error for TraceError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        TraceError::Refused { message: message.to_string(), at: At::default() }
    }
}

impl Tracer {
    /// Starts tracing a type used at `place` ("argument `item` of `buy_item`"), for errors.
    pub(crate) fn start(&mut self, place: &str) {
        self.place = place.to_owned();
    }

    /// Starts one pass over the type.
    pub(crate) fn begin_pass(&mut self) {
        self.progress = false;
        self.steps = 0;
        self.stack.clear();
    }

    /// Whether the pass just made reached something no pass had (a type or a variant).
    pub(crate) fn progressed(&self) -> bool {
        self.progress
    }

    /// Counts one `deserialize_*` call of this pass.
    pub(crate) fn step(&mut self) -> Result<(), TraceError> {
        self.steps += 1;
        if self.steps > MAX_STEPS || self.stack.len() > MAX_DEPTH {
            return Err(TraceError::TooDeep { at: At::default() });
        }
        Ok(())
    }

    /// Enters the named type `name` (of Rust type `rust`), registering it as `empty` the first time.
    pub(crate) fn enter(&mut self, name: &'static str, rust: &'static str, empty: Container) -> Result<(), TraceError> {
        match self.types.get(name) {
            Some(entry) if entry.rust != rust => {
                return Err(TraceError::Conflict { name, first: entry.rust, second: rust });
            }
            Some(entry) if std::mem::discriminant(&entry.container) != std::mem::discriminant(&empty) => {
                return Err(TraceError::Unstable { at: At::default() });
            }
            Some(_) => {}
            None => {
                self.types.insert(name, Entry { rust, container: empty, place: self.place.clone() });
                self.progress = true;
            }
        }
        self.stack.push(Frame { name, variant: None });
        Ok(())
    }

    /// Leaves the innermost named type, adding `container` (what this pass saw of it) to what is known.
    pub(crate) fn leave(&mut self, container: Container) -> Result<(), TraceError> {
        let frame = self.stack.pop().expect("leave follows enter");
        let entry = self.types.get_mut(frame.name).expect("entered types are registered");
        let changed = entry.container.merge(container).map_err(|_| TraceError::Unstable { at: At::default() })?;
        self.progress |= changed;
        Ok(())
    }

    /// Whether an option, sequence or map met now comes out empty: the innermost named type is already being
    /// traced further out.
    pub(crate) fn cut(&self) -> bool {
        match self.stack.last() {
            Some(top) => self.stack.iter().filter(|frame| frame.name == top.name).count() > 1,
            None => false,
        }
    }

    /// The variant the enum just entered (the innermost frame) takes in this pass: the first one not traced in
    /// full that is not already in progress further out; else, among those not in progress, one that holds no
    /// other type, or none in progress, or any.
    pub(crate) fn choose(&mut self) -> usize {
        let top = self.stack.last().expect("choose follows enter");
        let name = top.name;
        let open: Vec<usize> = self.stack.iter().filter(|f| f.name == name).filter_map(|f| f.variant).collect();
        let on_stack: Vec<&'static str> = self.stack.iter().map(|frame| frame.name).collect();
        let Some(Entry { container: Container::Enum(variants), .. }) = self.types.get(name) else {
            unreachable!("choose is called for enums")
        };
        let free = |i: &usize| !open.contains(i);
        let indices = 0..variants.len();
        let untraced = indices.clone().filter(free).find(|&i| !variants[i].1.as_ref().is_some_and(|v| v.complete()));
        let refs = |i: usize| {
            let mut out = Vec::new();
            for shape in variants[i].1.iter().flat_map(|v| v.shapes()) {
                shape.direct_refs(&mut out);
            }
            out
        };
        let chosen = untraced
            .or_else(|| indices.clone().filter(free).find(|&i| refs(i).is_empty()))
            .or_else(|| indices.clone().filter(free).find(|&i| refs(i).iter().all(|r| !on_stack.contains(r))))
            .or_else(|| indices.clone().find(free))
            .unwrap_or(0);
        if let Some(frame) = self.stack.last_mut() {
            frame.variant = Some(chosen);
        }
        chosen
    }
}
