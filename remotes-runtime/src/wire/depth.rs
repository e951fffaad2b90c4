//! A depth limit that holds inside decoding, for every shape of type.
//!
//! # Why this exists
//!
//! Decoding a recursive type recurses once per level of the input. A hostile payload nested deeply enough
//! overflows the stack, and a stack overflow is not a panic: it aborts the whole process. rmp-serde's own limit
//! (`set_max_depth`) counts only MessagePack arrays, maps and extensions, while serde's data model nests in more
//! ways that consume no array or map: an externally tagged enum variant is a one-entry map that rmp-serde reads
//! without counting, and `Some(_)` and newtype structs consume *no byte at all*. So `enum Expr { Neg(Box<Expr>), .. }`
//! sent as `81 01` repeated 30,000 times overflowed a worker's stack, and for `struct W(Option<Box<W>>)` the single
//! byte `01` recursed forever.
//!
//! [`Depth`] wraps any [`Deserializer`] the way `serde_path_to_error` does: it wraps the deserializer, the
//! visitor, and every access (`SeqAccess`, `MapAccess`, `EnumAccess`, `VariantAccess`) and seed that hands out
//! nested content, so that every nested `deserialize_*` call goes through a `Depth` again. Each time a visitor is
//! given nested content (`visit_seq`, `visit_map`, `visit_enum`, `visit_some`, `visit_newtype_struct`), one level of
//! the remaining budget is spent; with none left the value is refused with `Error::custom("nested more than N levels
//! deep")`. The budget travels by value (no shared state, nothing to reset after an error), names and
//! `is_human_readable` are forwarded unchanged (rmp-serde recognises its extension type by the newtype name
//! `_ExtStruct`), and every method is a small generic forwarder the compiler inlines.
//!
//! A *level* here is one nested value of serde's data model. One level of a recursive Rust type is one or two of
//! them: `Neg(Box<Expr>)` is one (the variant), `struct L { next: Option<Box<L>> }` two (the struct's sequence and
//! the `Some`), `struct T(Vec<T>)` two (the newtype and the sequence). Arguments and return values get
//! `2 × MAX_DEPTH` = 256 (see `wire::args`), so every such type decodes at least 127 levels deep; rmp-serde's own
//! limit of 128 arrays and maps still applies. Refusing the deepest input of any shape in `tests` takes under 64 KiB
//! of stack in a release build (up to 1 MiB in a debug build), well within a tokio worker's 2 MiB.
//!
//! # What is not covered: serde's buffered content
//!
//! Internally tagged and untagged enums, adjacently tagged enums whose content comes before the tag, and
//! `#[serde(flatten)]` first buffer the input into serde's private `Content` tree, then decode the real type from that
//! tree with serde's own `ContentRefDeserializer`. The buffering goes through `Depth` (it is a `deserialize_any`), so
//! the tree is at most the limit deep. The second pass cannot be wrapped: the derived code builds the
//! `ContentRefDeserializer` itself, and no code of ours runs inside it. It consumes one tree node per nested value,
//! so for most types it is bounded by the tree's depth, with one exception: asked for an `Option` or a newtype struct
//! where the tree holds some other value, it passes *itself* on (`visit_some(self)`, `visit_newtype_struct(self)`),
//! consuming nothing. A type whose cycle is made only of `Option`, newtype structs, `Box` and
//! `#[serde(transparent)]` wrappers (like `W(Option<Box<W>>)`), inside such an enum, therefore still recurses without
//! bound on any value other than nil, `01` for example, and overflows the stack. Any sequence, map, multi-field or
//! named-field struct, or externally tagged enum on the cycle bounds it. The runtime cannot detect such a type ahead
//! of time either: a probe would have to run serde's content pass, which is the recursion itself. Such types can
//! encode only `W(None)` anyway (rmp-serde writes `Some(x)` as `x`), so the remedy is in the type: put a sequence or
//! an externally tagged enum on the cycle. `tests::residual_zero_byte_cycles_inside_buffered_enums_still_recurse`
//! checks, in a child process, that this case still overflows, so the day serde fixes it this paragraph can go.
//!
//! `Visitor::__private_visit_untagged_option` (serde's hidden hook for flattened options) is not forwarded: only
//! serde's own content deserializers call it, and `Depth` only ever wraps rmp-serde's.
//!
//! [`Deserializer`]: serde::Deserializer

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

use super::wide::Wide;

#[cfg(test)]
mod tests;

