// One connection to a server over a WebSocket (PROTOCOL.md sections 2a, 3, 5, 7a): the handshake, frames in and
// out, keepalive, and closing.

import { Calls } from "./calls.js";
import type { RemoteCodec } from "./codec.js";
import { ConnectError, type Mismatch } from "./errors.js";
import { Events } from "./events.js";
import { buildFrame, FrameError, FrameReader, Kind, MAX_U32, parseMessage } from "./frame.js";
import { bindInterface, helloPayload, parseReject, parseWelcome, wireRemote, type Bound } from "./handshake.js";
import { after, messageOf, type Link, type Timer } from "./link.js";
import { Served } from "./served.js";
import { bufferOf, concat, dataOf, type CloseReason, type WebSocketLike } from "./socket.js";
import { remoteKey, type InterfaceSpec } from "./spec.js";

export type { CloseReason, WebSocketConstructor, WebSocketLike } from "./socket.js";

export interface Settings {
  spec: InterfaceSpec;
  /** The bindings' remotes, compiled, by `remoteKey` (wire name and direction). */
  codecs: ReadonlyMap<string, RemoteCodec>;
  token: string | undefined;
  timeout: number;
  handshakeTimeout: number;
  maxFrame: number;
  maxInFlight: number;
  eventQueueLen: number;
  strictInterface: boolean;
  pingInterval: number;
  idleTimeout: number;
  onWarning: (message: string) => void;
}

/** Frames are packed into WebSocket messages of up to this many bytes (`PACKED_MESSAGE`); a larger frame goes alone. */
export const PACKED_MESSAGE = 64 * 1024;
const OPEN = 1;
/** At most this many warnings a second reach `onWarning`; the rest are counted. */
const WARNINGS_PER_SECOND = 20;

const now = () => performance.now();

export class Connection implements Link {
  private phase: "handshake" | "open" | "closed" = "handshake";
  private readonly reader: FrameReader;
  /** Frames after WELCOME wait until `connect` has resolved (so listeners and callbacks can be set). */
  private paused = false;
  private queue: Uint8Array[] = [];
  private flushScheduled = false;
  private lastFrame = now();
  private readonly handshakeTimer: Timer;
  private idleTimer: Timer | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private warnWindow = -Infinity;
  private warnings = 0;
  private suppressed = 0;
  private settleReady!: { resolve: () => void; reject: (error: ConnectError) => void };
  private resolveClosed!: (reason: CloseReason) => void;

  /** Resolves when WELCOME was accepted; rejects with the `ConnectError` of a failed handshake. */
  readonly ready: Promise<void>;
  /** Resolves, never rejects, when the connection has closed. */
  readonly closed: Promise<CloseReason>;

