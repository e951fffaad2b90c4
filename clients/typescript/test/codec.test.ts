import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { applyCheck, RemoteCodec, utf8Length } from "../src/codec.js";
import * as msgpack from "../src/msgpack.js";
import { ShapeError, Shapes } from "../src/shape.js";
import type { Check, Container, RemoteSpec, Shape } from "../src/spec.js";
import { bytes, hex } from "./helpers/bytes.js";

const types: Record<string, Container> = {
  Id: { newtype: "u32" },
  Marker: "unit_struct",
  Pair: { tuple_struct: ["u8", "str"] },
  Receipt: {
    struct: [
      ["item", "u32"],
      ["quantity", "u8"],
      ["coins_left", "u64"],
    ],
  },
  Profile: {
    struct: [
      ["name", "str"],
      ["nick", { option: "str" }],
    ],
  },
  Shape: {
    enum: [
      ["Empty", "unit"],
      ["Circle", { newtype: "f32" }],
      [
        "Rect",
        {
          struct: [
            ["w", "f32"],
            ["h", "f32"],
          ],
        },
      ],
      ["Line", { tuple: ["i32", "i32"] }],
    ],
  },
  Tree: {
    struct: [
      ["value", "u32"],
      ["children", { seq: { ref: "Tree" } }],
    ],
  },
};
const shapes = new Shapes(types);

const encode = (shape: Shape, value: unknown) => hex(msgpack.encode(shapes.compile(shape).encode(value, 0)));
const decode = (shape: Shape, wire: string) => shapes.compile(shape).decode(msgpack.decode(bytes(wire)), 0);
const refusesToEncode = (shape: Shape, value: unknown, message?: RegExp) =>
  assert.throws(
    () => shapes.compile(shape).encode(value, 0),
    (e: unknown) => e instanceof ShapeError && (!message || message.test((e as ShapeError).describe())),
  );
const refusesToDecode = (shape: Shape, wire: string, message?: RegExp) =>
  assert.throws(
    () => decode(shape, wire),
    (e: unknown) => e instanceof ShapeError && (!message || message.test((e as ShapeError).describe())),
  );

/**
 * [shape, TypeScript value, the bytes rmp-serde writes, the bytes this client writes where they differ]. Where they
 * differ both decode alike on either side: the same value in another MessagePack form of the same size (u64), or the
 * form docs/bindings.md prescribes (floats as float 64, or an int when integral).
 */
