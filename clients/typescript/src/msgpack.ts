// The one MessagePack library (msgpackr, chosen by bench/msgpack.mjs, see README.md), configured for plain
// MessagePack as rmp-serde speaks it.

import { Packr, Unpackr, type Options } from "msgpackr";

// Plain MessagePack only: msgpackr's record extension (which would use `new Function` on the decoding side and
// write non-standard data on the encoding side), structured cloning and extra types are off.
const plain: Options = { useRecords: false, structuredClone: false, moreTypes: false, useToJSON: false };

const packr = new Packr({ ...plain, variableMapSize: true });
// Maps decode as `Map` (keys of any type); uint64/int64 as a number in [-2^53, 2^53], a bigint beyond.
// (`"auto"` is documented by msgpackr but missing from its typings.)
const unpackr = new Unpackr({ ...plain, mapsAsObjects: false, int64AsType: "auto" as Options["int64AsType"] });

/**
 * Encodes a MessagePack-ready value: `null`, booleans, numbers (integers in [-2^31, 2^32 - 1] as the most compact
 * int, others as float 64), bigints (int 64 or uint 64), strings, `Uint8Array` (bin), arrays, `Map`s.
 */
export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes exactly one MessagePack value filling `bytes` (trailing bytes are an error). Throws on bad data. */
export function decode(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new Error("no MessagePack value");
  return unpackr.unpack(bytes);
}
