//! `RawOptions` (a plain JS object, durations in milliseconds) → [`Config`].
//!
//! Read with `Reflect.get` property by property: a serde-derived reader would add a
//! good share of the module's size for a dozen fields read once.

use std::time::Duration;

use js_sys::Reflect;
use resocket::protocol::Encoding;
use resocket::{CallsOnDisconnect, Config};
use wasm_bindgen::JsValue;

use crate::{codes, events};

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined())
}

fn bad(what: &str) -> JsValue {
    events::error(
        codes::BAD_PAYLOAD,
        &["invalid option `", what, "`"].concat(),
    )
}

fn number(obj: &JsValue, key: &str) -> Result<Option<f64>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            _ => Err(bad(key)),
        },
    }
}

fn ms(obj: &JsValue, key: &str) -> Result<Option<Duration>, JsValue> {
    Ok(number(obj, key)?.map(|n| Duration::from_secs_f64(n / 1000.0)))
}

/// `null` turns an optional limit off; absent keeps the default.
fn optional_ms(
    obj: &JsValue,
    key: &str,
    default: Option<Duration>,
) -> Result<Option<Duration>, JsValue> {
    match get(obj, key) {
        Some(v) if v.is_null() => Ok(None),
        Some(_) => ms(obj, key),
        None => Ok(default),
    }
}

fn string(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| bad(key)),
    }
}

pub(crate) fn config(options: &JsValue) -> Result<Config, JsValue> {
    let mut config = Config {
        client_name: "resocket-js".into(),
        ..Config::default()
    };
    config.token = string(options, "token")?;
    // The package's module is built without the JSON encoding (see Cargo.toml).
    match string(options, "encoding")?.as_deref() {
        None | Some("msgpack") => config.encoding = Encoding::MsgPack,
        Some(_) => return Err(bad("encoding` (this package speaks MessagePack only)")),
    }
    if let Some(name) = string(options, "clientName")? {
        config.client_name = name;
    }
    if let Some(version) = string(options, "clientVersion")? {
        config.client_version = version;
    }
    if let Some(backoff) = get(options, "backoff") {
        if let Some(initial) = ms(&backoff, "initial")? {
            config.backoff.initial = initial;
        }
        if let Some(max) = ms(&backoff, "max")? {
            config.backoff.max = max;
        }
        if let Some(factor) = number(&backoff, "factor")? {
            config.backoff.factor = factor;
        }
    }
    config.max_reconnect_attempts = match get(options, "maxReconnectAttempts") {
        Some(v) if v.is_null() => None,
        Some(_) => number(options, "maxReconnectAttempts")?.map(|n| n as u32),
        None => None,
    };
    if let Some(t) = ms(options, "connectTimeout")? {
        config.connect_timeout = t;
    }
    if let Some(t) = ms(options, "pingInterval")? {
        config.ping_interval = t;
    }
    if let Some(t) = ms(options, "pingTimeout")? {
        config.ping_timeout = t;
    }
    if let Some(queue) = get(options, "queue") {
        if let Some(n) = number(&queue, "maxItems")? {
            config.queue.max_items = n as usize;
        }
        if let Some(n) = number(&queue, "maxBytes")? {
            config.queue.max_bytes = n as usize;
        }
    }
    config.default_publish_timeout =
        optional_ms(options, "publishTimeout", config.default_publish_timeout)?;
    config.default_call_timeout = optional_ms(options, "callTimeout", config.default_call_timeout)?;
    match string(options, "callsOnDisconnect")?.as_deref() {
        None | Some("fail") => config.calls_on_disconnect = CallsOnDisconnect::Fail,
        Some("keep_queued") => config.calls_on_disconnect = CallsOnDisconnect::KeepQueued,
        Some(_) => return Err(bad("callsOnDisconnect")),
    }
    if let Some(n) = number(options, "maxPayloadBytes")? {
        config.max_payload_bytes = n as usize;
    }
    if let Some(seed) = number(options, "seed")? {
        config.seed = seed as u64;
    }
    Ok(config)
}