const table: [Shape, unknown, string, string?][] = [
  ["bool", true, "c3"],
  ["bool", false, "c2"],
  ["u8", 7, "07"],
  ["u8", 200, "cc c8"],
  ["u16", 300, "cd 01 2c"],
  ["u32", 70_000, "ce 00 01 11 70"],
  ["u32", 0xffff_ffff, "ce ff ff ff ff"],
  ["i8", -1, "ff"],
  ["i8", -100, "d0 9c"],
  ["i16", -300, "d1 fe d4"],
  ["i32", -70_000, "d2 ff fe ee 90"],
  ["i32", 200, "cc c8"],
  ["u64", 90, "5a"],
  ["u64", 90n, "5a"],
  ["u64", 5_000_000_000, "cf 00 00 00 01 2a 05 f2 00", "d3 00 00 00 01 2a 05 f2 00"],
  ["u64", 2n ** 64n - 1n, "cf ff ff ff ff ff ff ff ff"],
  ["u64", 2n ** 63n, "cf 80 00 00 00 00 00 00 00"],
  ["i64", -5_000_000_000, "d3 ff ff ff fe d5 fa 0e 00"],
  ["i64", -(2n ** 63n), "d3 80 00 00 00 00 00 00 00"],
  ["i64", -2, "fe"],
  ["i64", 4_000_000_000, "ce ee 6b 28 00"],
  ["u128", 1, "c4 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"],
  ["u128", 2n ** 128n - 1n, `c4 10 ${"ff ".repeat(16).trim()}`],
  ["i128", -1, `c4 10 ${"ff ".repeat(16).trim()}`],
  ["i128", -(2n ** 127n), "c4 10 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"],
  ["f64", 1.5, "cb 3f f8 00 00 00 00 00 00"],
  ["f64", 2, "cb 40 00 00 00 00 00 00 00", "02"],
  ["f64", Number.NaN, "cb 7f f8 00 00 00 00 00 00"],
  ["f32", 1.5, "ca 3f c0 00 00", "cb 3f f8 00 00 00 00 00 00"],
  ["char", "é", "a2 c3 a9"],
  ["char", "😀", "a4 f0 9f 98 80"],
  ["str", "hi", 'a2 "hi"'],
  ["str", "x".repeat(32), `d9 20 ${"78 ".repeat(32).trim()}`],
  ["bytes", Uint8Array.of(1, 2), "c4 02 01 02"],
  ["unit", null, "c0"],
  [{ option: "u8" }, null, "c0"],
  [{ option: "u8" }, undefined, "c0"],
  [{ option: "u8" }, 5, "05"],
  [{ seq: "u8" }, [1, 2], "92 01 02"],
  [{ seq: "u8" }, [], "90"],
  [{ map: ["u32", "str"] }, new Map([[1, "a"]]), '81 01 a1 "a"'],
  [{ map: ["str", "bool"] }, new Map([["k", true]]), '81 a1 "k" c3'],
  [{ tuple: ["u8", "str"] }, [1, "a"], '92 01 a1 "a"'],
  [{ array: ["u8", 3] }, [1, 2, 3], "93 01 02 03"],
  [{ ref: "Receipt" }, { item: 7, quantity: 2, coins_left: 90 }, "93 07 02 5a"],
  [{ ref: "Id" }, 5, "05"],
  [{ ref: "Pair" }, [1, "a"], '92 01 a1 "a"'],
  [{ ref: "Marker" }, null, "90"],
  [{ ref: "Profile" }, { name: "a", nick: null }, '92 a1 "a" c0'],
  [{ ref: "Profile" }, { name: "a" }, '92 a1 "a" c0'],
  [{ ref: "Shape" }, "Empty", 'a5 "Empty"'],
  [{ ref: "Shape" }, { Circle: 1.5 }, '81 a6 "Circle" ca 3f c0 00 00', '81 a6 "Circle" cb 3f f8 00 00 00 00 00 00'],
  [
    { ref: "Shape" },
    { Rect: { w: 0.5, h: 0.25 } },
    '81 a4 "Rect" 92 ca 3f 00 00 00 ca 3e 80 00 00',
    '81 a4 "Rect" 92 cb 3f e0 00 00 00 00 00 00 cb 3f d0 00 00 00 00 00 00',
  ],
  [{ ref: "Shape" }, { Line: [1, -1] }, '81 a4 "Line" 92 01 ff'],
  [{ ref: "Tree" }, { value: 1, children: [{ value: 2, children: [] }] }, "92 01 91 92 02 90"],
];

describe("encoding every shape (docs/bindings.md table, PROTOCOL.md section 8)", () => {
  for (const [shape, value, rmp, ours] of table) {
    test(`${JSON.stringify(shape)} ${typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value))}`, () => {
      const written = encode(shape, value);
      assert.equal(written, hex(bytes(ours ?? rmp)));
      // What rmp-serde writes decodes to the same value here.
      const back = decode(shape, rmp);
      const expected =
        typeof value === "bigint" &&
        value <= BigInt(Number.MAX_SAFE_INTEGER) &&
        value >= -BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : value;
      if (typeof shape === "object" && "ref" in shape && shape.ref === "Profile") {
        assert.deepEqual(back, { nick: null, ...(value as object) });
      } else if (shape === "f32" || (typeof shape === "object" && "ref" in shape && shape.ref === "Shape")) {
        assert.deepEqual(back, value); // 1.5, 0.5 and 0.25 are exact in float 32
      } else if (value === undefined) {
        assert.equal(back, null);
      } else {
        assert.deepEqual(back, expected);
      }
    });
  }
});

