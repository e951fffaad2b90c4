//! Tracing every kind of type, and the checks `generate` makes on what was traced.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::*;

fn traced<T: DeserializeOwned>() -> (Shape, BTreeMap<&'static str, Container>) {
    let mut tracer = Tracer::default();
    let (shape, _) = trace::<T>(&mut tracer, "argument `x` of `f`").0.expect("traces");
    let types = finish(tracer, "net", "NetRemotes").expect("complete");
    (shape.normalized(), types.into_iter().map(|(name, c)| (name, c.normalized())).collect())
}

fn error<T: DeserializeOwned>() -> TypeScriptError {
    let mut tracer = Tracer::default();
    match trace::<T>(&mut tracer, "argument `x` of `f`").0 {
        Err(error) => error,
        Ok(_) => finish(tracer, "net", "NetRemotes").expect_err("an error"),
    }
}

fn s(scalar: Scalar) -> Shape {
    Shape::Scalar(scalar)
}

fn boxed(scalar: Scalar) -> Box<Shape> {
    Box::new(s(scalar))
}

#[test]
fn scalars() {
    let cases: Vec<(Shape, Shape)> = vec![
        (traced::<bool>().0, s(Scalar::Bool)),
        (traced::<u8>().0, s(Scalar::U8)),
        (traced::<u16>().0, s(Scalar::U16)),
        (traced::<u32>().0, s(Scalar::U32)),
        (traced::<u64>().0, s(Scalar::U64)),
        (traced::<u128>().0, s(Scalar::U128)),
        (traced::<i8>().0, s(Scalar::I8)),
        (traced::<i16>().0, s(Scalar::I16)),
        (traced::<i32>().0, s(Scalar::I32)),
        (traced::<i64>().0, s(Scalar::I64)),
        (traced::<i128>().0, s(Scalar::I128)),
        (traced::<f32>().0, s(Scalar::F32)),
        (traced::<f64>().0, s(Scalar::F64)),
        (traced::<char>().0, s(Scalar::Char)),
        (traced::<String>().0, s(Scalar::Str)),
        (traced::<Box<str>>().0, s(Scalar::Str)),
        (traced::<()>().0, s(Scalar::Unit)),
        (traced::<std::num::NonZeroU32>().0, s(Scalar::U32)),
    ];
    for (got, expected) in cases {
        assert_eq!(got, expected);
    }
}

