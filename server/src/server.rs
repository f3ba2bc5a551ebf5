//! Building, mounting, running and stopping a server.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::serve::ListenerExt;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use resocket_protocol::{Encoding, Payload, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tower_http::services::{ServeDir, ServeFile};

use crate::auth::{Authenticator, DevAuth};
use crate::config::{Limits, ServerConfig};
use crate::connection;
use crate::engine::{Engine, MemoryEngine};
use crate::metrics::{prometheus_handle, ServerMetrics};
use crate::registry::ConnectionRegistry;
use crate::rpc::{CallContext, RpcError, RpcRegistry};

/// What every connection of a server shares.
pub(crate) struct ServerState {
    pub(crate) config: ServerConfig,
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) auth: Arc<dyn Authenticator>,
    pub(crate) rpc: RpcRegistry,
    pub(crate) metrics: ServerMetrics,
    pub(crate) connections: Arc<ConnectionRegistry>,
    prometheus: Option<PrometheusHandle>,
    static_dir: Option<PathBuf>,
}

/// Configures a [`Server`]. Obtained from [`Server::builder`].
#[must_use]
pub struct ServerBuilder {
    config: ServerConfig,
    engine: Option<Arc<dyn Engine>>,
    auth: Option<Arc<dyn Authenticator>>,
    rpc: RpcRegistry,
    static_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("config", &self.config)
            .field("rpc", &self.rpc)
            .field("static_dir", &self.static_dir)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Replaces the whole configuration.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the per-connection limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Sets how often connections are pinged and how long a ping may go unanswered.
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.ping_interval = interval;
        self.config.ping_timeout = timeout;
        self
    }

    /// Uses `engine` for channels instead of a new [`MemoryEngine`]. Sharing one engine
    /// between two servers in turn keeps history (and the epoch) across a restart.
    pub fn engine(mut self, engine: Arc<dyn Engine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Authenticates connections with `auth`. Without it every connection is let in
    /// as [`DevAuth`] would.
    pub fn auth(mut self, auth: impl Authenticator) -> Self {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Registers an RPC handler for `method`, replacing any previous one.
    ///
    /// ```no_run
    /// # use resocket_server::{Server, RpcError};
    /// let server = Server::builder()
    ///     .rpc("echo", |_ctx, payload| async move { Ok(payload) })
    ///     .rpc("fail", |_ctx, _payload| async move {
    ///         Err(RpcError::new(1000, "always fails"))
    ///     })
    ///     .build();
    /// ```
    pub fn rpc<F, Fut>(mut self, method: impl Into<String>, handler: F) -> Self
    where
        F: Fn(CallContext, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, RpcError>> + Send + 'static,
    {
        self.rpc.insert(method, handler);
        self
    }

    /// Serves the files under `dir` for every path the server does not handle itself,
    /// falling back to `dir/index.html` (for single-page apps).
    pub fn static_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
        self
    }

    /// Builds the server. The first server built in a process installs the Prometheus
    /// recorder (see [`crate::metrics`](crate#metrics)).
    pub fn build(self) -> Server {
        let prometheus = prometheus_handle();
        let engine = self
            .engine
            .unwrap_or_else(|| Arc::new(MemoryEngine::new(self.config.memory_engine.clone())));
        Server {
            state: Arc::new(ServerState {
                engine,
                auth: self.auth.unwrap_or_else(|| Arc::new(DevAuth)),
                rpc: self.rpc,
                metrics: ServerMetrics::new(),
                connections: Arc::new(ConnectionRegistry::new()),
                prometheus,
                static_dir: self.static_dir,
                config: self.config,
            }),
        }
    }
}

/// A resocket server: the `/ws` endpoint, `/healthz`, `/metrics` and optional static
/// files.
///
/// Run it with [`spawn`](Self::spawn) (tests, embedding) or [`serve`](Self::serve)
/// (binaries: stops gracefully on SIGTERM / Ctrl-C), or mount its
/// [`router`](Self::router) in an application of your own. A server serves once:
/// after a shutdown or abort, build a new one (sharing the engine to keep history).
#[derive(Clone)]
pub struct Server {
    state: Arc<ServerState>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.state.config)
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts configuring a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            config: ServerConfig::default(),
            engine: None,
            auth: None,
            rpc: RpcRegistry::default(),
            static_dir: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ServerConfig {
        &self.state.config
    }

    /// The engine behind the server.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.state.engine
    }

    /// Number of open WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.state.connections.len()
    }

    /// The routes: `/ws` (WebSocket), `/healthz`, `/metrics`, and the static directory
    /// as fallback when one is set. Merge or nest it into an application's router; call
    /// [`disconnect_all`](Self::disconnect_all) when that application shuts down, and
    /// serve it with `TCP_NODELAY` set (as [`spawn`](Self::spawn) does: frames are
    /// already coalesced, so Nagle's algorithm only adds latency).
    pub fn router(&self) -> Router {
        let router = Router::new()
            .route("/ws", any(ws_upgrade))
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .with_state(self.state.clone());
        match &self.state.static_dir {
            Some(dir) => router.fallback_service(
                ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))),
            ),
            None => router,
        }
    }

    /// Serves on `listener` in a background task.
    pub fn spawn(self, listener: TcpListener) -> io::Result<ServerHandle> {
        let local_addr = listener.local_addr()?;
        let (stop_accepting, stopped) = oneshot::channel::<()>();
        let router = self.router();
        // The writer coalesces frames itself; Nagle's algorithm would only add latency
        // (and hold back a close frame queued right behind a `disconnect`).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%local_addr, "listening");
        Ok(ServerHandle {
            server: self,
            local_addr,
            stop_accepting: Some(stop_accepting),
            task,
        })
    }

    /// Serves on `listener` until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn serve(self, listener: TcpListener) -> io::Result<()> {
        let mut handle = self.spawn(listener)?;
        tokio::select! {
            _ = shutdown_signal() => {
                tracing::info!("shutdown signal received");
                handle.shutdown().await;
                Ok(())
            }
            ended = &mut handle.task => ended.map_err(io::Error::other)?,
        }
    }

    /// Tells every connected client to reconnect later (`disconnect` with code
    /// `SHUTDOWN` and a random `retry_after_ms`), refuses new connections, waits up to
    /// `shutdown_grace` for them to go, then drops the rest.
    pub async fn disconnect_all(&self) {
        let state = &self.state;
        state
            .connections
            .begin_shutdown(state.config.shutdown_retry_spread);
        let deadline = Instant::now() + state.config.shutdown_grace;
        if !state.connections.wait_empty(deadline).await {
            tracing::warn!(
                remaining = state.connections.len(),
                "connections still open after the shutdown grace; dropping them"
            );
            state.connections.abort_all();
            state
                .connections
                .wait_empty(Instant::now() + state.config.close_grace)
                .await;
        }
    }
}