/// How many more levels a value may nest, and the limit it started from (for the error message).
#[derive(Clone, Copy, Debug)]
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    /// The budget for content nested one level deeper, or the error refusing it.
    #[inline]
    fn nest<E: de::Error>(self) -> Result<Budget, E> {
        match self.left.checked_sub(1) {
            Some(left) => Ok(Budget { left, limit: self.limit }),
            None => Err(too_deep(self.limit)),
        }
    }
}

#[cold]
#[inline(never)]
fn too_deep<E: de::Error>(limit: usize) -> E {
    E::custom(format_args!("nested more than {limit} levels deep"))
}

/// Decodes a `T` from `de`, refusing input that nests more than `limit` levels (see the module docs for what a
/// level is).
#[inline]
pub(crate) fn deserialize<'de, T: de::Deserialize<'de>, D: Deserializer<'de>>(
    de: D,
    limit: usize,
) -> Result<T, D::Error> {
    T::deserialize(Depth::new(de, limit))
}

/// A [`Deserializer`] that refuses input nested more than a fixed number of levels. See the module docs.
pub(crate) struct Depth<D> {
    de: D,
    budget: Budget,
}

impl<D> Depth<D> {
    /// Wraps `de`, allowing `limit` levels of nesting.
    #[inline]
    pub(crate) fn new(de: D, limit: usize) -> Depth<D> {
        Depth { de, budget: Budget { left: limit, limit } }
    }
}

/// Forwards `deserialize_*` methods that take only a visitor.
macro_rules! forward {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method(Visit { inner: visitor, budget: self.budget })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Depth<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    /// 128-bit integers in every form MessagePack allows (see `wide`), not only rmp-serde's bin 8.
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(Wide::<_, false> { inner: Visit { inner: visitor, budget: self.budget } })
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(Wide::<_, true> { inner: Visit { inner: visitor, budget: self.budget } })
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_unit_struct(name, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_newtype_struct(name, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple(len, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple_struct(name, len, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_struct(name, fields, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_enum(name, variants, Visit { inner: visitor, budget: self.budget })
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor that spends a level whenever it is handed nested content.
struct Visit<V> {
    inner: V,
    budget: Budget,
}

/// Forwards `visit_*` methods that carry a plain value (nothing nested).
macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128) visit_f32(f32) visit_f64(f64)
        visit_char(char) visit_str(&str) visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let budget = self.budget.nest()?;
        self.inner.visit_some(Depth { de, budget })
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let budget = self.budget.nest()?;
        self.inner.visit_newtype_struct(Depth { de, budget })
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let budget = self.budget.nest()?;
        self.inner.visit_seq(Access { inner: seq, budget })
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let budget = self.budget.nest()?;
        self.inner.visit_map(Access { inner: map, budget })
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let budget = self.budget.nest()?;
        self.inner.visit_enum(Access { inner: data, budget })
    }
}

/// A seed whose deserializer is wrapped in a [`Depth`] with the budget of the content it sits in.
struct Seed<S> {
    inner: S,
    budget: Budget,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Depth { de, budget: self.budget })
    }
}

/// A `SeqAccess`, `MapAccess`, `EnumAccess` or `VariantAccess` whose seeds and visitors are wrapped.
struct Access<A> {
    inner: A,
    budget: Budget,
}

impl<A> Access<A> {
    #[inline]
    fn seed<S>(&self, inner: S) -> Seed<S> {
        Seed { inner, budget: self.budget }
    }

    #[inline]
    fn visit<V>(&self, inner: V) -> Visit<V> {
        Visit { inner, budget: self.budget }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Access<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let seed = self.seed(seed);
        self.inner.next_element_seed(seed)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Access<A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let seed = self.seed(seed);
        self.inner.next_key_seed(seed)
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.next_value_seed(seed)
    }

    #[inline]
    fn next_entry_seed<K: DeserializeSeed<'de>, S: DeserializeSeed<'de>>(
        &mut self,
        key: K,
        value: S,
    ) -> Result<Option<(K::Value, S::Value)>, A::Error> {
        let (key, value) = (self.seed(key), self.seed(value));
        self.inner.next_entry_seed(key, value)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let budget = self.budget;
        let (value, variant) = self.inner.variant_seed(Seed { inner: seed, budget })?;
        Ok((value, Access { inner: variant, budget }))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Access<A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.newtype_variant_seed(seed)
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let visitor = self.visit(visitor);
        self.inner.tuple_variant(len, visitor)
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = self.visit(visitor);
        self.inner.struct_variant(fields, visitor)
    }
}
