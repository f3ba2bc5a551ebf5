//! The reference resocket server, on axum.
//!
//! ```no_run
//! use resocket_server::Server;
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = Server::builder()
//!     .rpc("echo", |_ctx, payload| async move { Ok(payload) })
//!     .build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! server.serve(listener).await // until SIGTERM / Ctrl-C
//! # }
//! ```
//!
//! # Where the IO is
//!
//! Sockets are touched in two places only: [`Server`] (axum's listener and HTTP routes)
//! and the private `connection` module, whose reader and writer tasks move bytes
//! between one WebSocket and the connection's queues. What frames mean lives in plain
//! state — the session, the bounded coalescing outbox, the heartbeat, the rate limiter —
//! and channel state lives behind the [`Engine`] trait ([`MemoryEngine`] by default),
//! which never sees a socket.
//!
//! # The contract with clients
//!
//! * The subprotocol picks the encoding: `resocket.v1.msgpack` (also when the client
//!   offers none of ours) or `resocket.v1.json`; when both are offered, MessagePack.
//! * The first frame must be `connect` (within `connect_timeout`, else close
//!   `PROTOCOL_VIOLATION`); a wrong version closes with `UNSUPPORTED_PROTOCOL`, a token
//!   the [`Authenticator`] refuses with `UNAUTHORIZED`. `resume` is only logged: resync
//!   needs no server memory of the old session.
//! * Every close the server decides is a `disconnect` frame followed by a WebSocket
//!   close with the same code, written within `close_grace`; a client that does not
//!   read by then (a slow consumer) or an [abort](ServerHandle::abort) just loses the
//!   TCP connection.
//! * Heartbeat: `ping` every `ping_interval`; a client silent for `ping_timeout` after
//!   a ping is closed with `HEARTBEAT_TIMEOUT`. Client pings get a `pong`.
//! * `subscribe` answers `subscribed` (with the channel's latest offset), then the
//!   replayed messages if the position was recovered, then the presence snapshot, then
//!   live messages — no offset twice, none missing.
//! * `publish` is deduplicated by `(channel, msg_id)`; a repeat is acked with the first
//!   offset and `duplicate: true`. A publish is encoded once per encoding for all its
//!   subscribers. A publisher subscribed to the channel gets its own `message` before
//!   the `publish_ack`.
//! * Undecodable input gets an `error` (`BAD_FRAME`) and a close with `BAD_FRAME`; a
//!   message over `max_message_bytes` a close with `FRAME_TOO_LARGE`. An unknown frame
//!   type only gets the `error` (later frames of that message are dropped) and the
//!   connection stays open.
//! * Requests are rate limited per connection (see [`Limits`]); a client whose outbound
//!   queue overflows is closed with `SLOW_CONSUMER`.
//! * Graceful shutdown sends `disconnect` with code `SHUTDOWN` and a `retry_after_ms`
//!   drawn uniformly from `[0, shutdown_retry_spread)`.

//! # Metrics
//!
//! `/metrics` renders Prometheus text: `resocket_connections`,
//! `resocket_connections_total`, `resocket_subscriptions`,
//! `resocket_messages_in_total`, `resocket_messages_out_total`,
//! `resocket_publishes_total`, `resocket_calls_total`, `resocket_errors_total{code}` and
//! `resocket_disconnects_total{code}`. The first server built in a process installs the
//! global `metrics` recorder; if the application installed one before, the metrics go
//! there and `/metrics` answers 404.
#![deny(missing_docs)]

mod auth;
mod config;
mod connection;
pub mod engine;
mod heartbeat;
mod limits;
mod metrics;
mod outbox;
mod registry;
mod rpc;
mod server;
mod session;
mod subscription;

pub use auth::{
    AuthError, Authenticator, ChannelAction, ChannelPermissions, DevAuth, Identity, JwtAuth,
};
pub use config::{Limits, ServerConfig};
pub use engine::{Engine, MemoryEngine, MemoryEngineConfig};
pub use limits::{validate_channel_name, MAX_CHANNEL_NAME_BYTES};
pub use rpc::{CallContext, RpcError};
pub use server::{Server, ServerBuilder, ServerHandle};