/// A running server. Dropping it leaves the server running in the background.
#[derive(Debug)]
pub struct ServerHandle {
    server: Server,
    local_addr: SocketAddr,
    stop_accepting: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server being run.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Graceful shutdown: stops accepting, sends every client a `SHUTDOWN` disconnect
    /// with a jittered `retry_after_ms`, waits up to `shutdown_grace` for them to leave,
    /// drops whoever is left, and releases the listening socket.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop_accepting.take() {
            let _ = stop.send(());
        }
        self.server.disconnect_all().await;
        // Plain HTTP connections are given a moment to finish, then cut.
        if timeout(Duration::from_secs(1), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
            let _ = (&mut self.task).await;
        }
        tracing::info!(local_addr = %self.local_addr, "server stopped");
    }

    /// Abrupt stop, like a crash: the listening socket is released and every
    /// connection is dropped at once, with no `disconnect` frame and no WebSocket close.
    pub async fn abort(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
        let connections = &self.server.state.connections;
        connections.abort_all();
        connections
            .wait_empty(Instant::now() + Duration::from_secs(1))
            .await;
        tracing::info!(local_addr = %self.local_addr, "server aborted");
    }
}

async fn ws_upgrade(State(state): State<Arc<ServerState>>, ws: WebSocketUpgrade) -> Response {
    if state.connections.is_stopping() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let limits = &state.config.limits;
    if state.connections.len() >= limits.max_connections {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    let ws = ws
        .protocols([SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON])
        .read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes);
    let encoding = ws
        .selected_protocol()
        .and_then(|p| p.to_str().ok())
        .and_then(Encoding::from_subprotocol)
        .unwrap_or_default();
    ws.on_upgrade(move |socket| connection::run(socket, state, encoding))
}

async fn healthz(State(state): State<Arc<ServerState>>) -> Response {
    if state.connections.is_stopping() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(state): State<Arc<ServerState>>) -> Response {
    match &state.prometheus {
        Some(handle) => {
            handle.run_upkeep();
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
                .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            "metrics go to the application's own recorder\n",
        )
            .into_response(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
