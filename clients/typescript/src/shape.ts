// Interpreting a `Shape` (docs/bindings.md, "TypeScript types of shapes"): a TypeScript value to a MessagePack-ready
// value with full type checking, and a decoded MessagePack value back to a TypeScript value with full validation.

import type { Container, Fields, Shape, Variant } from "./spec.js";
import { type Codec, describe, fail, scalar, ShapeError } from "./scalars.js";

export { type Codec, ShapeError } from "./scalars.js";

/** Values may nest at most this many arrays and maps (`MAX_DEPTH`, counting an argument array). */
export const MAX_DEPTH = 128;

/** Adds `segment` to the path of a `ShapeError` thrown below it, and throws it on. */
function rethrow(error: unknown, segment: string): never {
  if (error instanceof ShapeError) error.path.unshift(segment);
  throw error;
}

/** Runs `f`, adding `segment` to the path of a `ShapeError` it throws (for paths off the hot loops). */
function at<T>(segment: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    return rethrow(error, segment);
  }
}

function enter(depth: number): number {
  if (depth + 1 > MAX_DEPTH) throw new ShapeError(`nested deeper than ${MAX_DEPTH} arrays and maps`);
  return depth + 1;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !(value instanceof Uint8Array)
  );
}

/** Sets an own property, safe for any name (`__proto__` included). */
function put(object: Record<string, unknown>, name: string, value: unknown): void {
  if (name === "__proto__")
    Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
  else object[name] = value;
}

/** Compiles shapes of one interface; named types are compiled once, on first use (so recursive types work). */
export class Shapes {
  private readonly named = new Map<string, Codec>();

  constructor(private readonly types: Record<string, Container>) {}

  compile(shape: Shape): Codec {
    if (typeof shape === "string") return scalar(shape);
    if ("option" in shape) return this.option(this.compile(shape.option));
    if ("seq" in shape) return this.seq(this.compile(shape.seq));
    if ("map" in shape) return this.map(this.compile(shape.map[0]), this.compile(shape.map[1]));
    if ("tuple" in shape)
      return this.tuple(
        shape.tuple.map((s) => this.compile(s)),
        "a tuple",
      );
    if ("array" in shape) {
      const element = this.compile(shape.array[0]);
      return this.tuple(
        Array.from({ length: shape.array[1] }, () => element),
        "an array",
      );
    }
    return this.ref(shape.ref);
  }

  private ref(name: string): Codec {
    const known = this.named.get(name);
    if (known) return known;
    // A forwarding codec first, so that a type that refers to itself compiles.
    let inner: Codec | undefined;
    const forward: Codec = {
      encode: (v, d) => inner!.encode(v, d),
      decode: (v, d) => inner!.decode(v, d),
    };
    this.named.set(name, forward);
    inner = this.container(name, this.types[name]!);
    this.named.set(name, inner);
    return inner;
  }

  private option(inner: Codec): Codec {
    return {
      encode: (v, d) => (v === null || v === undefined ? null : inner.encode(v, d)),
      decode: (v, d) => (v === null ? null : inner.decode(v, d)),
    };
  }

  private seq(element: Codec): Codec {
    const each = (f: (v: unknown, d: number) => unknown) => (v: unknown, d: number) => {
      if (!Array.isArray(v)) fail("an array", v);
      const depth = enter(d);
      const out = new Array<unknown>(v.length);
      let i = 0;
      try {
        for (; i < v.length; i++) out[i] = f(v[i], depth);
      } catch (error) {
        rethrow(error, `[${i}]`);
      }
      return out;
    };
    return { encode: each(element.encode), decode: each(element.decode) };
  }

  private map(key: Codec, value: Codec): Codec {
    const each = (k: Codec["encode"], f: Codec["encode"]) => (v: unknown, d: number) => {
      if (!(v instanceof Map)) fail("a Map", v);
      const depth = enter(d);
      const out = new Map<unknown, unknown>();
      let i = 0;
      for (const [entryKey, entryValue] of v) {
        const wireKey = at(`[key ${i}]`, () => k(entryKey, depth));
        out.set(
          wireKey,
          at(`[${describe(entryKey)}]`, () => f(entryValue, depth)),
        );
        i++;
      }
      return out;
    };
    return { encode: each(key.encode, value.encode), decode: each(key.decode, value.decode) };
  }

  /** Tuples, `[T; N]` arrays and tuple structs: an array of exactly that many elements. */
  private tuple(elements: Codec[], what: string): Codec {
    const n = elements.length;
    const expected = `${what} of ${n}`;
    const each = (pick: (c: Codec) => Codec["encode"]) => (v: unknown, d: number) => {
      if (!Array.isArray(v) || v.length !== n) fail(expected, v);
      const depth = enter(d);
      const out = new Array<unknown>(n);
      let i = 0;
      try {
        for (; i < n; i++) out[i] = pick(elements[i]!)(v[i], depth);
      } catch (error) {
        rethrow(error, `[${i}]`);
      }
      return out;
    };
    return { encode: each((c) => c.encode), decode: each((c) => c.decode) };
  }

