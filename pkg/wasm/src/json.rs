//! JSON text for the package: MessagePack payloads transcoded to JSON, and the core's
//! events and errors as the `RawAction` and `RawError` objects declared in `lib.rs`.
//!
//! A payload that JSON can represent exactly (the common case: objects, arrays, strings,
//! safe integers, finite floats) is transcoded straight into the text the package
//! parses; anything else (bin, big integers, non-finite floats, non-string keys,
//! extensions) is left to the package's MessagePack decoder ([`JsonError::NotRepresentable`]).

use js_sys::Number;
use resocket::{
    CallError, CloseReason, DisconnectReason, Event, PresenceEvent, PresenceMember, PublishError,
    ResetReason, ServerError, SubscribeError, SubscribedOutcome,
};

use crate::codes;

/// Deepest nesting transcoded.
const MAX_DEPTH: usize = 64;
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

// ----- writing ------------------------------------------------------------------------

/// Appends `,"key":`.
pub(crate) fn key(out: &mut String, key: &str) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
}

/// Appends `,"key":"value"`.
pub(crate) fn str_field(out: &mut String, k: &str, value: &str) {
    key(out, k);
    push_string(value, out);
}

/// Appends `,"key":value` for a whole number.
pub(crate) fn num_field(out: &mut String, k: &str, value: u64) {
    key(out, k);
    push_u64(value, out);
}

/// Appends `,"key":"value"` or `,"key":null`.
pub(crate) fn opt_str_field(out: &mut String, k: &str, value: Option<&str>) {
    key(out, k);
    match value {
        Some(v) => push_string(v, out),
        None => out.push_str("null"),
    }
}

/// Appends `{"type":"name"` (the caller adds fields and the closing brace).
pub(crate) fn open(out: &mut String, ty: &str) {
    out.push_str("{\"type\":\"");
    out.push_str(ty);
    out.push('"');
}

/// Appends the decimal digits of `u`.
pub(crate) fn push_u64(mut u: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or("0"));
}

