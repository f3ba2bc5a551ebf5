//! The wasm-bindgen layer under the `resocket` npm package.
//!
//! It only converts and delegates: every call goes to a [`resocket::Client`], whose
//! browser driver owns the socket, timers, reconnects, queue and resync. Values cross
//! as MessagePack payloads ([`convert`]), events and errors as plain objects
//! ([`events`]) whose TypeScript shapes are declared once, below, and re-used by the
//! package (`pkg/src`), which turns them into typed events and `Error` subclasses.
//!
//! # Where the IO boundary is
//!
//! Nowhere in this crate: the WebSocket, timers and page events belong to
//! `resocket`'s browser platform. This crate touches JS only to build and read values
//! and to call the callbacks the package hands in.
#![deny(missing_docs)]

mod codes;
mod convert;
mod events;
mod options;
mod subscription;

use std::time::Duration;

use futures_util::StreamExt;
use js_sys::{Function, Promise};
use resocket::{Client, Payload};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

pub use subscription::RawSubscription;

/// Talc in place of the default dlmalloc: a few kilobytes smaller, and faster at the many
/// small allocations of decoding and delivering messages.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const RAW_TYPES: &'static str = r#"
/** Options of `new RawClient`; durations in milliseconds. */
export interface RawOptions {
  token?: string | null;
  encoding?: "msgpack" | "json";
  clientName?: string;
  clientVersion?: string;
  backoff?: { initial?: number; max?: number; factor?: number };
  maxReconnectAttempts?: number | null;
  connectTimeout?: number;
  pingInterval?: number;
  pingTimeout?: number;
  queue?: { maxItems?: number; maxBytes?: number };
  publishTimeout?: number | null;
  callTimeout?: number | null;
  callsOnDisconnect?: "fail" | "keep_queued";
  maxPayloadBytes?: number;
  seed?: number;
}

/** An error: client codes below 100, server codes (protocol, then application from 1000) above. */
export interface RawError { code: number; message: string }

export type RawConnectionEvent =
  | { type: "connecting"; attempt: number }
  | { type: "connected"; session: string }
  | { type: "disconnected"; code: number; closeCode: number | null; reason: string; reconnect: boolean }
  | { type: "reconnecting"; attempt: number; delay: number }
  | { type: "closed"; code: number; closeCode: number | null; reason: string }
  | { type: "error"; error: RawError };

export interface RawMember { session: string; user: string | null }

/**
 * Events of one subscription. `messages` carries consecutive messages of one epoch as
 * the JSON text of `[offset, publisher, data][]`; `message` one message whose data JSON
 * cannot carry exactly (bytes, big integers, dates, non-string keys).
 */
export type RawChannelEvent =
  | { type: "messages"; epoch: string; json: string }
  | { type: "message"; epoch: string; offset: number; publisher: string | null; data: unknown }
  | { type: "subscribed"; outcome: "fresh" | "recovered" | "reset"; replayed: number }
  | { type: "reset"; reason: "position_lost"; epoch: string; offset: number }
  | { type: "reset"; reason: "gap"; expected: number; received: number }
  | { type: "reset"; reason: "epoch_changed" }
  | { type: "presence"; kind: "snapshot"; members: RawMember[] }
  | { type: "presence"; kind: "join" | "leave"; member: RawMember }
  | { type: "failed"; error: RawError }
  | { type: "error"; offset: number; error: RawError };

export interface RawStatus {
  state: "idle" | "connecting" | "connected" | "closed";
  attempt: number;
  nextRetry: number | null;
  queuedItems: number;
  queuedBytes: number;
  session: string | null;
}

export interface RawPublishAck { epoch: string; offset: number; duplicate: boolean }
"#;

/// One client: a [`resocket::Client`] plus the task that reports its connection events.
#[wasm_bindgen]
pub struct RawClient {
    client: Client,
}