  private container(name: string, container: Container): Codec {
    if (container === "unit_struct") {
      return {
        encode: (v) => (v === null || v === undefined ? [] : fail(`null (unit struct ${name})`, v)),
        decode: (v) =>
          v === null || (Array.isArray(v) && v.length === 0)
            ? null
            : fail(`unit struct ${name} (an empty array or nil)`, v),
      };
    }
    if ("struct" in container) return this.struct(container.struct, `struct ${name}`);
    if ("newtype" in container) return this.compile(container.newtype);
    if ("tuple_struct" in container) {
      return this.tuple(
        container.tuple_struct.map((s) => this.compile(s)),
        `tuple struct ${name}, an array`,
      );
    }
    return this.enumeration(name, container.enum);
  }

  /** A struct: an object with the fields on the TypeScript side; an array of the field values on the wire. */
  private struct(fields: Fields, what: string): Codec {
    const names = fields.map(([n]) => n);
    const codecs = fields.map(([, s]) => this.compile(s));
    const optional = fields.map(([, s]) => typeof s === "object" && "option" in s);
    const n = fields.length;
    return {
      encode: (v, d) => {
        if (!isPlainObject(v)) fail(`an object (${what})`, v);
        const depth = enter(d);
        const out = new Array<unknown>(n);
        let i = 0;
        try {
          for (; i < n; i++) out[i] = codecs[i]!.encode(v[names[i]!], depth);
        } catch (error) {
          rethrow(error, names[i]!);
        }
        return out;
      },
      decode: (v, d) => {
        const depth = enter(d);
        const out: Record<string, unknown> = {};
        if (Array.isArray(v)) {
          if (v.length !== n) fail(`${what} (an array of ${n} fields)`, v);
          let i = 0;
          try {
            for (; i < n; i++) put(out, names[i]!, codecs[i]!.decode(v[i], depth));
          } catch (error) {
            rethrow(error, names[i]!);
          }
        } else if (v instanceof Map) {
          // rmp-serde also accepts a struct as a map keyed by field name; unknown fields are ignored.
          for (const key of v.keys()) if (typeof key !== "string") fail(`${what} (a map keyed by field names)`, v);
          for (let i = 0; i < n; i++) {
            const name = names[i]!;
            if (!v.has(name)) {
              if (optional[i]) put(out, name, null);
              else throw new ShapeError(`${what}: the field ${name} is missing`);
            } else
              put(
                out,
                name,
                at(name, () => codecs[i]!.decode(v.get(name), depth)),
              );
          }
        } else fail(`${what} (an array of ${n} fields)`, v);
        return out;
      },
    };
  }

  /** An enum: a unit variant is its name; others are `{ Name: payload }`, a map of one entry on the wire. */
  private enumeration(name: string, variants: [string, Variant][]): Codec {
    const units = new Set<string>();
    const others = new Map<string, Codec>();
    for (const [variant, def] of variants) {
      if (def === "unit") units.add(variant);
      else if ("newtype" in def) others.set(variant, this.compile(def.newtype));
      else if ("tuple" in def)
        others.set(
          variant,
          this.tuple(
            def.tuple.map((s) => this.compile(s)),
            `${name}::${variant}, an array`,
          ),
        );
      else others.set(variant, this.struct(def.struct, `${name}::${variant}`));
    }
    const expected = `a variant of enum ${name} (${variants.map(([v, d]) => (d === "unit" ? JSON.stringify(v) : `{ ${v}: ... }`)).join(", ")})`;
    return {
      encode: (v, d) => {
        if (typeof v === "string") return units.has(v) ? v : fail(expected, v);
        if (!isPlainObject(v)) fail(expected, v);
        const keys = Object.keys(v);
        const codec = keys.length === 1 ? others.get(keys[0]!) : undefined;
        if (!codec)
          throw new ShapeError(`expected ${expected}, got ${keys.length === 1 ? `{ ${keys[0]}: ... }` : describe(v)}`);
        const depth = enter(d);
        const key = keys[0]!;
        return new Map([[key, at(key, () => codec.encode(v[key], depth))]]);
      },
      decode: (v, d) => {
        if (typeof v === "string") return units.has(v) ? v : fail(expected, v);
        if (!(v instanceof Map) || v.size !== 1) fail(expected, v);
        const [key, payload] = v.entries().next().value as [unknown, unknown];
        if (typeof key !== "string") fail(expected, v);
        if (units.has(key) && payload === null) return key;
        const codec = others.get(key);
        if (!codec) fail(expected, key);
        const depth = enter(d);
        const out: Record<string, unknown> = {};
        put(
          out,
          key,
          at(key, () => codec.decode(payload, depth)),
        );
        return out;
      },
    };
  }
}
