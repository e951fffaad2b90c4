// Arguments and return values of remotes: shapes plus constraints (`Check`), to and from MessagePack bytes
// (PROTOCOL.md section 8).

import * as msgpack from "./msgpack.js";
import { describe, ShapeError, type Codec } from "./scalars.js";
import { Shapes } from "./shape.js";
import {
  remoteKey,
  remoteLabel,
  twoWayNames,
  type Bound,
  type Check,
  type InterfaceSpec,
  type RemoteSpec,
} from "./spec.js";

/** The number of bytes of `s` in UTF-8, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function bound(b: Bound): string {
  return typeof b === "bigint" ? `${b}` : String(b);
}

/**
 * Applies a constraint to a value that already matches its shape: `range` to numbers and bigints, `len` to strings
 * (UTF-8 bytes), arrays, maps and byte arrays (elements), `finite` to numbers. `null` (an absent option) passes.
 */
export function applyCheck(check: Check, value: unknown): void {
  if (value === null || value === undefined) return;
  const { range, len, finite } = check;
  if (range && (typeof value === "number" || typeof value === "bigint")) {
    const { min, max, maxExclusive } = range;
    const text = `${min === undefined ? "" : bound(min)}..${max === undefined ? "" : (maxExclusive ? "" : "=") + bound(max)}`;
    if (
      (typeof value === "number" && Number.isNaN(value)) ||
      (min !== undefined && value < min) ||
      (max !== undefined && (maxExclusive ? value >= max : value > max))
    ) {
      throw new ShapeError(`${describe(value)} is out of the range ${text}`);
    }
  }
  if (len) {
    let n: number | undefined;
    let unit = "elements";
    if (typeof value === "string") {
      n = utf8Length(value);
      unit = "bytes of UTF-8";
    } else if (Array.isArray(value) || value instanceof Uint8Array) n = value.length;
    else if (value instanceof Map) n = value.size;
    if (n !== undefined && ((len.min !== undefined && n < len.min) || (len.max !== undefined && n > len.max))) {
      throw new ShapeError(`a length of ${n} ${unit} is out of ${len.min ?? ""}..=${len.max ?? ""}`);
    }
  }
  if (finite && typeof value === "number" && !Number.isFinite(value)) {
    throw new ShapeError(`${value} is not finite`);
  }
}

/** One remote's arguments and output, compiled. Every method throws `ShapeError` with a path on a mismatch. */
export class RemoteCodec {
  private readonly args: { name: string; codec: Codec; check: Check | undefined }[];
  private readonly output: Codec;

  /** Its key among the bindings' remotes (`remoteKey`: wire name and direction). */
  readonly key: string;

  constructor(
    readonly spec: RemoteSpec,
    shapes: Shapes,
    /** How messages name it: the wire name, with the direction when the name is declared in both (`sync (to_server)`). */
    readonly label: string = spec.name,
  ) {
    this.key = remoteKey(spec.name, spec.direction);
    this.args = spec.args.map(([name, shape, check]) => ({ name, codec: shapes.compile(shape), check }));
    this.output = shapes.compile(spec.output);
  }

  /** The arguments array as MessagePack. Missing trailing arguments are `undefined` (an option takes them). */
  encodeArgs(values: readonly unknown[]): Uint8Array {
    const n = this.args.length;
    if (values.length > n) {
      throw new ShapeError(`expected ${n} argument${n === 1 ? "" : "s"}, got ${values.length}`);
    }
    const wire = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const { name, codec, check } = this.args[i]!;
      try {
        wire[i] = codec.encode(values[i], 1);
        if (check) applyCheck(check, values[i]);
      } catch (error) {
        if (error instanceof ShapeError) error.path.unshift(name);
        throw error;
      }
    }
    return msgpack.encode(wire);
  }

  /** Arguments received (a server call or an event): exactly one array of exactly the declared arity. */
  decodeArgs(bytes: Uint8Array): unknown[] {
    const value = decodeBytes(bytes);
    const n = this.args.length;
    if (!Array.isArray(value) || value.length !== n) {
      throw new ShapeError(`expected an array of ${n} argument${n === 1 ? "" : "s"}, got ${describe(value)}`);
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const { name, codec, check } = this.args[i]!;
      try {
        out[i] = codec.decode(value[i], 1);
        if (check) applyCheck(check, out[i]);
      } catch (error) {
        if (error instanceof ShapeError) error.path.unshift(name);
        throw error;
      }
    }
    return out;
  }

  /** A return value to send (REPLY_OK of a server call). */
  encodeOutput(value: unknown): Uint8Array {
    return msgpack.encode(this.output.encode(value, 0));
  }

  /** A return value received (REPLY_OK of this client's call). */
  decodeOutput(bytes: Uint8Array): unknown {
    return this.output.decode(decodeBytes(bytes), 0);
  }
}

/** One MessagePack value filling `bytes`; a `ShapeError` when they do not hold exactly that. */
function decodeBytes(bytes: Uint8Array): unknown {
  try {
    return msgpack.decode(bytes);
  } catch (error) {
    throw new ShapeError(`not one MessagePack value (${error instanceof Error ? error.message.slice(0, 80) : error})`);
  }
}

/** Every remote of an interface, compiled, by `remoteKey` (wire name and direction), in the spec's order. */
export function compileInterface(spec: InterfaceSpec): Map<string, RemoteCodec> {
  const shapes = new Shapes(spec.types);
  const twoWay = twoWayNames(spec);
  return new Map(
    spec.remotes.map((remote) => {
      const codec = new RemoteCodec(remote, shapes, remoteLabel(remote, twoWay));
      return [codec.key, codec];
    }),
  );
}
