//! Rust events, statuses and errors as the plain JS objects described by the
//! TypeScript declarations in `lib.rs` (`RawConnectionEvent`, `RawChannelEvent`,
//! `RawError`).

use js_sys::{Array, Object, Reflect};
use resocket::{
    CallError, CloseReason, DisconnectReason, Event, PresenceEvent, PresenceMember, PublishError,
    ResetReason, ServerError, SubscribeError, SubscribedOutcome,
};
use wasm_bindgen::JsValue;

use crate::codes;

/// A plain object with these properties.
pub(crate) fn object(props: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in props {
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

fn str(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn num(n: impl Into<f64>) -> JsValue {
    JsValue::from_f64(n.into())
}

fn opt_num(n: Option<impl Into<f64>>) -> JsValue {
    n.map_or(JsValue::NULL, num)
}

/// `{ code, message }`.
pub(crate) fn error(code: u16, message: &str) -> JsValue {
    object(&[("code", num(code)), ("message", str(message))])
}

fn server_error(e: &ServerError) -> JsValue {
    error(e.code, &e.message)
}

pub(crate) fn publish_error(e: &PublishError) -> JsValue {
    let code = match e {
        PublishError::Server(e) => return server_error(e),
        PublishError::QueueFull { .. } => codes::QUEUE_FULL,
        PublishError::PayloadTooLarge { .. } => codes::PAYLOAD_TOO_LARGE,
        PublishError::Timeout => codes::TIMEOUT,
        PublishError::Payload(_) => codes::BAD_PAYLOAD,
        _ => codes::CLOSED,
    };
    error(code, &e.to_string())
}

pub(crate) fn call_error(e: &CallError) -> JsValue {
    let code = match e {
        CallError::Server(e) => return server_error(e),
        CallError::QueueFull { .. } => codes::QUEUE_FULL,
        CallError::PayloadTooLarge { .. } => codes::PAYLOAD_TOO_LARGE,
        CallError::Timeout => codes::TIMEOUT,
        CallError::Disconnected => codes::DISCONNECTED,
        CallError::Payload(_) => codes::BAD_PAYLOAD,
        _ => codes::CLOSED,
    };
    error(code, &e.to_string())
}

pub(crate) fn subscribe_error(e: &SubscribeError) -> JsValue {
    match e {
        SubscribeError::Server(e) => server_error(e),
        other => error(codes::CLOSED, &other.to_string()),
    }
}

/// A connection or channel event as its `RawAction` (channel events carry their
/// channel); `None` for the events the caller converts itself.
pub(crate) fn event(event: &Event) -> Option<JsValue> {
    let (channel, action) = match event {
        Event::Subscribed { channel, outcome } => (channel, subscribed(outcome)),
        Event::SubscribeFailed { channel, error } => (
            channel,
            object(&[("type", str("failed")), ("error", subscribe_error(error))]),
        ),
        Event::Reset { channel, reason } => (channel, reset(reason)),
        Event::Presence { channel, event } => (channel, presence(event)),
        other => return connection_event(other),
    };
    let _ = Reflect::set(&action, &str("channel"), &str(channel));
    Some(action)
}

fn connection_event(event: &Event) -> Option<JsValue> {
    Some(match event {
        Event::Connecting { attempt } => {
            object(&[("type", str("connecting")), ("attempt", num(*attempt))])
        }
        Event::Connected { session } => {
            object(&[("type", str("connected")), ("session", str(session))])
        }
        Event::Disconnected { reason, reconnect } => {
            let (code, close_code, text) = disconnect_reason(reason);
            object(&[
                ("type", str("disconnected")),
                ("code", num(code)),
                ("closeCode", opt_num(close_code)),
                ("reason", str(&text)),
                ("reconnect", JsValue::from_bool(*reconnect)),
            ])
        }
        Event::ReconnectScheduled { attempt, delay } => object(&[
            ("type", str("reconnecting")),
            ("attempt", num(*attempt)),
            ("delay", num(delay.as_secs_f64() * 1000.0)),
        ]),
        Event::Closed { reason } => {
            let (code, close_code, text) = match reason {
                CloseReason::ClosedByApplication => (
                    codes::CLOSED_BY_APPLICATION,
                    None,
                    "closed by the application".into(),
                ),
                CloseReason::ServerRefused { code, reason } => {
                    (codes::CLOSED_SERVER_REFUSED, Some(*code), reason.clone())
                }
                CloseReason::ReconnectAttemptsExhausted { attempts } => {
                    (codes::CLOSED_ATTEMPTS_EXHAUSTED, None, {
                        let mut text = String::from("gave up after ");
                        crate::convert::push_u64(u64::from(*attempts), &mut text);
                        text.push_str(" attempts");
                        text
                    })
                }
                _ => (codes::CLOSED_BY_APPLICATION, None, String::new()),
            };
            object(&[
                ("type", str("closed")),
                ("code", num(code)),
                ("closeCode", opt_num(close_code)),
                ("reason", str(&text)),
            ])
        }
        Event::ServerError(e) => object(&[("type", str("error")), ("error", server_error(e))]),
        _ => return None,
    })
}

/// `(code, WebSocket close code, reason)` of a lost connection.
fn disconnect_reason(reason: &DisconnectReason) -> (u16, Option<u16>, String) {
    match reason {
        DisconnectReason::SocketClosed { code, reason } => {
            (codes::DISCONNECT_TRANSPORT_CLOSED, *code, reason.clone())
        }
        DisconnectReason::HeartbeatTimeout => (
            codes::DISCONNECT_HEARTBEAT_TIMEOUT,
            None,
            "no heartbeat from the server".into(),
        ),
        DisconnectReason::ConnectTimeout => (
            codes::DISCONNECT_CONNECT_TIMEOUT,
            None,
            "connect timed out".into(),
        ),
        DisconnectReason::ServerAdvice { code, reason } => {
            (codes::DISCONNECT_SERVER, Some(*code), reason.clone())
        }
        DisconnectReason::BadServerFrame(e) => (codes::DISCONNECT_BAD_FRAME, None, e.clone()),
        _ => (codes::DISCONNECT_TRANSPORT_CLOSED, None, String::new()),
    }
}

fn member(m: &PresenceMember) -> JsValue {
    object(&[
        ("session", str(&m.session)),
        (
            "user",
            m.user.as_deref().map_or(JsValue::NULL, JsValue::from_str),
        ),
    ])
}

fn subscribed(outcome: &SubscribedOutcome) -> JsValue {
    let (name, replayed) = match outcome {
        SubscribedOutcome::Fresh => ("fresh", 0),
        SubscribedOutcome::Recovered { replayed } => ("recovered", *replayed),
        SubscribedOutcome::Reset => ("reset", 0),
    };
    object(&[
        ("type", str("subscribed")),
        ("outcome", str(name)),
        ("replayed", num(replayed as f64)),
    ])
}

fn reset(reason: &ResetReason) -> JsValue {
    match reason {
        ResetReason::PositionLost { lost } => object(&[
            ("type", str("reset")),
            ("reason", str("position_lost")),
            ("epoch", str(&lost.epoch)),
            ("offset", num(lost.offset as f64)),
        ]),
        ResetReason::Gap { expected, received } => object(&[
            ("type", str("reset")),
            ("reason", str("gap")),
            ("expected", num(*expected as f64)),
            ("received", num(*received as f64)),
        ]),
        _ => object(&[("type", str("reset")), ("reason", str("epoch_changed"))]),
    }
}

fn presence(event: &PresenceEvent) -> JsValue {
    match event {
        PresenceEvent::Snapshot { members } => object(&[
            ("type", str("presence")),
            ("kind", str("snapshot")),
            (
                "members",
                members.iter().map(member).collect::<Array>().into(),
            ),
        ]),
        PresenceEvent::Join { member: m } => object(&[
            ("type", str("presence")),
            ("kind", str("join")),
            ("member", member(m)),
        ]),
        PresenceEvent::Leave { member: m } => object(&[
            ("type", str("presence")),
            ("kind", str("leave")),
            ("member", member(m)),
        ]),
    }
}
