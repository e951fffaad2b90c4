// `connect` and the `Client` it resolves with: the handles of the bindings' remotes, built from their `path`s.

import { compileInterface, type RemoteCodec } from "./codec.js";
import { Connection } from "./connection.js";
import type { CloseReason, WebSocketConstructor } from "./socket.js";
import { ConnectError, FunctionError, type Mismatch } from "./errors.js";
import { bodyLength, buildFrame, DEFAULT_MAX_FRAME, Kind, MAX_U32 } from "./frame.js";
import { messageOf } from "./link.js";
import { ShapeError } from "./scalars.js";
import type { CallOptions, Interface, RemoteSpec } from "./spec.js";

/** Options of `connect`; every one is optional. Durations are in milliseconds. */
export interface ConnectOptions {
  /** Credentials for the server's authentication hook (HELLO `token`). Default: none. */
  token?: string;
  /** The WebSocket constructor. Default: `globalThis.WebSocket` (browsers, Node 22+); on Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** The default call timeout, announced in HELLO. Default 10 000. */
  timeout?: number;
  /** The deadline for opening the WebSocket and the handshake. Default 10 000. */
  handshakeTimeout?: number;
  /** The largest frame body this client accepts (announced in HELLO); a longer one closes. Default 1 MiB. */
  maxFrame?: number;
  /** Asynchronous callbacks of server calls running at once; further calls are answered `Cancelled`. Default 256. */
  maxInFlight?: number;
  /** Events held per event while it has no listener; past it the oldest is dropped. Default 64. */
  eventQueueLen?: number;
  /**
   * `true` (default): `connect` rejects with `ConnectError` `InterfaceMismatch` when the server declares a remote of
   * the bindings differently or not at all. `false`: it connects; calls to a missing remote settle `Unprocessed`,
   * to one declared differently `BadRequest`, and events to them are not sent.
   */
  strictInterface?: boolean;
  /** How often to send PING. Default 10 000. */
  pingInterval?: number;
  /** Close after this long without a complete frame from the server. Default 30 000. */
  idleTimeout?: number;
  /** Where warnings go (a hostile or buggy server, a throwing callback). Default `console.warn`. */
  onWarning?: (message: string) => void;
}

type FunctionsOf<R> = R extends { functions: infer F } ? F : Record<string, never>;
type EventsOf<R> = R extends { events: infer E } ? E : Record<string, never>;

/** A connected client of the interface whose remotes type is `R`. */
export interface Client<R> {
  /** The functions: `ServerFunction` handles to call, `ClientFunction` handles to answer. */
  readonly functions: FunctionsOf<R>;
  /** The events: `ServerEvent` handles to fire, `ClientEvent` handles to listen to. */
  readonly events: EventsOf<R>;
  /** The id the server gave this client's player (a number, or a bigint past 2^53 - 1). */
  readonly player: number | bigint;
  /** Remotes the server declares differently (only with `strictInterface: false`; empty otherwise). */
  readonly mismatches: readonly Mismatch[];
  /** Resolves (never rejects) when the connection has closed, with the reason. */
  readonly closed: Promise<CloseReason>;
  /** Closes the connection; pending calls settle `Disconnected`. Frames already queued are sent first. */
  close(): void;
}