describe("decoding what decoders accept beyond what encoders write", () => {
  test("any int format whose value fits", () => {
    assert.equal(decode("u8", "cd 00 07"), 7);
    assert.equal(decode("u8", "cf 00 00 00 00 00 00 00 07"), 7);
    assert.equal(decode("u8", "d3 00 00 00 00 00 00 00 07"), 7);
    assert.equal(decode("i8", "d2 ff ff ff ff"), -1);
    assert.equal(decode("u32", "d0 05"), 5);
    refusesToDecode("u8", "cd 01 00", /u8/);
    refusesToDecode("u32", "ff", /u32/);
    refusesToDecode("i8", "cc 80");
  });

  test("64-bit: a number when safe, a bigint beyond", () => {
    assert.equal(decode("u64", "cf 00 1f ff ff ff ff ff ff"), 2 ** 53 - 1);
    assert.equal(decode("u64", "cf 00 20 00 00 00 00 00 00"), 2n ** 53n);
    assert.equal(decode("u64", "cf ff ff ff ff ff ff ff ff"), 2n ** 64n - 1n);
    assert.equal(decode("i64", "d3 80 00 00 00 00 00 00 00"), -(2n ** 63n));
    assert.equal(decode("i64", "d3 ff e0 00 00 00 00 00 01"), -(2 ** 53 - 1));
    assert.equal(decode("u64", "d3 00 00 00 01 2a 05 f2 00"), 5_000_000_000);
    refusesToDecode("u64", "ff", /u64/);
    refusesToDecode("i64", "cf 80 00 00 00 00 00 00 00", /i64/);
  });

  test("128-bit: a 16-byte bin, any int, or an array of 16 bytes", () => {
    assert.equal(decode("u128", "c4 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00"), 256);
    assert.equal(decode("u128", "c4 10 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00"), 2n ** 64n);
    assert.equal(decode("i128", `c4 10 ${"ff ".repeat(15)}fe`), -2);
    assert.equal(decode("u128", "2a"), 42);
    assert.equal(decode("u128", "cf ff ff ff ff ff ff ff ff"), 2n ** 64n - 1n);
    assert.equal(decode("u128", `dc 00 10 ${"00 ".repeat(15)}07`), 7);
    refusesToDecode("u128", "c4 0f 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", /16 bytes/);
    refusesToDecode("u128", "ff", /u128/);
  });

  test("floats from float 32, float 64 or any int", () => {
    assert.equal(decode("f64", "ca 3f c0 00 00"), 1.5);
    assert.equal(decode("f32", "cb 3f f8 00 00 00 00 00 00"), 1.5);
    assert.equal(decode("f64", "05"), 5);
    assert.equal(decode("f64", "cf ff ff ff ff ff ff ff ff"), 2 ** 64);
    refusesToDecode("f64", 'a1 "1"');
  });

  test("strings from str or a bin of valid UTF-8", () => {
    assert.equal(decode("str", 'c4 02 "hi"'), "hi");
    refusesToDecode("str", "c4 02 c3 28", /UTF-8/);
    refusesToDecode("str", "05");
    refusesToDecode("char", 'a2 "ab"', /one code point/);
    refusesToDecode("char", "a0", /one code point/);
  });

  test("structs from an array or a map keyed by field names", () => {
    assert.deepEqual(decode({ ref: "Receipt" }, '83 a4 "item" 07 a8 "quantity" 02 aa "coins_left" 5a'), {
      item: 7,
      quantity: 2,
      coins_left: 90,
    });
    assert.deepEqual(
      decode({ ref: "Receipt" }, '84 a5 "extra" c0 a4 "item" 07 a8 "quantity" 02 aa "coins_left" 5a'),
      { item: 7, quantity: 2, coins_left: 90 },
      "unknown fields are ignored",
    );
    assert.deepEqual(
      decode({ ref: "Profile" }, '81 a4 "name" a1 "a"'),
      { name: "a", nick: null },
      "a missing option field is None",
    );
    refusesToDecode({ ref: "Receipt" }, '82 a4 "item" 07 a8 "quantity" 02', /coins_left is missing/);
    refusesToDecode({ ref: "Receipt" }, "92 07 02", /array of 3/);
    refusesToDecode({ ref: "Receipt" }, "94 07 02 5a 00", /array of 3/);
    refusesToDecode({ ref: "Receipt" }, "93 07 cd 01 00 5a", /quantity: expected u8/);
  });

  test("unit structs from an empty array or nil; enums", () => {
    assert.equal(decode({ ref: "Marker" }, "c0"), null);
    assert.equal(decode({ ref: "Marker" }, "90"), null);
    refusesToDecode({ ref: "Marker" }, "91 00");
    assert.deepEqual(
      decode({ ref: "Shape" }, '81 a4 "Rect" 82 a1 "w" 01 a1 "h" 02'),
      { Rect: { w: 1, h: 2 } },
      "a struct variant as a map",
    );
    assert.equal(decode({ ref: "Shape" }, '81 a5 "Empty" c0'), "Empty");
    refusesToDecode({ ref: "Shape" }, 'a6 "Circle"', /variant of enum Shape/);
    refusesToDecode({ ref: "Shape" }, 'a7 "Unknown"', /variant of enum Shape/);
    refusesToDecode({ ref: "Shape" }, '82 a6 "Circle" 01 a4 "Line" 92 01 02', /variant/);
    refusesToDecode({ ref: "Shape" }, '81 a4 "Line" 91 01', /Line: expected/);
  });

  test("maps decode as Map, with keys of their shape", () => {
    const value = decode({ map: ["u64", { seq: "str" }] }, '82 01 91 a1 "a" cf 00 20 00 00 00 00 00 00 90');
    assert.deepEqual(
      value,
      new Map<unknown, unknown>([
        [1, ["a"]],
        [2n ** 53n, []],
      ]),
    );
    refusesToDecode({ map: ["u8", "str"] }, '81 a1 "k" a1 "v"', /key 0/);
  });

  test("options, unit, bytes", () => {
    assert.equal(decode({ option: "u8" }, "c0"), null);
    assert.equal(decode("unit", "c0"), null);
    refusesToDecode("unit", "d4 00 00", /nil/);
    const b = decode("bytes", "c4 03 01 02 03");
    assert.ok(b instanceof Uint8Array && Object.getPrototypeOf(b) === Uint8Array.prototype);
    assert.deepEqual([...(b as Uint8Array)], [1, 2, 3]);
    refusesToDecode("bytes", "93 01 02 03", /bin/);
  });

  test("values nested deeper than 128 arrays and maps are refused", () => {
    const deep: Shape = { ref: "Tree" };
    let wire = "";
    for (let i = 0; i < 70; i++) wire += "92 01 91 ";
    wire += "92 01 90";
    refusesToDecode(deep, wire, /deeper than 128/);
    let ok = "";
    for (let i = 0; i < 60; i++) ok += "92 01 91 ";
    assert.ok(decode(deep, `${ok}92 01 90`));
  });
});

