//! The shapes of values as the bindings describe them (the contract's `Shape` and `Container`), with what tracing
//! needs to build them in several passes: a part not seen yet is [`Shape::Unknown`], and passes are merged.

/// A value's shape: the contract's `Shape`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    /// Not traced yet. None is left once tracing is complete.
    Unknown,
    Scalar(Scalar),
    Option(Box<Shape>),
    Seq(Box<Shape>),
    Map(Box<Shape>, Box<Shape>),
    Tuple(Vec<Shape>),
    /// `[T; N]` (and any tuple of two or more elements of one shape: the wire cannot tell them apart).
    Array(Box<Shape>, usize),
    /// A named type: a struct or an enum, by its serde name.
    Ref(&'static str),
}

/// The shapes without parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    F32,
    F64,
    Char,
    Str,
    Bytes,
    Unit,
}

impl Scalar {
    /// The contract's `Scalar` string.
    pub(crate) fn spec(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::U128 => "u128",
            Scalar::I8 => "i8",
            Scalar::I16 => "i16",
            Scalar::I32 => "i32",
            Scalar::I64 => "i64",
            Scalar::I128 => "i128",
            Scalar::F32 => "f32",
            Scalar::F64 => "f64",
            Scalar::Char => "char",
            Scalar::Str => "str",
            Scalar::Bytes => "bytes",
            Scalar::Unit => "unit",
        }
    }

    /// The TypeScript type of a value of this shape.
    pub(crate) fn ts(self) -> &'static str {
        match self {
            Scalar::Bool => "boolean",
            Scalar::U64 | Scalar::U128 | Scalar::I64 | Scalar::I128 => "number | bigint",
            Scalar::Char | Scalar::Str => "string",
            Scalar::Bytes => "Uint8Array",
            Scalar::Unit => "null",
            _ => "number",
        }
    }
}

