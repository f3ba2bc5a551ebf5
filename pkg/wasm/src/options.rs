//! The options of `new RawCore` → [`Config`].
//!
//! The package checks the options (types and ranges, with messages naming the option)
//! and passes the numeric ones as one array in the order of [`Slot`]; here they are only
//! applied. NaN leaves the default; +Infinity turns an optional limit off. Conversions
//! saturate, so no number can make the module panic.

use std::time::Duration;

use resocket::{CallsOnDisconnect, Config};

/// Positions in the numbers array (`pkg/src/options.ts` writes the same order).
#[derive(Clone, Copy)]
enum Slot {
    BackoffInitial,
    BackoffMax,
    BackoffFactor,
    MaxReconnectAttempts,
    ConnectTimeout,
    PingInterval,
    PingTimeout,
    QueueMaxItems,
    QueueMaxBytes,
    PublishTimeout,
    CallTimeout,
    /// 0: fail in-flight calls on disconnect; 1: keep them queued.
    CallsOnDisconnect,
    MaxPayloadBytes,
    Seed,
}

struct Numbers<'a>(&'a [f64]);

impl Numbers<'_> {
    /// The number in `slot`, unless absent or NaN.
    fn get(&self, slot: Slot) -> Option<f64> {
        self.0.get(slot as usize).copied().filter(|n| !n.is_nan())
    }

    fn ms(&self, slot: Slot) -> Option<Duration> {
        self.get(slot).map(millis)
    }

    /// `Some(None)` for +Infinity (no limit).
    fn limit_ms(&self, slot: Slot) -> Option<Option<Duration>> {
        self.get(slot)
            .map(|n| (n != f64::INFINITY).then(|| millis(n)))
    }

    fn count(&self, slot: Slot) -> Option<usize> {
        self.get(slot).map(|n| n as usize)
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_micros((ms * 1000.0) as u64)
}

pub(crate) fn config(
    numbers: &[f64],
    token: Option<String>,
    client_name: Option<String>,
    client_version: Option<String>,
) -> Config {
    let n = Numbers(numbers);
    let mut config = Config {
        token,
        client_name: client_name.unwrap_or_else(|| "resocket-js".into()),
        ..Config::default()
    };
    if let Some(version) = client_version {
        config.client_version = version;
    }
    if let Some(t) = n.ms(Slot::BackoffInitial) {
        config.backoff.initial = t;
    }
    if let Some(t) = n.ms(Slot::BackoffMax) {
        config.backoff.max = t;
    }
    if let Some(f) = n.get(Slot::BackoffFactor) {
        config.backoff.factor = f;
    }
    if let Some(attempts) = n.get(Slot::MaxReconnectAttempts) {
        config.max_reconnect_attempts = (attempts != f64::INFINITY).then_some(attempts as u32);
    }
    if let Some(t) = n.ms(Slot::ConnectTimeout) {
        config.connect_timeout = t;
    }
    if let Some(t) = n.ms(Slot::PingInterval) {
        config.ping_interval = t;
    }
    if let Some(t) = n.ms(Slot::PingTimeout) {
        config.ping_timeout = t;
    }
    if let Some(items) = n.count(Slot::QueueMaxItems) {
        config.queue.max_items = items;
    }
    if let Some(bytes) = n.count(Slot::QueueMaxBytes) {
        config.queue.max_bytes = bytes;
    }
    if let Some(t) = n.limit_ms(Slot::PublishTimeout) {
        config.default_publish_timeout = t;
    }
    if let Some(t) = n.limit_ms(Slot::CallTimeout) {
        config.default_call_timeout = t;
    }
    if n.get(Slot::CallsOnDisconnect) == Some(1.0) {
        config.calls_on_disconnect = CallsOnDisconnect::KeepQueued;
    }
    if let Some(bytes) = n.count(Slot::MaxPayloadBytes) {
        config.max_payload_bytes = bytes;
    }
    if let Some(seed) = n.get(Slot::Seed) {
        config.seed = seed as u64;
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slots as `pkg/src/options.ts` lists them, in order.
    fn package_slots() -> Vec<String> {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../src/options.ts"))
                .expect("read pkg/src/options.ts");
        let start = source.find("const SLOTS = [").expect("SLOTS in options.ts");
        let list = &source[start..];
        let list = &list[..list.find("] as const").expect("end of SLOTS")];
        list.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_package_writes_the_numbers_in_this_order() {
        let slots = [
            (Slot::BackoffInitial, "backoff.initial"),
            (Slot::BackoffMax, "backoff.max"),
            (Slot::BackoffFactor, "backoff.factor"),
            (Slot::MaxReconnectAttempts, "maxReconnectAttempts"),
            (Slot::ConnectTimeout, "connectTimeout"),
            (Slot::PingInterval, "pingInterval"),
            (Slot::PingTimeout, "pingTimeout"),
            (Slot::QueueMaxItems, "queue.maxItems"),
            (Slot::QueueMaxBytes, "queue.maxBytes"),
            (Slot::PublishTimeout, "publishTimeout"),
            (Slot::CallTimeout, "callTimeout"),
            (Slot::CallsOnDisconnect, "callsOnDisconnect"),
            (Slot::MaxPayloadBytes, "maxPayloadBytes"),
            (Slot::Seed, "seed"),
        ];
        let package = package_slots();
        assert_eq!(package.len(), slots.len());
        for (slot, name) in slots {
            assert_eq!(package[slot as usize], name);
        }
    }

    #[test]
    fn applies_numbers_and_keeps_defaults_for_nan() {
        let mut numbers = [f64::NAN; 14];
        numbers[Slot::BackoffInitial as usize] = 250.0;
        numbers[Slot::CallTimeout as usize] = f64::INFINITY;
        numbers[Slot::MaxReconnectAttempts as usize] = 3.0;
        numbers[Slot::CallsOnDisconnect as usize] = 1.0;
        numbers[Slot::QueueMaxItems as usize] = 1e30; // saturates, no panic
        let config = config(&numbers, Some("t".into()), None, None);
        let default = Config::default();
        assert_eq!(config.backoff.initial, Duration::from_millis(250));
        assert_eq!(config.backoff.max, default.backoff.max);
        assert_eq!(config.default_call_timeout, None);
        assert_eq!(
            config.default_publish_timeout,
            default.default_publish_timeout
        );
        assert_eq!(config.max_reconnect_attempts, Some(3));
        assert_eq!(config.calls_on_disconnect, CallsOnDisconnect::KeepQueued);
        assert_eq!(config.queue.max_items, usize::MAX);
        assert_eq!(config.token.as_deref(), Some("t"));
        assert_eq!(config.client_name, "resocket-js");
        // Too short an array leaves everything else at its default.
        assert_eq!(config_from(&[]).connect_timeout, default.connect_timeout);
    }

    fn config_from(numbers: &[f64]) -> Config {
        config(numbers, None, None, None)
    }
}
