//! Support for the end-to-end tests: servers on free loopback ports that can be
//! crashed and restarted on the same port, client configurations with short timings,
//! a chaos proxy, and helpers to wait for events without sleeping blindly.

mod proxy;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use resocket::{BackoffConfig, ChannelEvent, Config};
use resocket_server::{Engine, RpcError, Server, ServerBuilder, ServerHandle};
use tokio::net::TcpListener;

pub use proxy::ChaosProxy;

/// A server builder with the test RPC methods: `echo` (answers its payload), `fail`
/// (application error 1001), and `sleep` (answers after the number of milliseconds in
/// its payload).
pub fn test_server() -> ServerBuilder {
    Server::builder()
        .heartbeat(Duration::from_millis(500), Duration::from_millis(500))
        .rpc("echo", |_ctx, payload| async move { Ok(payload) })
        .rpc("fail", |_ctx, _payload| async move {
            Err(RpcError::new(1001, "this method always fails"))
        })
        .rpc("sleep", |_ctx, payload| async move {
            let ms: u64 = payload
                .decode()
                .map_err(|e| RpcError::bad_request(e.to_string()))?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(payload)
        })
}

/// Starts `builder` on a free port of 127.0.0.1.
pub async fn start(builder: ServerBuilder) -> ServerHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    builder.build().spawn(listener).expect("spawn server")
}

/// Starts `builder` on `addr`, retrying while the port is still being released.
pub async fn start_on(addr: SocketAddr, builder: ServerBuilder) -> ServerHandle {
    let server = builder.build();
    for _ in 0..100 {
        match TcpListener::bind(addr).await {
            Ok(listener) => return server.spawn(listener).expect("spawn server"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("could not bind {addr} again");
}

/// The engine of a running server, to share it with its successor.
pub fn engine_of(handle: &ServerHandle) -> Arc<dyn Engine> {
    handle.server().engine().clone()
}

/// `ws://` URL of a server's WebSocket endpoint.
pub fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/ws")
}

/// A client configuration with short backoff and timeouts, seeded for repeatability.
pub fn fast_client(seed: u64) -> Config {
    Config {
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            factor: 2.0,
        },
        connect_timeout: Duration::from_secs(2),
        default_call_timeout: Some(Duration::from_secs(5)),
        seed,
        ..Config::default()
    }
}

/// The next event of a stream, or `None` after `within`.
pub async fn next_within<S: Stream + Unpin>(stream: &mut S, within: Duration) -> Option<S::Item> {
    tokio::time::timeout(within, stream.next())
        .await
        .ok()
        .flatten()
}

/// Waits for the first channel event matching `pred`, failing the test after `within`.
pub async fn wait_for<S, F>(stream: &mut S, within: Duration, mut pred: F) -> ChannelEvent
where
    S: Stream<Item = ChannelEvent> + Unpin,
    F: FnMut(&ChannelEvent) -> bool,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(event)) if pred(&event) => return event,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("stream ended while waiting"),
            Err(_) => panic!("no matching event within {within:?}"),
        }
    }
}

/// Collects every event a stream yields until it is quiet for `quiet`.
pub async fn drain_until_quiet<S: Stream + Unpin>(stream: &mut S, quiet: Duration) -> Vec<S::Item> {
    let mut out = Vec::new();
    while let Some(item) = next_within(stream, quiet).await {
        out.push(item);
    }
    out
}