describe("refusing values that do not match their shape", () => {
  test("integers", () => {
    refusesToEncode("u8", 256, /expected u8 \(an integer in 0..=255\), got 256/);
    refusesToEncode("u8", -1);
    refusesToEncode("u8", 1.5);
    refusesToEncode("u8", 7n, /u8/);
    refusesToEncode("u8", "7");
    refusesToEncode("i32", 2 ** 31);
    refusesToEncode("u64", -1);
    refusesToEncode("u64", 2n ** 64n);
    refusesToEncode("u64", 0.5);
    refusesToEncode("i64", 2n ** 63n);
    refusesToEncode("u128", -1n);
    refusesToEncode("i128", 2n ** 127n);
    assert.equal(encode("u8", -0), "00");
  });

  test("other scalars", () => {
    refusesToEncode("bool", 1);
    refusesToEncode("f64", "1");
    refusesToEncode("f64", 1n);
    refusesToEncode("char", "ab");
    refusesToEncode("char", "");
    refusesToEncode("char", "\ud800");
    refusesToEncode("str", "\ud800x", /lone surrogates/);
    refusesToEncode("str", 5);
    refusesToEncode("bytes", [1, 2], /Uint8Array/);
    refusesToEncode("unit", 0);
  });

  test("containers, with the path to the problem", () => {
    refusesToEncode({ seq: "u8" }, [1, 300], /^\[1\]: expected u8/);
    refusesToEncode({ seq: "u8" }, new Set([1]), /an array/);
    refusesToEncode({ map: ["str", "u8"] }, { a: 1 }, /a Map/);
    refusesToEncode({ map: ["str", "u8"] }, new Map([[1, 1]]), /key 0/);
    refusesToEncode({ tuple: ["u8", "str"] }, [1], /a tuple of 2/);
    refusesToEncode({ array: ["u8", 3] }, [1, 2], /an array of 3/);
    refusesToEncode({ ref: "Receipt" }, { item: 7, quantity: 2 }, /^coins_left: expected u64/);
    refusesToEncode({ ref: "Receipt" }, [7, 2, 90], /an object/);
    refusesToEncode({ ref: "Receipt" }, null);
    refusesToEncode(
      { ref: "Tree" },
      { value: 1, children: [{ value: -1, children: [] }] },
      /^children\[0\]\.value: expected u32/,
    );
    refusesToEncode({ ref: "Marker" }, {}, /unit struct/);
    refusesToEncode({ ref: "Shape" }, "Circle", /variant of enum Shape/);
    refusesToEncode({ ref: "Shape" }, { Empty: null }, /variant of enum Shape/);
    refusesToEncode({ ref: "Shape" }, { Circle: 1, Line: [1, 2] }, /variant of enum Shape/);
    refusesToEncode({ ref: "Shape" }, { Rect: { w: 1 } }, /^Rect\.h: expected f32/);
  });
});