#[wasm_bindgen]
impl RawClient {
    /// Starts connecting to `url`; `on_event` receives every connection event.
    #[wasm_bindgen(constructor)]
    pub fn new(
        url: String,
        #[wasm_bindgen(unchecked_param_type = "RawOptions")] options: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(event: RawConnectionEvent) => void")]
        on_event: Function,
    ) -> Result<RawClient, JsValue> {
        let config = options::config(&options)?;
        let client = Client::connect(url, config);
        let mut connection_events = client.connection_events();
        spawn_local(async move {
            while let Some(event) = connection_events.next().await {
                if let Some(event) = events::connection_event(&event) {
                    let _ = on_event.call1(&JsValue::NULL, &event);
                }
            }
        });
        Ok(RawClient { client })
    }

    /// Publishes `data`; resolves with the acknowledgement.
    #[wasm_bindgen(unchecked_return_type = "Promise<RawPublishAck>")]
    pub fn publish(&self, channel: String, data: JsValue, timeout: Option<f64>) -> Promise {
        let payload = match convert::to_msgpack(&data) {
            Ok(bytes) => Payload::from(bytes),
            Err(e) => return rejected(events::error(codes::BAD_PAYLOAD, &e.message())),
        };
        let client = self.client.clone();
        future_to_promise(async move {
            match client
                .publish_payload(&channel, payload, timeout.map(millis))
                .await
            {
                Ok(ack) => Ok(events::object(&[
                    ("epoch", JsValue::from_str(&ack.position.epoch)),
                    ("offset", JsValue::from_f64(ack.position.offset as f64)),
                    ("duplicate", JsValue::from_bool(ack.duplicate)),
                ])),
                Err(e) => Err(events::publish_error(&e)),
            }
        })
    }

    /// Calls `method` with `data`; resolves with the reply's value.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn call(&self, method: String, data: JsValue, timeout: Option<f64>) -> Promise {
        let payload = match convert::to_msgpack(&data) {
            Ok(bytes) => Payload::from(bytes),
            Err(e) => return rejected(events::error(codes::BAD_PAYLOAD, &e.message())),
        };
        let client = self.client.clone();
        future_to_promise(async move {
            match client
                .call_payload(&method, payload, timeout.map(millis))
                .await
            {
                Ok(reply) if reply.is_empty() => Ok(JsValue::NULL),
                Ok(reply) => convert::to_js(reply.as_bytes())
                    .map_err(|e| events::error(codes::BAD_PAYLOAD, &e.message())),
                Err(e) => Err(events::call_error(&e)),
            }
        })
    }

    /// Subscribes to `channel`; `on_events` receives its events in batches.
    pub fn subscribe(
        &self,
        channel: String,
        #[wasm_bindgen(unchecked_param_type = "(events: RawChannelEvent[]) => void")]
        on_events: Function,
    ) -> RawSubscription {
        RawSubscription::start(self.client.subscribe(&channel), on_events)
    }

    /// State, attempt, next retry delay, offline queue and session.
    #[wasm_bindgen(unchecked_return_type = "RawStatus")]
    pub fn status(&self) -> JsValue {
        events::status(&self.client.status())
    }

    /// Members present in a subscribed channel.
    #[wasm_bindgen(unchecked_return_type = "RawMember[]")]
    pub fn presence(&self, channel: &str) -> JsValue {
        events::members(&self.client.presence(channel))
    }

    /// Reconnects at once if waiting to retry, or probes the connection.
    #[wasm_bindgen(js_name = reconnectNow)]
    pub fn reconnect_now(&self) {
        self.client.reconnect_now();
    }

    /// Connects again after `close()` or a terminal failure.
    pub fn reconnect(&self) {
        self.client.reconnect();
    }

    /// Replaces the token sent on the next connect.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&self, token: Option<String>) {
        self.client.set_token(token);
    }

    /// Closes the connection; pending requests fail with `Closed`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            client.close().await;
            Ok(JsValue::UNDEFINED)
        })
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms.max(0.0) / 1000.0)
}

fn rejected(error: JsValue) -> Promise {
    Promise::reject(&error)
}
