//! What generated code hands the runtime: one tracer per argument and return type (chosen so that it adds no
//! bound of its own), each argument's checks, and each remote's doc lines, gathered by local index.

use std::any::type_name;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::TypeScriptError;
use super::check::Check;
use super::explain;
use super::model::Shape;
use super::trace::Tracer;

/// A traced type, as generated code passes it on.
#[doc(hidden)]
pub struct Traced(pub(super) Result<(Shape, &'static str), TypeScriptError>);

/// Traces one argument or return type.
#[doc(hidden)]
pub type TraceFn = fn(&mut Tracer, &str) -> Traced;

/// Traces `T`, used at `place` ("argument `item` of `buy_item`").
#[doc(hidden)]
pub fn trace<T: DeserializeOwned>(tracer: &mut Tracer, place: &str) -> Traced {
    let ty = type_name::<T>();
    Traced(super::de::trace::<T>(tracer, place).map(|shape| (shape, ty)).map_err(|error| explain(error, ty, place)))
}

/// Chooses the tracer of `T` in generated code: `(&TraceProbe::<T>::new()).tracer()`, with [`Traceable`] and
/// [`NotTraceable`] in scope, is [`trace::<T>`](trace) when `T: DeserializeOwned`, and compiles without adding an
/// error of its own when it is not (the macro's assertion that each type crosses the wire reports that).
#[doc(hidden)]
pub struct TraceProbe<T>(std::marker::PhantomData<fn() -> T>);

impl<T> TraceProbe<T> {
    /// The probe.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        TraceProbe(std::marker::PhantomData)
    }
}

/// See [`TraceProbe`].
#[doc(hidden)]
pub trait Traceable {
    /// The tracer of a type that deserializes.
    fn tracer(&self) -> TraceFn;
}

impl<T: DeserializeOwned> Traceable for TraceProbe<T> {
    fn tracer(&self) -> TraceFn {
        trace::<T>
    }
}

/// See [`TraceProbe`].
#[doc(hidden)]
pub trait NotTraceable {
    /// A tracer for a type that does not deserialize (in code that does not compile anyway).
    fn tracer(&self) -> TraceFn;
}

impl<T> NotTraceable for &TraceProbe<T> {
    fn tracer(&self) -> TraceFn {
        |_, place| {
            let reason = "it does not implement `Deserialize`".to_owned();
            Traced(Err(TypeScriptError::Untraceable {
                ty: type_name::<T>().to_owned(),
                place: place.to_owned(),
                reason,
            }))
        }
    }
}

/// One argument as generated code describes it.
#[doc(hidden)]
pub struct Arg {
    pub(super) trace: TraceFn,
    pub(super) check: Check,
}

/// Describes an argument: its tracer and its checks.
#[doc(hidden)]
pub fn arg(trace: TraceFn, check: Check) -> Arg {
    Arg { trace, check }
}

pub(super) struct Described {
    pub(super) args: Vec<Arg>,
    pub(super) output: TraceFn,
    pub(super) docs: Vec<&'static str>,
}

/// What generated code gathers from every level of the interface, by local index.
#[doc(hidden)]
#[derive(Default)]
pub struct Collector {
    pub(super) remotes: BTreeMap<usize, Described>,
}

impl Collector {
    /// The remote at `index` of the interface table: its arguments in order, its output and its doc lines.
    pub fn remote(
        &mut self,
        index: usize,
        args: impl IntoIterator<Item = Arg>,
        output: TraceFn,
        docs: &[&'static str],
    ) {
        self.remotes.insert(index, Described { args: args.into_iter().collect(), output, docs: docs.to_vec() });
    }
}
