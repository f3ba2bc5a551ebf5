//! The core's outputs as one array of `RawAction`s for the package's driver.
//!
//! Consecutive messages of one channel and epoch are folded into one `messages` action
//! whose rows are JSON text (see [`convert`](crate::convert)). A browser receives
//! thousands of messages per WebSocket frame from a server that coalesces; one
//! `JSON.parse` per run instead of several boundary crossings per message is what keeps
//! the rate up.

use js_sys::{Array, Uint8Array};
use resocket::{ClientCore, Event, Message, SocketCommand};
use wasm_bindgen::JsValue;

use crate::codes;
use crate::convert::{self, JsonError};
use crate::events::{self, object};

/// Drains the core: socket commands, then frames to send, then events.
pub(crate) fn drain(core: &mut ClientCore) -> JsValue {
    let mut out = Actions::default();
    while let Some(command) = core.poll_socket() {
        out.actions.push(match command {
            SocketCommand::Open { subprotocol } => {
                object(&[("type", "open".into()), ("subprotocol", subprotocol.into())])
            }
            SocketCommand::Close { code, reason } => object(&[
                ("type", "close".into()),
                ("code", code.into()),
                ("reason", reason.into()),
            ]),
        });
    }
    while let Some(bytes) = core.poll_transmit() {
        out.actions.push(object(&[
            ("type", "send".into()),
            ("data", Uint8Array::from(&bytes[..]).into()),
        ]));
    }
    while let Some(event) = core.poll_event() {
        out.push(event);
    }
    out.end_run();
    out.actions.into_iter().collect::<Array>().into()
}

#[derive(Default)]
struct Actions {
    actions: Vec<JsValue>,
    /// JSON rows of the current run of messages, without the closing bracket.
    json: String,
    rows: usize,
    channel: String,
    epoch: String,
}

impl Actions {
    fn push(&mut self, event: Event) {
        let action = match event {
            Event::Message(message) => return self.push_message(&message),
            Event::Published { id, result } => {
                let (ack, error) = match result {
                    Ok(ack) => (
                        object(&[
                            ("epoch", ack.position.epoch.as_str().into()),
                            ("offset", (ack.position.offset as f64).into()),
                            ("duplicate", ack.duplicate.into()),
                        ]),
                        JsValue::NULL,
                    ),
                    Err(e) => (JsValue::NULL, events::publish_error(&e)),
                };
                object(&[
                    ("type", "published".into()),
                    ("id", (id as f64).into()),
                    ("ack", ack),
                    ("error", error),
                ])
            }
            Event::CallDone { id, result } => {
                let (data, error) = match result {
                    Ok(reply) if reply.is_empty() => (JsValue::NULL, JsValue::NULL),
                    Ok(reply) => match convert::to_js(reply.as_bytes()) {
                        Ok(data) => (data, JsValue::NULL),
                        Err(e) => (
                            JsValue::NULL,
                            events::error(codes::BAD_PAYLOAD, &e.message()),
                        ),
                    },
                    Err(e) => (JsValue::NULL, events::call_error(&e)),
                };
                object(&[
                    ("type", "reply".into()),
                    ("id", (id as f64).into()),
                    ("data", data),
                    ("error", error),
                ])
            }
            other => match events::event(&other) {
                Some(action) => action,
                None => return,
            },
        };
        self.end_run();
        self.actions.push(action);
    }

    fn push_message(&mut self, m: &Message) {
        if self.rows > 0 && (self.epoch != m.position.epoch || self.channel != m.channel) {
            self.end_run();
        }
        let mark = self.json.len();
        self.json.push(if self.rows == 0 { '[' } else { ',' });
        self.json.push('[');
        convert::push_u64(m.position.offset, &mut self.json);
        match &m.publisher {
            Some(p) => {
                self.json.push(',');
                convert::push_json_string(p, &mut self.json);
            }
            None => self.json.push_str(",null"),
        }
        self.json.push(',');
        match convert::write_json(m.payload.as_bytes(), &mut self.json) {
            Ok(()) => {
                self.json.push(']');
                if self.rows == 0 {
                    self.epoch.clone_from(&m.position.epoch);
                    self.channel.clone_from(&m.channel);
                }
                self.rows += 1;
            }
            Err(failure) => {
                self.json.truncate(mark);
                self.end_run();
                let channel = JsValue::from_str(&m.channel);
                let offset = JsValue::from_f64(m.position.offset as f64);
                let data = match failure {
                    JsonError::NotRepresentable => convert::to_js(m.payload.as_bytes()).ok(),
                    JsonError::Malformed => None,
                };
                self.actions.push(match data {
                    Some(data) => object(&[
                        ("type", "message".into()),
                        ("channel", channel),
                        ("epoch", m.position.epoch.as_str().into()),
                        ("offset", offset),
                        (
                            "publisher",
                            m.publisher
                                .as_deref()
                                .map_or(JsValue::NULL, JsValue::from_str),
                        ),
                        ("data", data),
                    ]),
                    None => object(&[
                        ("type", "error".into()),
                        ("channel", channel),
                        ("offset", offset),
                        (
                            "error",
                            events::error(
                                codes::BAD_PAYLOAD,
                                "message payload is not valid MessagePack",
                            ),
                        ),
                    ]),
                });
            }
        }
    }

    /// Closes the current run of messages into one `messages` action.
    fn end_run(&mut self) {
        if self.rows == 0 {
            return;
        }
        self.json.push(']');
        self.actions.push(object(&[
            ("type", "messages".into()),
            ("channel", self.channel.as_str().into()),
            ("epoch", self.epoch.as_str().into()),
            ("json", self.json.as_str().into()),
        ]));
        self.json.clear();
        self.rows = 0;
    }
}
