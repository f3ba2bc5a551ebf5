//! Settings of the client core.

use std::time::Duration;

use resocket_protocol::{DecodeLimits, Encoding};

use super::backoff::BackoffConfig;

/// Bounds of the offline queue: publishes and calls waiting for a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Most items waiting at once (default 1,000).
    pub max_items: usize,
    /// Most payload bytes waiting at once (default 1 MiB).
    pub max_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_items: 1_000,
            max_bytes: 1 << 20,
        }
    }
}

/// What happens to calls that have no reply yet when the connection is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallsOnDisconnect {
    /// Fail them with [`CallError::Disconnected`](crate::CallError::Disconnected). A call
    /// already sent may or may not have run on the server; the application decides.
    /// Calls made while disconnected still wait in the offline queue. The default.
    #[default]
    Fail,
    /// Keep them queued and send them again after reconnecting, until their deadline.
    /// Choose this only for idempotent methods: a call in flight may run twice.
    KeepQueued,
}

/// Settings of a [`ClientCore`](crate::ClientCore).
#[derive(Debug, Clone)]
pub struct Config {
    /// Wire encoding (default MessagePack). In the browser build JSON is carried by the
    /// protocol crate's small transcoder instead of serde_json (its `json` feature is
    /// off there), which reads standard JSON with a nesting limit even in ignored
    /// fields; MessagePack is the faster of the two everywhere.
    pub encoding: Encoding,
    /// Credential sent in every `connect` frame (never in the URL).
    pub token: Option<String>,
    /// Client name reported to the server.
    pub client_name: String,
    /// Client version reported to the server.
    pub client_version: String,
    /// Reconnect backoff.
    pub backoff: BackoffConfig,
    /// Give up after this many consecutive failed attempts and enter the terminal
    /// `Closed` state. `None` (the default) retries for ever.
    pub max_reconnect_attempts: Option<u32>,
    /// How long opening a socket plus the `connect`/`connected` handshake may take
    /// (default 10 s).
    pub connect_timeout: Duration,
    /// Heartbeat used until the server announces its own (default 25 s + 10 s).
    pub ping_interval: Duration,
    /// See [`Config::ping_interval`].
    pub ping_timeout: Duration,
    /// Bounds of the offline queue.
    pub queue: QueueLimits,
    /// Deadline applied to publishes made without one (default none).
    pub default_publish_timeout: Option<Duration>,
    /// Deadline applied to calls made without one (default 30 s).
    pub default_call_timeout: Option<Duration>,
    /// What happens to unanswered calls when the connection is lost.
    pub calls_on_disconnect: CallsOnDisconnect,
    /// Largest payload accepted by `publish` and `call` (default 512 KiB).
    pub max_payload_bytes: usize,
    /// Bounds for decoding server messages.
    pub decode_limits: DecodeLimits,
    /// Seed of the core's random number generator (jitter, message ids). Drivers seed it
    /// from the platform's entropy; tests fix it.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            encoding: Encoding::MsgPack,
            token: None,
            client_name: "resocket-rs".into(),
            client_version: env!("CARGO_PKG_VERSION").into(),
            backoff: BackoffConfig::default(),
            max_reconnect_attempts: None,
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(10),
            queue: QueueLimits::default(),
            default_publish_timeout: None,
            default_call_timeout: Some(Duration::from_secs(30)),
            calls_on_disconnect: CallsOnDisconnect::Fail,
            max_payload_bytes: 512 << 10,
            decode_limits: DecodeLimits {
                max_message_bytes: 16 << 20,
                max_frames: 1 << 20,
            },
            seed: 0,
        }
    }
}
