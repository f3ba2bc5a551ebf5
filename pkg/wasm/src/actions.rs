//! The core's outputs as the package reads them: the JSON text of a `RawAction[]`, then
//! the binary items (frames to send, payloads JSON cannot carry) its `bin` fields point
//! at.
//!
//! Consecutive messages of one channel and epoch are folded into one `messages` action
//! whose rows are the payloads' JSON. A browser receives thousands of messages per
//! WebSocket frame from a server that coalesces; one `JSON.parse` per drain instead of
//! several boundary crossings per message is what keeps the rate up.

use js_sys::{Array, Uint8Array};
use resocket::{ClientCore, Event, Message, SocketCommand, State};
use wasm_bindgen::JsValue;

use crate::codes;
use crate::json::{self, key, num_field, open, opt_str_field, push_u64, str_field, JsonError};

/// Drains the core: socket commands, frames to send, events, then the status.
pub(crate) fn drain(core: &mut ClientCore) -> Array {
    let mut out = Actions {
        json: String::from("["),
        // Index 0 is the JSON text, set last.
        binaries: Array::of1(&JsValue::NULL),
        run: None,
        scratch: String::new(),
    };
    while let Some(command) = core.poll_socket() {
        let json = out.next();
        match command {
            SocketCommand::Open { subprotocol } => {
                open(json, "open");
                str_field(json, "subprotocol", subprotocol);
            }
            SocketCommand::Close { code, reason } => {
                open(json, "close");
                num_field(json, "code", u64::from(code));
                str_field(json, "reason", &reason);
            }
        }
        json.push('}');
    }
    while let Some(bytes) = core.poll_transmit() {
        let bin = out.binary(&bytes);
        let json = out.next();
        open(json, "send");
        num_field(json, "bin", bin);
        json.push('}');
    }
    while let Some(event) = core.poll_event() {
        out.push(event);
    }
    // Ends an open run of messages too.
    let json = out.next();
    open(json, "status");
    str_field(
        json,
        "state",
        match core.state() {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Closed => "closed",
        },
    );
    let (items, bytes) = core.queued();
    num_field(json, "queuedItems", items as u64);
    num_field(json, "queuedBytes", bytes as u64);
    opt_str_field(json, "session", core.session());
    json.push_str("}]");
    out.binaries.set(0, JsValue::from_str(&out.json));
    out.binaries
}

struct Actions {
    json: String,
    binaries: Array,
    /// Channel and epoch of the open `messages` action, whose `rows` array is unclosed.
    run: Option<(String, String)>,
    /// A payload's JSON, written here first in case it has none.
    scratch: String,
}

impl Actions {
    /// Ends an open run of messages and starts the next action; returns the text to
    /// write it to.
    fn next(&mut self) -> &mut String {
        if self.run.take().is_some() {
            self.json.push_str("]}");
        }
        if self.json.len() > 1 {
            self.json.push(',');
        }
        &mut self.json
    }

    /// Adds a binary item; returns its index in `drain()`'s array.
    fn binary(&mut self, bytes: &[u8]) -> u64 {
        u64::from(self.binaries.push(&Uint8Array::from(bytes))) - 1
    }

    /// Transcodes a payload into `scratch`.
    fn payload(&mut self, bytes: &[u8]) -> Result<(), JsonError> {
        self.scratch.clear();
        json::payload(bytes, &mut self.scratch)
    }

    fn push(&mut self, event: Event) {
        match event {
            Event::Message(message) => return self.push_message(&message),
            Event::Published { id, result } => {
                let json = self.next();
                open(json, "published");
                num_field(json, "id", id);
                match result {
                    Ok(ack) => {
                        key(json, "ack");
                        json.push_str("{\"epoch\":");
                        json::push_string(&ack.position.epoch, json);
                        num_field(json, "offset", ack.position.offset);
                        key(json, "duplicate");
                        json.push_str(if ack.duplicate { "true}" } else { "false}" });
                    }
                    Err(e) => {
                        key(json, "error");
                        json.push_str(&json::publish_error(&e));
                    }
                }
            }
            Event::CallDone { id, result } => {
                let data = match &result {
                    Ok(reply) if !reply.is_empty() => Some(self.payload(reply.as_bytes())),
                    _ => None,
                };
                let bin = match (&result, &data) {
                    (Ok(reply), Some(Err(_))) => Some(self.binary(reply.as_bytes())),
                    _ => None,
                };
                let scratch = std::mem::take(&mut self.scratch);
                let json = self.next();
                open(json, "reply");
                num_field(json, "id", id);
                match (result, data, bin) {
                    (Err(e), _, _) => {
                        key(json, "error");
                        json.push_str(&json::call_error(&e));
                    }
                    (Ok(_), Some(Ok(())), _) => {
                        key(json, "data");
                        json.push_str(&scratch);
                    }
                    (Ok(_), _, Some(bin)) => num_field(json, "bin", bin),
                    // An empty reply: `data` is left out (the package reads null).
                    _ => {}
                }
                self.scratch = scratch;
            }
            other => {
                let mark = self.json.len();
                let json = self.next();
                if !json::event(&other, json) {
                    // No action for this event: take back the separator too.
                    self.json.truncate(mark);
                }
                return;
            }
        }
        self.json.push('}');
    }

    fn push_message(&mut self, m: &Message) {
        match self.payload(m.payload.as_bytes()) {
            Ok(()) => {
                let same_run = matches!(&self.run, Some((channel, epoch))
                    if *channel == m.channel && *epoch == m.position.epoch);
                if same_run {
                    self.json.push(',');
                } else {
                    let json = self.next();
                    open(json, "messages");
                    str_field(json, "channel", &m.channel);
                    str_field(json, "epoch", &m.position.epoch);
                    key(json, "rows");
                    json.push('[');
                    self.run = Some((m.channel.clone(), m.position.epoch.clone()));
                }
                let json = &mut self.json;
                json.push('[');
                push_u64(m.position.offset, json);
                json.push(',');
                match &m.publisher {
                    Some(p) => json::push_string(p, json),
                    None => json.push_str("null"),
                }
                json.push(',');
                json.push_str(&self.scratch);
                json.push(']');
            }
            Err(JsonError::NotRepresentable) => {
                let bin = self.binary(m.payload.as_bytes());
                let json = self.next();
                open(json, "message");
                str_field(json, "channel", &m.channel);
                str_field(json, "epoch", &m.position.epoch);
                num_field(json, "offset", m.position.offset);
                opt_str_field(json, "publisher", m.publisher.as_deref());
                num_field(json, "bin", bin);
                json.push('}');
            }
            Err(JsonError::Malformed) => {
                let json = self.next();
                open(json, "error");
                str_field(json, "channel", &m.channel);
                num_field(json, "offset", m.position.offset);
                key(json, "error");
                json.push_str(&json::error(
                    codes::BAD_PAYLOAD,
                    "message payload is not valid MessagePack",
                ));
                json.push('}');
            }
        }
    }
}