  // Set at WELCOME.
  player: number | bigint = 0;
  bound!: Bound;
  calls!: Calls;
  served!: Served;
  events!: Events;
  peerMaxFrame: number;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly settings: Settings,
  ) {
    this.reader = new FrameReader(settings.maxFrame);
    this.peerMaxFrame = settings.maxFrame;
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    // The handshake deadline covers opening the WebSocket too.
    this.handshakeTimer = after(settings.handshakeTimeout, () =>
      this.guard(() => {
        this.failHandshake(new ConnectError("HandshakeTimeout", `no WELCOME within ${settings.handshakeTimeout} ms`));
      }),
    );
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.guard(() => this.onOpen());
    ws.onmessage = (event: { data?: unknown }) => this.guard(() => this.onMessage(event?.data));
    ws.onclose = (event: { code?: number; reason?: string }) => this.guard(() => this.onSocketClosed(event));
    ws.onerror = (event: { message?: string }) => this.guard(() => this.onSocketError(event));
    if (ws.readyState === OPEN) this.guard(() => this.onOpen());
  }

  get open(): boolean {
    return this.phase === "open";
  }

  /** Runs a WebSocket callback: nothing thrown escapes it (a bug here closes the connection instead). */
  private guard(f: () => void): void {
    try {
      f();
    } catch (error) {
      const reason = `internal error: ${messageOf(error)}`;
      try {
        this.warn(reason);
        if (this.phase === "handshake") this.failHandshake(new ConnectError("Protocol", reason));
        else this.close({ kind: "Protocol", message: reason });
      } catch {
        // nothing more can be done
      }
    }
  }

  warn(message: string): void {
    const t = now();
    if (t - this.warnWindow >= 1000) {
      if (this.suppressed > 0) this.emitWarning(`${this.suppressed} more warnings suppressed`);
      this.warnWindow = t;
      this.warnings = 0;
      this.suppressed = 0;
    }
    if (this.warnings++ < WARNINGS_PER_SECOND) this.emitWarning(message);
    else this.suppressed++;
  }

  private emitWarning(message: string): void {
    try {
      this.settings.onWarning(`remotes-client: ${message}`);
    } catch {
      // a warning sink that throws is ignored
    }
  }

  private onOpen(): void {
    if (this.phase !== "handshake") return;
    const { settings } = this;
    const hello = helloPayload({
      timeoutMs: Math.min(Math.floor(settings.timeout), MAX_U32),
      maxFrame: settings.maxFrame,
      token: settings.token,
      remotes: settings.spec.remotes.map(wireRemote),
    });
    this.ws.send(bufferOf(buildFrame(Kind.HELLO, [], hello)));
  }

  private onMessage(data: unknown): void {
    if (this.phase === "closed") return;
    const bytes = dataOf(data);
    if (typeof bytes === "string" || bytes === undefined) {
      const reason =
        typeof bytes === "string" ? "the server sent a text message" : "the server sent a message that is not binary";
      if (this.phase === "handshake") this.failHandshake(new ConnectError("Protocol", reason));
      else this.fail(reason);
      return;
    }
    this.reader.push(bytes);
    this.drain();
  }

  /** Handles every whole frame received, in order, until none is left or the connection pauses or closes. */
  private drain(): void {
    while (this.phase !== "closed" && !this.paused) {
      let body: Uint8Array | null;
      try {
        body = this.reader.next();
      } catch (error) {
        if (!(error instanceof FrameError)) throw error;
        if (this.phase === "handshake") this.failHandshake(new ConnectError("Protocol", error.message));
        else this.fail(error.message);
        return;
      }
      if (!body) return;
      this.lastFrame = now();
      if (this.phase === "handshake") this.onHandshakeFrame(body);
      else this.onFrame(body);
    }
  }

  private onHandshakeFrame(body: Uint8Array): void {
    const message = parseMessage(body);
    if (message.kind === "Reject") {
      let error: ConnectError;
      try {
        error = parseReject(message.map);
      } catch (e) {
        error = e instanceof ConnectError ? e : new ConnectError("Protocol", messageOf(e));
      }
      this.failHandshake(error);
      return;
    }
    if (message.kind !== "Welcome") {
      this.failHandshake(new ConnectError("Protocol", "the server's first frame is neither WELCOME nor REJECT"));
      return;
    }
    let welcome;
    try {
      welcome = parseWelcome(message.map);
    } catch (e) {
      this.failHandshake(e instanceof ConnectError ? e : new ConnectError("Protocol", messageOf(e)));
      return;
    }
    const { settings } = this;
    const bound = bindInterface(settings.spec, welcome.remotes);
    if (bound.mismatches.length > 0) {
      // Named as the codecs name them: `sync (to_server)` when the bindings declare `sync` in both directions.
      const label = (m: Mismatch) => settings.codecs.get(remoteKey(m.remote, m.direction))?.label ?? m.remote;
      const list = bound.mismatches.map((m) => `${label(m)}: ${m.detail}`).join("; ");
      if (settings.strictInterface) {
        this.failHandshake(
          new ConnectError("InterfaceMismatch", `the server's interface differs: ${list}`, bound.mismatches),
        );
        return;
      }
      this.warn(`the server's interface differs (calls to these remotes fail): ${list}`);
    }
    this.bound = bound;
    this.player = welcome.player;
    this.peerMaxFrame = welcome.maxFrame === 0 ? settings.maxFrame : welcome.maxFrame;
    const announcedMs = Math.min(Math.floor(settings.timeout), MAX_U32);
    this.calls = new Calls(this, settings.timeout, announcedMs);
    const serverDefault = welcome.timeoutMs === 0 ? settings.timeout : welcome.timeoutMs;
    this.served = new Served(this, bound.byId, settings.codecs, serverDefault, settings.maxInFlight);
    this.events = new Events(this, bound.byId, settings.codecs, settings.eventQueueLen);
    this.phase = "open";
    this.handshakeTimer.cancel();
    this.startKeepalive();
    // Frames that came with WELCOME are handled once `connect` has resolved and its caller has run.
    this.paused = true;
    setTimeout(
      () =>
        this.guard(() => {
          this.paused = false;
          this.drain();
        }),
      0,
    );
    this.settleReady.resolve();
  }

  private onFrame(body: Uint8Array): void {
    const message = parseMessage(body);
    switch (message.kind) {
      case "Request":
        return this.served.onRequest(message);
      case "BadRequest":
        return this.served.onRequest(undefined);
      case "ReplyOk":
      case "ReplyErr": {
        const reply = message.kind === "ReplyOk" ? { value: message.value } : { code: message.code };
        const broken = this.calls.onReply(message.slot, reply);
        if (broken) this.fail(broken);
        return;
      }
      case "BadReply":
        return this.fail(message.reason);
      case "Cancel":
        return this.served.onCancel(message.call);
      case "Event":
        return this.events.onEvent(message.remote, message.args);
      case "Ping":
        return this.send(buildFrame(Kind.PONG, []));
      case "Pong":
        return;
      case "Hello":
      case "Welcome":
      case "Reject":
        return this.warn(`the server sent ${message.kind.toUpperCase()} after the handshake; dropped`);
      case "Dropped":
        return this.warn(`${message.reason}; dropped`);
    }
  }

  private startKeepalive(): void {
    const { pingInterval, idleTimeout } = this.settings;
    this.pingTimer = setInterval(() => this.guard(() => this.send(buildFrame(Kind.PING, []))), pingInterval);
    this.lastFrame = now();
    const check = () => {
      if (this.phase === "closed") return;
      const idle = now() - this.lastFrame;
      if (idle >= idleTimeout) {
        this.close({ kind: "Idle", message: `no frame from the server for ${idleTimeout} ms` });
      } else {
        this.idleTimer = after(Math.max(1, idleTimeout - idle), () => this.guard(check));
      }
    };
    this.idleTimer = after(idleTimeout, () => this.guard(check));
  }

  /** Queues a whole frame; the frames queued in one turn go out together at its end. */
  send(frame: Uint8Array): void {
    if (this.phase !== "open") return;
    this.queue.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.guard(() => this.flush()));
    }
  }

  /** Sends the queued frames, packed into messages of up to `PACKED_MESSAGE` bytes. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.phase !== "open" || this.queue.length === 0) return;
    const frames = this.queue;
    this.queue = [];
    let batch: Uint8Array[] = [];
    let size = 0;
    const emit = () => {
      if (batch.length > 0) this.ws.send(bufferOf(batch.length === 1 ? batch[0]! : concat(batch, size)));
      batch = [];
      size = 0;
    };
    try {
      for (const frame of frames) {
        if (size + frame.length > PACKED_MESSAGE) emit();
        if (frame.length >= PACKED_MESSAGE) this.ws.send(bufferOf(frame));
        else {
          batch.push(frame);
          size += frame.length;
        }
      }
      emit();
    } catch (error) {
      this.close({ kind: "Disconnected", message: `sending failed: ${messageOf(error)}` });
    }
  }

  /** Closes because the server broke the protocol. */
  fail(reason: string): void {
    this.warn(`closing the connection: ${reason}`);
    this.close({ kind: "Protocol", message: reason });
  }

  private failHandshake(error: ConnectError): void {
    if (this.phase !== "handshake") return;
    this.close({ kind: error.kind === "Io" ? "Disconnected" : "Protocol", message: error.message });
    this.settleReady.reject(error);
  }

  private onSocketClosed(event: { code?: number; reason?: string } | undefined): void {
    const detail = `the WebSocket closed${event?.code ? ` (code ${event.code}${event.reason ? `: ${event.reason}` : ""})` : ""}`;
    if (this.phase === "handshake") this.failHandshake(new ConnectError("Io", `${detail} during the handshake`));
    else this.close({ kind: "Disconnected", message: detail });
  }

  private onSocketError(event: { message?: string } | undefined): void {
    const detail = `WebSocket error${event?.message ? `: ${event.message}` : ""}`;
    if (this.phase === "handshake") this.failHandshake(new ConnectError("Io", detail));
    else this.close({ kind: "Disconnected", message: detail });
  }

  /**
   * Closes the connection (once): every pending call settles `Disconnected`, callbacks still running are answered
   * no more, `closed` resolves. A local close (`Closed`) first sends the frames already queued.
   */
  close(reason: CloseReason): void {
    if (this.phase === "closed") return;
    const wasOpen = this.phase === "open";
    if (wasOpen && reason.kind === "Closed") this.flush();
    this.phase = "closed";
    this.queue = [];
    this.handshakeTimer.cancel();
    this.idleTimer?.cancel();
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    try {
      this.ws.close(1000);
    } catch {
      // already closing or closed
    }
    if (wasOpen) {
      this.calls.disconnect(reason.message);
      this.served.disconnect();
    }
    this.resolveClosed(reason);
  }
}
