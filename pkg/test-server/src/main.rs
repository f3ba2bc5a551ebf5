//! `cargo run -p resocket-test-server`: a resocket server with hooks for tests.
//!
//! It serves the real `resocket-server` library on a WebSocket port and adds a control
//! port (plain HTTP, CORS open, so a page from any origin can use it) that can restart
//! the server the way a crash would and flood a channel. It prints one JSON line when
//! ready: `{"ws":"ws://127.0.0.1:P/ws","control":"http://127.0.0.1:C"}`.
//!
//! RPC methods:
//! * `echo` answers its payload; `fail` answers application error 1000;
//! * `slow` sleeps the number of milliseconds it is given, then answers `"done"`;
//! * `record` remembers its payload and answers nil; `recorded` answers the list of
//!   everything `record` received, so a test can tell what reached the server.
//!
//! Control routes:
//! * `GET /restart?down_ms=N&keep_history=0|1`: drops every connection at once (no
//!   close frame), stops listening, answers, and listens again after `N` ms with a new
//!   server — sharing the old engine (history and epochs survive, as with a persistent
//!   store) or with a fresh one (history lost: clients must be told to reset).
//! * `GET /flood?channel=C&count=N`: publishes `{"n": i}` for `i` in `0..N` on `C` as
//!   fast as the engine takes them; answers with the time it took.
//!
//! Flags: `--ping-interval-ms`, `--ping-timeout-ms`, `--outbox-max-frames`,
//! `--outbox-max-bytes` (the benchmark raises the outbox bounds so that a burst is not
//! cut as a slow consumer), `--static-dir DIR` (serves a page next to `/ws`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use resocket_protocol::Payload;
use resocket_server::engine::PublishRequest;
use resocket_server::{Engine, MemoryEngine, RpcError, Server, ServerConfig, ServerHandle};
use serde::Serialize;
use tokio::net::TcpListener;

struct Hooks {
    config: ServerConfig,
    ws_addr: SocketAddr,
    engine: Mutex<Arc<dyn Engine>>,
    running: tokio::sync::Mutex<Option<ServerHandle>>,
    recorded: Arc<Mutex<Vec<Payload>>>,
    static_dir: Option<PathBuf>,
}

