// Framing (PROTOCOL.md sections 3 and 4): LEB128 varints, frames, message kinds, and parsing frame bodies.

/** Message kinds: the first byte of every frame body. */
export const Kind = {
  HELLO: 0x01,
  WELCOME: 0x02,
  REJECT: 0x03,
  REQUEST: 0x10,
  REQUEST_TIMED: 0x11,
  REPLY_OK: 0x12,
  REPLY_ERR: 0x13,
  CANCEL: 0x14,
  EVENT: 0x20,
  PING: 0x30,
  PONG: 0x31,
} as const;

/** The longest varint a receiver accepts (`MAX_VARINT_LEN`). */
export const MAX_VARINT_LEN = 5;
/** The largest value a varint may hold: 2^32 - 1. */
export const MAX_U32 = 0xffff_ffff;
/** The default maximum frame body length (`DEFAULT_MAX_FRAME_LEN`): 1 MiB. */
export const DEFAULT_MAX_FRAME = 1 << 20;

/** The number of bytes the minimal LEB128 encoding of `value` takes (1 to 5). */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes the minimal LEB128 encoding of `value` (an integer in 0..=2^32-1) at `offset`; returns the end offset. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) throw new RangeError(`varint out of range: ${value}`);
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

/** The minimal LEB128 encoding of `value`. */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Reads a varint at `offset` of `bytes` (up to `end`). Returns `{ value, next }`, `"incomplete"` when the bytes end
 * before the varint does (at most 4 bytes seen, all with the continuation bit), or `"malformed"` when it is longer
 * than 5 bytes or its value exceeds 2^32 - 1. Non-minimal encodings are accepted.
 */
export function readVarint(
  bytes: Uint8Array,
  offset: number,
  end: number = bytes.length,
): { value: number; next: number } | "incomplete" | "malformed" {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_LEN; i++) {
    if (offset + i >= end) return "incomplete";
    const byte = bytes[offset + i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      return value > MAX_U32 ? "malformed" : { value, next: offset + i + 1 };
    }
  }
  return "malformed";
}

/** The body length of a frame of `kind` with `header` varints and a payload of `payloadLength` bytes. */
export function bodyLength(header: readonly number[], payloadLength: number): number {
  let n = 1 + payloadLength;
  for (const h of header) n += varintLength(h);
  return n;
}

/** A whole frame: length prefix, kind, header varints, payload. */
export function buildFrame(kind: number, header: readonly number[], payload?: Uint8Array): Uint8Array {
  const body = bodyLength(header, payload?.length ?? 0);
  const out = new Uint8Array(varintLength(body) + body);
  let at = writeVarint(out, 0, body);
  out[at++] = kind;
  for (const h of header) at = writeVarint(out, at, h);
  if (payload) out.set(payload, at);
  return out;
}

