//! The wasm-bindgen layer under the `resocket` npm package.
//!
//! It only converts and delegates: [`RawCore`] wraps the sans-IO [`ClientCore`], the
//! same state machine the Rust drivers run. Inputs cross as numbers, strings and bytes
//! (payloads arrive already encoded as MessagePack by the package); outputs cross as one
//! JSON text per [`RawCore::drain`] plus the binary frames and payloads it refers to
//! ([`actions`]), so the package reads everything the core produced with one
//! `JSON.parse`. The TypeScript shapes are declared once, below.
//!
//! # Where the IO boundary is
//!
//! Outside this crate, in the package's TypeScript driver (`pkg/src/driver.ts`): it
//! owns the `WebSocket`, the one timer and the page's `online`/`visibilitychange`/
//! `pageshow` listeners, feeds what happens to a `RawCore` with the time from
//! `performance.now()`, and carries out the actions `drain` hands back. Backoff,
//! heartbeats, the offline queue, acknowledgements and resync all stay in the core; the
//! driver decides nothing. (Rust applications in the browser use `resocket::Client`,
//! whose web-sys driver does the same in Rust; the package does it in TypeScript because
//! the module is then a fraction of the size.)
#![deny(missing_docs)]

mod actions;
mod codes;
mod json;
mod options;

use std::time::Duration;

use resocket::{ClientCore, Payload, Time};
use wasm_bindgen::prelude::*;

/// Talc in place of the default dlmalloc: a few kilobytes smaller, and faster at the many
/// small allocations of decoding and delivering messages.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const RAW_TYPES: &'static str = r#"
/**
 * An error: client codes below 100, server codes (protocol, then application from 1000)
 * above. The server's carry their `message`; the client's the numbers the package words
 * theirs with.
 */
export interface RawError {
  code: number;
  message?: string;
  items?: number;
  bytes?: number;
  len?: number;
  max?: number;
}

export interface RawMember { session: string; user: string | null }

export interface RawPublishAck { epoch: string; offset: number; duplicate: boolean }

/**
 * What `RawCore.drain()` reports, in the order to carry it out: socket commands, frames
 * to send, events, and last the status. `bin` is an index into the binary items that
 * follow the JSON text in `drain()`'s array: a frame to send, or a payload JSON cannot
 * carry exactly (bytes, big integers, dates, non-string keys), as MessagePack.
 */
export type RawAction =
  | { type: "open"; subprotocol: string }
  | { type: "close"; code: number; reason: string }
  | { type: "send"; bin: number }
  | { type: "connecting"; attempt: number }
  | { type: "connected"; session: string }
  | { type: "disconnected"; code: number; closeCode: number | null; reason: string; reconnect: boolean }
  | { type: "reconnecting"; attempt: number; delay: number }
  | { type: "closed"; code: number; closeCode: number | null; reason: string }
  | { type: "error"; error: RawError }
  | { type: "published"; id: number; ack?: RawPublishAck; error?: RawError }
  | { type: "reply"; id: number; data?: unknown; bin?: number; error?: RawError }
  | RawChannelAction
  | { type: "status"; state: "idle" | "connecting" | "connected" | "closed"; queuedItems: number; queuedBytes: number; session: string | null };

/** Events of one channel. `messages` carries consecutive messages of one epoch. */
export type RawChannelAction = { channel: string } & (
  | { type: "messages"; epoch: string; rows: [offset: number, publisher: string | null, data: unknown][] }
  | { type: "message"; epoch: string; offset: number; publisher: string | null; bin: number }
  | { type: "subscribed"; outcome: "fresh" | "recovered" | "reset"; replayed: number }
  | { type: "reset"; reason: "position_lost"; epoch: string; offset: number }
  | { type: "reset"; reason: "gap"; expected: number; received: number }
  | { type: "reset"; reason: "epoch_changed" }
  | { type: "presence"; kind: "snapshot"; members: RawMember[] }
  | { type: "presence"; kind: "join" | "leave"; member: RawMember }
  | { type: "failed"; error: RawError }
  | { type: "error"; offset: number; error: RawError }
);
"#;

/// One client's state machine. Every input takes the time as milliseconds on the
/// driver's monotonic clock (`performance.now()`).
#[wasm_bindgen]
pub struct RawCore {
    core: ClientCore,
    /// JSON of the `RawError` of the last refused `publish`, `call` or `subscribe`.
    refusal: String,
}

#[wasm_bindgen]
impl RawCore {
    /// A core configured by `numbers` (see [`options`]: validated by the package) and
    /// the strings of the options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        numbers: &[f64],
        token: Option<String>,
        client_name: Option<String>,
        client_version: Option<String>,
    ) -> RawCore {
        RawCore {
            core: ClientCore::new(options::config(numbers, token, client_name, client_version)),
            refusal: String::new(),
        }
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

    /// Subscribes to `channel`; false when the core refuses (see `refusal`).
    pub fn subscribe(&mut self, now: f64, channel: &str) -> bool {
        match self.core.subscribe(time(now), channel, None) {
            Ok(()) => true,
            Err(e) => {
                self.refusal = json::subscribe_error(&e);
                false
            }
        }
    }

    /// Unsubscribes from `channel` (nothing if not subscribed).
    pub fn unsubscribe(&mut self, now: f64, channel: &str) {
        let _ = self.core.unsubscribe(time(now), channel);
    }

    /// Publishes the MessagePack `payload`; returns the request id its `published` action
    /// will carry, or -1 when the core refuses (see `refusal`).
    pub fn publish(
        &mut self,
        now: f64,
        channel: &str,
        payload: &[u8],
        timeout: Option<f64>,
    ) -> f64 {
        let payload = Payload::from(payload.to_vec());
        match self
            .core
            .publish(time(now), channel, payload, timeout.map(duration))
        {
            Ok(id) => id as f64,
            Err(e) => {
                self.refusal = json::publish_error(&e);
                -1.0
            }
        }
    }

    /// Calls `method` with the MessagePack `payload`; returns the request id its `reply`
    /// action will carry, or -1 when the core refuses (see `refusal`).
    pub fn call(&mut self, now: f64, method: &str, payload: &[u8], timeout: Option<f64>) -> f64 {
        let payload = Payload::from(payload.to_vec());
        match self
            .core
            .call(time(now), method, payload, timeout.map(duration))
        {
            Ok(id) => id as f64,
            Err(e) => {
                self.refusal = json::call_error(&e);
                -1.0
            }
        }
    }

    /// The JSON of the `RawError` of the last refused `publish`, `call` or `subscribe`.
    pub fn refusal(&self) -> String {
        self.refusal.clone()
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

    /// When the driver should call `tick`, in milliseconds on its clock; -1 when no
    /// timer is needed.
    pub fn timeout(&self) -> f64 {
        self.core
            .poll_timeout()
            .map_or(-1.0, |at| at.since_origin().as_secs_f64() * 1000.0)
    }

    /// Everything the core asks for since the last call: the JSON text of a
    /// `RawAction[]`, then the binary items its `bin` fields point at (index 1 on).
    #[wasm_bindgen(unchecked_return_type = "[string, ...Uint8Array[]]")]
    pub fn drain(&mut self) -> js_sys::Array {
        actions::drain(&mut self.core)
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
