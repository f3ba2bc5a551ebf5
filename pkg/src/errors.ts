import { ErrorCode } from "./codes.js";
import type { RawError } from "./wasm/resocket_wasm.js";

/**
 * Every error the client reports. `code` is stable: an {@link ErrorCode} below 100,
 * a server code (see `ServerErrorCode`) from 100, an application code from 1000.
 */
export class ResocketError extends Error {
  override name = "ResocketError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** No answer before the deadline. A request still queued then was never sent. */
export class TimeoutError extends ResocketError {
  override name = "TimeoutError";
}

/** The client is closed (or `connect()` was not called): the request was not sent. */
export class ClientClosedError extends ResocketError {
  override name = "ClientClosedError";
}

/** The connection was lost before the reply; the call may or may not have run. */
export class DisconnectedError extends ResocketError {
  override name = "DisconnectedError";
}

/** The offline queue is full, or the payload too large: nothing was queued. */
export class LimitError extends ResocketError {
  override name = "LimitError";
}

/** A value could not be encoded as a payload, or a payload decoded. */
export class PayloadError extends ResocketError {
  override name = "PayloadError";
}

/** The server (or an RPC handler) answered with an error; `code` is the server's. */
export class ServerError extends ResocketError {
  override name = "ServerError";
}

/**
 * @internal The `Error` subclass for an error object that crossed from the module.
 * `request` names what failed (`"publish"`, `"call"`) in the text of a timeout.
 */
export function fromRaw(raw: RawError, request = "request"): ResocketError {
  const { code } = raw;
  const message = raw.message ?? describe(raw, request);
  if (code >= 100) return new ServerError(code, message);
  switch (code) {
    case ErrorCode.Timeout:
      return new TimeoutError(code, message);
    case ErrorCode.Closed:
      return new ClientClosedError(code, message);
    case ErrorCode.Disconnected:
      return new DisconnectedError(code, message);
    case ErrorCode.QueueFull:
    case ErrorCode.PayloadTooLarge:
      return new LimitError(code, message);
    case ErrorCode.BadPayload:
      return new PayloadError(code, message);
    default:
      return new ResocketError(code, message);
  }
}

/** The text of a client-side error, from its code and numbers. */
function describe(raw: RawError, request: string): string {
  switch (raw.code) {
    case ErrorCode.Timeout:
      return `${request} timed out`;
    case ErrorCode.Disconnected:
      return "connection lost before the reply";
    case ErrorCode.QueueFull:
      return `offline queue is full (${raw.items} items, ${raw.bytes} bytes)`;
    case ErrorCode.PayloadTooLarge:
      return `payload of ${raw.len} bytes exceeds the limit of ${raw.max}`;
    case ErrorCode.BadPayload:
      return "payload is not valid MessagePack";
    default:
      return "client is closed";
  }
}
