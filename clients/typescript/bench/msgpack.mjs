// Measures the two MessagePack libraries considered for remotes-client on the payloads the protocol carries.
// Run: `npm run bench` (node bench/msgpack.mjs). Figures are recorded in README.md.
//
// Both libraries are configured as the codec needs them: plain MessagePack (msgpackr's record and structured-clone
// extensions off), maps decoded as `Map` where the library can, 64-bit integers as a number when safe and a bigint
// when not (msgpackr `int64AsType: "auto"`; @msgpack/msgpack has no such mode, `useBigInt64: true` decodes every
// int64/uint64 as a bigint and the codec narrows it).
import { Packr, Unpackr, isNativeAccelerationEnabled } from "msgpackr";
import { Encoder, Decoder } from "@msgpack/msgpack";

const packr = new Packr({ useRecords: false, variableMapSize: true, structuredClone: false, moreTypes: false, useToJSON: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: "auto", structuredClone: false, moreTypes: false });
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
const warmupMs = quick ? 50 : 300;
const measureMs = quick ? 200 : 1000;

function rate(fn) {
  let sink = 0;
  const run = (ms) => {
    const end = performance.now() + ms;
    let n = 0;
    let batch = 256;
    const start = performance.now();
    while (performance.now() < end) {
      for (let i = 0; i < batch; i++) sink ^= fn() ? 1 : 0;
      n += batch;
    }
    return n / ((performance.now() - start) / 1000);
  };
  run(warmupMs);
  const ops = run(measureMs);
  if (sink === 2) console.log("");
  return ops;
}

const fmt = (ops) => (ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : `${(ops / 1e3).toFixed(0)} k`);
console.log(`node ${process.version}, msgpackr native string acceleration: ${isNativeAccelerationEnabled}`);
console.log("| payload | bytes | msgpackr encode | @msgpack/msgpack encode | msgpackr decode | @msgpack/msgpack decode |");
console.log("|---|---|---|---|---|---|");
for (const [name, value] of Object.entries(payloads)) {
  const row = { enc: {}, dec: {} };
  let bytes;
  for (const [lib, { encode, decode }] of Object.entries(libraries)) {
    const encoded = encode(value);
    bytes = encoded.length;
    row.enc[lib] = rate(() => encode(value));
    row.dec[lib] = rate(() => decode(encoded));
  }
  console.log(
    `| ${name} | ${bytes} | ${fmt(row.enc.msgpackr)} | ${fmt(row.enc["@msgpack/msgpack"])} | ${fmt(row.dec.msgpackr)} | ${fmt(row.dec["@msgpack/msgpack"])} |`,
  );
}
