// The TypeScript client in Node beside the Rust client, in one run, against the same Rust server (the peer, built
// with --release): calls/s of `buy_item(7, 2)` with 1 call in flight and with 16, and the bytes each client puts on
// the wire per call (counted by a TCP relay both clients go through, WebSocket framing included).
//
//   npm run bench        (builds the peer with --release first)
//
// Rounds alternate between the clients so that both see the same machine; the table gives each client's median
// round and the median (and range) of the rounds' ratios.
import { once } from "node:events";
import net from "node:net";
import WebSocket from "ws";

import { connect } from "remotes-client";
import { net as api } from "../test/peer/net.js";
import { rustBench, rustCalls, startPeer } from "../test/support/processes.js";

const ROUND_MS = Number(process.env.ROUND_MS ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

async function typescriptBench(url: string, millis: number, inFlight: number): Promise<number> {
  const client = await connect(api, url, { WebSocket });
  const deadline = performance.now() + millis;
  const started = performance.now();
  let calls = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await client.functions.buyItem.invoke(7, 2);
        calls += 1;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  client.close();
  return calls / secs;
}

/** HELLO with protocol 1, timeout_ms 10000, max_frame 1 MiB (PROTOCOL.md section 11). */
const HELLO = Uint8Array.from([
  0x29,
  0x01,
  0x83,
  0xa8,
  ...new TextEncoder().encode("protocol"),
  0x01,
  0xaa,
  ...new TextEncoder().encode("timeout_ms"),
  0xcd,
  0x27,
  0x10,
  0xa9,
  ...new TextEncoder().encode("max_frame"),
  0xce,
  0x00,
  0x10,
  0x00,
  0x00,
]);
/** REQUEST of remote 0 (`buy_item`, first in the peer's table) with the arguments `[7, 2]`. */
const BUY = Uint8Array.from([0x05, 0x10, 0x00, 0x92, 0x07, 0x02]);

/**
 * The floor: a hand-written loop on the `ws` package that sends the request's bytes and counts replies, one per
 * WebSocket message (the peer answers each request in its own message when one is in flight), decoding nothing.
 */
async function handWrittenBench(url: string, millis: number, inFlight: number): Promise<number> {
  const socket = new WebSocket(url);
  socket.binaryType = "nodebuffer";
  await once(socket, "open");
  socket.send(HELLO);
  await once(socket, "message"); // WELCOME
  const deadline = performance.now() + millis;
  const started = performance.now();
  let calls = 0;
  let outstanding = 0;
  await new Promise<void>((resolve) => {
    socket.on("message", (data: Buffer) => {
      // Each reply frame is 7 bytes (`06 12 00 93 07 02 62`); a message may carry several.
      const replies = data.length / 7;
      calls += replies;
      outstanding -= replies;
      if (performance.now() < deadline) {
        for (; outstanding < inFlight; outstanding++) socket.send(BUY);
      } else if (outstanding === 0) {
        resolve();
      }
    });
    for (; outstanding < inFlight; outstanding++) socket.send(BUY);
  });
  const secs = (performance.now() - started) / 1000;
  socket.close();
  return calls / secs;
}

/** A TCP relay to `target` that counts the bytes going each way. */
async function relay(target: URL): Promise<{ url: string; up: () => number; down: () => number; close(): void }> {
  let up = 0;
  let down = 0;
  const server = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    socket.on("data", (chunk) => {
      up += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      down += chunk.length;
      socket.write(chunk);
    });
    socket.on("close", () => upstream.destroy());
    upstream.on("close", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, up: () => up, down: () => down, close: () => server.close() };
}

/** Bytes per call each way: (bytes of a session with `n` calls - bytes of one with none) / n. */
async function bytesPerCall(url: string, session: (url: string, calls: number) => Promise<void>) {
  const measure = async (calls: number) => {
    const counter = await relay(new URL(url));
    await session(counter.url, calls);
    // The relay has seen everything once the session's socket closed on both ends.
    await new Promise((resolve) => setTimeout(resolve, 100));
    counter.close();
    return [counter.up(), counter.down()] as const;
  };
  const n = 1_000;
  const [base, full] = [await measure(0), await measure(n)];
  return { up: (full[0] - base[0]) / n, down: (full[1] - base[1]) / n };
}

async function typescriptSession(url: string, calls: number): Promise<void> {
  const client = await connect(api, url, { WebSocket });
  for (let i = 0; i < calls; i++) await client.functions.buyItem.invoke(7, 2);
  client.close();
  await client.closed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const peer = await startPeer("release");
try {
  const rows: string[] = [];
  for (const inFlight of [1, 16]) {
    const ts: number[] = [];
    const rust: number[] = [];
    const hand: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ts.push(await typescriptBench(peer.info.ws, ROUND_MS, inFlight));
      hand.push(await handWrittenBench(peer.info.ws, ROUND_MS, inFlight));
      const measured = await rustBench(peer.info.ws, ROUND_MS, inFlight);
      rust.push(measured.calls / measured.secs);
    }
    const ratios = ts.map((t, i) => t / rust[i]!);
    const range = `${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}`;
    const byHand = median(ts.map((t, i) => t / hand[i]!)).toFixed(2);
    const [t, r, h] = [median(ts), median(rust), median(hand)];
    rows.push(
      `| ${inFlight} in flight | ${Math.round(t)} | ${Math.round(r)} | ${median(ratios).toFixed(2)}x (${range}) | ` +
        `${Math.round(h)} | ${byHand}x |`,
    );
  }
  const tsBytes = await bytesPerCall(peer.info.ws, typescriptSession);
  const rustBytes = await bytesPerCall(peer.info.ws, (url, calls) => rustCalls(url, calls));
  console.log(`node ${process.version}; ${ROUNDS} rounds of ${ROUND_MS} ms per figure, median round\n`);
  console.log(
    "| buy_item(7, 2) over ws:// | TypeScript client, calls/s | Rust client, calls/s | TypeScript / Rust, per round " +
      "| hand-written ws loop in Node, calls/s | TypeScript / hand-written |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log("\n| bytes on the wire per call | client -> server | server -> client |");
  console.log("|---|---|---|");
  console.log(`| TypeScript client | ${tsBytes.up.toFixed(2)} | ${tsBytes.down.toFixed(2)} |`);
  console.log(`| Rust client | ${rustBytes.up.toFixed(2)} | ${rustBytes.down.toFixed(2)} |`);
} finally {
  await peer.stop();
}
