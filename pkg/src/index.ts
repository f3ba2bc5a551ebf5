export { Client } from "./client.js";
export { Subscription } from "./subscription.js";
export { init, initSync, type WasmSource } from "./wasm.js";
export { ErrorCode, ServerErrorCode, DisconnectCode, ClosedCode } from "./codes.js";
export {
  ResocketError,
  TimeoutError,
  ClientClosedError,
  DisconnectedError,
  LimitError,
  PayloadError,
  ServerError,
} from "./errors.js";
export { ClientState } from "./types.js";
export type {
  ClientOptions,
  RequestOptions,
  PublishResult,
  ClientStatus,
  PresenceMember,
  ClientEvents,
  ConnectingContext,
  ConnectedContext,
  DisconnectedContext,
  ReconnectingContext,
  ClosedContext,
  ErrorContext,
  SubscriptionEvents,
  MessageContext,
  SubscribedContext,
  ResetContext,
  PresenceContext,
  SubscriptionErrorContext,
} from "./types.js";