function duration(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(`remotes-client: option ${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`remotes-client: option ${name} must be an integer in ${min}..=${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Connects to the server at `url` (`ws://` or `wss://`) and performs the handshake. Resolves with the client, or
 * rejects with a `ConnectError`.
 */
export async function connect<R>(iface: Interface<R>, url: string, options: ConnectOptions = {}): Promise<Client<R>> {
  const spec = iface.spec;
  const settings = {
    spec,
    codecs: compileInterface(spec),
    token: options.token,
    timeout: duration("timeout", options.timeout, 10_000),
    handshakeTimeout: duration("handshakeTimeout", options.handshakeTimeout, 10_000),
    maxFrame: count("maxFrame", options.maxFrame, DEFAULT_MAX_FRAME, 64, MAX_U32),
    maxInFlight: count("maxInFlight", options.maxInFlight, 256, 0, Number.MAX_SAFE_INTEGER),
    eventQueueLen: count("eventQueueLen", options.eventQueueLen, 64, 0, Number.MAX_SAFE_INTEGER),
    strictInterface: options.strictInterface ?? true,
    pingInterval: duration("pingInterval", options.pingInterval, 10_000, 1),
    idleTimeout: duration("idleTimeout", options.idleTimeout, 30_000, 1),
    onWarning: options.onWarning ?? ((message: string) => console.warn(message)),
  };
  if (options.token !== undefined && typeof options.token !== "string") {
    throw new TypeError("remotes-client: option token must be a string");
  }
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WebSocketClass !== "function") {
    throw new ConnectError(
      "Io",
      "no WebSocket constructor: pass one as the WebSocket option (on Node 20, the ws package's)",
    );
  }
  let ws;
  try {
    ws = new WebSocketClass(url);
  } catch (error) {
    throw new ConnectError("Io", `cannot open a WebSocket to ${url}: ${messageOf(error)}`);
  }
  const connection = new Connection(ws, settings);
  await connection.ready;
  return makeClient<R>(connection, settings.codecs);
}

function makeClient<R>(connection: Connection, codecs: ReadonlyMap<string, RemoteCodec>): Client<R> {
  const functions: Record<string, unknown> = {};
  const events: Record<string, unknown> = {};
  for (const codec of codecs.values()) {
    const remote = codec.spec;
    const root = remote.kind === "function" ? functions : events;
    let parent = root;
    for (const segment of remote.path.slice(1, -1)) {
      parent = (parent[segment] ??= {}) as Record<string, unknown>;
    }
    // A name declared in both directions has one path (defineInterface checked it): one handle with the methods of
    // both (`invoke`/`with` and `setCallback`/`clearCallback`, or `fire` and `connect`), as the bindings' type
    // `ServerEvent<A> & ClientEvent<B>` says.
    const last = remote.path[remote.path.length - 1]!;
    const other = parent[last] as object | undefined;
    parent[last] = Object.freeze({ ...other, ...handle(connection, codec) });
  }
  const freeze = (o: Record<string, unknown>) => {
    for (const v of Object.values(o))
      if (Object.getPrototypeOf(v) === Object.prototype && !Object.isFrozen(v)) freeze(v as Record<string, unknown>);
    return Object.freeze(o);
  };
  return Object.freeze({
    functions: freeze(functions) as FunctionsOf<R>,
    events: freeze(events) as EventsOf<R>,
    player: connection.player,
    mismatches: Object.freeze([...connection.bound.mismatches]),
    closed: connection.closed,
    close: () => connection.close({ kind: "Closed", message: "closed by the client" }),
  });
}

function handle(connection: Connection, codec: RemoteCodec): object {
  const remote = codec.spec;
  if (remote.kind === "function" && remote.direction === "to_server") {
    const invoke = (options: CallOptions, args: unknown[]) =>
      connection.calls.invoke(codec, connection.bound.byKey.get(codec.key), args, options);
    return {
      invoke: (...args: unknown[]) => invoke({}, args),
      with: (options: CallOptions) => Object.freeze({ invoke: (...args: unknown[]) => invoke(options ?? {}, args) }),
    };
  }
  if (remote.kind === "function") {
    return {
      setCallback: (callback: (...args: unknown[]) => unknown) => connection.served.setCallback(codec, callback),
      clearCallback: () => connection.served.clearCallback(codec),
    };
  }
  if (remote.direction === "to_client") {
    return { connect: (listener: (...args: unknown[]) => unknown) => connection.events.connect(codec, listener) };
  }
  let warnedUnbound = false;
  return {
    fire: (...args: unknown[]) =>
      fire(connection, codec, remote, args, () => {
        if (warnedUnbound) return;
        warnedUnbound = true;
        const binding = connection.bound.byKey.get(codec.key);
        const why = binding && "mismatch" in binding ? binding.mismatch.detail : "it is not in the server's table";
        connection.warn(`event ${codec.label} is not sent: ${why}`);
      }),
  };
}

/**
 * Fires a to-server event. Arguments that do not match throw `FunctionError` `BadRequest` (nothing is sent); an event
 * the server does not declare alike, or too large for its `max_frame`, or fired on a closed connection, is not sent
 * (a warning says why).
 */
function fire(
  connection: Connection,
  codec: RemoteCodec,
  remote: RemoteSpec,
  args: unknown[],
  unbound: () => void,
): void {
  let payload: Uint8Array;
  try {
    payload = codec.encodeArgs(args);
  } catch (error) {
    throw new FunctionError(
      "BadRequest",
      remote.name,
      error instanceof ShapeError ? error.describe() : messageOf(error),
    );
  }
  if (!connection.open) {
    connection.warn(`event ${codec.label} is not sent: the connection is closed`);
    return;
  }
  const binding = connection.bound.byKey.get(codec.key);
  if (!binding || "mismatch" in binding) return unbound();
  const length = bodyLength([binding.id], payload.length);
  if (length > connection.peerMaxFrame) {
    connection.warn(
      `event ${codec.label} is not sent: its frame of ${length} bytes exceeds the server's maximum of ${connection.peerMaxFrame}`,
    );
    return;
  }
  connection.send(buildFrame(Kind.EVENT, [binding.id], payload));
}
