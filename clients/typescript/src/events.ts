// Events the server fires at this client (PROTOCOL.md section 7): listeners, and events held until the first
// listener connects.

import type { RemoteCodec } from "./codec.js";
import { remoteKey, type RemoteSpec } from "./spec.js";
import { isThenable, messageOf, type Link } from "./link.js";
import { ShapeError } from "./scalars.js";

type Listener = (...args: unknown[]) => unknown;

/** One to-client event of the bindings. */
class Channel {
  readonly listeners = new Set<Listener>();
  /** Events that arrived while no listener was connected (or that wait for the drain), oldest first. */
  readonly held: unknown[][] = [];
  draining = false;

  /** `name`: how messages name the event (`RemoteCodec.label`). */
  constructor(readonly name: string) {}
}

export class Events {
  /** By `remoteKey` (wire name and direction). */
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly link: Link,
    /** The remotes of the bindings by wire id (only those whose signature matches the server's). */
    private readonly byId: ReadonlyMap<number, RemoteSpec>,
    /** The bindings' remotes, compiled, by `remoteKey`. */
    private readonly codecs: ReadonlyMap<string, RemoteCodec>,
    /** How many events are held per event while no listener is connected; the oldest is dropped past it. */
    private readonly queueLen: number,
  ) {}

  private channel(codec: RemoteCodec): Channel {
    let channel = this.channels.get(codec.key);
    if (!channel) {
      channel = new Channel(codec.label);
      this.channels.set(codec.key, channel);
    }
    return channel;
  }

  /**
   * Connects a listener to a to-client event (`codec`: its compiled remote); held events are delivered to it, in
   * order, in a microtask. Returns the disconnect.
   */
  connect(codec: RemoteCodec, listener: Listener): () => void {
    if (typeof listener !== "function") throw new TypeError(`${codec.label}: the listener is not a function`);
    const channel = this.channel(codec);
    // The same function connected twice listens twice, as with the Rust client's connect.
    const entry: Listener = (...args) => listener(...args);
    channel.listeners.add(entry);
    if (channel.held.length > 0) this.scheduleDrain(channel);
    return () => {
      channel.listeners.delete(entry);
    };
  }

  /** An EVENT frame from the server. */
  onEvent(id: number, bytes: Uint8Array): void {
    const remote = this.byId.get(id);
    if (!remote || remote.kind !== "event" || remote.direction !== "to_client") {
      this.link.warn(`the server fired remote id ${id}, which is no event of these bindings it may fire; dropped`);
      return;
    }
    const codec = this.codecs.get(remoteKey(remote.name, remote.direction))!;
    let args: unknown[];
    try {
      args = codec.decodeArgs(bytes);
    } catch (error) {
      const detail = error instanceof ShapeError ? error.describe() : messageOf(error);
      this.link.warn(`the server fired ${codec.label} with arguments that do not match: ${detail}; dropped`);
      return;
    }
    const channel = this.channel(codec);
    if (channel.listeners.size > 0 && channel.held.length === 0) {
      this.dispatch(channel, args);
      return;
    }
    if (this.queueLen <= 0) return;
    channel.held.push(args);
    if (channel.held.length > this.queueLen) channel.held.shift();
  }

  private scheduleDrain(channel: Channel): void {
    if (channel.draining) return;
    channel.draining = true;
    queueMicrotask(() => {
      channel.draining = false;
      while (channel.held.length > 0 && channel.listeners.size > 0) this.dispatch(channel, channel.held.shift()!);
    });
  }

  /** Starts every listener, in the order they connected; what they throw or reject with is a warning. */
  private dispatch(channel: Channel, args: unknown[]): void {
    for (const listener of [...channel.listeners]) {
      if (!channel.listeners.has(listener)) continue; // disconnected by a listener before it
      try {
        const result = listener(...args);
        if (isThenable(result)) {
          result.then(undefined, (error: unknown) =>
            this.link.warn(`a listener of ${channel.name} rejected: ${messageOf(error)}`),
          );
        }
      } catch (error) {
        this.link.warn(`a listener of ${channel.name} threw: ${messageOf(error)}`);
      }
    }
  }
}
