//! The wasm-bindgen layer under the `resocket` npm package.
//!
//! It only converts and delegates: [`RawCore`] wraps the sans-IO [`ClientCore`], the
//! same state machine the Rust drivers run, and turns its inputs and outputs into JS
//! values. Payloads cross as MessagePack ([`convert`]); events, errors and the core's
//! requests for IO cross as plain objects ([`actions`], [`events`]) whose TypeScript
//! shapes are declared once, below, and re-used by the package (`pkg/src`).
//!
//! # Where the IO boundary is
//!
//! Outside this crate, in the package's TypeScript driver (`pkg/src/driver.ts`): it
//! owns the `WebSocket`, the one timer and the page's `online`/`visibilitychange`/
//! `pageshow` listeners, feeds what happens to a `RawCore` with the time from
//! `performance.now()`, and executes the actions [`RawCore::drain`] hands back. Backoff,
//! heartbeats, the offline queue, acked requests and resync all stay in the core; the
//! driver makes no decision of its own. (Rust applications in the browser use
//! `resocket::Client`, whose web-sys driver does the same in Rust; the package does it
//! in TypeScript because the module is then a fraction of the size.)
#![deny(missing_docs)]

mod actions;
mod codes;
mod convert;
mod events;
mod options;

use std::time::Duration;

use resocket::{ClientCore, Payload, State, Time};
use wasm_bindgen::prelude::*;

/// Talc in place of the default dlmalloc: a few kilobytes smaller, and faster at the many
/// small allocations of decoding and delivering messages.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const RAW_TYPES: &'static str = r#"
/** Options of `new RawCore`; durations in milliseconds. */
export interface RawOptions {
  token?: string | null;
  encoding?: "msgpack";
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
 * Events of one channel. `messages` carries consecutive messages of one epoch as the
 * JSON text of `[offset, publisher, data][]`; `message` one message whose data JSON
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

export interface RawPublishAck { epoch: string; offset: number; duplicate: boolean }

/**
 * What the core asks of the driver, in the order to carry it out: socket commands, then
 * frames to send, then events (channel events carry their channel in `channel`).
 */
export type RawAction =
  | { type: "open"; subprotocol: string }
  | { type: "close"; code: number; reason: string }
  | { type: "send"; data: Uint8Array }
  | { type: "published"; id: number; ack: RawPublishAck | null; error: RawError | null }
  | { type: "reply"; id: number; data: unknown; error: RawError | null }
  | RawConnectionEvent
  | (RawChannelEvent & { channel: string });

export interface RawStatus {
  state: "idle" | "connecting" | "connected" | "closed";
  queuedItems: number;
  queuedBytes: number;
  session: string | null;
}
"#;

/// One client's state machine. Every input takes the time as milliseconds on the
/// driver's monotonic clock (`performance.now()`).
#[wasm_bindgen]
pub struct RawCore {
    core: ClientCore,
}

#[wasm_bindgen]
impl RawCore {
    /// A core configured by `options`; throws a `RawError` for an invalid option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RawOptions")] options: JsValue,
    ) -> Result<RawCore, JsValue> {
        Ok(RawCore {
            core: ClientCore::new(options::config(&options)?),
        })
    }

    /// Starts connecting (again, after `close` or a terminal failure).
    pub fn connect(&mut self, now: f64) {
        self.core.connect(time(now));
    }

    /// Reconnects at once if waiting to retry, or probes the connection.
    #[wasm_bindgen(js_name = reconnectNow)]
    pub fn reconnect_now(&mut self, now: f64) {
        self.core.reconnect_now(time(now));
    }

    /// Closes: pending requests fail with `Closed`; subscriptions are kept.
    pub fn close(&mut self, now: f64) {
        self.core.close(time(now));
    }

