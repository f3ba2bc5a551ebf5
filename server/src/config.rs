//! Server configuration: timings and per-connection limits.

use std::time::Duration;

use crate::engine::MemoryEngineConfig;

/// Everything tunable about a server. `Default` gives production-ish values; tests
/// shrink the timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// How often the server pings each connection (`ping_interval_ms` in `connected`).
    pub ping_interval: Duration,
    /// How long after a ping a silent connection is closed with `HEARTBEAT_TIMEOUT`.
    pub ping_timeout: Duration,
    /// How long a new connection may take to send its `connect` frame.
    pub connect_timeout: Duration,
    /// How long an RPC handler may run before the call is answered `HANDLER_TIMEOUT`.
    pub call_timeout: Duration,
    /// On graceful shutdown, how long clients get to receive their `disconnect` and go
    /// before the remaining connections are dropped.
    pub shutdown_grace: Duration,
    /// Upper bound of the random `retry_after_ms` sent on shutdown, so that clients do
    /// not all come back at the same instant.
    pub shutdown_retry_spread: Duration,
    /// How long the last frames and the WebSocket close may take to write once a
    /// connection is closing.
    pub close_grace: Duration,
    /// Per-connection limits.
    pub limits: Limits,
    /// History and dedup bounds of the default [`MemoryEngine`](crate::MemoryEngine);
    /// unused when another engine is set.
    pub memory_engine: MemoryEngineConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(3),
            shutdown_retry_spread: Duration::from_secs(5),
            close_grace: Duration::from_secs(1),
            limits: Limits::default(),
            memory_engine: MemoryEngineConfig::default(),
        }
    }
}

/// Bounds on what one connection may use. Every one of them protects the server from a
/// single client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most simultaneous WebSocket connections; upgrades beyond it get HTTP 503.
    pub max_connections: usize,
    /// Largest inbound WebSocket message (and frame), in bytes. Larger ones close the
    /// connection with `FRAME_TOO_LARGE`.
    pub max_message_bytes: usize,
    /// Most protocol frames in one inbound WebSocket message.
    pub max_frames_per_message: usize,
    /// Largest `publish` or `call` payload, in bytes (`PAYLOAD_TOO_LARGE`).
    pub max_payload_bytes: usize,
    /// Longest publish `msg_id`, in bytes (`BAD_REQUEST`).
    pub max_msg_id_bytes: usize,
    /// Most channels one connection may be subscribed to (`TOO_MANY_SUBSCRIPTIONS`).
    pub max_subscriptions: usize,
    /// Most RPC calls of one connection running at once; more are answered
    /// `RATE_LIMITED`.
    pub max_inflight_calls: usize,
    /// Requests per second refilled into each connection's token bucket (0: unlimited).
    pub request_rate: u32,
    /// Size of that bucket: requests allowed in a burst.
    pub request_burst: u32,
    /// Most frames waiting to be written to one connection before it is closed as a
    /// `SLOW_CONSUMER`.
    pub outbox_max_frames: usize,
    /// Most bytes waiting to be written to one connection before it is closed as a
    /// `SLOW_CONSUMER`.
    pub outbox_max_bytes: usize,
    /// Queued frames are coalesced into WebSocket messages of up to this many bytes.
    pub batch_max_bytes: usize,
    /// WebSocket read buffer per connection, in bytes.
    pub read_buffer_bytes: usize,
    /// WebSocket write buffer per connection, in bytes.
    pub write_buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 50_000,
            max_message_bytes: 256 * 1024,
            max_frames_per_message: 1024,
            max_payload_bytes: 64 * 1024,
            max_msg_id_bytes: 128,
            max_subscriptions: 256,
            max_inflight_calls: 64,
            request_rate: 1000,
            request_burst: 2000,
            outbox_max_frames: 16_384,
            outbox_max_bytes: 4 * 1024 * 1024,
            batch_max_bytes: 64 * 1024,
            read_buffer_bytes: 4 * 1024,
            write_buffer_bytes: 4 * 1024,
        }
    }
}
