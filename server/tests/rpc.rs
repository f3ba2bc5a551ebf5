//! RPC: a handler's value, its typed application error, unknown methods, timeouts,
//! panics, and calls that do not block the connection.

mod common;

use std::time::Duration;

use common::{spawn, test_config, TestClient};
use resocket_protocol::codes::error;
use resocket_protocol::{CallResult, ClientFrame, ErrorBody, Payload, ServerFrame};
use resocket_server::{RpcError, Server, ServerConfig};

async fn rpc_server() -> resocket_server::ServerHandle {
    spawn(
        Server::builder()
            .config(ServerConfig {
                call_timeout: Duration::from_millis(500),
                ..test_config()
            })
            .rpc("echo", |_ctx, payload| async move { Ok(payload) })
            .rpc("whoami", |ctx, _payload| async move {
                Ok(Payload::from(
                    format!("{}:{}", ctx.user().unwrap_or("-"), ctx.method()).into_bytes(),
                ))
            })
            .rpc("withdraw", |_ctx, _payload| async move {
                Err(RpcError::new(1042, "insufficient funds"))
            })
            .rpc("sleep", |_ctx, payload| async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(payload)
            })
            .rpc("slow_echo", |_ctx, payload| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Ok(payload)
            })
            .rpc("panic", |_ctx, _payload| async move {
                if true {
                    panic!("handler bug");
                }
                Ok(Payload::default())
            }),
    )
    .await
}

#[tokio::test]
async fn a_handler_value_is_replied() {
    let server = rpc_server().await;
    let mut client = TestClient::connect_with(server.local_addr(), &[], Some("carol")).await;
    assert_eq!(
        client.call("echo", b"ping me").await,
        CallResult::Ok(Payload::from(b"ping me".to_vec()))
    );
    assert_eq!(
        client.call("whoami", b"").await,
        CallResult::Ok(Payload::from(b"carol:whoami".to_vec()))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_typed_application_error_is_replied_as_err() {
    let server = rpc_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    assert_eq!(
        client.call("withdraw", b"").await,
        CallResult::Err(ErrorBody {
            code: 1042,
            message: "insufficient funds".into()
        })
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_method_is_method_not_found() {
    let server = rpc_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    match client.call("nope", b"").await {
        CallResult::Err(e) => assert_eq!(e.code, error::METHOD_NOT_FOUND),
        other => panic!("expected an error, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn slow_and_broken_handlers_get_server_errors() {
    let server = rpc_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    match client.call("sleep", b"").await {
        CallResult::Err(e) => assert_eq!(e.code, error::HANDLER_TIMEOUT),
        other => panic!("expected a timeout, got {other:?}"),
    }
    match client.call("panic", b"").await {
        CallResult::Err(e) => assert_eq!(e.code, error::INTERNAL),
        other => panic!("expected an internal error, got {other:?}"),
    }
    // The connection is still fine.
    assert!(matches!(client.call("echo", b"x").await, CallResult::Ok(_)));
    server.shutdown().await;
}

#[tokio::test]
async fn calls_run_concurrently_and_do_not_block_other_frames() {
    let server = rpc_server().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    client
        .send_batch(&[
            ClientFrame::Call {
                id: 100,
                method: "slow_echo".into(),
                payload: Payload::from(b"a".to_vec()),
            },
            ClientFrame::Call {
                id: 101,
                method: "slow_echo".into(),
                payload: Payload::from(b"b".to_vec()),
            },
            ClientFrame::Ping {},
        ])
        .await;
    let started = std::time::Instant::now();
    assert_eq!(
        client.recv().await,
        ServerFrame::Pong {},
        "the ping is not held up"
    );
    let mut ids = vec![];
    for _ in 0..2 {
        match client.recv().await {
            ServerFrame::Reply {
                id,
                result: CallResult::Ok(_),
            } => ids.push(id),
            other => panic!("expected a reply, got {other:?}"),
        }
    }
    ids.sort();
    assert_eq!(ids, vec![100, 101]);
    assert!(
        started.elapsed() < Duration::from_millis(390),
        "the two calls overlapped"
    );
    server.shutdown().await;
}