/// Appends a finite float as JavaScript writes it (`Number.prototype.toString`), which
/// `JSON.parse` reads back to the same number. Rust's float formatting would add a good
/// share of the module's size for the same text.
fn push_f64(f: f64, out: &mut String) {
    if f == 0.0 && f.is_sign_negative() {
        // JavaScript writes -0 as "0"; JSON keeps the sign.
        out.push_str("-0");
    } else if let Ok(text) = Number::from(f).to_string_with_radix(10) {
        out.push_str(&String::from(text));
    } else {
        out.push_str("null");
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

// ----- errors -------------------------------------------------------------------------

/// `{"code":…,"message":…}`.
pub(crate) fn error(code: u16, message: &str) -> String {
    let mut out = String::from("{\"code\":");
    push_u64(u64::from(code), &mut out);
    str_field(&mut out, "message", message);
    out.push('}');
    out
}

fn server_error(e: &ServerError) -> String {
    error(e.code, &e.message)
}

/// A client-side error: its code and the numbers its text needs (the package words it:
/// `pkg/src/errors.ts`), which keeps the messages and their formatting out of the module.
fn client_error(code: u16, numbers: &[(&str, usize)]) -> String {
    let mut out = String::from("{\"code\":");
    push_u64(u64::from(code), &mut out);
    for (name, n) in numbers {
        num_field(&mut out, name, *n as u64);
    }
    out.push('}');
    out
}

pub(crate) fn publish_error(e: &PublishError) -> String {
    match e {
        PublishError::Server(e) => server_error(e),
        PublishError::QueueFull { items, bytes } => {
            client_error(codes::QUEUE_FULL, &[("items", *items), ("bytes", *bytes)])
        }
        PublishError::PayloadTooLarge { len, max } => {
            client_error(codes::PAYLOAD_TOO_LARGE, &[("len", *len), ("max", *max)])
        }
        PublishError::Timeout => client_error(codes::TIMEOUT, &[]),
        PublishError::Payload(_) => client_error(codes::BAD_PAYLOAD, &[]),
        _ => client_error(codes::CLOSED, &[]),
    }
}

pub(crate) fn call_error(e: &CallError) -> String {
    match e {
        CallError::Server(e) => server_error(e),
        CallError::QueueFull { items, bytes } => {
            client_error(codes::QUEUE_FULL, &[("items", *items), ("bytes", *bytes)])
        }
        CallError::PayloadTooLarge { len, max } => {
            client_error(codes::PAYLOAD_TOO_LARGE, &[("len", *len), ("max", *max)])
        }
        CallError::Timeout => client_error(codes::TIMEOUT, &[]),
        CallError::Disconnected => client_error(codes::DISCONNECTED, &[]),
        CallError::Payload(_) => client_error(codes::BAD_PAYLOAD, &[]),
        _ => client_error(codes::CLOSED, &[]),
    }
}

/// Through the package a subscribe can only be refused because the client is closed or
/// by the server (it never subscribes a channel twice).
pub(crate) fn subscribe_error(e: &SubscribeError) -> String {
    match e {
        SubscribeError::Server(e) => server_error(e),
        _ => client_error(codes::CLOSED, &[]),
    }
}

// ----- events -------------------------------------------------------------------------

/// Appends the `RawAction` of a connection or channel event (not messages, publishes or
/// replies, which the caller writes); false when the event has none.
pub(crate) fn event(event: &Event, out: &mut String) -> bool {
    match event {
        Event::Connecting { attempt } => {
            open(out, "connecting");
            num_field(out, "attempt", u64::from(*attempt));
        }
        Event::Connected { session } => {
            open(out, "connected");
            str_field(out, "session", session);
        }
        Event::Disconnected { reason, reconnect } => {
            let (code, close_code, text) = disconnect_reason(reason);
            open(out, "disconnected");
            num_field(out, "code", u64::from(code));
            close_code_field(out, close_code);
            str_field(out, "reason", text);
            key(out, "reconnect");
            out.push_str(if *reconnect { "true" } else { "false" });
        }
        Event::ReconnectScheduled { attempt, delay } => {
            open(out, "reconnecting");
            num_field(out, "attempt", u64::from(*attempt));
            let ms = delay.as_secs().saturating_mul(1000) + u64::from(delay.subsec_millis());
            num_field(out, "delay", ms);
        }
        Event::Closed { reason } => {
            let mut gave_up = String::new();
            let (code, close_code, text) = match reason {
                CloseReason::ClosedByApplication => (
                    codes::CLOSED_BY_APPLICATION,
                    None,
                    "closed by the application",
                ),
                CloseReason::ServerRefused { code, reason } => {
                    (codes::CLOSED_SERVER_REFUSED, Some(*code), reason.as_str())
                }
                CloseReason::ReconnectAttemptsExhausted { attempts } => {
                    gave_up.push_str("gave up after ");
                    push_u64(u64::from(*attempts), &mut gave_up);
                    gave_up.push_str(" attempts");
                    (codes::CLOSED_ATTEMPTS_EXHAUSTED, None, gave_up.as_str())
                }
                _ => (codes::CLOSED_BY_APPLICATION, None, ""),
            };
            open(out, "closed");
            num_field(out, "code", u64::from(code));
            close_code_field(out, close_code);
            str_field(out, "reason", text);
        }
        Event::ServerError(e) => {
            open(out, "error");
            key(out, "error");
            out.push_str(&server_error(e));
        }
        Event::Subscribed { channel, outcome } => {
            let (name, replayed) = match outcome {
                SubscribedOutcome::Fresh => ("fresh", 0),
                SubscribedOutcome::Recovered { replayed } => ("recovered", *replayed),
                SubscribedOutcome::Reset => ("reset", 0),
            };
            open(out, "subscribed");
            str_field(out, "channel", channel);
            str_field(out, "outcome", name);
            num_field(out, "replayed", replayed);
        }
        Event::SubscribeFailed { channel, error } => {
            open(out, "failed");
            str_field(out, "channel", channel);
            key(out, "error");
            out.push_str(&subscribe_error(error));
        }
        Event::Reset { channel, reason } => {
            open(out, "reset");
            str_field(out, "channel", channel);
            match reason {
                ResetReason::PositionLost { lost } => {
                    str_field(out, "reason", "position_lost");
                    str_field(out, "epoch", &lost.epoch);
                    num_field(out, "offset", lost.offset);
                }
                ResetReason::Gap { expected, received } => {
                    str_field(out, "reason", "gap");
                    num_field(out, "expected", *expected);
                    num_field(out, "received", *received);
                }
                _ => str_field(out, "reason", "epoch_changed"),
            }
        }
        Event::Presence { channel, event } => {
            open(out, "presence");
            str_field(out, "channel", channel);
            match event {
                PresenceEvent::Snapshot { members } => {
                    str_field(out, "kind", "snapshot");
                    key(out, "members");
                    out.push('[');
                    for (i, m) in members.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        member(m, out);
                    }
                    out.push(']');
                }
                PresenceEvent::Join { member: m } | PresenceEvent::Leave { member: m } => {
                    let kind = if matches!(event, PresenceEvent::Join { .. }) {
                        "join"
                    } else {
                        "leave"
                    };
                    str_field(out, "kind", kind);
                    key(out, "member");
                    member(m, out);
                }
            }
        }
        _ => return false,
    }
    out.push('}');
    true
}

fn close_code_field(out: &mut String, code: Option<u16>) {
    key(out, "closeCode");
    match code {
        Some(c) => push_u64(u64::from(c), out),
        None => out.push_str("null"),
    }
}

fn member(m: &PresenceMember, out: &mut String) {
    out.push_str("{\"session\":");
    push_string(&m.session, out);
    opt_str_field(out, "user", m.user.as_deref());
    out.push('}');
}

/// `(code, WebSocket close code, reason)` of a lost connection.
fn disconnect_reason(reason: &DisconnectReason) -> (u16, Option<u16>, &str) {
    match reason {
        DisconnectReason::SocketClosed { code, reason } => {
            (codes::DISCONNECT_TRANSPORT_CLOSED, *code, reason)
        }
        DisconnectReason::HeartbeatTimeout => (
            codes::DISCONNECT_HEARTBEAT_TIMEOUT,
            None,
            "no heartbeat from the server",
        ),
        DisconnectReason::ConnectTimeout => {
            (codes::DISCONNECT_CONNECT_TIMEOUT, None, "connect timed out")
        }
        DisconnectReason::ServerAdvice { code, reason } => {
            (codes::DISCONNECT_SERVER, Some(*code), reason)
        }
        DisconnectReason::BadServerFrame(e) => (codes::DISCONNECT_BAD_FRAME, None, e),
        _ => (codes::DISCONNECT_TRANSPORT_CLOSED, None, ""),
    }
}

// ----- MessagePack payloads → JSON ----------------------------------------------------

/// Why a payload did not go to JSON.
pub(crate) enum JsonError {
    /// Valid, but JSON cannot carry it exactly: the package decodes the MessagePack.
    NotRepresentable,
    /// Not valid MessagePack.
    Malformed,
}

/// Appends the JSON text of the MessagePack value in `bytes` to `out`. On error `out`
/// may hold a partial value: the caller truncates it.
pub(crate) fn payload(bytes: &[u8], out: &mut String) -> Result<(), JsonError> {
    let mut reader = Reader { buf: bytes };
    value(&mut reader, out, 0)?;
    if !reader.buf.is_empty() {
        return Err(JsonError::Malformed);
    }
    Ok(())
}

fn value(r: &mut Reader<'_>, out: &mut String, depth: usize) -> Result<(), JsonError> {
    if depth > MAX_DEPTH {
        return Err(JsonError::NotRepresentable);
    }
    match r.next()? {
        Item::Nil => out.push_str("null"),
        Item::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Item::Uint(u) if u <= MAX_SAFE_INTEGER => push_u64(u, out),
        Item::Int(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => {
            if i < 0 {
                out.push('-');
            }
            push_u64(i.unsigned_abs(), out);
        }
        Item::Float(f) if f.is_finite() => push_f64(f, out),
        Item::Str(s) => push_str_bytes(s, out)?,
        Item::Array(n) => {
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                value(r, out, depth + 1)?;
            }
            out.push(']');
        }
        Item::Map(n) => {
            out.push('{');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                match r.next()? {
                    Item::Str(key) => push_str_bytes(key, out)?,
                    _ => return Err(JsonError::NotRepresentable),
                }
                out.push(':');
                value(r, out, depth + 1)?;
            }
            out.push('}');
        }
        _ => return Err(JsonError::NotRepresentable),
    }
    Ok(())
}

