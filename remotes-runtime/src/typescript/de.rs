//! The tracing `Deserializer`: answers every `deserialize_*` call with a made-up value and writes down the shape the
//! call reveals. It reads structs as sequences of their fields, as rmp-serde's compact form does (and as
//! `is_human_readable() == false` tells types that care).

use std::any::type_name;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::model::{Container, Scalar, Shape, Variant};
use super::trace::{At, TraceError, Tracer};

/// How many passes one type may take.
const MAX_PASSES: usize = 10_000;

/// Traces `T` to the end: passes until one learns nothing new. `place` names where `T` is used, for errors.
pub(crate) fn trace<T: DeserializeOwned>(tracer: &mut Tracer, place: &str) -> Result<Shape, TraceError> {
    tracer.start(place);
    let mut shape = Shape::Unknown;
    for _ in 0..MAX_PASSES {
        tracer.begin_pass();
        let mut out = Shape::Unknown;
        T::deserialize(De::new(tracer, &mut out))?;
        let changed = shape.merge(out).map_err(|_| TraceError::Unstable { at: At::default() })?;
        if !tracer.progressed() && !changed {
            return Ok(shape);
        }
    }
    Err(TraceError::TooDeep { at: At::default() })
}

/// Bytes offered to `deserialize_bytes`: sixteen, so that a UUID (sixteen bytes in binary formats) accepts them.
const SAMPLE_BYTES: [u8; 16] = [0; 16];

/// Deserializes one value, writing its shape to `out`.
pub(crate) struct De<'t> {
    tracer: &'t mut Tracer,
    out: &'t mut Shape,
}

impl<'t> De<'t> {
    pub(crate) fn new(tracer: &'t mut Tracer, out: &'t mut Shape) -> De<'t> {
        De { tracer, out }
    }

    fn scalar(self, scalar: Scalar) -> Result<(), TraceError> {
        self.tracer.step()?;
        *self.out = Shape::Scalar(scalar);
        Ok(())
    }
}

/// The type name of a visitor's value, for visitors of any lifetime.
fn value_name<'de, V: Visitor<'de>>() -> &'static str {
    type_name::<V::Value>()
}

macro_rules! scalars {
    ($($method:ident => $scalar:ident, $visit:ident($($value:expr)?);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
            self.scalar(Scalar::$scalar)?;
            visitor.$visit($($value)?)
        }
    )*};
}

