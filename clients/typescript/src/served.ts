// Calls the server makes to this client (PROTOCOL.md section 6): the unanswered list that reply slots index,
// callbacks, the callee's deadline, CANCEL and `maxInFlight`.

import type { RemoteCodec } from "./codec.js";
import { ErrorCode, FunctionError } from "./errors.js";
import { bodyLength, buildFrame, Kind } from "./frame.js";
import { remoteKey, type RemoteSpec } from "./spec.js";
import { after, isThenable, messageOf, type Link, type Timer } from "./link.js";
import { ShapeError } from "./scalars.js";

/** A request of the server, from its arrival until this client's reply is queued. */
interface Unanswered {
  readonly number: number;
  answered: boolean;
  /** Set while an asynchronous callback runs: the call counts against `maxInFlight` and CANCEL can stop it. */
  timer: Timer | undefined;
  /** The callback's `CallContext.signal`, aborted when its answer would be dropped. */
  abort: AbortController | undefined;
  name: string;
}

type Callback = (...args: unknown[]) => unknown;

/** Why a running callback's signal aborts. */
const STOPPED = {
  Cancelled: "the server cancelled the call",
  Timeout: "the call's deadline passed",
  Disconnected: "the connection closed",
} as const;

export class Served {
  /** The server's requests not answered yet, in arrival order: a reply's slot is a position in this list. */
  private readonly unanswered: Unanswered[] = [];
  private nextNumber = 0;
  private inFlight = 0;
  /** By `remoteKey` (wire name and direction). */
  private readonly callbacks = new Map<string, Callback>();

  constructor(
    private readonly link: Link,
    /** The remotes of the bindings by wire id (only those whose signature matches the server's). */
    private readonly byId: ReadonlyMap<number, RemoteSpec>,
    /** The bindings' remotes, compiled, by `remoteKey`. */
    private readonly codecs: ReadonlyMap<string, RemoteCodec>,
    /** The deadline of a REQUEST without a timeout: the server's announced default, or ours if it announced 0. */
    private readonly serverDefaultMs: number,
    private readonly maxInFlight: number,
  ) {}

  /** Sets the callback of a to-client function (`codec`: its compiled remote). */
  setCallback(codec: RemoteCodec, callback: Callback): void {
    if (typeof callback !== "function") throw new TypeError(`${codec.label}: the callback is not a function`);
    this.callbacks.set(codec.key, callback);
  }

  clearCallback(codec: RemoteCodec): void {
    this.callbacks.delete(codec.key);
  }

  /** The number of asynchronous callbacks running (counted against `maxInFlight`). */
  get running(): number {
    return this.inFlight;
  }

  /**
   * A request frame from the server: every frame of a request kind takes the next number and gets exactly one
   * reply, in the order of checks of PROTOCOL.md section 6.
   */
  onRequest(request: { remote: number; timeoutMs: number | undefined; args: Uint8Array } | undefined): void {
    const call: Unanswered = {
      number: this.nextNumber,
      answered: false,
      timer: undefined,
      abort: undefined,
      name: "?",
    };
    this.nextNumber = (this.nextNumber + 1) >>> 0;
    this.unanswered.push(call);
    if (!request) {
      this.link.warn("the server sent a request whose header is cut short; answered BadRequest");
      return this.replyError(call, ErrorCode.BadRequest);
    }
    const remote = this.byId.get(request.remote);
    if (!remote || remote.kind !== "function" || remote.direction !== "to_client") {
      this.link.warn(
        `the server called remote id ${request.remote}, which is no function of these bindings it may call; answered BadRequest`,
      );
      return this.replyError(call, ErrorCode.BadRequest);
    }
    const key = remoteKey(remote.name, remote.direction);
    const codec = this.codecs.get(key)!;
    call.name = codec.label;
    const callback = this.callbacks.get(key);
    if (!callback) return this.replyError(call, ErrorCode.Unprocessed);
    if (this.inFlight >= this.maxInFlight) return this.replyError(call, ErrorCode.Cancelled);
    let args: unknown[];
    try {
      args = codec.decodeArgs(request.args);
    } catch (error) {
      const detail = error instanceof ShapeError ? error.describe() : messageOf(error);
      this.link.warn(
        `the server called ${codec.label} with arguments that do not match: ${detail}; answered BadRequest`,
      );
      return this.replyError(call, ErrorCode.BadRequest);
    }
    let result: unknown;
    call.abort = new AbortController();
    try {
      result = callback(...args, { signal: call.abort.signal });
    } catch (error) {
      this.link.warn(`the callback of ${codec.label} threw: ${messageOf(error)}; answered Unprocessed`);
      return this.replyError(call, ErrorCode.Unprocessed);
    }
    if (!isThenable(result)) return this.replyValue(call, codec, result);
    // An asynchronous callback: in flight until it settles, its deadline passes, or the server cancels it.
    this.inFlight++;
    const timeout = request.timeoutMs ?? this.serverDefaultMs;
    call.timer = after(timeout, () => {
      if (call.answered) return;
      this.stop(call, "Timeout");
      this.replyError(call, ErrorCode.Timeout);
    });
    result.then(
      (value) => this.replyValue(call, codec, value),
      (error: unknown) => {
        if (call.answered) return;
        this.link.warn(`the callback of ${codec.label} rejected: ${messageOf(error)}; answered Unprocessed`);
        this.replyError(call, ErrorCode.Unprocessed);
      },
    );
  }

