// remotes-client: the TypeScript client of remotes servers. See README.md and docs/bindings.md.

export { connect, type Client, type ConnectOptions } from "./client.js";
export type { CloseReason, WebSocketConstructor, WebSocketLike } from "./socket.js";
export { ConnectError, FunctionError, type ConnectErrorKind, type FunctionErrorKind, type Mismatch } from "./errors.js";
export { signatureHash } from "./handshake.js";
export {
  defineInterface,
  SpecError,
  type ArgSpec,
  type Bound,
  type CallContext,
  type CallOptions,
  type Check,
  type ClientEvent,
  type ClientFunction,
  type Container,
  type Fields,
  type Interface,
  type InterfaceSpec,
  type RemoteSpec,
  type Scalar,
  type ServerEvent,
  type ServerFunction,
  type Shape,
  type Variant,
} from "./spec.js";