macro_rules! unsupported {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, TraceError> {
            Err(TraceError::Unsupported { method: stringify!($method), at: At::default() })
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = TraceError;

    unsupported!(deserialize_any, deserialize_identifier, deserialize_ignored_any);

    scalars! {
        deserialize_bool => Bool, visit_bool(false);
        deserialize_u8 => U8, visit_u8(1);
        deserialize_u16 => U16, visit_u16(1);
        deserialize_u32 => U32, visit_u32(1);
        deserialize_u64 => U64, visit_u64(1);
        deserialize_u128 => U128, visit_u128(1);
        deserialize_i8 => I8, visit_i8(1);
        deserialize_i16 => I16, visit_i16(1);
        deserialize_i32 => I32, visit_i32(1);
        deserialize_i64 => I64, visit_i64(1);
        deserialize_i128 => I128, visit_i128(1);
        deserialize_f32 => F32, visit_f32(1.0);
        deserialize_f64 => F64, visit_f64(1.0);
        deserialize_char => Char, visit_char('A');
        deserialize_str => Str, visit_str("");
        deserialize_string => Str, visit_string(String::new());
        deserialize_bytes => Bytes, visit_bytes(&SAMPLE_BYTES);
        deserialize_byte_buf => Bytes, visit_byte_buf(SAMPLE_BYTES.to_vec());
        deserialize_unit => Unit, visit_unit();
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.tracer.step()?;
        let mut inner = Shape::Unknown;
        let value =
            if self.tracer.cut() { visitor.visit_none() } else { visitor.visit_some(De::new(self.tracer, &mut inner)) };
        *self.out = Shape::Option(Box::new(inner));
        value
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.tracer.step()?;
        let mut inner = [Shape::Unknown];
        let len = if self.tracer.cut() { 0 } else { 1 };
        let value = visitor.visit_seq(Elements::new(self.tracer, &mut inner[..len], None));
        let [inner] = inner;
        *self.out = Shape::Seq(Box::new(inner));
        value
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, TraceError> {
        self.tracer.step()?;
        let mut items = vec![Shape::Unknown; len];
        let value = visitor.visit_seq(Elements::new(self.tracer, &mut items, None));
        *self.out = Shape::Tuple(items);
        value
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.tracer.step()?;
        let (mut key, mut value) = (Shape::Unknown, Shape::Unknown);
        let entries = !self.tracer.cut();
        let result = visitor.visit_map(Entries { tracer: self.tracer, key: &mut key, value: &mut value, entries });
        *self.out = Shape::Map(Box::new(key), Box::new(value));
        result
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, TraceError> {
        let rust = value_name::<V>();
        self.tracer.step()?;
        *self.out = Shape::Ref(name);
        self.tracer.enter(name, rust, Container::UnitStruct)?;
        let value = visitor.visit_unit::<TraceError>().map_err(|error| error.within(rust))?;
        self.tracer.leave(Container::UnitStruct)?;
        Ok(value)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let rust = value_name::<V>();
        self.tracer.step()?;
        *self.out = Shape::Ref(name);
        self.tracer.enter(name, rust, Container::Newtype(Shape::Unknown))?;
        let mut inner = Shape::Unknown;
        let value = visitor.visit_newtype_struct(De::new(self.tracer, &mut inner)).map_err(|e| e.within(rust))?;
        self.tracer.leave(Container::Newtype(inner)).map_err(|e| e.within(rust))?;
        Ok(value)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let rust = value_name::<V>();
        self.tracer.step()?;
        *self.out = Shape::Ref(name);
        self.tracer.enter(name, rust, Container::TupleStruct(vec![Shape::Unknown; len]))?;
        let mut items = vec![Shape::Unknown; len];
        let value = visitor.visit_seq(Elements::new(self.tracer, &mut items, None)).map_err(|e| e.within(rust))?;
        self.tracer.leave(Container::TupleStruct(items)).map_err(|e| e.within(rust))?;
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let rust = value_name::<V>();
        self.tracer.step()?;
        *self.out = Shape::Ref(name);
        let empty = || fields.iter().map(|field| (*field, Shape::Unknown)).collect();
        self.tracer.enter(name, rust, Container::Struct(empty()))?;
        let mut items = vec![Shape::Unknown; fields.len()];
        let value =
            visitor.visit_seq(Elements::new(self.tracer, &mut items, Some(fields))).map_err(|e| e.within(rust))?;
        let seen = fields.iter().copied().zip(items).collect();
        self.tracer.leave(Container::Struct(seen)).map_err(|e| e.within(rust))?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let rust = value_name::<V>();
        if variants.is_empty() {
            return Err(TraceError::TooDeep { at: At { container: Some(rust), field: None } });
        }
        self.tracer.step()?;
        *self.out = Shape::Ref(name);
        self.tracer.enter(name, rust, Container::Enum(variants.iter().map(|v| (*v, None)).collect()))?;
        let index = self.tracer.choose();
        let mut seen = None;
        let access = Choice { tracer: self.tracer, variant: variants[index], out: &mut seen };
        let value = visitor.visit_enum(access).map_err(|e| e.within(rust))?;
        let mut all: Vec<(&'static str, Option<Variant>)> = variants.iter().map(|v| (*v, None)).collect();
        all[index].1 = seen;
        self.tracer.leave(Container::Enum(all)).map_err(|e| e.within(rust))?;
        Ok(value)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// The elements of a sequence, tuple or struct, one shape each.
struct Elements<'t, 's> {
    tracer: &'t mut Tracer,
    items: &'s mut [Shape],
    fields: Option<&'static [&'static str]>,
    next: usize,
}

impl<'t, 's> Elements<'t, 's> {
    fn new(tracer: &'t mut Tracer, items: &'s mut [Shape], fields: Option<&'static [&'static str]>) -> Self {
        Elements { tracer, items, fields, next: 0 }
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_> {
    type Error = TraceError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, TraceError> {
        let i = self.next;
        let Some(out) = self.items.get_mut(i) else { return Ok(None) };
        self.next += 1;
        let value = seed.deserialize(De::new(self.tracer, out));
        match (value, self.fields.and_then(|fields| fields.get(i))) {
            (Err(error), Some(field)) => Err(error.in_field(field)),
            (value, _) => value.map(Some),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

/// A map of one entry (or none).
struct Entries<'t, 's> {
    tracer: &'t mut Tracer,
    key: &'s mut Shape,
    value: &'s mut Shape,
    entries: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, '_> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, TraceError> {
        if !self.entries {
            return Ok(None);
        }
        self.entries = false;
        seed.deserialize(De::new(self.tracer, self.key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TraceError> {
        seed.deserialize(De::new(self.tracer, self.value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(usize::from(self.entries))
    }
}

/// An enum's variant, chosen by the tracer: its name for the variant's identifier, then its content.
struct Choice<'t, 's> {
    tracer: &'t mut Tracer,
    variant: &'static str,
    out: &'s mut Option<Variant>,
}

impl<'de, 't, 's> de::EnumAccess<'de> for Choice<'t, 's> {
    type Error = TraceError;
    type Variant = Choice<'t, 's>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), TraceError> {
        let name: de::value::StrDeserializer<'_, TraceError> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Choice<'_, '_> {
    type Error = TraceError;

    fn unit_variant(self) -> Result<(), TraceError> {
        *self.out = Some(Variant::Unit);
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, TraceError> {
        let mut inner = Shape::Unknown;
        let value = seed.deserialize(De::new(self.tracer, &mut inner));
        *self.out = Some(Variant::Newtype(inner));
        value
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, TraceError> {
        let mut items = vec![Shape::Unknown; len];
        let value = visitor.visit_seq(Elements::new(self.tracer, &mut items, None));
        *self.out = Some(Variant::Tuple(items));
        value
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let mut items = vec![Shape::Unknown; fields.len()];
        let value = visitor.visit_seq(Elements::new(self.tracer, &mut items, Some(fields)));
        *self.out = Some(Variant::Struct(fields.iter().copied().zip(items).collect()));
        value
    }
}
