// The handshake (PROTOCOL.md section 5): HELLO, WELCOME or REJECT, and mapping the bindings onto the server's table.

import { ConnectError, type Mismatch } from "./errors.js";
import * as msgpack from "./msgpack.js";
import { remoteKey, type InterfaceSpec, type RemoteSpec } from "./spec.js";

/** The protocol version this client speaks (`PROTOCOL_VERSION`). */
export const PROTOCOL_VERSION = 1;

/** One entry of an interface table: `[name, kind (0 function, 1 event), direction (0 to-server, 1 to-client), hash]`. */
export type WireRemote = [name: string, kind: number, direction: number, hash: bigint];

const MAX_U32 = 0xffff_ffff;
const MAX_U64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits, of the UTF-8 bytes of `text`, as 16 lowercase hex digits (the signature hash, section 5). */
export function signatureHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & MAX_U64;
  }
  return hash.toString(16).padStart(16, "0");
}

/** The table entry of a remote of the bindings. */
export function wireRemote(remote: RemoteSpec): WireRemote {
  return [
    remote.name,
    remote.kind === "function" ? 0 : 1,
    remote.direction === "to_server" ? 0 : 1,
    BigInt(`0x${remote.hash}`),
  ];
}

/** A u64 as the most compact MessagePack int (msgpackr writes bigints as 9-byte ints, numbers compactly). */
function u64(value: bigint): number | bigint {
  return value <= BigInt(MAX_U32) ? Number(value) : value;
}

export interface HelloFields {
  timeoutMs: number;
  maxFrame: number;
  token: string | undefined;
  remotes: readonly WireRemote[];
}

/** The MessagePack map of HELLO, keyed by field name. */
export function helloPayload({ timeoutMs, maxFrame, token, remotes }: HelloFields): Uint8Array {
  const map = new Map<string, unknown>([
    ["protocol", PROTOCOL_VERSION],
    ["timeout_ms", timeoutMs],
    ["max_frame", maxFrame],
  ]);
  if (token !== undefined) map.set("token", token);
  map.set(
    "remotes",
    remotes.map(([name, kind, direction, hash]) => [name, kind, direction, u64(hash)]),
  );
  return msgpack.encode(map);
}

/** What WELCOME says. */
export interface Welcome {
  player: number | bigint;
  timeoutMs: number;
  maxFrame: number;
  remotes: WireRemote[];
}

function protocolError(reason: string): ConnectError {
  return new ConnectError("Protocol", reason);
}

/** A handshake map: a MessagePack map keyed by strings. */
function decodeMap(bytes: Uint8Array, what: string): Map<unknown, unknown> {
  let value: unknown;
  try {
    value = msgpack.decode(bytes);
  } catch (error) {
    throw protocolError(
      `${what} does not hold one MessagePack value: ${error instanceof Error ? error.message.slice(0, 80) : error}`,
    );
  }
  if (!(value instanceof Map)) throw protocolError(`${what} is not a MessagePack map`);
  return value;
}

function unsigned(value: unknown, max: bigint): bigint | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0)
    return BigInt(value) <= max ? BigInt(value) : undefined;
  if (typeof value === "bigint" && value >= 0n && value <= max) return value;
  return undefined;
}

function field(map: Map<unknown, unknown>, what: string, name: string, max: bigint): bigint {
  const value = unsigned(map.get(name), max);
  if (value === undefined) {
    throw protocolError(
      map.has(name) ? `${what} field ${name} is not an unsigned integer in range` : `${what} has no field ${name}`,
    );
  }
  return value;
}

function versionMismatch(server: bigint): ConnectError {
  return new ConnectError(
    "VersionMismatch",
    `this client speaks protocol version ${PROTOCOL_VERSION}, the server ${server}`,
  );
}

