// The TypeScript client in Node beside the Rust client, in one run, against the same Rust server (the peer, built
// with --release): calls/s of `buy_item(7, 2)` with 1 call in flight and with 16, and the bytes each client puts on
// the wire per call (counted by a TCP relay both clients go through, WebSocket framing included).
//
//   npm run bench        (builds the peer with --release first)
//
// Rounds alternate between the clients so that both see the same machine; the table gives the median round.
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const peer = await startPeer("release");
try {
  const rows: string[] = [];
  for (const inFlight of [1, 16]) {
    const ts: number[] = [];
    const rust: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ts.push(await typescriptBench(peer.info.ws, ROUND_MS, inFlight));
      const measured = await rustBench(peer.info.ws, ROUND_MS, inFlight);
      rust.push(measured.calls / measured.secs);
    }
    const [t, r] = [median(ts), median(rust)];
    rows.push(`| ${inFlight} in flight | ${Math.round(t)} | ${Math.round(r)} | ${(t / r).toFixed(2)}x |`);
  }
  const tsBytes = await bytesPerCall(peer.info.ws, typescriptSession);
  const rustBytes = await bytesPerCall(peer.info.ws, (url, calls) => rustCalls(url, calls));
  console.log(`node ${process.version}; ${ROUNDS} rounds of ${ROUND_MS} ms per figure, median round\n`);
  console.log("| buy_item(7, 2) over ws:// | TypeScript client, calls/s | Rust client, calls/s | TypeScript / Rust |");
  console.log("|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log("\n| bytes on the wire per call | client -> server | server -> client |");
  console.log("|---|---|---|");
  console.log(`| TypeScript client | ${tsBytes.up} | ${tsBytes.down} |`);
  console.log(`| Rust client | ${rustBytes.up} | ${rustBytes.down} |`);
} finally {
  await peer.stop();
}