    /// Replaces the token sent on the next connect.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&mut self, token: Option<String>) {
        self.core.set_token(token);
    }

    /// Subscribes to `channel`; returns a `RawError` when the core refuses.
    #[wasm_bindgen(unchecked_return_type = "RawError | undefined")]
    pub fn subscribe(&mut self, now: f64, channel: &str) -> JsValue {
        match self.core.subscribe(time(now), channel, None) {
            Ok(()) => JsValue::UNDEFINED,
            Err(e) => events::subscribe_error(&e),
        }
    }

    /// Unsubscribes from `channel` (nothing if not subscribed).
    pub fn unsubscribe(&mut self, now: f64, channel: &str) {
        let _ = self.core.unsubscribe(time(now), channel);
    }

    /// Publishes `data`; returns the request id its `published` action will carry, or
    /// throws a `RawError`.
    pub fn publish(
        &mut self,
        now: f64,
        channel: &str,
        data: JsValue,
        timeout: Option<f64>,
    ) -> Result<f64, JsValue> {
        let payload = payload(&data)?;
        match self
            .core
            .publish(time(now), channel, payload, timeout.map(duration))
        {
            Ok(id) => Ok(id as f64),
            Err(e) => Err(events::publish_error(&e)),
        }
    }

    /// Calls `method` with `data`; returns the request id its `reply` action will carry,
    /// or throws a `RawError`.
    pub fn call(
        &mut self,
        now: f64,
        method: &str,
        data: JsValue,
        timeout: Option<f64>,
    ) -> Result<f64, JsValue> {
        let payload = payload(&data)?;
        match self
            .core
            .call(time(now), method, payload, timeout.map(duration))
        {
            Ok(id) => Ok(id as f64),
            Err(e) => Err(events::call_error(&e)),
        }
    }

    /// The socket asked for by the last `open` action is open.
    pub fn opened(&mut self, now: f64) {
        self.core.handle_socket_open(time(now));
    }

    /// A message arrived on the socket.
    pub fn message(&mut self, now: f64, data: &[u8]) {
        self.core.handle_message(time(now), data);
    }

    /// The socket closed; `code` is absent when the close carried none.
    pub fn closed(&mut self, now: f64, code: Option<u16>, reason: &str) {
        self.core.handle_socket_closed(time(now), code, reason);
    }

    /// The timer set from `timeout()` fired.
    pub fn tick(&mut self, now: f64) {
        self.core.handle_timeout(time(now));
    }

    /// When the driver should call `tick`, in milliseconds on its clock; `undefined`
    /// when no timer is needed.
    pub fn timeout(&self) -> Option<f64> {
        self.core
            .poll_timeout()
            .map(|at| at.since_origin().as_micros() as f64 / 1000.0)
    }

    /// Everything the core asks for since the last call, in order.
    #[wasm_bindgen(unchecked_return_type = "RawAction[]")]
    pub fn drain(&mut self) -> JsValue {
        actions::drain(&mut self.core)
    }

    /// State, offline queue and session.
    #[wasm_bindgen(unchecked_return_type = "RawStatus")]
    pub fn status(&self) -> JsValue {
        let (items, bytes) = self.core.queued();
        events::object(&[
            (
                "state",
                JsValue::from_str(match self.core.state() {
                    State::Idle => "idle",
                    State::Connecting => "connecting",
                    State::Connected => "connected",
                    State::Closed => "closed",
                }),
            ),
            ("queuedItems", JsValue::from_f64(items as f64)),
            ("queuedBytes", JsValue::from_f64(bytes as f64)),
            (
                "session",
                self.core.session().map_or(JsValue::NULL, JsValue::from_str),
            ),
        ])
    }
}

/// Milliseconds on the driver's clock as a [`Time`]; negative or NaN reads as zero.
fn time(ms: f64) -> Time {
    Time::from_duration(duration(ms))
}

/// Milliseconds as a [`Duration`], saturating (no panic on NaN, negative or huge).
fn duration(ms: f64) -> Duration {
    Duration::from_micros((ms * 1000.0) as u64)
}

fn payload(data: &JsValue) -> Result<Payload, JsValue> {
    convert::to_msgpack(data)
        .map(Payload::from)
        .map_err(|e| events::error(codes::BAD_PAYLOAD, &e.message()))
}
