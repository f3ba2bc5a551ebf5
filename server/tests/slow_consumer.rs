//! A client that stops reading while a channel keeps publishing is disconnected with
//! `SLOW_CONSUMER` once its bounded outbound queue overflows; everyone else carries on.

mod common;

use std::time::Duration;

use common::{http_get, spawn, test_config, TestClient};
use resocket_protocol::codes::close;
use resocket_protocol::{CallResult, ServerFrame};
use resocket_server::{Limits, Server, ServerConfig};

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_and_the_server_stays_healthy() {
    let server = spawn(
        Server::builder()
            .config(ServerConfig {
                close_grace: Duration::from_secs(3),
                limits: Limits {
                    outbox_max_bytes: 256 * 1024,
                    ..Limits::default()
                },
                ..test_config()
            })
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await;
    let addr = server.local_addr();
    let mut slow = TestClient::connect(addr).await;
    slow.subscribe_fresh("firehose").await;
    let mut bystander = TestClient::connect(addr).await;
    bystander.subscribe_fresh("quiet").await;
    let mut publisher = TestClient::connect(addr).await;

    // `slow` reads nothing from here on. Socket buffers take a few MiB, then its queue
    // overflows; the metrics tell when the server gave up on it.
    let payload = vec![7u8; 60 * 1024];
    let mut published = 0u64;
    loop {
        for _ in 0..20 {
            published = publisher
                .publish("firehose", &format!("m{published}"), &payload)
                .await
                .1;
        }
        let (_, metrics) = http_get(addr, "/metrics").await;
        if metrics.contains("resocket_disconnects_total{code=\"4002\"} 1") {
            break;
        }
        assert!(
            published < 2000,
            "no slow-consumer disconnect after {published} messages"
        );
    }

    // Once it reads again it finds what had been written before the overflow, in
    // order, then the disconnect advice and the close.
    let ended = slow.until_closed().await;
    assert_eq!(ended.close_code, Some(close::SLOW_CONSUMER));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::SLOW_CONSUMER,
            reconnect: true,
            ..
        })
    ));
    let offsets: Vec<u64> = ended
        .frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Message { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    assert!(!offsets.is_empty());
    assert!(
        offsets.iter().copied().eq(1..=offsets.len() as u64),
        "no gaps before the cut"
    );
    assert!(
        (offsets.len() as u64) < published,
        "the backlog was dropped, not delivered"
    );

    // Nobody else noticed.
    assert!(matches!(
        publisher.call("echo", b"still here").await,
        CallResult::Ok(_)
    ));
    bystander.publish("quiet", "q1", b"hi").await;
    assert_eq!(bystander.expect_message().await, (1, b"hi".to_vec()));
    for _ in 0..100 {
        if server.server().connection_count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.server().connection_count(), 2);
    server.shutdown().await;
}
