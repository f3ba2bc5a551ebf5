//! The server side of the benchmarks: the reference server with an `echo` method and
//! a `burst` method that publishes many messages from inside the server.

use std::sync::Arc;
use std::time::Duration;

use resocket_protocol::Payload;
use resocket_server::engine::PublishRequest;
use resocket_server::{
    Engine, Limits, MemoryEngine, MemoryEngineConfig, RpcError, Server, ServerConfig,
};
use serde::{Deserialize, Serialize};

/// Arguments of the `burst` method.
#[derive(Debug, Serialize, Deserialize)]
pub struct Burst {
    /// Channel to publish on.
    pub channel: String,
    /// Messages to publish.
    pub count: u64,
    /// Payload size in bytes.
    pub size: usize,
}

pub async fn serve(port: u16) {
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::new(MemoryEngineConfig {
        history_max_messages: 1_000,
        ..MemoryEngineConfig::default()
    }));
    let burst_engine = engine.clone();
    let config = ServerConfig {
        call_timeout: Duration::from_secs(120),
        limits: Limits {
            max_connections: 20_000,
            request_rate: 0,
            // A burst is published faster than any client reads it; let the outbox
            // hold it rather than measuring the slow-consumer cut-off.
            outbox_max_frames: 1 << 20,
            outbox_max_bytes: 512 << 20,
            ..Limits::default()
        },
        ..ServerConfig::default()
    };
    let server = Server::builder()
        .config(config)
        .engine(engine)
        .rpc("echo", |_ctx, payload| async move { Ok(payload) })
        .rpc("burst", move |_ctx, payload| {
            let engine = burst_engine.clone();
            async move {
                let burst: Burst = payload
                    .decode()
                    .map_err(|e| RpcError::bad_request(e.to_string()))?;
                let body = Payload::from(vec![7u8; burst.size]);
                for _ in 0..burst.count {
                    engine
                        .publish(PublishRequest {
                            channel: burst.channel.clone(),
                            msg_id: String::new(),
                            payload: body.clone(),
                            publisher: None,
                        })
                        .await
                        .map_err(|e| RpcError::internal(e.to_string()))?;
                }
                Payload::encode(&burst.count).map_err(|e| RpcError::internal(e.to_string()))
            }
        })
        .build();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind bench server");
    server.serve(listener).await.expect("serve");
}
