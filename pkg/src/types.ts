import type { ClosedCode, DisconnectCode } from "./codes.js";
import type { ResocketError } from "./errors.js";

/** The connection's state. */
export enum ClientState {
  /** `connect()` was not called yet. */
  Idle = "idle",
  /** Opening a socket and handshaking, or waiting to retry. */
  Connecting = "connecting",
  /** Connected and authenticated. */
  Connected = "connected",
  /** Terminal until `connect()` is called again. */
  Closed = "closed",
}

/** Options of `new Client(url, options)`. Durations are in milliseconds. */
export interface ClientOptions {
  /** Credential sent in every `connect` frame (never in the URL). */
  token?: string | null;
  /**
   * Wire encoding. The package speaks MessagePack only (the server and the Rust client
   * also speak JSON); the option is here for code that names it.
   */
  encoding?: "msgpack";
  /** Client name reported to the server (default `resocket-js`). */
  clientName?: string;
  /** Reconnect backoff: full jitter over `min(max, initial · factor^attempt)`. */
  backoff?: { initial?: number; max?: number; factor?: number };
  /** Give up after this many consecutive failed attempts; `null` (default) never gives up. */
  maxReconnectAttempts?: number | null;
  /** Opening the socket plus the handshake (default 10,000). */
  connectTimeout?: number;
  /** Bounds of the offline queue (default 1,000 items, 1 MiB). */
  queue?: { maxItems?: number; maxBytes?: number };
  /** Deadline for publishes made without one (default none). */
  publishTimeout?: number | null;
  /** Deadline for calls made without one (default 30,000). */
  callTimeout?: number | null;
  /**
   * What happens to unanswered calls when the connection drops: fail them with
   * `Disconnected` (default), or keep them queued and send again (idempotent methods only).
   */
  callsOnDisconnect?: "fail" | "keep_queued";
  /** Largest payload accepted by `publish` and `call`, encoded (default 512 KiB). */
  maxPayloadBytes?: number;
  /**
   * Seed of the reconnect jitter and of publish ids (an integer up to 2^53). Leave it out
   * (the default draws one from Web Crypto) unless a test needs the same delays each run:
   * clients with the same seed retry in step.
   */
  seed?: number;
}

/** Options of a single publish or call. */
export interface RequestOptions {
  /** Milliseconds to wait for the answer; overrides the client's default. */
  timeout?: number;
}

/** What the server answered to a publish. */
export interface PublishResult {
  /** Epoch the message was stored in. */
  epoch: string;
  /** Offset assigned to the message in its channel. */
  offset: number;
  /** True when the server had already published this message (a resend after a reconnect). */
  duplicate: boolean;
}

/** A snapshot of the connection for status displays (stable identity while unchanged). */
export interface ClientStatus {
  readonly state: ClientState;
  /** Consecutive failed attempts while reconnecting. */
  readonly attempt: number;
  /** Milliseconds until the next attempt, when one is scheduled. */
  readonly nextRetry: number | null;
  /** Publishes and calls waiting in the offline queue. */
  readonly queuedItems: number;
  /** Their payload bytes. */
  readonly queuedBytes: number;
  /** Session id of the current or last connection. */
  readonly session: string | null;
}

/** One member of a channel's presence set. */
export interface PresenceMember {
  session: string;
  user: string | null;
}

// ----- client events ------------------------------------------------------------------

export interface ConnectingContext {
  /** Consecutive failed attempts so far (0 for the first attempt after a loss). */
  attempt: number;
}

export interface ConnectedContext {
  /** Session id given by the server. */
  session: string;
}

export interface DisconnectedContext {
  code: DisconnectCode;
  /** WebSocket or `disconnect` close code, when there was one. */
  closeCode: number | null;
  reason: string;
  /** Whether a reconnect follows. */
  reconnect: boolean;
}

export interface ReconnectingContext {
  /** Consecutive failed attempts so far. */
  attempt: number;
  /** Milliseconds until the next attempt. */
  delay: number;
}

export interface ClosedContext {
  code: ClosedCode;
  /** The server's close code, when it refused the client. */
  closeCode: number | null;
  reason: string;
}

export interface ErrorContext {
  error: ResocketError;
}

/** Events of a {@link Client}, each with its context. */
export interface ClientEvents {
  connecting: ConnectingContext;
  connected: ConnectedContext;
  disconnected: DisconnectedContext;
  reconnecting: ReconnectingContext;
  closed: ClosedContext;
  /** A server error not tied to a request. */
  error: ErrorContext;
  /** The status snapshot changed. */
  status: ClientStatus;
}

// ----- subscription events ------------------------------------------------------------

export interface MessageContext<T = unknown> {
  channel: string;
  data: T;
  /** Position of the message: offsets grow by one within an epoch. */
  offset: number;
  epoch: string;
  /** Session or user that published it, if the server says. */
  publisher: string | null;
}

export interface SubscribedContext {
  channel: string;
  /** `recovered`: missed messages follow; `reset`: they are lost (a `reset` event came first). */
  outcome: "fresh" | "recovered" | "reset";
  /** Messages replayed after a recovery. */
  replayed: number;
}

/** Messages were lost and cannot be replayed: reload the channel's state. */
export type ResetContext = { channel: string } & (
  | { reason: "position_lost"; epoch: string; offset: number }
  | { reason: "gap"; expected: number; received: number }
  | { reason: "epoch_changed" }
);

export interface PresenceContext {
  channel: string;
  kind: "snapshot" | "join" | "leave";
  /** Who joined or left (absent for a snapshot). */
  member: PresenceMember | null;
  /** The whole set after this event. */
  members: PresenceMember[];
}

export interface SubscriptionErrorContext {
  channel: string;
  /** The subscription was refused or ended (`failed`, no more events), or one message could not be decoded. */
  error: ResocketError;
  /** True when the subscription has ended. */
  terminal: boolean;
}

/** Events of a {@link Subscription}, each with its context. */
export interface SubscriptionEvents<T = unknown> {
  message: MessageContext<T>;
  subscribed: SubscribedContext;
  reset: ResetContext;
  presence: PresenceContext;
  error: SubscriptionErrorContext;
}
