//! The text of each shape, container and remote, as the contract writes them.

use super::*;
use crate::typescript::model::Scalar as S;

fn s(scalar: S) -> Shape {
    Shape::Scalar(scalar)
}

fn b(shape: Shape) -> Box<Shape> {
    Box::new(shape)
}

#[test]
fn typescript_types_of_shapes() {
    let cases: Vec<(Shape, &str)> = vec![
        (s(S::Bool), "boolean"),
        (s(S::U8), "number"),
        (s(S::I32), "number"),
        (s(S::F32), "number"),
        (s(S::U64), "number | bigint"),
        (s(S::I128), "number | bigint"),
        (s(S::Char), "string"),
        (s(S::Str), "string"),
        (s(S::Bytes), "Uint8Array"),
        (s(S::Unit), "null"),
        (Shape::Option(b(s(S::U8))), "number | null"),
        (Shape::Seq(b(s(S::Str))), "string[]"),
        (Shape::Seq(b(Shape::Option(b(s(S::U8))))), "(number | null)[]"),
        (Shape::Seq(b(s(S::U64))), "(number | bigint)[]"),
        (Shape::Seq(b(Shape::Seq(b(s(S::U8))))), "number[][]"),
        (Shape::Map(b(s(S::U32)), b(s(S::Str))), "Map<number, string>"),
        (Shape::Tuple(vec![s(S::U8), s(S::Str)]), "[number, string]"),
        (Shape::Tuple(vec![]), "[]"),
        (Shape::Array(b(s(S::U8)), 3), "[number, number, number]"),
        (Shape::Array(b(s(S::U8)), 33), "number[]"),
        (Shape::Array(b(Shape::Option(b(s(S::U8)))), 40), "(number | null)[]"),
        (Shape::Ref("Receipt"), "Receipt"),
    ];
    for (shape, expected) in cases {
        assert_eq!(ts_type(&shape).0, expected, "{shape:?}");
    }
    assert_eq!(ts_type(&Shape::Array(b(s(S::U8)), 32)).0.matches("number").count(), 32);
}

