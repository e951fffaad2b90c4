// The `spec` object of generated bindings and the handle types, exactly as docs/bindings.md writes them.

export type Scalar =
  | "bool"
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "u128"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "i128"
  | "f32"
  | "f64"
  | "char"
  | "str"
  | "bytes"
  | "unit";
export type Shape =
  | Scalar
  | { option: Shape }
  | { seq: Shape }
  | { map: [key: Shape, value: Shape] }
  | { tuple: Shape[] }
  | { array: [element: Shape, length: number] } // [T; N]
  | { ref: string }; // a named type of `types`
export type Fields = [name: string, shape: Shape][];
export type Container =
  | { struct: Fields }
  | { newtype: Shape }
  | { tuple_struct: Shape[] }
  | "unit_struct"
  | { enum: [name: string, variant: Variant][] }; // in declaration order
export type Variant = "unit" | { newtype: Shape } | { tuple: Shape[] } | { struct: Fields };
export type Bound = number | bigint; // bigint literals (`123n`) where |value| > 2^53 - 1
export interface Check {
  range?: { min?: Bound; max?: Bound; maxExclusive?: true }; // Rust ranges: start always inclusive
  len?: { min?: number; max?: number }; // max inclusive; strings count UTF-8 bytes, seq/maps elements
  finite?: true; // an f32/f64 argument without allow_non_finite
}
export type ArgSpec = [name: string, shape: Shape] | [name: string, shape: Shape, check: Check];
export interface RemoteSpec {
  name: string; // wire name, `shop.sell`
  path: string[];
  kind: "function" | "event";
  direction: "to_server" | "to_client";
  hash: string; // the signature hash, 16 lowercase hex digits
  args: ArgSpec[];
  output: Shape; // "unit" for functions without a return type, and for events
}
export interface InterfaceSpec {
  name: string;
  types: Record<string, Container>;
  remotes: RemoteSpec[];
}

/** Options of one call: its timeout in milliseconds (default: the client's `timeout`), and a signal to abort it. */
export interface CallOptions {
  timeout?: number;
  signal?: AbortSignal;
}
/** A function the server handles: call it. Rejects with a `FunctionError`. */
export interface ServerFunction<A extends unknown[], R> {
  invoke(...args: A): Promise<R>;
  with(options: CallOptions): { invoke(...args: A): Promise<R> };
}
/** A function the server calls on this client: answer it with a callback. */
export interface ClientFunction<A extends unknown[], R> {
  /**
   * Sets the callback that answers the server's calls, replacing any set before. It receives the arguments, then a
   * `CallContext` whose `signal` aborts when its answer would be dropped: the server cancelled the call, its deadline
   * passed, or the connection closed. A callback that does not need it simply declares fewer parameters.
   */
  setCallback(callback: (...args: [...A, CallContext]) => R | Promise<R>): void;
  clearCallback(): void;
}
/** What a callback of a server call gets after its arguments. */
export interface CallContext {
  /**
   * Aborts when the call's answer would be dropped: the server cancelled it (`reason`: a `FunctionError` of kind
   * `Cancelled`), its deadline passed (`Timeout`) or the connection closed (`Disconnected`). Pass it to `fetch` and
   * the like to stop work nobody waits for.
   */
  readonly signal: AbortSignal;
}
/** An event this client fires at the server. */
export interface ServerEvent<A extends unknown[]> {
  fire(...args: A): void;
}
/** An event the server fires at this client: listen to it. `connect` returns the function that disconnects. */
export interface ClientEvent<A extends unknown[]> {
  connect(listener: (...args: A) => void | Promise<void>): () => void;
}
/** An interface of generated bindings: its `spec`, and (as a type only) the remotes type `R`. */
export interface Interface<R> {
  readonly spec: InterfaceSpec;
  readonly __remotes?: R;
}

/**
 * A remote's key among the bindings' remotes: its wire name and its direction. A name declared in both directions (a
 * two-way remote) is two remotes of one name; everything this client keeps per remote is keyed by this.
 */
export function remoteKey(name: string, direction: RemoteSpec["direction"]): string {
  return `${direction} ${name}`;
}

/** The wire names the spec declares in both directions. */
export function twoWayNames(spec: InterfaceSpec): Set<string> {
  const seen = new Map<string, RemoteSpec["direction"]>();
  const both = new Set<string>();
  for (const remote of spec.remotes) {
    const first = seen.get(remote.name);
    if (first === undefined) seen.set(remote.name, remote.direction);
    else if (first !== remote.direction) both.add(remote.name);
  }
  return both;
}

