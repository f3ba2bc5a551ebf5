//! Per-request limits: payload size, and the request rate limiter that refuses, then
//! disconnects, a flooding client.

mod common;

use common::{spawn, test_config, TestClient};
use resocket_protocol::codes::{close, error};
use resocket_protocol::{CallResult, ClientFrame, Payload, ServerFrame};
use resocket_server::{Limits, Server, ServerConfig};

#[tokio::test]
async fn oversized_payloads_are_refused() {
    let server = spawn(
        Server::builder()
            .config(ServerConfig {
                limits: Limits {
                    max_payload_bytes: 100,
                    ..Limits::default()
                },
                ..test_config()
            })
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let big = Payload::from(vec![1u8; 101]);
    client
        .send(&ClientFrame::Publish {
            id: 7,
            channel: "c".into(),
            msg_id: "m".into(),
            payload: big.clone(),
        })
        .await;
    assert_eq!(client.expect_error(7).await, error::PAYLOAD_TOO_LARGE);
    client
        .send(&ClientFrame::Call {
            id: 8,
            method: "echo".into(),
            payload: big,
        })
        .await;
    assert_eq!(client.expect_error(8).await, error::PAYLOAD_TOO_LARGE);
    let (_, offset, _) = client.publish("c", "m", &[1u8; 100]).await;
    assert_eq!(offset, 1, "the refused publish took no offset");
    server.shutdown().await;
}

#[tokio::test]
async fn a_flood_is_rate_limited_then_disconnected() {
    let server = spawn(
        Server::builder()
            .config(ServerConfig {
                limits: Limits {
                    request_rate: 5,
                    request_burst: 5,
                    ..Limits::default()
                },
                ..test_config()
            })
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await;
    let mut bystander = TestClient::connect(server.local_addr()).await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let flood: Vec<ClientFrame> = (0..30)
        .map(|i| ClientFrame::Publish {
            id: 100 + i,
            channel: "spam".into(),
            msg_id: format!("s{i}"),
            payload: Payload::from(b"x".to_vec()),
        })
        .collect();
    client.send_batch(&flood).await;
    let ended = client.until_closed().await;
    let acks = ended
        .frames
        .iter()
        .filter(|f| matches!(f, ServerFrame::PublishAck { .. }))
        .count();
    let limited = ended
        .frames
        .iter()
        .filter(|f| {
            matches!(
                f,
                ServerFrame::Error {
                    code: error::RATE_LIMITED,
                    id: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(acks, 5, "the burst goes through");
    assert_eq!(limited, 6, "refused until refusals exceed the burst");
    assert_eq!(ended.close_code, Some(close::RATE_LIMITED));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::RATE_LIMITED,
            reconnect: true,
            retry_after_ms: Some(_),
            ..
        })
    ));
    assert!(matches!(
        bystander.call("echo", b"").await,
        CallResult::Ok(_)
    ));
    server.shutdown().await;
}
