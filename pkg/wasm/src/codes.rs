//! The numeric codes that cross to JS. `pkg/src/codes.ts` names the same numbers for
//! TypeScript; `codes()` hands these to JS so the package's tests check the two agree.
//!
//! Error codes below 100 are the client's own; 100 and up are the server's (protocol
//! codes below 1000, application codes from 1000), passed through unchanged.

use wasm_bindgen::prelude::*;

use crate::events::object;

/// No answer before the deadline.
pub(crate) const TIMEOUT: u16 = 1;
/// The client is closed (or not connected yet).
pub(crate) const CLOSED: u16 = 2;
/// The connection was lost before the reply.
pub(crate) const DISCONNECTED: u16 = 3;
/// The offline queue is full.
pub(crate) const QUEUE_FULL: u16 = 4;
/// The payload is larger than allowed.
pub(crate) const PAYLOAD_TOO_LARGE: u16 = 5;
/// A value could not be encoded, or a payload decoded.
pub(crate) const BAD_PAYLOAD: u16 = 6;

/// Disconnected: the socket closed or failed.
pub(crate) const DISCONNECT_TRANSPORT_CLOSED: u16 = 1;
/// Disconnected: the server went silent.
pub(crate) const DISCONNECT_HEARTBEAT_TIMEOUT: u16 = 2;
/// Disconnected: opening the socket or the handshake took too long.
pub(crate) const DISCONNECT_CONNECT_TIMEOUT: u16 = 3;
/// Disconnected: the server sent a `disconnect` frame.
pub(crate) const DISCONNECT_SERVER: u16 = 4;
/// Disconnected: the server sent bytes that are not frames.
pub(crate) const DISCONNECT_BAD_FRAME: u16 = 5;

/// Closed: the application called `close()`.
pub(crate) const CLOSED_BY_APPLICATION: u16 = 0;
/// Closed: the server refused the client (do not reconnect).
pub(crate) const CLOSED_SERVER_REFUSED: u16 = 1;
/// Closed: out of reconnect attempts.
pub(crate) const CLOSED_ATTEMPTS_EXHAUSTED: u16 = 2;

/// Every code by group and name, for the package's consistency test.
#[wasm_bindgen(js_name = codes)]
pub fn all_codes() -> JsValue {
    let n = |c: u16| JsValue::from_f64(f64::from(c));
    object(&[
        (
            "error",
            object(&[
                ("Timeout", n(TIMEOUT)),
                ("Closed", n(CLOSED)),
                ("Disconnected", n(DISCONNECTED)),
                ("QueueFull", n(QUEUE_FULL)),
                ("PayloadTooLarge", n(PAYLOAD_TOO_LARGE)),
                ("BadPayload", n(BAD_PAYLOAD)),
            ]),
        ),
        (
            "disconnect",
            object(&[
                ("TransportClosed", n(DISCONNECT_TRANSPORT_CLOSED)),
                ("HeartbeatTimeout", n(DISCONNECT_HEARTBEAT_TIMEOUT)),
                ("ConnectTimeout", n(DISCONNECT_CONNECT_TIMEOUT)),
                ("ServerDisconnect", n(DISCONNECT_SERVER)),
                ("BadServerFrame", n(DISCONNECT_BAD_FRAME)),
            ]),
        ),
        (
            "closed",
            object(&[
                ("ClosedByApplication", n(CLOSED_BY_APPLICATION)),
                ("ServerRefused", n(CLOSED_SERVER_REFUSED)),
                ("ReconnectAttemptsExhausted", n(CLOSED_ATTEMPTS_EXHAUSTED)),
            ]),
        ),
    ])
}
