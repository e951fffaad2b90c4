// A scripted server for the client tests: the `ws` package's WebSocketServer in-process, speaking raw frames.

import { WebSocket, WebSocketServer } from "ws";

import { connect, type Client, type ConnectOptions, type Interface } from "remotes-client";
import { buildFrame, FrameReader, Kind } from "../../src/frame.js";
import * as msgpack from "../../src/msgpack.js";
import { net, type NetRemotes } from "../fixtures/net.js";
import { bytes } from "./bytes.js";

/** How long a test waits for something that must happen before it fails (a failsafe, never a sleep). */
const FAILSAFE_MS = 5000;

/** An asynchronous queue: `next()` resolves with the oldest item, waiting for one if needed. */
export class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  get length(): number {
    return this.items.length;
  }

  next(what = "an item"): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no ${what} within ${FAILSAFE_MS} ms`));
      }, FAILSAFE_MS);
      const waiter = (item: T) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(waiter);
    });
  }
}

/** One client as the server sees it. */
export class Peer {
  /** Frame bodies received, in order. */
  readonly frames = new Queue<Uint8Array>();
  /** The number of frames in each WebSocket message received. */
  readonly messageSizes: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly reader = new FrameReader(1 << 24);

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error("the client sent a text message");
      this.reader.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      let n = 0;
      for (let body = this.reader.next(); body; body = this.reader.next()) {
        this.frames.push(body);
        n++;
      }
      this.messageSizes.push(n);
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** The next frame body the client sent. */
  next(): Promise<Uint8Array> {
    return this.frames.next("frame from the client");
  }

  /** Sends the parts as one WebSocket message. */
  send(...parts: Uint8Array[]): void {
    const size = parts.reduce((n, p) => n + p.length, 0);
    const message = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      message.set(part, at);
      at += part.length;
    }
    this.socket.send(message);
  }

  /** Sends one frame in a message of its own. */
  sendFrame(kind: number, header: number[], payload?: Uint8Array): void {
    this.send(buildFrame(kind, header, payload));
  }
}

export class FakeServer {
  readonly peers = new Queue<Peer>();
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on("connection", (socket) => {
      this.sockets.add(socket);
      this.peers.push(new Peer(socket));
    });
  }

  static start(): Promise<FakeServer> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
      wss.once("error", reject);
      wss.once("listening", () => {
        const address = wss.address();
        if (address === null || typeof address === "string") throw new Error("unexpected address");
        resolve(new FakeServer(wss, `ws://127.0.0.1:${address.port}/`));
      });
    });
  }

  nextPeer(): Promise<Peer> {
    return this.peers.next("connection");
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/** The worked example's WELCOME body (PROTOCOL.md section 11), 195 bytes: player 1, 10 s, 1 MiB, seven remotes. */
export const WORKED_WELCOME = bytes(`
  02 85
  a8 "protocol" 01
  a6 "player" 01
  aa "timeout_ms" cd 27 10
  a9 "max_frame" ce 00 10 00 00
  a7 "remotes" 97
  94 a8 "buy_item" 00 00 cf ac f5 0e 0c d4 ad ec 0d
  94 a4 "slow" 00 00 cf 04 2f 62 d4 45 e7 04 63
  94 ab "daily_bonus" 00 00 cf 10 11 3c b6 cf ee a2 be
  94 a7 "confirm" 00 01 cf 27 f2 92 71 8c d6 b3 9b
  94 a4 "chat" 01 00 cf 4b 8b 07 29 34 cb 01 34
  94 a4 "said" 01 01 cf 5b d5 d5 d4 97 0c b5 3a
  94 a8 "announce" 01 01 cf fa 7a c6 e3 b0 35 c1 79
`);

/** The worked example's table: `[name, kind, direction, hash]`. */
export const WORKED_TABLE: [string, number, number, bigint][] = [
  ["buy_item", 0, 0, 0xacf50e0cd4adec0dn],
  ["slow", 0, 0, 0x042f62d445e70463n],
  ["daily_bonus", 0, 0, 0x10113cb6cfeea2ben],
  ["confirm", 0, 1, 0x27f292718cd6b39bn],
  ["chat", 1, 0, 0x4b8b072934cb0134n],
  ["said", 1, 1, 0x5bd5d5d4970cb53an],
  ["announce", 1, 1, 0xfa7ac6e3b035c179n],
];

/** A WELCOME body with these fields (defaults: the worked example's). */
export function welcome(
  fields: {
    protocol?: number;
    player?: number | bigint;
    timeoutMs?: number;
    maxFrame?: number;
    remotes?: [string, number, number, bigint][];
  } = {},
): Uint8Array {
  const map = new Map<string, unknown>([
    ["protocol", fields.protocol ?? 1],
    ["player", fields.player ?? 1],
    ["timeout_ms", fields.timeoutMs ?? 10_000],
    ["max_frame", fields.maxFrame ?? 1 << 20],
    ["remotes", (fields.remotes ?? WORKED_TABLE).map(([n, k, d, h]) => [n, k, d, h])],
  ]);
  const payload = msgpack.encode(map);
  const body = new Uint8Array(payload.length + 1);
  body[0] = Kind.WELCOME;
  body.set(payload, 1);
  return body;
}

/** A whole frame around a body. */
export function frameOf(body: Uint8Array): Uint8Array {
  return buildFrame(body[0]!, [], body.subarray(1));
}

export interface Session<R = NetRemotes> {
  server: FakeServer;
  peer: Peer;
  client: Client<R>;
  hello: Uint8Array;
  warnings: Queue<string>;
}

/**
 * Starts a fake server, connects a client of the `net` fixture with `options` (and `ws`), answers its HELLO with
 * `welcomeBody` (default: the worked example's) followed by `extra` bytes in the same message, runs `body`, and
 * tears everything down.
 */
export function session(
  body: (s: Session) => Promise<void>,
  options: ConnectOptions & { welcomeBody?: Uint8Array; extra?: Uint8Array } = {},
): Promise<void> {
  return sessionOf(net, body, options);
}

/** `session` with the client of other bindings than the `net` fixture (give `welcomeBody`: the default is net's). */
export async function sessionOf<R>(
  iface: Interface<R>,
  body: (s: Session<R>) => Promise<void>,
  options: ConnectOptions & { welcomeBody?: Uint8Array; extra?: Uint8Array } = {},
): Promise<void> {
  const server = await FakeServer.start();
  const warnings = new Queue<string>();
  try {
    const connecting = connect(iface, server.url, { WebSocket, onWarning: (m) => warnings.push(m), ...options });
    const peer = await server.nextPeer();
    const hello = await peer.next();
    peer.send(frameOf(options.welcomeBody ?? WORKED_WELCOME), options.extra ?? new Uint8Array(0));
    const client = await connecting;
    try {
      await body({ server, peer, client, hello, warnings });
    } finally {
      client.close();
    }
  } finally {
    await server.close();
  }
}