/** How messages name a remote: its wire name, followed by its direction when the name is declared in both. */
export function remoteLabel(remote: Pick<RemoteSpec, "name" | "direction">, twoWay: ReadonlySet<string>): string {
  return twoWay.has(remote.name) ? `${remote.name} (${remote.direction})` : remote.name;
}

const SCALARS: ReadonlySet<string> = new Set<Scalar>([
  "bool",
  "u8",
  "u16",
  "u32",
  "u64",
  "u128",
  "i8",
  "i16",
  "i32",
  "i64",
  "i128",
  "f32",
  "f64",
  "char",
  "str",
  "bytes",
  "unit",
]);

/** Why a spec is not one the client can interpret: a bug in the bindings, thrown by `defineInterface`. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpecError";
  }
}

/**
 * Declares an interface from the `spec` of generated bindings. The spec is checked here (every shape well formed,
 * every `ref` declared, hashes of 16 hex digits, paths unique; a name declared in both directions is one path and one
 * kind), so a broken bindings file fails when it is loaded.
 */
export function defineInterface<R>(spec: InterfaceSpec): Interface<R> {
  validateSpec(spec);
  return Object.freeze({ spec });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function validateSpec(spec: InterfaceSpec): void {
  if (!isObject(spec)) throw new SpecError("the spec is not an object");
  if (typeof spec.name !== "string") throw new SpecError("the spec has no name");
  if (!isObject(spec.types)) throw new SpecError(`${spec.name}: types is not an object`);
  if (!Array.isArray(spec.remotes)) throw new SpecError(`${spec.name}: remotes is not an array`);
  const types = spec.types;
  const shape = (s: unknown, where: string): void => {
    if (typeof s === "string") {
      if (!SCALARS.has(s)) throw new SpecError(`${where}: unknown scalar ${JSON.stringify(s)}`);
      return;
    }
    if (!isObject(s)) throw new SpecError(`${where}: a shape is a scalar name or an object`);
    const keys = Object.keys(s);
    if (keys.length !== 1) throw new SpecError(`${where}: a shape object has exactly one key`);
    const v = s[keys[0]!];
    switch (keys[0]) {
      case "option":
      case "seq":
        return shape(v, where);
      case "map":
        if (!Array.isArray(v) || v.length !== 2) throw new SpecError(`${where}: map is [key, value]`);
        shape(v[0], where);
        return shape(v[1], where);
      case "tuple":
        if (!Array.isArray(v)) throw new SpecError(`${where}: tuple is a list of shapes`);
        return v.forEach((e) => shape(e, where));
      case "array":
        if (!Array.isArray(v) || v.length !== 2 || !Number.isInteger(v[1]) || (v[1] as number) < 0) {
          throw new SpecError(`${where}: array is [element, length]`);
        }
        return shape(v[0], where);
      case "ref":
        if (typeof v !== "string" || !Object.prototype.hasOwnProperty.call(types, v)) {
          throw new SpecError(`${where}: ref to an undeclared type ${JSON.stringify(v)}`);
        }
        return;
      default:
        throw new SpecError(`${where}: unknown shape ${JSON.stringify(keys[0])}`);
    }
  };
  const fields = (f: unknown, where: string): void => {
    if (!Array.isArray(f)) throw new SpecError(`${where}: fields are a list of [name, shape]`);
    for (const field of f) {
      if (!Array.isArray(field) || field.length !== 2 || typeof field[0] !== "string") {
        throw new SpecError(`${where}: a field is [name, shape]`);
      }
      shape(field[1], `${where}.${field[0]}`);
    }
  };
  for (const [name, container] of Object.entries(types)) {
    const where = `${spec.name}: type ${name}`;
    if (container === "unit_struct") continue;
    if (!isObject(container) || Object.keys(container).length !== 1) throw new SpecError(`${where}: bad container`);
    if ("struct" in container) fields(container.struct, where);
    else if ("newtype" in container) shape(container.newtype, where);
    else if ("tuple_struct" in container) {
      if (!Array.isArray(container.tuple_struct)) throw new SpecError(`${where}: tuple_struct is a list of shapes`);
      container.tuple_struct.forEach((s) => shape(s, where));
    } else if ("enum" in container) {
      if (!Array.isArray(container.enum)) throw new SpecError(`${where}: enum is a list of [name, variant]`);
      const seen = new Set<string>();
      for (const entry of container.enum as unknown[]) {
        if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string" || seen.has(entry[0])) {
          throw new SpecError(`${where}: a variant is [name, variant] with a unique name`);
        }
        seen.add(entry[0]);
        const variant: unknown = entry[1];
        const at = `${where}::${entry[0]}`;
        if (variant === "unit") continue;
        if (!isObject(variant) || Object.keys(variant).length !== 1) throw new SpecError(`${at}: bad variant`);
        if ("newtype" in variant) shape(variant.newtype, at);
        else if ("tuple" in variant && Array.isArray(variant.tuple)) variant.tuple.forEach((s) => shape(s, at));
        else if ("struct" in variant) fields(variant.struct, at);
        else throw new SpecError(`${at}: bad variant`);
      }
    } else throw new SpecError(`${where}: unknown container ${JSON.stringify(Object.keys(container)[0])}`);
  }
  // A name may be declared in both directions (a two-way remote: one handle, the same path), as the Rust macro allows
  // for `ServerFunctions` and `ClientFunctions`, or `ServerEvents` and `ClientEvents`; never as a function and an
  // event, nor twice in one direction. A path belongs to one name.
  const byPath = new Map<string, RemoteSpec>();
  const byName = new Map<string, RemoteSpec[]>();
  for (const remote of spec.remotes) {
    if (!isObject(remote) || typeof remote.name !== "string") throw new SpecError(`${spec.name}: a remote has no name`);
    const where = `${spec.name}: remote ${remote.name}`;
    if (remote.kind !== "function" && remote.kind !== "event") throw new SpecError(`${where}: bad kind`);
    if (remote.direction !== "to_server" && remote.direction !== "to_client") {
      throw new SpecError(`${where}: bad direction`);
    }
    if (typeof remote.hash !== "string" || !/^[0-9a-f]{16}$/.test(remote.hash)) {
      throw new SpecError(`${where}: the hash is not 16 lowercase hex digits`);
    }
    const root = remote.kind === "function" ? "functions" : "events";
    if (
      !Array.isArray(remote.path) ||
      remote.path.length < 2 ||
      remote.path[0] !== root ||
      !remote.path.every((p) => typeof p === "string" && p.length > 0)
    ) {
      throw new SpecError(`${where}: path must be ["${root}", ...namespaces, name]`);
    }
    const key = remote.path.join("\u0000");
    const named = byName.get(remote.name) ?? [];
    for (const other of named) {
      if (other.kind !== remote.kind) {
        throw new SpecError(
          `${where}: declared both as a function and as an event; a name is either a function or an event`,
        );
      }
      if (other.direction === remote.direction) {
        throw new SpecError(
          `${where}: declared twice ${remote.direction === "to_server" ? "to the server" : "to the client"}`,
        );
      }
      if (other.path.join("\u0000") !== key) {
        throw new SpecError(
          `${where}: declared in both directions with different paths (${other.path.join(".")}, ${remote.path.join(".")})`,
        );
      }
    }
    const pathed = byPath.get(key);
    if (pathed && pathed.name !== remote.name) {
      throw new SpecError(`${where}: declared twice: its path ${remote.path.join(".")} is also that of ${pathed.name}`);
    }
    byPath.set(key, remote);
    byName.set(remote.name, [...named, remote]);
    if (!Array.isArray(remote.args)) throw new SpecError(`${where}: args is not a list`);
    for (const arg of remote.args) {
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 3 || typeof arg[0] !== "string") {
        throw new SpecError(`${where}: an argument is [name, shape] or [name, shape, check]`);
      }
      shape(arg[1], `${where}(${arg[0]})`);
      if (arg.length === 3 && !isObject(arg[2])) throw new SpecError(`${where}(${arg[0]}): a check is an object`);
    }
    shape(remote.output, `${where} output`);
  }
  // A namespace and a remote may not share a path prefix: `functions.shop` cannot be both.
  for (const key of byPath.keys()) {
    const parts = key.split("\u0000");
    for (let i = 2; i < parts.length; i++) {
      if (byPath.has(parts.slice(0, i).join("\u0000"))) {
        throw new SpecError(`${spec.name}: ${parts.slice(0, i).join(".")} is both a remote and a namespace`);
      }
    }
  }
}