/// A named type: the contract's `Container`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Container {
    Struct(Vec<(&'static str, Shape)>),
    Newtype(Shape),
    TupleStruct(Vec<Shape>),
    UnitStruct,
    /// The variants in declaration order; `None` for a variant not traced yet.
    Enum(Vec<(&'static str, Option<Variant>)>),
}

/// One variant of an enum: the contract's `Variant`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Variant {
    Unit,
    Newtype(Shape),
    Tuple(Vec<Shape>),
    Struct(Vec<(&'static str, Shape)>),
}

/// Two passes over one type saw different shapes: its serialization is not the same every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mismatch;

impl Shape {
    /// Adds what `other` knows to `self`. Returns whether `self` changed.
    pub(crate) fn merge(&mut self, other: Shape) -> Result<bool, Mismatch> {
        match (&mut *self, other) {
            (_, Shape::Unknown) => Ok(false),
            (Shape::Unknown, other) => {
                *self = other;
                Ok(true)
            }
            (Shape::Scalar(a), Shape::Scalar(b)) if *a == b => Ok(false),
            (Shape::Ref(a), Shape::Ref(b)) if *a == b => Ok(false),
            (Shape::Option(a), Shape::Option(b)) | (Shape::Seq(a), Shape::Seq(b)) => a.merge(*b),
            (Shape::Map(k, v), Shape::Map(k2, v2)) => Ok(k.merge(*k2)? | v.merge(*v2)?),
            (Shape::Tuple(a), Shape::Tuple(b)) => merge_all(a, b),
            (Shape::Array(a, n), Shape::Array(b, m)) if *n == m => a.merge(*b),
            _ => Err(Mismatch),
        }
    }

    /// Whether every part of the shape is known.
    pub(crate) fn complete(&self) -> bool {
        match self {
            Shape::Unknown => false,
            Shape::Scalar(_) | Shape::Ref(_) => true,
            Shape::Option(inner) | Shape::Seq(inner) | Shape::Array(inner, _) => inner.complete(),
            Shape::Map(key, value) => key.complete() && value.complete(),
            Shape::Tuple(items) => items.iter().all(Shape::complete),
        }
    }

    /// The named types a value of this shape always contains (outside options, sequences and maps, which may be
    /// empty).
    pub(crate) fn direct_refs(&self, out: &mut Vec<&'static str>) {
        match self {
            Shape::Ref(name) => out.push(name),
            Shape::Tuple(items) => items.iter().for_each(|item| item.direct_refs(out)),
            Shape::Array(inner, n) if *n > 0 => inner.direct_refs(out),
            _ => {}
        }
    }

    /// The shape as the bindings write it: a tuple of two or more elements of one shape becomes an array (the
    /// wire cannot tell `(u8, u8)` from `[u8; 2]`, nor can serde's tracing).
    pub(crate) fn normalized(self) -> Shape {
        match self {
            Shape::Option(inner) => Shape::Option(Box::new(inner.normalized())),
            Shape::Seq(inner) => Shape::Seq(Box::new(inner.normalized())),
            Shape::Map(key, value) => Shape::Map(Box::new(key.normalized()), Box::new(value.normalized())),
            Shape::Array(inner, n) => Shape::Array(Box::new(inner.normalized()), n),
            Shape::Tuple(items) => {
                let items: Vec<Shape> = items.into_iter().map(Shape::normalized).collect();
                if items.len() >= 2 && items.iter().all(|item| *item == items[0]) {
                    let n = items.len();
                    Shape::Array(Box::new(items.into_iter().next().unwrap_or(Shape::Unknown)), n)
                } else {
                    Shape::Tuple(items)
                }
            }
            other => other,
        }
    }
}

fn merge_all(a: &mut [Shape], b: Vec<Shape>) -> Result<bool, Mismatch> {
    if a.len() != b.len() {
        return Err(Mismatch);
    }
    let mut changed = false;
    for (a, b) in a.iter_mut().zip(b) {
        changed |= a.merge(b)?;
    }
    Ok(changed)
}

fn merge_fields(a: &mut [(&'static str, Shape)], b: Vec<(&'static str, Shape)>) -> Result<bool, Mismatch> {
    if a.len() != b.len() || a.iter().zip(&b).any(|((x, _), (y, _))| x != y) {
        return Err(Mismatch);
    }
    merge_all_named(a, b)
}

fn merge_all_named(a: &mut [(&'static str, Shape)], b: Vec<(&'static str, Shape)>) -> Result<bool, Mismatch> {
    let mut changed = false;
    for ((_, a), (_, b)) in a.iter_mut().zip(b) {
        changed |= a.merge(b)?;
    }
    Ok(changed)
}

impl Variant {
    /// Adds what `other` knows to `self`. Returns whether `self` changed.
    pub(crate) fn merge(&mut self, other: Variant) -> Result<bool, Mismatch> {
        match (self, other) {
            (Variant::Unit, Variant::Unit) => Ok(false),
            (Variant::Newtype(a), Variant::Newtype(b)) => a.merge(b),
            (Variant::Tuple(a), Variant::Tuple(b)) => merge_all(a, b),
            (Variant::Struct(a), Variant::Struct(b)) => merge_fields(a, b),
            _ => Err(Mismatch),
        }
    }

    /// The shapes the variant holds, in order.
    pub(crate) fn shapes(&self) -> Vec<&Shape> {
        match self {
            Variant::Unit => Vec::new(),
            Variant::Newtype(shape) => vec![shape],
            Variant::Tuple(shapes) => shapes.iter().collect(),
            Variant::Struct(fields) => fields.iter().map(|(_, shape)| shape).collect(),
        }
    }

    pub(crate) fn complete(&self) -> bool {
        self.shapes().into_iter().all(Shape::complete)
    }
}

impl Container {
    /// Adds what `other` knows to `self`. Returns whether `self` changed.
    pub(crate) fn merge(&mut self, other: Container) -> Result<bool, Mismatch> {
        match (self, other) {
            (Container::Struct(a), Container::Struct(b)) => merge_fields(a, b),
            (Container::Newtype(a), Container::Newtype(b)) => a.merge(b),
            (Container::TupleStruct(a), Container::TupleStruct(b)) => merge_all(a, b),
            (Container::UnitStruct, Container::UnitStruct) => Ok(false),
            (Container::Enum(a), Container::Enum(b)) => {
                if a.len() != b.len() || a.iter().zip(&b).any(|((x, _), (y, _))| x != y) {
                    return Err(Mismatch);
                }
                let mut changed = false;
                for ((_, a), (_, b)) in a.iter_mut().zip(b) {
                    changed |= match (a.as_mut(), b) {
                        (_, None) => false,
                        (None, Some(b)) => {
                            *a = Some(b);
                            true
                        }
                        (Some(a), Some(b)) => a.merge(b)?,
                    };
                }
                Ok(changed)
            }
            _ => Err(Mismatch),
        }
    }

    /// The shapes the container holds, in order (every variant's, for an enum).
    pub(crate) fn shapes(&self) -> Vec<&Shape> {
        match self {
            Container::Struct(fields) => fields.iter().map(|(_, shape)| shape).collect(),
            Container::Newtype(shape) => vec![shape],
            Container::TupleStruct(shapes) => shapes.iter().collect(),
            Container::UnitStruct => Vec::new(),
            Container::Enum(variants) => {
                variants.iter().flat_map(|(_, v)| v.iter().flat_map(Variant::shapes)).collect()
            }
        }
    }

    /// The container with every shape [normalized](Shape::normalized).
    pub(crate) fn normalized(self) -> Container {
        let fields =
            |fields: Vec<(&'static str, Shape)>| fields.into_iter().map(|(n, s)| (n, s.normalized())).collect();
        let shapes = |shapes: Vec<Shape>| shapes.into_iter().map(Shape::normalized).collect();
        match self {
            Container::Struct(f) => Container::Struct(fields(f)),
            Container::Newtype(shape) => Container::Newtype(shape.normalized()),
            Container::TupleStruct(s) => Container::TupleStruct(shapes(s)),
            Container::UnitStruct => Container::UnitStruct,
            Container::Enum(variants) => Container::Enum(
                variants
                    .into_iter()
                    .map(|(name, variant)| {
                        let variant = variant.map(|variant| match variant {
                            Variant::Unit => Variant::Unit,
                            Variant::Newtype(shape) => Variant::Newtype(shape.normalized()),
                            Variant::Tuple(s) => Variant::Tuple(shapes(s)),
                            Variant::Struct(f) => Variant::Struct(fields(f)),
                        });
                        (name, variant)
                    })
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u8() -> Shape {
        Shape::Scalar(Scalar::U8)
    }

    #[test]
    fn merging_fills_unknown_parts() {
        let mut shape = Shape::Seq(Box::new(Shape::Unknown));
        assert!(!shape.complete());
        assert_eq!(shape.merge(Shape::Unknown), Ok(false));
        assert_eq!(shape.merge(Shape::Seq(Box::new(u8()))), Ok(true));
        assert!(shape.complete());
        assert_eq!(shape.merge(Shape::Seq(Box::new(Shape::Unknown))), Ok(false));
        assert_eq!(shape.merge(Shape::Option(Box::new(u8()))), Err(Mismatch));
    }

    #[test]
    fn enum_variants_are_filled_one_by_one() {
        let mut a = Container::Enum(vec![("A", None), ("B", None)]);
        assert_eq!(a.merge(Container::Enum(vec![("A", Some(Variant::Unit)), ("B", None)])), Ok(true));
        assert_eq!(a.merge(Container::Enum(vec![("A", None), ("B", Some(Variant::Newtype(u8())))])), Ok(true));
        assert_eq!(a, Container::Enum(vec![("A", Some(Variant::Unit)), ("B", Some(Variant::Newtype(u8())))]));
        assert_eq!(a.merge(Container::Enum(vec![("A", None)])), Err(Mismatch));
    }

    #[test]
    fn tuples_of_one_shape_become_arrays() {
        let pair = Shape::Tuple(vec![u8(), u8()]);
        assert_eq!(pair.normalized(), Shape::Array(Box::new(u8()), 2));
        let mixed = Shape::Tuple(vec![u8(), Shape::Scalar(Scalar::Str)]);
        assert_eq!(mixed.clone().normalized(), mixed);
        let single = Shape::Tuple(vec![u8()]);
        assert_eq!(single.clone().normalized(), single);
        assert_eq!(Shape::Tuple(vec![]).normalized(), Shape::Tuple(vec![]));
    }

    #[test]
    fn direct_refs_skip_what_may_be_empty() {
        let shape = Shape::Tuple(vec![
            Shape::Ref("A"),
            Shape::Option(Box::new(Shape::Ref("B"))),
            Shape::Seq(Box::new(Shape::Ref("C"))),
            Shape::Array(Box::new(Shape::Ref("D")), 2),
        ]);
        let mut refs = Vec::new();
        shape.direct_refs(&mut refs);
        assert_eq!(refs, ["A", "D"]);
    }
}