impl Hooks {
    fn engine(&self) -> Arc<dyn Engine> {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn build(&self) -> Server {
        let record = self.recorded.clone();
        let recorded = self.recorded.clone();
        let mut builder = Server::builder();
        if let Some(dir) = &self.static_dir {
            builder = builder.static_dir(dir);
        }
        builder
            .config(self.config.clone())
            .engine(self.engine())
            .rpc("echo", |_ctx, payload| async move { Ok(payload) })
            .rpc("fail", |_ctx, _payload| async move {
                Err(RpcError::new(1000, "this method always fails"))
            })
            .rpc("slow", |_ctx, payload: Payload| async move {
                let ms: u64 = payload.decode().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Payload::encode("done").map_err(|e| RpcError::internal(e.to_string()))
            })
            .rpc("record", move |_ctx, payload| {
                let record = record.clone();
                async move {
                    record
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(payload);
                    Ok(Payload::from(vec![0xc0]))
                }
            })
            .rpc("recorded", move |_ctx, _payload| {
                let recorded = recorded.clone();
                async move {
                    // A MessagePack array of the payloads as they arrived.
                    let all = recorded.lock().unwrap_or_else(|e| e.into_inner());
                    let mut out = vec![0xdd];
                    out.extend_from_slice(&(all.len() as u32).to_be_bytes());
                    for p in all.iter() {
                        out.extend_from_slice(p.as_bytes());
                    }
                    Ok(Payload::from(out))
                }
            })
            .build()
    }

    async fn start(&self) -> std::io::Result<()> {
        let listener = TcpListener::bind(self.ws_addr).await?;
        let handle = self.build().spawn(listener)?;
        *self.running.lock().await = Some(handle);
        Ok(())
    }
}

fn cors(body: String) -> impl IntoResponse {
    ([(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], body)
}

async fn restart(
    State(hooks): State<Arc<Hooks>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let down = Duration::from_millis(q.get("down_ms").and_then(|v| v.parse().ok()).unwrap_or(0));
    let keep_history = q.get("keep_history").is_some_and(|v| v == "1");
    if let Some(handle) = hooks.running.lock().await.take() {
        handle.abort().await;
    }
    if !keep_history {
        let fresh: Arc<dyn Engine> =
            Arc::new(MemoryEngine::new(hooks.config.memory_engine.clone()));
        *hooks.engine.lock().unwrap_or_else(|e| e.into_inner()) = fresh;
    }
    let again = hooks.clone();
    tokio::spawn(async move {
        tokio::time::sleep(down).await;
        // The port was just released; retry briefly in case the OS needs a moment.
        for _ in 0..50 {
            match again.start().await {
                Ok(()) => return,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        eprintln!("test server: could not listen again on {}", again.ws_addr);
    });
    cors("down".into())
}

async fn flood(
    State(hooks): State<Arc<Hooks>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    #[derive(Serialize)]
    struct Small {
        n: u64,
    }
    let channel = q.get("channel").cloned().unwrap_or_else(|| "bench".into());
    let count: u64 = q.get("count").and_then(|v| v.parse().ok()).unwrap_or(1000);
    let engine = hooks.engine();
    let started = Instant::now();
    for n in 0..count {
        let payload = match Payload::encode(&Small { n }) {
            Ok(p) => p,
            Err(e) => return cors(format!("{{\"error\":\"{e}\"}}")),
        };
        let request = PublishRequest {
            channel: channel.clone(),
            msg_id: String::new(),
            payload,
            publisher: None,
        };
        if let Err(e) = engine.publish(request).await {
            return cors(format!("{{\"error\":\"{e}\"}}"));
        }
        // The in-memory engine never makes this task wait: let the connections' writer
        // tasks send while the burst goes on, as they would with real publishers.
        if n % 256 == 255 {
            tokio::task::yield_now().await;
        }
    }
    cors(format!("{{\"ms\":{}}}", started.elapsed().as_millis()))
}

fn flag(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut config = ServerConfig::default();
    if let Some(ms) = flag(&args, "--ping-interval-ms") {
        config.ping_interval = Duration::from_millis(ms);
    }
    if let Some(ms) = flag(&args, "--ping-timeout-ms") {
        config.ping_timeout = Duration::from_millis(ms);
    }
    if let Some(n) = flag(&args, "--outbox-max-frames") {
        config.limits.outbox_max_frames = n as usize;
    }
    if let Some(n) = flag(&args, "--outbox-max-bytes") {
        config.limits.outbox_max_bytes = n as usize;
    }
    config.shutdown_grace = Duration::from_millis(200);

    let ws_listener = TcpListener::bind("127.0.0.1:0").await?;
    let ws_addr = ws_listener.local_addr()?;
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::new(config.memory_engine.clone()));
    let hooks = Arc::new(Hooks {
        config,
        ws_addr,
        engine: Mutex::new(engine),
        running: tokio::sync::Mutex::new(None),
        recorded: Arc::default(),
        static_dir: args
            .iter()
            .position(|a| a == "--static-dir")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from),
    });
    let handle = hooks.build().spawn(ws_listener)?;
    *hooks.running.lock().await = Some(handle);

    let control = TcpListener::bind("127.0.0.1:0").await?;
    let control_addr = control.local_addr()?;
    let routes = Router::new()
        .route("/restart", get(restart))
        .route("/flood", get(flood))
        .with_state(hooks);
    println!("{{\"ws\":\"ws://{ws_addr}/ws\",\"control\":\"http://{control_addr}\"}}");
    axum::serve(control, routes)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
