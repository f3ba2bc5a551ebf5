//! The numeric codes that cross to JS. `pkg/src/codes.ts` names the same numbers for
//! TypeScript; `codes()` hands these to JS so the package's tests check the two agree.
//!
//! Error codes below 100 are the client's own; 100 and up are the server's (protocol
//! codes below 1000, application codes from 1000), passed through unchanged.

use wasm_bindgen::prelude::*;

use crate::json::{push_string, push_u64};

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

/// Every code by group and name, as JSON, for the package's consistency test.
#[wasm_bindgen(js_name = codes)]
pub fn all_codes() -> String {
    let groups: [(&str, &[(&str, u16)]); 3] = [
        (
            "error",
            &[
                ("Timeout", TIMEOUT),
                ("Closed", CLOSED),
                ("Disconnected", DISCONNECTED),
                ("QueueFull", QUEUE_FULL),
                ("PayloadTooLarge", PAYLOAD_TOO_LARGE),
                ("BadPayload", BAD_PAYLOAD),
            ],
        ),
        (
            "disconnect",
            &[
                ("TransportClosed", DISCONNECT_TRANSPORT_CLOSED),
                ("HeartbeatTimeout", DISCONNECT_HEARTBEAT_TIMEOUT),
                ("ConnectTimeout", DISCONNECT_CONNECT_TIMEOUT),
                ("ServerDisconnect", DISCONNECT_SERVER),
                ("BadServerFrame", DISCONNECT_BAD_FRAME),
            ],
        ),
        (
            "closed",
            &[
                ("ClosedByApplication", CLOSED_BY_APPLICATION),
                ("ServerRefused", CLOSED_SERVER_REFUSED),
                ("ReconnectAttemptsExhausted", CLOSED_ATTEMPTS_EXHAUSTED),
            ],
        ),
    ];
    let mut out = String::from("{");
    for (g, (group, codes)) in groups.iter().enumerate() {
        if g > 0 {
            out.push(',');
        }
        push_string(group, &mut out);
        out.push_str(":{");
        for (i, (name, code)) in codes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(name, &mut out);
            out.push(':');
            push_u64(u64::from(*code), &mut out);
        }
        out.push('}');
    }
    out.push('}');
    out
}