#[test]
fn collections() {
    assert_eq!(traced::<Option<u8>>().0, Shape::Option(boxed(Scalar::U8)));
    assert_eq!(traced::<Vec<u8>>().0, Shape::Seq(boxed(Scalar::U8)));
    assert_eq!(traced::<std::collections::HashSet<String>>().0, Shape::Seq(boxed(Scalar::Str)));
    assert_eq!(traced::<HashMap<u32, String>>().0, Shape::Map(boxed(Scalar::U32), boxed(Scalar::Str)));
    assert_eq!(traced::<BTreeMap<i8, bool>>().0, Shape::Map(boxed(Scalar::I8), boxed(Scalar::Bool)));
    assert_eq!(traced::<(u8, String)>().0, Shape::Tuple(vec![s(Scalar::U8), s(Scalar::Str)]));
    assert_eq!(traced::<(u8,)>().0, Shape::Tuple(vec![s(Scalar::U8)]));
    assert_eq!(traced::<[u16; 3]>().0, Shape::Array(boxed(Scalar::U16), 3));
    assert_eq!(traced::<[u16; 0]>().0, Shape::Tuple(vec![]));
    assert_eq!(traced::<Box<Vec<Option<u8>>>>().0, Shape::Seq(Box::new(Shape::Option(boxed(Scalar::U8)))));
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Receipt {
    item: u32,
    #[serde(rename = "coins-left")]
    coins_left: u64,
    #[serde(skip)]
    skipped: u8,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Id(u32);

#[derive(Deserialize)]
#[allow(dead_code)]
struct Pair(u8, String);

#[derive(Deserialize)]
struct Marker;

#[derive(Deserialize)]
#[allow(dead_code)]
enum Shape2 {
    Empty,
    Circle(f32),
    Pair(u8, u8),
    Rect { w: f32, h: f32 },
}

#[test]
fn containers() {
    let (shape, types) = traced::<Receipt>();
    assert_eq!(shape, Shape::Ref("Receipt"));
    assert_eq!(types["Receipt"], Container::Struct(vec![("item", s(Scalar::U32)), ("coins-left", s(Scalar::U64))]));
    assert_eq!(traced::<Id>().1["Id"], Container::Newtype(s(Scalar::U32)));
    assert_eq!(traced::<Pair>().1["Pair"], Container::TupleStruct(vec![s(Scalar::U8), s(Scalar::Str)]));
    assert_eq!(traced::<Marker>().1["Marker"], Container::UnitStruct);
    assert_eq!(
        traced::<Shape2>().1["Shape2"],
        Container::Enum(vec![
            ("Empty", Some(Variant::Unit)),
            ("Circle", Some(Variant::Newtype(s(Scalar::F32)))),
            ("Pair", Some(Variant::Tuple(vec![s(Scalar::U8), s(Scalar::U8)]))),
            ("Rect", Some(Variant::Struct(vec![("w", s(Scalar::F32)), ("h", s(Scalar::F32))]))),
        ])
    );
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Holder {
    direct: Shape2,
    many: Vec<Shape2>,
    maybe: Option<Shape2>,
    keyed: HashMap<u8, Shape2>,
}

#[test]
fn enums_are_traced_wherever_they_sit() {
    let (_, types) = traced::<Holder>();
    let Container::Enum(variants) = &types["Shape2"] else { panic!("an enum") };
    assert!(variants.iter().all(|(_, v)| v.is_some()), "{variants:?}");
    let (_, types) = traced::<Option<Vec<Shape2>>>();
    assert!(matches!(&types["Shape2"], Container::Enum(v) if v.iter().all(|(_, v)| v.is_some())));
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Tree {
    value: u32,
    children: Vec<Tree>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum List {
    Nil,
    Cons(u32, Box<List>),
}

/// The recursive variant first: serde-reflection overflows the stack on this one.
#[derive(Deserialize)]
#[allow(dead_code)]
enum Reversed {
    Cons(u32, Box<Reversed>),
    Nil,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum Expr {
    Add(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Lit(f64),
    Maybe(Option<Box<Expr>>),
    All(Vec<Expr>),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Node {
    next: Option<Box<Node>>,
    other: Option<Box<Other>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Other {
    back: Vec<Node>,
}

#[test]
fn recursive_types() {
    let tree = traced::<Tree>().1;
    assert_eq!(
        tree["Tree"],
        Container::Struct(vec![("value", s(Scalar::U32)), ("children", Shape::Seq(Box::new(Shape::Ref("Tree"))))])
    );
    let cons = Some(Variant::Tuple(vec![s(Scalar::U32), Shape::Ref("List")]));
    assert_eq!(traced::<List>().1["List"], Container::Enum(vec![("Nil", Some(Variant::Unit)), ("Cons", cons)]));
    let cons = Some(Variant::Tuple(vec![s(Scalar::U32), Shape::Ref("Reversed")]));
    assert_eq!(traced::<Reversed>().1["Reversed"], Container::Enum(vec![("Cons", cons), ("Nil", Some(Variant::Unit))]));
    let expr = traced::<Expr>().1;
    let Container::Enum(variants) = &expr["Expr"] else { panic!("an enum") };
    assert_eq!(variants[3].1, Some(Variant::Newtype(Shape::Option(Box::new(Shape::Ref("Expr"))))));
    assert_eq!(variants[4].1, Some(Variant::Newtype(Shape::Seq(Box::new(Shape::Ref("Expr"))))));
    let nodes = traced::<Vec<Node>>().1;
    assert_eq!(nodes["Other"], Container::Struct(vec![("back", Shape::Seq(Box::new(Shape::Ref("Node"))))]));
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    A(u8),
    B(String),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct HoldsUntagged {
    inner: Untagged,
}

#[allow(dead_code)]
struct Picky(u8);

impl<'de> Deserialize<'de> for Picky {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            7 => Ok(Picky(7)),
            other => Err(serde::de::Error::custom(format!("{other} is not 7"))),
        }
    }
}

mod other {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    pub struct Receipt(pub u8);
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Page<T> {
    items: Vec<T>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct TwoReceipts {
    a: Receipt,
    b: other::Receipt,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MaybeMaybe {
    x: Option<Option<u8>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Nothing(Option<u8>);

#[derive(Deserialize)]
#[allow(dead_code)]
enum Never {}

fn message(error: TypeScriptError) -> String {
    error.to_string()
}

#[test]
fn untraceable_types_are_named_with_their_place() {
    let untagged = message(error::<Untagged>());
    assert!(untagged.contains("cannot describe `remotes_runtime::typescript::tests::Untagged`, argument `x` of `f`"));
    assert!(untagged.contains("deserialize_any"), "{untagged}");
    let nested = message(error::<HoldsUntagged>());
    assert!(nested.contains("`remotes_runtime::typescript::tests::HoldsUntagged`"), "{nested}");
    assert!(nested.contains("in its field `inner`"), "{nested}");
    let picky = message(error::<Picky>());
    assert!(picky.contains("refused the value the tracer made up") && picky.contains("1 is not 7"), "{picky}");
    let never = message(error::<Never>());
    assert!(never.contains("no finite value"), "{never}");
}

#[test]
fn one_serde_name_for_two_types_is_refused() {
    let two = message(error::<TwoReceipts>());
    assert!(two.contains("`remotes_runtime::typescript::tests::Receipt`"), "{two}");
    assert!(two.contains("`remotes_runtime::typescript::tests::other::Receipt`"), "{two}");
    assert!(two.contains("both named `Receipt`"), "{two}");
    let mut tracer = Tracer::default();
    assert!(trace::<Page<u8>>(&mut tracer, "argument `a` of `f`").0.is_ok());
    let Err(generic) = trace::<Page<String>>(&mut tracer, "argument `b` of `f`").0 else { panic!("a conflict") };
    assert!(matches!(&generic, TypeScriptError::NameConflict { place, .. } if place == "argument `b` of `f`"));
}

#[test]
fn nil_inside_nil_is_refused() {
    let types = BTreeMap::new();
    let option = |inner: Shape| Shape::Option(Box::new(inner));
    assert!(ambiguous(&option(option(s(Scalar::U8))), &types).is_some());
    assert!(ambiguous(&option(s(Scalar::Unit)), &types).is_some());
    assert!(ambiguous(&Shape::Seq(Box::new(option(option(s(Scalar::U8))))), &types).is_some());
    assert!(ambiguous(&option(s(Scalar::U8)), &types).is_none());
    assert!(ambiguous(&option(Shape::Seq(Box::new(option(s(Scalar::U8))))), &types).is_none());
    let (shape, types) = traced::<Option<Nothing>>();
    assert!(ambiguous(&shape, &types).expect("ambiguous").contains("`Nothing`"));
    let inside = message(error::<MaybeMaybe>());
    assert!(inside.contains("`remotes_runtime::typescript::tests::MaybeMaybe`, in its serde type `MaybeMaybe`"));
}

#[test]
fn type_names_the_file_uses_are_refused() {
    #[derive(Deserialize)]
    #[serde(rename = "NetRemotes")]
    struct Clash;
    #[derive(Deserialize)]
    #[serde(rename = "Map")]
    struct Map;
    #[derive(Deserialize)]
    #[serde(rename = "my-type")]
    struct Dashed;
    assert!(message(error::<Clash>()).contains("`NetRemotes` cannot be used"));
    assert!(message(error::<Map>()).contains("already declare or import `Map`"));
    assert!(message(error::<Dashed>()).contains("not a TypeScript identifier"));
}

#[test]
fn doc_lines_lose_their_common_indent() {
    assert_eq!(doc_lines(&[" Buys an item.", "", " Second paragraph."]), ["Buys an item.", "", "Second paragraph."]);
    assert_eq!(doc_lines(&["\n    Block\n      indented\n  "]), ["Block", "  indented"]);
    assert!(doc_lines(&[]).is_empty());
    assert!(doc_lines(&[" ", ""]).is_empty());
}