fn push_str_bytes(bytes: &[u8], out: &mut String) -> Result<(), JsonError> {
    let s = std::str::from_utf8(bytes).map_err(|_| JsonError::NotRepresentable)?;
    push_string(s, out);
    Ok(())
}

/// One MessagePack item; arrays and maps give their length, their items follow.
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a [u8]),
    Array(u32),
    Map(u32),
    /// Bin, extensions: well-formed, not JSON.
    Other,
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], JsonError> {
        if self.buf.len() < n {
            return Err(JsonError::Malformed);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// A big-endian unsigned integer of `width` bytes (one loop for every width keeps
    /// the reader small).
    fn uint(&mut self, width: usize) -> Result<u64, JsonError> {
        Ok(self
            .take(width)?
            .iter()
            .fold(0, |n, &b| n << 8 | u64::from(b)))
    }

    /// A big-endian two's-complement integer of `width` bytes.
    fn int(&mut self, width: usize) -> Result<i64, JsonError> {
        let shift = 64 - 8 * width as u32;
        Ok(((self.uint(width)? << shift) as i64) >> shift)
    }

    fn len(&mut self, width: usize) -> Result<usize, JsonError> {
        self.uint(width).map(|n| n as usize)
    }

    fn next(&mut self) -> Result<Item<'a>, JsonError> {
        let marker = self.take(1)?[0];
        Ok(match marker {
            0x00..=0x7f => Item::Uint(u64::from(marker)),
            0x80..=0x8f => Item::Map(u32::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(u32::from(marker & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (marker - 0xc4))?;
                self.take(n)?;
                Item::Other
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (marker - 0xc7))?;
                self.take(n + 1)?;
                Item::Other
            }
            0xca => Item::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => Item::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Item::Uint(self.uint(1 << (marker - 0xcc))?),
            0xd0..=0xd3 => Item::Int(self.int(1 << (marker - 0xd0))?),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (marker - 0xd4)))?;
                Item::Other
            }
            0xd9..=0xdb => {
                let n = self.len(1 << (marker - 0xd9))?;
                Item::Str(self.take(n)?)
            }
            0xdc | 0xdd => Item::Array(self.len(2 << (marker - 0xdc))? as u32),
            0xde | 0xdf => Item::Map(self.len(2 << (marker - 0xde))? as u32),
            0xe0..=0xff => Item::Int(i64::from(marker as i8)),
            0xc1 => return Err(JsonError::Malformed),
        })
    }
}

