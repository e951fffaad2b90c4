// The WebSocket as the client sees it (PROTOCOL.md section 2a), and why a connection closed.

/** What the client needs of a WebSocket: the browser's `WebSocket` and the `ws` package's both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Sends one binary message (the client passes the exact buffer of a whole-frame batch). */
  send(data: ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  // The event parameters are `any`: the browser's and ws's event types differ, and both must fit.
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket`, the `ws` package's, or a wrapper passing options to it. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Why a connection closed. */
export interface CloseReason {
  /**
   * `Closed`: `close()` was called. `Disconnected`: the WebSocket closed or failed (the server went away).
   * `Protocol`: this client closed it because the server broke the protocol. `Idle`: nothing arrived for
   * `idleTimeout`.
   */
  kind: "Closed" | "Disconnected" | "Protocol" | "Idle";
  message: string;
}

/** The bytes of a message event's data, or its text, or `undefined` for anything else (a Blob). */
export function dataOf(data: unknown): Uint8Array | string | undefined {
  if (typeof data === "string") return data;
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return new Uint8Array(data as ArrayBuffer);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** The parts, back to back, in a buffer of their exact size. */
export function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The bytes as an ArrayBuffer of exactly their length (theirs when they fill it, as frames do; else a copy). */
export function bufferOf(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  if (byteOffset === 0 && byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer;
  return bytes.slice().buffer as ArrayBuffer;
}
