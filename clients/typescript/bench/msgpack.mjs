// Measures the two MessagePack libraries considered for remotes-client on the payloads the protocol carries.
// Run: `npm run bench` (node bench/msgpack.mjs). Figures are recorded in README.md.
//
// Both libraries are configured as the codec needs them: plain MessagePack (msgpackr's record and structured-clone
// extensions off), maps decoded as `Map` where the library can, 64-bit integers as a number when safe and a bigint
// when not (msgpackr `int64AsType: "auto"`; @msgpack/msgpack has no such mode, `useBigInt64: true` decodes every
// int64/uint64 as a bigint and the codec narrows it).
import { Packr, Unpackr, isNativeAccelerationEnabled } from "msgpackr";
import { Encoder, Decoder } from "@msgpack/msgpack";

const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  structuredClone: false,
  moreTypes: false,
  useToJSON: false,
});
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: false,
  int64AsType: "auto",
  structuredClone: false,
  moreTypes: false,
});
const encoder = new Encoder({ useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

const libraries = {
  msgpackr: { encode: (v) => packr.pack(v), decode: (b) => unpackr.unpack(b) },
  "@msgpack/msgpack": { encode: (v) => encoder.encode(v), decode: (b) => decoder.decode(b) },
};

const payloads = {
  "args [7, 2]": [7, 2],
  'string arg ["hello, world"]': ["hello, world"],
  "struct [7, 2, 5_000_000_000n]": [7, 2, 5_000_000_000n],
  "1 KiB string arg": ["x".repeat(1024)],
  "100 small structs [id, name, score]": Array.from({ length: 100 }, (_, i) => [i, `item ${i}`, i * 37]),
};

const quick = process.argv.includes("--quick");
const roundMs = quick ? 40 : 200;
const rounds = quick ? 3 : 7;

/** Operations per second of `fn` over one round of `roundMs`. */
function round(fn) {
  let sink = 0;
  const start = performance.now();
  const end = start + roundMs;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) sink ^= fn() ? 1 : 0;
    n += 256;
  }
  const ops = n / ((performance.now() - start) / 1000);
  return sink === 2 ? ops + 1 : ops;
}

/** The median over `rounds` rounds of each function, rounds interleaved (so load hits all alike). */
function medians(fns) {
  for (const fn of fns) round(fn); // warm-up
  const results = fns.map(() => []);
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => results[i].push(round(fn)));
  return results.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

const fmt = (ops) => (ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : `${(ops / 1e3).toFixed(0)} k`);
console.log(
  `node ${process.version}, msgpackr native string acceleration: ${isNativeAccelerationEnabled}, median of ${rounds} rounds of ${roundMs} ms`,
);
console.log(
  "| payload | bytes | msgpackr encode | @msgpack/msgpack encode | msgpackr decode | @msgpack/msgpack decode |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, value] of Object.entries(payloads)) {
  const a = libraries.msgpackr;
  const b = libraries["@msgpack/msgpack"];
  const encodedA = a.encode(value);
  const encodedB = b.encode(value);
  const [encA, encB, decA, decB] = medians([
    () => a.encode(value),
    () => b.encode(value),
    () => a.decode(encodedA),
    () => b.decode(encodedB),
  ]);
  console.log(`| ${name} | ${encodedA.length} | ${fmt(encA)} | ${fmt(encB)} | ${fmt(decA)} | ${fmt(decB)} |`);
}

// The client's own codec on top (type checks and conversions included), when the package is built.
try {
  const { Shapes } = await import("../dist/src/shape.js");
  const { RemoteCodec } = await import("../dist/src/codec.js");
  const shapes = new Shapes({
    Receipt: {
      struct: [
        ["item", "u32"],
        ["quantity", "u8"],
        ["coins_left", "u64"],
      ],
    },
  });
  const codec = new RemoteCodec(
    {
      name: "buy_item",
      path: ["functions", "buyItem"],
      kind: "function",
      direction: "to_server",
      hash: "acf50e0cd4adec0d",
      args: [
        ["item", "u32"],
        ["quantity", "u8", { range: { min: 1, max: 99 } }],
      ],
      output: { ref: "Receipt" },
    },
    shapes,
  );
  const reply = Uint8Array.of(0x93, 0x07, 0x02, 0xcf, 0, 0, 0, 1, 0x2a, 0x05, 0xf2, 0);
  const [args, output] = medians([() => codec.encodeArgs([7, 2]), () => codec.decodeOutput(reply)]);
  console.log(
    `\nremotes-client codec (msgpackr): buy_item encodeArgs([7, 2]) ${fmt(args)}/s, decodeOutput(Receipt with a u64 past 2^32) ${fmt(output)}/s`,
  );
} catch (error) {
  console.log(`\n(build the package with npm run build to measure the client's codec too: ${error.message})`);
}
