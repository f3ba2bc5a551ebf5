/**
 * Numeric codes, grouped by what they explain. The numbers are stable: compare
 * `error.code` against these, not messages.
 *
 * The module's Rust side names the same numbers (`pkg/wasm/src/codes.rs`); a test checks
 * that the two agree.
 */

/**
 * Why a request or subscription failed on the client's side. Codes of 100 and up are the
 * server's ({@link ServerErrorCode}, and application codes from 1000).
 */
export enum ErrorCode {
  /** No answer before the deadline. A call or publish still queued was never sent. */
  Timeout = 1,
  /** The client is closed, or `connect()` was not called yet. */
  Closed = 2,
  /** The connection was lost before the reply; a call may or may not have run. */
  Disconnected = 3,
  /** The offline queue is full; nothing was queued. */
  QueueFull = 4,
  /** The payload exceeds `maxPayloadBytes`; nothing was queued. */
  PayloadTooLarge = 5,
  /** A value could not be encoded (function, symbol, cycle…) or a payload decoded. */
  BadPayload = 6,
}

/** Error codes of the protocol, sent by the server (application codes start at 1000). */
export enum ServerErrorCode {
  BadRequest = 100,
  PermissionDenied = 103,
  TooManySubscriptions = 104,
  RateLimited = 105,
  MethodNotFound = 106,
  AlreadySubscribed = 107,
  NotSubscribed = 108,
  PayloadTooLarge = 109,
  Internal = 110,
  BadFrame = 111,
  HandlerTimeout = 112,
  /** First code available to application RPC handlers. */
  ApplicationBase = 1000,
}

/** Why a connection was lost (the `disconnected` event). A reconnect follows unless `reconnect` is false. */
export enum DisconnectCode {
  /** The socket closed or failed; `closeCode` holds the WebSocket close code if there was one. */
  TransportClosed = 1,
  /** Nothing arrived within the heartbeat timeout. */
  HeartbeatTimeout = 2,
  /** Opening the socket or the handshake took longer than `connectTimeout`. */
  ConnectTimeout = 3,
  /** The server sent a `disconnect`; `closeCode` says why. */
  ServerDisconnect = 4,
  /** The server sent bytes that are not valid frames. */
  BadServerFrame = 5,
}

/** Why the client entered the terminal `closed` state. */
export enum ClosedCode {
  /** `close()` was called. */
  ClosedByApplication = 0,
  /** The server refused the client (close codes 41xx); set a new token and `connect()` again. */
  ServerRefused = 1,
  /** `maxReconnectAttempts` consecutive attempts failed. */
  ReconnectAttemptsExhausted = 2,
}
