//! Delivers a subscription's events to JS in batches.
//!
//! Every wake-up of the delivery task drains whatever the driver has queued for the
//! subscription and hands it to JS in one call, with consecutive messages of one epoch
//! folded into one JSON text (see [`convert`](crate::convert)). A browser receives
//! thousands of messages per WebSocket frame from a server that coalesces; one JS call
//! and one `JSON.parse` per batch instead of several boundary crossings per message is
//! what keeps the rate up.

use futures_channel::oneshot;
use futures_util::future::{self, Either};
use futures_util::{FutureExt, StreamExt};
use js_sys::{Array, Function};
use resocket::{ChannelEvent, Message, Subscription};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::convert::{self, JsonError};
use crate::{codes, events};

/// Most messages handed to JS in one call.
const MAX_BATCH: usize = 4096;

/// A live subscription; `unsubscribe()` (or `free()`) ends it.
#[wasm_bindgen]
pub struct RawSubscription {
    stop: Option<oneshot::Sender<()>>,
}

#[wasm_bindgen]
impl RawSubscription {
    /// Stops delivery and drops the subscription (the server subscription ends with the
    /// client's last subscription to the channel).
    pub fn unsubscribe(&mut self) {
        self.stop.take();
    }
}

impl RawSubscription {
    pub(crate) fn start(subscription: Subscription, on_events: Function) -> Self {
        let (stop, stopped) = oneshot::channel();
        spawn_local(deliver(subscription, on_events, stopped));
        RawSubscription { stop: Some(stop) }
    }
}

async fn deliver(
    mut subscription: Subscription,
    on_events: Function,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let first = match future::select(&mut stopped, subscription.next()).await {
            Either::Left(_) => return,
            Either::Right((event, _)) => event,
        };
        let Some(first) = first else { return };
        let mut batch = Batch::default();
        batch.push(&first);
        while let Some(Some(event)) = subscription.next().now_or_never() {
            batch.push(&event);
            if batch.messages >= MAX_BATCH {
                let _ = on_events.call1(&JsValue::NULL, &batch.finish());
            }
        }
        if !batch.is_empty() {
            let _ = on_events.call1(&JsValue::NULL, &batch.finish());
        }
        // Delivery stopped while JS handled the batch.
        if matches!(stopped.try_recv(), Ok(Some(())) | Err(_)) {
            return;
        }
    }
}

/// `RawChannelEvent`s being collected for one call.
#[derive(Default)]
struct Batch {
    events: Vec<JsValue>,
    /// JSON rows of the current run of messages, without the closing bracket.
    json: String,
    rows: usize,
    epoch: String,
    messages: usize,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rows == 0
    }

    fn push(&mut self, event: &ChannelEvent) {
        match event {
            ChannelEvent::Message(message) => self.push_message(message),
            other => {
                self.end_run();
                if let Some(event) = events::channel_event(other) {
                    self.events.push(event);
                }
            }
        }
    }

    fn push_message(&mut self, m: &Message) {
        self.messages += 1;
        if self.rows > 0 && self.epoch != m.position.epoch {
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
                }
                self.rows += 1;
            }
            Err(failure) => {
                self.json.truncate(mark);
                self.end_run();
                let offset = JsValue::from_f64(m.position.offset as f64);
                let event = match failure {
                    JsonError::NotRepresentable => convert::to_js(m.payload.as_bytes()).ok(),
                    JsonError::Malformed => None,
                };
                self.events.push(match event {
                    Some(data) => events::object(&[
                        ("type", "message".into()),
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
                    None => events::object(&[
                        ("type", "error".into()),
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

    /// Closes the current run of messages into one `messages` event.
    fn end_run(&mut self) {
        if self.rows == 0 {
            return;
        }
        self.json.push(']');
        self.events.push(events::object(&[
            ("type", "messages".into()),
            ("epoch", self.epoch.as_str().into()),
            ("json", self.json.as_str().into()),
        ]));
        self.json.clear();
        self.rows = 0;
    }

    /// The collected events as a JS array; the batch starts over.
    fn finish(&mut self) -> JsValue {
        self.end_run();
        self.messages = 0;
        let array: Array = self.events.drain(..).collect();
        array.into()
    }
}