  /** CANCEL from the server: a callback still running is answered `Cancelled`; any other number is ignored. */
  onCancel(number: number): void {
    const call = this.unanswered.find((c) => c.number === number && !c.answered);
    if (!call?.timer) return;
    this.stop(call, "Cancelled");
    this.replyError(call, ErrorCode.Cancelled);
  }

  /** Tells a running callback that its answer will be dropped (its `CallContext.signal`). */
  private stop(call: Unanswered, kind: keyof typeof STOPPED): void {
    call.abort?.abort(new FunctionError(kind, call.name, STOPPED[kind]));
  }

  private replyValue(call: Unanswered, codec: RemoteCodec, value: unknown): void {
    if (call.answered) return;
    let payload: Uint8Array;
    try {
      payload = codec.encodeOutput(value);
    } catch (error) {
      const detail = error instanceof ShapeError ? error.describe() : messageOf(error);
      this.link.warn(
        `the callback of ${call.name} returned a value that does not match its output: ${detail}; answered InvalidResult`,
      );
      return this.replyError(call, ErrorCode.InvalidResult);
    }
    const slot = this.take(call);
    if (slot === undefined) return;
    const length = bodyLength([slot], payload.length);
    if (length > this.link.peerMaxFrame) {
      this.link.warn(
        `the reply of ${call.name} (${length} bytes) exceeds the server's maximum frame; answered InvalidResult`,
      );
      this.link.send(buildFrame(Kind.REPLY_ERR, [slot], Uint8Array.of(ErrorCode.InvalidResult)));
      return;
    }
    this.link.send(buildFrame(Kind.REPLY_OK, [slot], payload));
  }

  private replyError(call: Unanswered, code: number): void {
    const slot = this.take(call);
    if (slot !== undefined) this.link.send(buildFrame(Kind.REPLY_ERR, [slot], Uint8Array.of(code)));
  }

  /** Marks the call answered and takes it off the list: its position there is the reply's slot. */
  private take(call: Unanswered): number | undefined {
    if (call.answered) return undefined;
    call.answered = true;
    if (call.timer) {
      call.timer.cancel();
      this.inFlight--;
    }
    if (!this.link.open) return undefined;
    // The call answered is nearly always the newest (answered at once) or the oldest.
    const last = this.unanswered.length - 1;
    const slot = this.unanswered[last] === call ? last : this.unanswered.indexOf(call);
    this.unanswered.splice(slot, 1);
    return slot;
  }

  /** The connection closed: nothing is answered any more; results of callbacks still running are dropped. */
  disconnect(): void {
    for (const call of this.unanswered.splice(0)) {
      if (!call.answered) {
        call.answered = true;
        call.timer?.cancel();
        if (call.timer) this.stop(call, "Disconnected");
      }
    }
    this.inFlight = 0;
  }
}
