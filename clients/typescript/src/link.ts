// What the halves of a connection (calls, served calls, events) need from it, and timers of any length.

/** The connection as its halves see it. */
export interface Link {
  /** False once the connection closed: nothing is sent any more. */
  readonly open: boolean;
  /** The largest frame body the server accepts (its WELCOME `max_frame`, or ours when it announced 0). */
  readonly peerMaxFrame: number;
  /** Queues a whole frame; frames queued in one turn of the event loop travel in one WebSocket message. */
  send(frame: Uint8Array): void;
  /** Reports something the server did wrong, or a local problem that is not thrown (default `console.warn`). */
  warn(message: string): void;
  /** Closes the connection because the server broke the protocol. */
  fail(reason: string): void;
}

/** A timer that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/** The longest delay `setTimeout` takes in one go (2^31 - 1 ms, about 24.8 days). */
const MAX_DELAY = 0x7fff_ffff;

/** Calls `fn` after `ms` milliseconds, however long that is (longer delays are chained). */
export function after(ms: number, fn: () => void): Timer {
  let handle: ReturnType<typeof setTimeout>;
  let cancelled = false;
  const arm = (left: number) => {
    handle = setTimeout(
      () => {
        if (cancelled) return;
        if (left > MAX_DELAY) arm(left - MAX_DELAY);
        else fn();
      },
      Math.min(left, MAX_DELAY),
    );
  };
  arm(Math.max(0, ms));
  return {
    cancel() {
      cancelled = true;
      clearTimeout(handle);
    },
  };
}

/** True for a promise or any other thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The message of an error, for a warning. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return "an error";
  }
}