describe("checks", () => {
  const fails = (check: Check, value: unknown, message?: RegExp) =>
    assert.throws(
      () => applyCheck(check, value),
      (e: unknown) => e instanceof ShapeError && (!message || message.test(e.message)),
    );
  test("range, inclusive and exclusive, over numbers and bigints", () => {
    const inclusive: Check = { range: { min: 1, max: 99 } };
    applyCheck(inclusive, 1);
    applyCheck(inclusive, 99);
    fails(inclusive, 0, /out of the range 1..=99/);
    fails(inclusive, 100);
    const exclusive: Check = { range: { min: 0, max: 10, maxExclusive: true } };
    applyCheck(exclusive, 9.5);
    fails(exclusive, 10, /0..10/);
    const big: Check = { range: { min: 2n ** 60n } };
    applyCheck(big, 2n ** 61n);
    fails(big, 5);
    fails({ range: { max: 1.5 } }, Number.NaN);
    applyCheck({ range: { max: 1.5 } }, null);
  });

  test("len: UTF-8 bytes of strings, elements of arrays, maps and bytes", () => {
    const len: Check = { len: { min: 1, max: 4 } };
    applyCheck(len, "abcd");
    applyCheck(len, "éé");
    fails(len, "ééé", /6 bytes of UTF-8/);
    fails(len, "");
    applyCheck(len, [1, 2, 3, 4]);
    fails(len, [1, 2, 3, 4, 5], /5 elements/);
    fails(len, new Map());
    fails(len, new Uint8Array(5));
    assert.equal(utf8Length("a€😀"), 1 + 3 + 4);
    assert.equal(utf8Length("\ud800"), 3);
  });

  test("finite", () => {
    applyCheck({ finite: true }, 1e300);
    fails({ finite: true }, Number.POSITIVE_INFINITY, /not finite/);
    fails({ finite: true }, Number.NaN);
  });
});

describe("arguments and outputs of a remote", () => {
  const spec: RemoteSpec = {
    name: "buy_item",
    path: ["functions", "buyItem"],
    kind: "function",
    direction: "to_server",
    hash: "acf50e0cd4adec0d",
    args: [
      ["item", "u32"],
      ["quantity", "u8", { range: { min: 1, max: 99 } }],
      ["note", { option: "str" }, { len: { max: 3 } }],
    ],
    output: { ref: "Receipt" },
  };
  const codec = new RemoteCodec(spec, shapes);

  test("arguments as one array; a missing trailing option is nil", () => {
    assert.equal(hex(codec.encodeArgs([7, 2])), "93 07 02 c0");
    assert.equal(hex(codec.encodeArgs([7, 2, "abc"])), "93 07 02 a3 61 62 63");
  });

  test("refused arguments name the argument", () => {
    const refuses = (args: unknown[], message: RegExp) =>
      assert.throws(
        () => codec.encodeArgs(args),
        (e: unknown) => e instanceof ShapeError && message.test(e.describe()),
      );
    refuses([7, 100], /^quantity: 100 is out of the range 1..=99/);
    refuses([7, 0], /^quantity: 0 is out/);
    refuses([7, 2, "abcd"], /^note: a length of 4/);
    refuses([-7, 2], /^item: expected u32/);
    refuses([7, 2, null, 4], /expected 3 arguments, got 4/);
    refuses([7], /^quantity: expected u8/);
  });

  test("arguments received: exact arity, no trailing bytes, checks applied", () => {
    assert.deepEqual(codec.decodeArgs(bytes("93 07 02 c0")), [7, 2, null]);
    const refuses = (wire: string, message: RegExp) =>
      assert.throws(
        () => codec.decodeArgs(bytes(wire)),
        (e: unknown) => e instanceof ShapeError && message.test(e.describe()),
      );
    refuses("92 07 02", /an array of 3 arguments/);
    refuses("94 07 02 c0 c0", /an array of 3 arguments/);
    refuses("93 07 02 c0 c0", /not one MessagePack value/);
    refuses("93 07 64 c0", /^quantity: 100 is out of the range 1..=99/);
    refuses("93 07", /not one MessagePack value/);
    refuses("", /not one MessagePack value/);
  });

  test("outputs", () => {
    assert.deepEqual(codec.decodeOutput(bytes("93 07 02 5a")), { item: 7, quantity: 2, coins_left: 90 });
    assert.equal(hex(codec.encodeOutput({ item: 7, quantity: 2, coins_left: 90 })), "93 07 02 5a");
    assert.throws(() => codec.decodeOutput(bytes("93 07 02 5a c0")), ShapeError);
    assert.throws(() => codec.decodeOutput(bytes("c3")), ShapeError);
  });
});
