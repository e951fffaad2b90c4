// The errors a call settles with and the errors `connect` rejects with (PROTOCOL.md sections 5 and 6).

/** Why a call failed. Every call settles with its value or exactly one `FunctionError`. */
export type FunctionErrorKind =
  "Timeout" | "Cancelled" | "BadRequest" | "InvalidResult" | "Unprocessed" | "Disconnected";

/** A call that did not return a value. `remote` is the remote's wire name (`buy_item`, `shop.sell`). */
export class FunctionError extends Error {
  constructor(
    readonly kind: FunctionErrorKind,
    readonly remote: string,
    detail?: string,
  ) {
    super(`${remote}: ${kind}${detail ? ` (${detail})` : ""}`);
    this.name = "FunctionError";
  }
}

/** REPLY_ERR codes (PROTOCOL.md section 6, "Error codes"). An unknown code reads as `Unprocessed`. */
export const ErrorCode = {
  Cancelled: 1,
  BadRequest: 2,
  InvalidResult: 3,
  Unprocessed: 4,
  Timeout: 5,
  Disconnected: 6,
} as const satisfies Record<FunctionErrorKind, number>;

export function kindOfCode(code: number): FunctionErrorKind {
  switch (code) {
    case 1:
      return "Cancelled";
    case 2:
      return "BadRequest";
    case 3:
      return "InvalidResult";
    case 5:
      return "Timeout";
    case 6:
      return "Disconnected";
    default:
      return "Unprocessed";
  }
}

/** Why `connect` failed. */
export type ConnectErrorKind =
  "Rejected" | "VersionMismatch" | "InterfaceMismatch" | "HandshakeTimeout" | "Protocol" | "Io";

/** A remote of the bindings that the server declares differently, or not at all. */
export interface Mismatch {
  /** The remote's wire name. */
  remote: string;
  /** The remote's direction: a name may be declared in both, each direction is compared on its own. */
  direction: "to_server" | "to_client";
  /** `Missing`: the server has no remote of this name, kind and direction. `Signature`: its hash differs. */
  kind: "Missing" | "Signature";
  /** How it differs, in words: `the server's hash is 0123456789abcdef, the bindings' fedcba9876543210`. */
  detail: string;
}

/** `connect` failed: the server refused (`Rejected`, with its reason), or the handshake did not complete. */
export class ConnectError extends Error {
  constructor(
    readonly kind: ConnectErrorKind,
    readonly reason: string,
    /** For `InterfaceMismatch`: every remote of the bindings that the server declares differently. */
    readonly mismatches: readonly Mismatch[] = [],
  ) {
    super(`${kind}: ${reason}`);
    this.name = "ConnectError";
  }
}