#[cfg(test)]
mod tests {
    use resocket::{CloseReason, Event, PresenceEvent, PresenceMember};

    use super::*;

    fn transcode(bytes: &[u8]) -> Result<String, &'static str> {
        let mut out = String::new();
        match payload(bytes, &mut out) {
            Ok(()) => Ok(out),
            Err(JsonError::NotRepresentable) => Err("not JSON"),
            Err(JsonError::Malformed) => Err("malformed"),
        }
    }

    #[test]
    fn transcodes_what_json_carries_exactly() {
        // {"a": [1, -2, "x\"\n\u{1}"], "b": nil, "c": true}
        let mut bytes = vec![
            0x83, 0xa1, b'a', 0x93, 0x01, 0xfe, 0xa4, b'x', b'"', b'\n', 0x01,
        ];
        bytes.extend_from_slice(&[0xa1, b'b', 0xc0, 0xa1, b'c', 0xc3]);
        assert_eq!(
            transcode(&bytes),
            Ok(r#"{"a":[1,-2,"x\"\n\u0001"],"b":null,"c":true}"#.to_owned())
        );
        // 2^53 - 1 is the largest integer JSON.parse reads exactly.
        let mut max_safe = vec![0xcf];
        max_safe.extend_from_slice(&((1u64 << 53) - 1).to_be_bytes());
        assert_eq!(transcode(&max_safe), Ok("9007199254740991".to_owned()));
        // int 8/16/32/64 and uint 16 read with their signs and widths.
        let ints = [
            0x95, 0xd0, 0x80, 0xd1, 0xff, 0x00, 0xd2, 0x80, 0x00, 0x00, 0x00, 0xd3, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xcd, 0x12, 0x34,
        ];
        assert_eq!(
            transcode(&ints),
            Ok("[-128,-256,-2147483648,-2,4660]".to_owned())
        );
    }

    #[test]
    fn leaves_the_rest_to_the_package_and_reports_broken_payloads() {
        let mut big = vec![0xcf];
        big.extend_from_slice(&(1u64 << 53).to_be_bytes());
        assert_eq!(transcode(&big), Err("not JSON"), "an unsafe integer");
        assert_eq!(transcode(&[0xc4, 0x01, 0xff]), Err("not JSON"), "bin");
        assert_eq!(
            transcode(&[0x81, 0x01, 0x02]),
            Err("not JSON"),
            "a non-string key"
        );
        assert_eq!(
            transcode(&[0xd6, 0xff, 0, 0, 0, 0]),
            Err("not JSON"),
            "a timestamp"
        );
        assert_eq!(
            transcode(&[0xa3, b'a']),
            Err("malformed"),
            "a truncated string"
        );
        assert_eq!(transcode(&[0xc1]), Err("malformed"), "the reserved marker");
        assert_eq!(transcode(&[0x01, 0x02]), Err("malformed"), "trailing bytes");
        assert_eq!(
            transcode(&[0x91; 100]),
            Err("not JSON"),
            "deeper than the limit"
        );
    }

    #[test]
    fn writes_events_as_the_declared_actions() {
        let mut out = String::new();
        let closed = Event::Closed {
            reason: CloseReason::ReconnectAttemptsExhausted { attempts: 7 },
        };
        assert!(event(&closed, &mut out));
        assert_eq!(
            out,
            r#"{"type":"closed","code":2,"closeCode":null,"reason":"gave up after 7 attempts"}"#
        );
        out.clear();
        let join = Event::Presence {
            channel: "room".into(),
            event: PresenceEvent::Join {
                member: PresenceMember {
                    session: "s1".into(),
                    user: None,
                },
            },
        };
        assert!(event(&join, &mut out));
        assert_eq!(
            out,
            r#"{"type":"presence","channel":"room","kind":"join","member":{"session":"s1","user":null}}"#
        );
        assert_eq!(
            error(1000, "bad \"input\""),
            r#"{"code":1000,"message":"bad \"input\""}"#
        );
        assert_eq!(
            publish_error(&PublishError::QueueFull {
                items: 3,
                bytes: 40
            }),
            r#"{"code":4,"items":3,"bytes":40}"#
        );
    }
}
