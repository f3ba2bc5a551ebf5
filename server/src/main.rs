//! `cargo run -p resocket-server -- --help`: the reference resocket server.
//!
//! Every flag can also be given as an environment variable (`RESOCKET_…`, shown in
//! `--help`). Without `--jwt-secret` the server runs in development mode and lets
//! everyone in (a token, if sent, is taken as the user name).
//!
//! Two demo RPC methods are registered: `echo` answers the payload it was given, and
//! `fail` always answers the application error 1000.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use resocket_server::{
    DevAuth, JwtAuth, Limits, MemoryEngineConfig, RpcError, Server, ServerConfig,
};
use tracing_subscriber::EnvFilter;

/// The reference resocket server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "RESOCKET_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `resocket_server=debug`.
    #[arg(long, env = "RESOCKET_LOG", default_value = "info")]
    log: String,

    /// Directory of static files to serve at `/` (default: `www/dist` when it exists).
    #[arg(long, env = "RESOCKET_STATIC_DIR")]
    static_dir: Option<PathBuf>,

    /// Secret for HS256 JWT verification; connections must then present a valid token.
    #[arg(long, env = "RESOCKET_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,

    /// With `--jwt-secret`: also let connections without a token in, anonymously.
    #[arg(long, env = "RESOCKET_ALLOW_ANONYMOUS")]
    allow_anonymous: bool,

    /// Messages kept per channel for replay.
    #[arg(long, env = "RESOCKET_HISTORY_SIZE", default_value_t = MemoryEngineConfig::default().history_max_messages)]
    history_size: usize,

    /// Seconds a message stays in history.
    #[arg(long, env = "RESOCKET_HISTORY_TTL_SECS", default_value_t = MemoryEngineConfig::default().history_max_age.as_secs())]
    history_ttl_secs: u64,

    /// `msg_id`s remembered per channel for deduplication.
    #[arg(long, env = "RESOCKET_DEDUP_MAX_IDS", default_value_t = MemoryEngineConfig::default().dedup_max_ids)]
    dedup_max_ids: usize,

    /// Seconds a `msg_id` is remembered.
    #[arg(long, env = "RESOCKET_DEDUP_WINDOW_SECS", default_value_t = MemoryEngineConfig::default().dedup_window.as_secs())]
    dedup_window_secs: u64,

    /// Milliseconds between server pings.
    #[arg(long, env = "RESOCKET_PING_INTERVAL_MS", default_value_t = ms(ServerConfig::default().ping_interval))]
    ping_interval_ms: u64,

    /// Milliseconds a client may stay silent after a ping.
    #[arg(long, env = "RESOCKET_PING_TIMEOUT_MS", default_value_t = ms(ServerConfig::default().ping_timeout))]
    ping_timeout_ms: u64,

    /// Milliseconds a new connection may take to send `connect`.
    #[arg(long, env = "RESOCKET_CONNECT_TIMEOUT_MS", default_value_t = ms(ServerConfig::default().connect_timeout))]
    connect_timeout_ms: u64,

    /// Milliseconds an RPC handler may run.
    #[arg(long, env = "RESOCKET_CALL_TIMEOUT_MS", default_value_t = ms(ServerConfig::default().call_timeout))]
    call_timeout_ms: u64,

    /// Milliseconds clients get to leave on shutdown before being dropped.
    #[arg(long, env = "RESOCKET_SHUTDOWN_GRACE_MS", default_value_t = ms(ServerConfig::default().shutdown_grace))]
    shutdown_grace_ms: u64,

    /// Most simultaneous WebSocket connections.
    #[arg(long, env = "RESOCKET_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    max_connections: usize,

    /// Largest inbound WebSocket message, in bytes.
    #[arg(long, env = "RESOCKET_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes)]
    max_message_bytes: usize,

    /// Largest publish or call payload, in bytes.
    #[arg(long, env = "RESOCKET_MAX_PAYLOAD_BYTES", default_value_t = Limits::default().max_payload_bytes)]
    max_payload_bytes: usize,

    /// Most subscriptions per connection.
    #[arg(long, env = "RESOCKET_MAX_SUBSCRIPTIONS", default_value_t = Limits::default().max_subscriptions)]
    max_subscriptions: usize,

    /// RPC calls of one connection running at once.
    #[arg(long, env = "RESOCKET_MAX_INFLIGHT_CALLS", default_value_t = Limits::default().max_inflight_calls)]
    max_inflight_calls: usize,

    /// Requests per second per connection (0: unlimited); a client refused more often
    /// than the burst size within a second is disconnected.
    #[arg(long, env = "RESOCKET_REQUEST_RATE", default_value_t = Limits::default().request_rate)]
    request_rate: u32,

    /// Requests per connection allowed in a burst.
    #[arg(long, env = "RESOCKET_REQUEST_BURST", default_value_t = Limits::default().request_burst)]
    request_burst: u32,

    /// Frames queued for one connection before it is closed as a slow consumer.
    #[arg(long, env = "RESOCKET_OUTBOX_MAX_FRAMES", default_value_t = Limits::default().outbox_max_frames)]
    outbox_max_frames: usize,

    /// Bytes queued for one connection before it is closed as a slow consumer.
    #[arg(long, env = "RESOCKET_OUTBOX_MAX_BYTES", default_value_t = Limits::default().outbox_max_bytes)]
    outbox_max_bytes: usize,

    /// Largest coalesced outbound WebSocket message, in bytes.
    #[arg(long, env = "RESOCKET_BATCH_MAX_BYTES", default_value_t = Limits::default().batch_max_bytes)]
    batch_max_bytes: usize,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Cli {
    fn config(&self) -> ServerConfig {
        let defaults = ServerConfig::default();
        ServerConfig {
            ping_interval: Duration::from_millis(self.ping_interval_ms),
            ping_timeout: Duration::from_millis(self.ping_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            call_timeout: Duration::from_millis(self.call_timeout_ms),
            shutdown_grace: Duration::from_millis(self.shutdown_grace_ms),
            limits: Limits {
                max_connections: self.max_connections,
                max_message_bytes: self.max_message_bytes,
                max_payload_bytes: self.max_payload_bytes,
                max_subscriptions: self.max_subscriptions,
                max_inflight_calls: self.max_inflight_calls,
                request_rate: self.request_rate,
                request_burst: self.request_burst,
                outbox_max_frames: self.outbox_max_frames,
                outbox_max_bytes: self.outbox_max_bytes,
                batch_max_bytes: self.batch_max_bytes,
                ..defaults.limits
            },
            memory_engine: MemoryEngineConfig {
                history_max_messages: self.history_size,
                history_max_age: Duration::from_secs(self.history_ttl_secs),
                dedup_max_ids: self.dedup_max_ids,
                dedup_window: Duration::from_secs(self.dedup_window_secs),
            },
            ..defaults
        }
    }

    fn static_dir(&self) -> Option<PathBuf> {
        match &self.static_dir {
            Some(dir) => Some(dir.clone()),
            None => Some(PathBuf::from("www/dist")).filter(|d| d.is_dir()),
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = match EnvFilter::try_new(&cli.log) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("invalid --log filter `{}`: {e}", cli.log);
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let mut builder = Server::builder()
        .config(cli.config())
        .rpc("echo", |_ctx, payload| async move { Ok(payload) })
        .rpc("fail", |_ctx, _payload| async move {
            Err(RpcError::new(1000, "this method always fails"))
        });
    builder = match &cli.jwt_secret {
        Some(secret) => builder.auth(JwtAuth::hs256(secret).allow_anonymous(cli.allow_anonymous)),
        None => {
            tracing::warn!("no --jwt-secret: development mode, every connection is let in");
            builder.auth(DevAuth)
        }
    };
    if let Some(dir) = cli.static_dir() {
        if !dir.is_dir() {
            tracing::warn!(dir = %dir.display(), "static directory does not exist (yet)");
        }
        tracing::info!(dir = %dir.display(), "serving static files");
        builder = builder.static_dir(dir);
    }
    let server = builder.build();

    let listener = match tokio::net::TcpListener::bind(cli.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(bind = %cli.bind, error = %e, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    match server.serve(listener).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}
