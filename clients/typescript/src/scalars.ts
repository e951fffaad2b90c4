// Scalar shapes (docs/bindings.md, first rows of "TypeScript types of shapes"), and the error type of shapes.

import type { Scalar } from "./spec.js";

/** A value that does not match its shape. `path` says where, from the outside in. */
export class ShapeError extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
    this.name = "ShapeError";
  }
  /** The location and the problem: `quantity[2].coins_left: expected u64 ...`. */
  describe(): string {
    let where = "";
    for (const segment of this.path) where += segment.startsWith("[") || where === "" ? segment : `.${segment}`;
    return where === "" ? this.problem : `${where}: ${this.problem}`;
  }
}

/** A compiled shape: `encode` a TypeScript value, `decode` a value msgpack decoded. `depth`: arrays/maps around. */
export interface Codec {
  encode(value: unknown, depth: number): unknown;
  decode(value: unknown, depth: number): unknown;
}

/** Describes a value for an error message, briefly. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Map) return `a Map of ${value.size}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

export function fail(expected: string, value: unknown): never {
  throw new ShapeError(`expected ${expected}, got ${describe(value)}`);
}

/** True when `s` holds no lone surrogate (so it is valid UTF-8 once encoded, as a Rust `String` must be). */
export function isWellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(s) : !/[\uD800-\uDFFF]/u.test(s);
}

const MIN_SAFE = Number.MIN_SAFE_INTEGER;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A bigint as the TypeScript side sees a 64/128-bit integer: a number when safe, else the bigint. */
function narrow(b: bigint): number | bigint {
  return b >= MIN_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

/** u8 to i32: numbers only, integral and in range. */
function small(name: string, min: number, max: number): Codec {
  const expected = `${name} (an integer in ${min}..=${max})`;
  return {
    encode(v) {
      if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v + 0; // -0 is 0
      return fail(expected, v);
    },
    decode(v) {
      if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v + 0;
      if (typeof v === "bigint" && v >= min && v <= max) return Number(v);
      return fail(expected, v);
    },
  };
}

/** An integral number or bigint as a bigint, or `undefined`. */
function integral(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return undefined;
}

/** u64 and i64: numbers or bigints; on the wire the most compact int. */
function wide64(name: string, min: bigint, max: bigint): Codec {
  const expected = `${name} (an integer in ${min}..=${max}, a number or a bigint)`;
  const unsigned = min === 0n;
  return {
    encode(v) {
      if (typeof v === "number" && Number.isSafeInteger(v)) {
        if (unsigned && v < 0) return fail(expected, v);
        // msgpackr writes numbers in [-2^31, 2^32 - 1] as compact ints, others as floats: those go as bigints.
        return v >= -0x8000_0000 && v <= 0xffff_ffff ? v + 0 : BigInt(v);
      }
      const b = integral(v);
      if (b === undefined || b < min || b > max) return fail(expected, v);
      return b >= -0x8000_0000n && b <= 0xffff_ffffn ? Number(b) : b;
    },
    decode(v) {
      if (typeof v === "number" && Number.isSafeInteger(v) && (!unsigned || v >= 0)) return v + 0;
      const b = integral(v);
      if (b === undefined || b < min || b > max) return fail(expected, v);
      return narrow(b);
    },
  };
}

const TWO_128 = 1n << 128n;

/** u128 and i128: numbers or bigints; on the wire a bin of 16 bytes, big-endian, two's complement. */
function wide128(name: string, min: bigint, max: bigint): Codec {
  const expected = `${name} (an integer in ${min}..=${max}, a number or a bigint)`;
  const signed = min < 0n;
  const fromBytes = (bytes: ArrayLike<number>): bigint => {
    let b = 0n;
    for (let i = 0; i < 16; i++) b = (b << 8n) | BigInt(bytes[i]!);
    return signed && b >= 1n << 127n ? b - TWO_128 : b;
  };
  return {
    encode(v) {
      const b = integral(v);
      if (b === undefined || b < min || b > max) return fail(expected, v);
      let x = b < 0n ? b + TWO_128 : b;
      const out = new Uint8Array(16);
      for (let i = 15; i >= 0; i--) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      return out;
    },
    decode(v) {
      let b: bigint | undefined;
      if (v instanceof Uint8Array) {
        if (v.length !== 16) return fail(`${expected}: 16 bytes`, v);
        b = fromBytes(v);
      } else if (Array.isArray(v)) {
        if (v.length !== 16 || !v.every((e) => typeof e === "number" && Number.isInteger(e) && e >= 0 && e <= 255)) {
          return fail(`${expected}: 16 bytes`, v);
        }
        b = fromBytes(v as number[]);
      } else b = integral(v);
      if (b === undefined || b < min || b > max) return fail(expected, v);
      return narrow(b);
    },
  };
}

const float = (name: string): Codec => ({
  encode: (v) => (typeof v === "number" ? v : fail(`${name} (a number)`, v)),
  decode: (v) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : fail(`${name} (a number)`, v)),
});

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isChar(v: unknown): v is string {
  if (typeof v !== "string" || v.length === 0 || v.length > 2 || !isWellFormed(v)) return false;
  return v.length === 1 || v.codePointAt(0)! > 0xffff;
}

const scalars: Record<Scalar, Codec> = {
  bool: {
    encode: (v) => (typeof v === "boolean" ? v : fail("bool (true or false)", v)),
    decode: (v) => (typeof v === "boolean" ? v : fail("bool", v)),
  },
  u8: small("u8", 0, 0xff),
  u16: small("u16", 0, 0xffff),
  u32: small("u32", 0, 0xffff_ffff),
  i8: small("i8", -0x80, 0x7f),
  i16: small("i16", -0x8000, 0x7fff),
  i32: small("i32", -0x8000_0000, 0x7fff_ffff),
  u64: wide64("u64", 0n, (1n << 64n) - 1n),
  i64: wide64("i64", -(1n << 63n), (1n << 63n) - 1n),
  u128: wide128("u128", 0n, TWO_128 - 1n),
  i128: wide128("i128", -(1n << 127n), (1n << 127n) - 1n),
  f32: float("f32"),
  f64: float("f64"),
  char: {
    encode: (v) => (isChar(v) ? v : fail("char (a string of one code point)", v)),
    decode: (v) => (isChar(v) ? v : fail("char (a string of one code point)", v)),
  },
  str: {
    encode: (v) => (typeof v === "string" && isWellFormed(v) ? v : fail("a string (without lone surrogates)", v)),
    decode: (v) => {
      if (typeof v === "string") return v;
      if (v instanceof Uint8Array) {
        try {
          return utf8.decode(v);
        } catch {
          return fail("a string (bin holding valid UTF-8)", v);
        }
      }
      return fail("a string", v);
    },
  },
  bytes: {
    encode: (v) => (v instanceof Uint8Array ? v : fail("bytes (a Uint8Array)", v)),
    // A copy: the decoded bin is a view into the received message.
    decode: (v) => (v instanceof Uint8Array ? new Uint8Array(v) : fail("bytes (bin)", v)),
  },
  unit: {
    encode: (v) => (v === null || v === undefined ? null : fail("null", v)),
    decode: (v) => (v === null ? null : fail("nil", v)),
  },
};

export function scalar(name: Scalar): Codec {
  return scalars[name];
}