/** Why a stream of frames cannot be read on: the connection closes (PROTOCOL.md section 3). */
export class FrameError extends Error {
  constructor(
    readonly kind: "TooLong" | "Empty" | "BadLength",
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Splits a byte stream into frame bodies. Bytes are pushed as they arrive (WebSocket messages, whose buffers are
 * never reused, so bodies are views into them); a partial frame at the end is kept for the next push. The length
 * prefix is checked against `maxFrame` as soon as it is complete, before anything is held for the body.
 */
export class FrameReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;

  constructor(private readonly maxFrame: number) {}

  /** Appends received bytes. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.start === this.buffer.length) {
      this.buffer = bytes;
    } else {
      const held = this.buffer.subarray(this.start);
      const merged = new Uint8Array(held.length + bytes.length);
      merged.set(held, 0);
      merged.set(bytes, held.length);
      this.buffer = merged;
    }
    this.start = 0;
  }

  /** The number of bytes held that have not been returned as frames (a partial frame, or frames not read yet). */
  get pending(): number {
    return this.buffer.length - this.start;
  }

  /**
   * The next whole frame body, or `null` when the bytes held do not complete one. Throws `FrameError` on a framing
   * error (too long, empty, malformed prefix); the reader must not be used after that.
   */
  next(): Uint8Array | null {
    const end = this.buffer.length;
    if (this.start === end) return null;
    const prefix = readVarint(this.buffer, this.start, end);
    if (prefix === "incomplete") return null;
    if (prefix === "malformed") throw new FrameError("BadLength", "malformed frame length prefix");
    const length = prefix.value;
    if (length > this.maxFrame) {
      throw new FrameError("TooLong", `frame of ${length} bytes exceeds the maximum of ${this.maxFrame}`);
    }
    if (length === 0) throw new FrameError("Empty", "empty frame");
    if (prefix.next + length > end) return null;
    const body = this.buffer.subarray(prefix.next, prefix.next + length);
    this.start = prefix.next + length;
    return body;
  }
}

/** A frame body, parsed (PROTOCOL.md section 4). Payloads are views into the body. */
export type Message =
  | { kind: "Hello" | "Welcome" | "Reject"; map: Uint8Array }
  | { kind: "Request"; remote: number; timeoutMs: number | undefined; args: Uint8Array }
  /** A frame of a request kind whose header ends early: it still consumes a request number. */
  | { kind: "BadRequest" }
  | { kind: "ReplyOk"; slot: number; value: Uint8Array }
  | { kind: "ReplyErr"; slot: number; code: number }
  /** A reply frame that does not parse: the slot accounting is lost and the connection closes. */
  | { kind: "BadReply"; reason: string }
  | { kind: "Cancel"; call: number }
  | { kind: "Event"; remote: number; args: Uint8Array }
  | { kind: "Ping" }
  | { kind: "Pong" }
  /** Dropped: an unknown kind, or a CANCEL, EVENT, PING or PONG that is malformed. */
  | { kind: "Dropped"; reason: string };

function header(body: Uint8Array, offset: number): { value: number; next: number } | undefined {
  const v = readVarint(body, offset);
  return typeof v === "string" ? undefined : v;
}

/** Parses a frame body (never empty). */
export function parseMessage(body: Uint8Array): Message {
  const kind = body[0]!;
  const hex = `0x${kind.toString(16).padStart(2, "0")}`;
  switch (kind) {
    case Kind.HELLO:
      return { kind: "Hello", map: body.subarray(1) };
    case Kind.WELCOME:
      return { kind: "Welcome", map: body.subarray(1) };
    case Kind.REJECT:
      return { kind: "Reject", map: body.subarray(1) };
    case Kind.REQUEST: {
      const remote = header(body, 1);
      if (!remote) return { kind: "BadRequest" };
      return { kind: "Request", remote: remote.value, timeoutMs: undefined, args: body.subarray(remote.next) };
    }
    case Kind.REQUEST_TIMED: {
      const remote = header(body, 1);
      const timeout = remote && header(body, remote.next);
      if (!remote || !timeout) return { kind: "BadRequest" };
      return { kind: "Request", remote: remote.value, timeoutMs: timeout.value, args: body.subarray(timeout.next) };
    }
    case Kind.REPLY_OK: {
      const slot = header(body, 1);
      if (!slot) return { kind: "BadReply", reason: "REPLY_OK with a missing or malformed slot" };
      return { kind: "ReplyOk", slot: slot.value, value: body.subarray(slot.next) };
    }
    case Kind.REPLY_ERR: {
      const slot = header(body, 1);
      if (!slot) return { kind: "BadReply", reason: "REPLY_ERR with a missing or malformed slot" };
      const rest = body.length - slot.next;
      if (rest !== 1) {
        return {
          kind: "BadReply",
          reason: `REPLY_ERR holds ${rest} bytes after its slot instead of exactly one error code`,
        };
      }
      return { kind: "ReplyErr", slot: slot.value, code: body[slot.next]! };
    }
    case Kind.CANCEL: {
      const call = header(body, 1);
      if (!call) return { kind: "Dropped", reason: "CANCEL with a missing or malformed call number" };
      return { kind: "Cancel", call: call.value };
    }
    case Kind.EVENT: {
      const remote = header(body, 1);
      if (!remote) return { kind: "Dropped", reason: "EVENT with a missing or malformed remote id" };
      return { kind: "Event", remote: remote.value, args: body.subarray(remote.next) };
    }
    case Kind.PING:
    case Kind.PONG:
      if (body.length !== 1) return { kind: "Dropped", reason: `message of kind ${hex} has bytes after its kind` };
      return { kind: kind === Kind.PING ? "Ping" : "Pong" };
    default:
      return { kind: "Dropped", reason: `unknown message kind ${hex}` };
  }
}
