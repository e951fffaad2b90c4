// This side's calls to the server (PROTOCOL.md section 6): implicit numbering, the outstanding list that reply
// slots index, deadlines, aborts and CANCEL.

import type { RemoteCodec } from "./codec.js";
import { FunctionError, kindOfCode, type FunctionErrorKind } from "./errors.js";
import { bodyLength, buildFrame, Kind, MAX_U32 } from "./frame.js";
import type { Binding } from "./handshake.js";
import { after, type Link, type Timer } from "./link.js";
import { ShapeError } from "./scalars.js";
import type { CallOptions } from "./spec.js";

/** A server that leaves this many of our calls unanswered is not keeping up (or is hostile): we close. */
export const MAX_UNANSWERED = 65_536;

/** One request sent and not answered yet. It stays listed after it settles locally, until its reply arrives. */
interface Outstanding {
  readonly number: number;
  readonly codec: RemoteCodec;
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: FunctionError): void;
  timer: Timer | undefined;
  unlisten: (() => void) | undefined;
}

export class Calls {
  /** Requests sent and not answered, in sending order: a reply's slot is a position in this list. */
  private readonly outstanding: Outstanding[] = [];
  private nextNumber = 0;

  constructor(
    private readonly link: Link,
    /** The default timeout of calls, in ms. */
    private readonly defaultTimeout: number,
    /** The default timeout as announced in HELLO (whole ms, saturated; 0 means "not given"). */
    private readonly announcedMs: number,
  ) {}

  /** The number of requests sent that the server has not answered yet. */
  get unanswered(): number {
    return this.outstanding.length;
  }

  /** Makes a call. Settles with the value, or rejects with exactly one `FunctionError`. */
  invoke(
    codec: RemoteCodec,
    binding: Binding | undefined,
    args: readonly unknown[],
    options: CallOptions,
  ): Promise<unknown> {
    const name = codec.spec.name;
    const failed = (kind: FunctionErrorKind, detail?: string) => Promise.reject(new FunctionError(kind, name, detail));
    const { signal } = options;
    const timeout = options.timeout ?? this.defaultTimeout;
    if (typeof timeout !== "number" || !(timeout >= 0) || !Number.isFinite(timeout)) {
      return failed("BadRequest", `the timeout must be a finite number of milliseconds >= 0, got ${String(timeout)}`);
    }
    if (signal?.aborted) return failed("Cancelled", "the signal was already aborted");
    if (!this.link.open) return failed("Disconnected", "the connection is closed");
    if (!binding || "mismatch" in binding) {
      const mismatch = binding?.mismatch;
      return mismatch?.kind === "Signature"
        ? failed("BadRequest", mismatch.detail)
        : failed("Unprocessed", mismatch?.detail);
    }
    let payload: Uint8Array;
    try {
      payload = codec.encodeArgs(args);
    } catch (error) {
      if (error instanceof ShapeError) return failed("BadRequest", error.describe());
      return failed("BadRequest", `the arguments do not encode: ${String(error)}`);
    }
    const timed = !(timeout === this.defaultTimeout && this.announcedMs !== 0);
    const header = timed ? [binding.id, Math.min(Math.floor(timeout), MAX_U32)] : [binding.id];
    const length = bodyLength(header, payload.length);
    if (length > this.link.peerMaxFrame) {
      return failed(
        "BadRequest",
        `the request frame of ${length} bytes exceeds the server's maximum of ${this.link.peerMaxFrame}`,
      );
    }
    if (this.outstanding.length >= MAX_UNANSWERED) {
      this.link.fail(`the server leaves ${MAX_UNANSWERED} calls unanswered`);
      return failed("Disconnected", "the server leaves too many calls unanswered");
    }
    const number = this.nextNumber;
    this.nextNumber = (number + 1) >>> 0;
    return new Promise<unknown>((resolve, reject) => {
      const call: Outstanding = {
        number,
        codec,
        settled: false,
        resolve,
        reject,
        timer: undefined,
        unlisten: undefined,
      };
      this.outstanding.push(call);
      this.link.send(buildFrame(timed ? Kind.REQUEST_TIMED : Kind.REQUEST, header, payload));
      call.timer = after(timeout, () =>
        this.settle(call, new FunctionError("Timeout", name, `no reply within ${timeout} ms`)),
      );
      if (signal) {
        const onAbort = () => {
          if (call.settled) return;
          this.settle(call, new FunctionError("Cancelled", name, "aborted"));
          // The server answers it Cancelled (or has answered it already); that reply is dropped.
          if (this.link.open) this.link.send(buildFrame(Kind.CANCEL, [number]));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        call.unlisten = () => signal.removeEventListener("abort", onAbort);
      }
    });
  }

  private settle(call: Outstanding, outcome: FunctionError | { value: unknown }): void {
    if (call.settled) return;
    call.settled = true;
    call.timer?.cancel();
    call.unlisten?.();
    if (outcome instanceof FunctionError) call.reject(outcome);
    else call.resolve(outcome.value);
  }

  /**
   * A reply (REPLY_OK with its value, REPLY_ERR with its code) for the request at `slot`. Returns why the slot
   * accounting broke when the slot names no outstanding request (the connection must close), else `undefined`.
   */
  onReply(slot: number, reply: { value: Uint8Array } | { code: number }): string | undefined {
    if (slot >= this.outstanding.length) {
      return `a reply names slot ${slot}, but only ${this.outstanding.length} of this client's calls are unanswered`;
    }
    const call = slot === 0 ? this.outstanding.shift()! : this.outstanding.splice(slot, 1)[0]!;
    if (call.settled) return undefined; // a late reply to a call that timed out or was aborted: dropped
    const name = call.codec.spec.name;
    if ("code" in reply) {
      this.settle(
        call,
        new FunctionError(kindOfCode(reply.code), name, `the server answered with error code ${reply.code}`),
      );
      return undefined;
    }
    let value: unknown;
    try {
      value = call.codec.decodeOutput(reply.value);
    } catch (error) {
      const detail = error instanceof ShapeError ? error.describe() : String(error);
      this.link.warn(`the server's reply to ${call.codec.label} does not match its declared output: ${detail}`);
      this.settle(call, new FunctionError("InvalidResult", name, detail));
      return undefined;
    }
    this.settle(call, { value });
    return undefined;
  }

  /** The connection closed: every call not settled yet settles `Disconnected`. */
  disconnect(reason: string): void {
    const calls = this.outstanding.splice(0);
    for (const call of calls) this.settle(call, new FunctionError("Disconnected", call.codec.spec.name, reason));
  }
}