#[test]
fn spec_shapes() {
    let cases: Vec<(Shape, &str)> = vec![
        (s(S::U128), r#""u128""#),
        (s(S::Unit), r#""unit""#),
        (Shape::Option(b(s(S::U8))), r#"{ option: "u8" }"#),
        (Shape::Seq(b(s(S::Str))), r#"{ seq: "str" }"#),
        (Shape::Map(b(s(S::U32)), b(Shape::Ref("Item"))), r#"{ map: ["u32", { ref: "Item" }] }"#),
        (Shape::Tuple(vec![s(S::U8), s(S::Char)]), r#"{ tuple: ["u8", "char"] }"#),
        (Shape::Tuple(vec![]), r#"{ tuple: [] }"#),
        (Shape::Array(b(s(S::F64)), 4), r#"{ array: ["f64", 4] }"#),
    ];
    for (shape, expected) in cases {
        assert_eq!(spec_shape(&shape), expected);
    }
}

fn shape_enum() -> Container {
    Container::Enum(vec![
        ("Empty", Some(Variant::Unit)),
        ("Circle", Some(Variant::Newtype(s(S::F32)))),
        ("Pair", Some(Variant::Tuple(vec![s(S::U8), s(S::Str)]))),
        ("Rect", Some(Variant::Struct(vec![("w", s(S::F32)), ("h", s(S::F32))]))),
        ("my-variant", Some(Variant::Struct(vec![]))),
    ])
}

#[test]
fn declarations() {
    let receipt = Container::Struct(vec![("item", s(S::U32)), ("coins_left", s(S::U64)), ("my-field", s(S::Bool))]);
    assert_eq!(
        declaration("Receipt", &receipt),
        "export interface Receipt {\n  item: number;\n  coins_left: number | bigint;\n  \"my-field\": boolean;\n}\n"
    );
    assert_eq!(declaration("Empty", &Container::Struct(vec![])), "export interface Empty {}\n");
    assert_eq!(declaration("Id", &Container::Newtype(s(S::U32))), "export type Id = number;\n");
    assert_eq!(
        declaration("Pair", &Container::TupleStruct(vec![s(S::U8), s(S::Str)])),
        "export type Pair = [number, string];\n"
    );
    assert_eq!(declaration("Marker", &Container::UnitStruct), "export type Marker = null;\n");
    assert_eq!(
        declaration("Shape", &shape_enum()),
        "export type Shape = \"Empty\" | { Circle: number } | { Pair: [number, string] } | { Rect: { w: number; h: number } } \
         | { \"my-variant\": {} };\n"
    );
}

#[test]
fn spec_containers() {
    let receipt = Container::Struct(vec![("item", s(S::U32)), ("quantity", s(S::U8))]);
    assert_eq!(spec_container(&receipt), r#"{ struct: [["item", "u32"], ["quantity", "u8"]] }"#);
    assert_eq!(spec_container(&Container::Newtype(s(S::U32))), r#"{ newtype: "u32" }"#);
    assert_eq!(
        spec_container(&Container::TupleStruct(vec![s(S::U8), s(S::U16)])),
        r#"{ tuple_struct: ["u8", "u16"] }"#
    );
    assert_eq!(spec_container(&Container::UnitStruct), r#""unit_struct""#);
    assert_eq!(
        spec_container(&shape_enum()),
        r#"{ enum: [["Empty", "unit"], ["Circle", { newtype: "f32" }], ["Pair", { tuple: ["u8", "str"] }], ["Rect", { struct: [["w", "f32"], ["h", "f32"]] }], ["my-variant", { struct: [] }]] }"#
    );
}

fn remote(name: &'static str, kind: RemoteKind, direction: Direction, path: &[&str]) -> Remote {
    Remote {
        name,
        kind,
        direction,
        hash: 0xacf5_0e0c_d4ad_ec0d,
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        args: vec![
            ("item".to_owned(), s(S::U32), None),
            ("new".to_owned(), s(S::U8), Some("{ finite: true }".to_owned())),
        ],
        output: s(S::Unit),
        docs: Vec::new(),
    }
}

#[test]
fn handles_and_spec_entries() {
    let mut buy = remote("buy_item", RemoteKind::Function, Direction::ToServer, &["functions", "buyItem"]);
    assert_eq!(handle(&buy), "ServerFunction<[item: number, new_: number], null>");
    buy.kind = RemoteKind::Event;
    buy.direction = Direction::ToClient;
    assert_eq!(handle(&buy), "ClientEvent<[item: number, new_: number]>");
    assert_eq!(
        spec_remote(&buy),
        "    {\n      name: \"buy_item\", path: [\"functions\", \"buyItem\"], kind: \"event\", direction: \"to_client\",\n      \
         hash: \"acf50e0cd4adec0d\",\n      args: [[\"item\", \"u32\"], [\"new\", \"u8\", { finite: true }]],\n      \
         output: \"unit\",\n    },\n"
    );
}

#[test]
fn jsdoc_blocks() {
    assert_eq!(jsdoc(&[], "  "), "");
    assert_eq!(jsdoc(&["One line."], "    "), "    /** One line. */\n");
    assert_eq!(jsdoc(&["First.", "", "Ends */ here."], ""), "/**\n * First.\n *\n * Ends *\\/ here.\n */\n");
}

#[test]
fn a_whole_file() {
    let types: BTreeMap<&'static str, Container> =
        [("Id", Container::Newtype(s(S::U32))), ("Marker", Container::UnitStruct)].into_iter().collect();
    let mut sell = remote("shop.sell", RemoteKind::Function, Direction::ToServer, &["functions", "shop", "sell"]);
    sell.args.truncate(1);
    sell.output = Shape::Ref("Id");
    sell.docs = vec!["Sells.".to_owned()];
    let mut sync_up = remote("sync", RemoteKind::Event, Direction::ToServer, &["events", "sync"]);
    sync_up.args.clear();
    sync_up.docs = vec!["Up.".to_owned()];
    let mut sync_down = remote("sync", RemoteKind::Event, Direction::ToClient, &["events", "sync"]);
    sync_down.args.clear();
    sync_down.docs = vec!["Down.".to_owned()];
    let remotes = [sell, sync_up, sync_down];
    let bindings = Bindings { module: "net", remotes_type: "NetRemotes".to_owned(), types: &types, remotes: &remotes };
    let text = file(&bindings).unwrap();
    let expected = r#"// Generated by remotes from the `net` interface with `net::typescript()`. Do not edit: regenerate instead.
import { defineInterface } from "remotes-client";
import type { ClientEvent, Interface, ServerEvent, ServerFunction } from "remotes-client";

export type Id = number;

export type Marker = null;

/** The remotes of `net`, as a client sees them. */
export interface NetRemotes {
  functions: {
    shop: {
      /** Sells. */
      sell: ServerFunction<[item: number], Id>;
    };
  };
  events: {
    /**
     * Up.
     *
     * Down.
     */
    sync: ServerEvent<[]> & ClientEvent<[]>;
  };
}

export const net: Interface<NetRemotes> = defineInterface<NetRemotes>({
  name: "net",
  types: {
    Id: { newtype: "u32" },
    Marker: "unit_struct",
  },
  remotes: [
    {
      name: "shop.sell", path: ["functions", "shop", "sell"], kind: "function", direction: "to_server",
      hash: "acf50e0cd4adec0d",
      args: [["item", "u32"]],
      output: { ref: "Id" },
    },
    {
      name: "sync", path: ["events", "sync"], kind: "event", direction: "to_server",
      hash: "acf50e0cd4adec0d",
      args: [],
      output: "unit",
    },
    {
      name: "sync", path: ["events", "sync"], kind: "event", direction: "to_client",
      hash: "acf50e0cd4adec0d",
      args: [],
      output: "unit",
    },
  ],
});
"#;
    assert_eq!(text, expected);
}

#[test]
fn an_empty_interface() {
    let types = BTreeMap::new();
    let bindings = Bindings { module: "empty", remotes_type: "EmptyRemotes".to_owned(), types: &types, remotes: &[] };
    let text = file(&bindings).unwrap();
    assert!(text.contains("import type { Interface } from \"remotes-client\";\n\n/** The remotes of `empty`"));
    assert!(text.contains("export interface EmptyRemotes {\n  functions: {};\n  events: {};\n}\n"));
    assert!(text.ends_with("  name: \"empty\",\n  types: {},\n  remotes: [],\n});\n"));
}

#[test]
fn clashing_keys_are_refused() {
    let types = BTreeMap::new();
    let a = remote("shop_x", RemoteKind::Function, Direction::ToServer, &["functions", "shopX"]);
    let b = remote("shopX.y", RemoteKind::Function, Direction::ToServer, &["functions", "shopX", "y"]);
    let remotes = [a, b];
    let bindings = Bindings { module: "net", remotes_type: "NetRemotes".to_owned(), types: &types, remotes: &remotes };
    let error = file(&bindings).unwrap_err().to_string();
    assert!(error.contains("`shopX` cannot be used"), "{error}");
}