/** Parses WELCOME's map; throws `ConnectError` (`VersionMismatch`, or `Protocol` for a map that does not decode). */
export function parseWelcome(bytes: Uint8Array): Welcome {
  const map = decodeMap(bytes, "WELCOME");
  const protocol = field(map, "WELCOME", "protocol", BigInt(MAX_U32));
  if (protocol !== BigInt(PROTOCOL_VERSION)) throw versionMismatch(protocol);
  const player = field(map, "WELCOME", "player", MAX_U64);
  const timeoutMs = Number(field(map, "WELCOME", "timeout_ms", BigInt(MAX_U32)));
  const maxFrame = Number(field(map, "WELCOME", "max_frame", BigInt(MAX_U32)));
  const table = map.get("remotes");
  if (!Array.isArray(table))
    throw protocolError(map.has("remotes") ? "WELCOME field remotes is not an array" : "WELCOME has no field remotes");
  const remotes = table.map((entry, i): WireRemote => {
    if (!Array.isArray(entry) || entry.length !== 4 || typeof entry[0] !== "string") {
      throw protocolError(`WELCOME remote entry ${i} is not [name, kind, direction, hash]`);
    }
    const kind = unsigned(entry[1], 0xffn);
    const direction = unsigned(entry[2], 0xffn);
    const hash = unsigned(entry[3], MAX_U64);
    if (kind === undefined || direction === undefined || hash === undefined) {
      throw protocolError(`WELCOME remote entry ${i} (${entry[0]}) has a kind, direction or hash out of range`);
    }
    return [entry[0], Number(kind), Number(direction), hash];
  });
  return {
    player: player <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(player) : player,
    timeoutMs,
    maxFrame,
    remotes,
  };
}

/** Parses REJECT's map into the error `connect` rejects with. */
export function parseReject(bytes: Uint8Array): ConnectError {
  const map = decodeMap(bytes, "REJECT");
  const protocol = field(map, "REJECT", "protocol", BigInt(MAX_U32));
  const reason = map.get("reason");
  if (typeof reason !== "string") throw protocolError("REJECT has no reason string");
  if (protocol !== BigInt(PROTOCOL_VERSION)) {
    const error = versionMismatch(protocol);
    return new ConnectError("VersionMismatch", `${error.reason}; the server said: ${reason}`);
  }
  return new ConnectError("Rejected", reason);
}

/** How one remote of the bindings maps onto the server's table. */
export type Binding = { id: number } | { mismatch: Mismatch };

/** The bindings mapped onto the server's table (section 5, "How a client maps its interface onto the table"). */
export interface Bound {
  /** By `remoteKey` (wire name and direction): the wire id, or why there is none. */
  byKey: Map<string, Binding>;
  /** By wire id: the remote of the bindings it names (only remotes whose hash matches). */
  byId: Map<number, RemoteSpec>;
  mismatches: Mismatch[];
}

const hex = (hash: bigint) => hash.toString(16).padStart(16, "0");

/** `a function to the server`, ... (kind and direction as in a table entry). */
function what(kind: number, direction: number): string {
  return `${kind === 0 ? "a function" : "an event"} ${direction === 0 ? "to the server" : "to the client"}`;
}

/**
 * Binds each remote of the bindings to the table entry of the same name, kind and direction. A name the bindings
 * declare in both directions is two remotes, each bound (or not) on its own.
 */
export function bindInterface(spec: InterfaceSpec, table: readonly WireRemote[]): Bound {
  const byKey = new Map<string, Binding>();
  const byId = new Map<number, RemoteSpec>();
  const mismatches: Mismatch[] = [];
  const entry = (name: string, kind: number, direction: number) => `${kind} ${direction} ${name}`;
  const declared = new Set(
    spec.remotes.map((remote) => {
      const [name, kind, direction] = wireRemote(remote);
      return entry(name, kind, direction);
    }),
  );
  for (const remote of spec.remotes) {
    const [name, kind, direction, hash] = wireRemote(remote);
    const key = remoteKey(name, remote.direction);
    const id = table.findIndex(([n, k, d]) => n === name && k === kind && d === direction);
    const mismatch = (how: Mismatch["kind"], detail: string) => {
      const mismatch: Mismatch = { remote: name, direction: remote.direction, kind: how, detail };
      mismatches.push(mismatch);
      byKey.set(key, { mismatch });
    };
    if (id < 0) {
      // An entry of this name that the bindings do not declare (another kind or direction) says how it differs; the
      // other direction of a two-way remote is no such entry.
      const other = table.find(([n, k, d]) => n === name && !declared.has(entry(n, k, d)));
      const bothWays = spec.remotes.some((r) => r.name === name && r.direction !== remote.direction);
      mismatch(
        "Missing",
        other
          ? `the server declares ${name} as ${what(other[1], other[2])}, the bindings as ${what(kind, direction)}`
          : `the server does not declare ${name}${bothWays ? ` as ${what(kind, direction)}` : ""}`,
      );
    } else if (table[id]![3] !== hash) {
      mismatch("Signature", `the server's signature hash is ${hex(table[id]![3])}, the bindings' ${remote.hash}`);
    } else {
      byKey.set(key, { id });
      byId.set(id, remote);
    }
  }
  return { byKey, byId, mismatches };
}
