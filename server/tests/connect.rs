//! The connect handshake: `connected`, and every way a handshake is refused.

mod common;

use std::time::Duration;

use common::{connect_frame, spawn, spawn_default, test_config, TestClient};
use resocket_protocol::codes::close;
use resocket_protocol::{ClientFrame, ClientInfo, ServerFrame, SUBPROTOCOL_MSGPACK};
use resocket_server::{Identity, Server, ServerConfig};

#[tokio::test]
async fn connect_is_answered_with_connected() {
    let server =
        spawn(
            Server::builder()
                .config(test_config())
                .heartbeat(Duration::from_millis(1500), Duration::from_millis(700))
                .auth(|token: Option<String>| async move {
                    Ok(Identity::user(token.unwrap_or_default()))
                }),
        )
        .await;
    let mut client = TestClient::open(server.local_addr(), &[]).await;
    assert_eq!(client.selected, None, "no subprotocol offered, none echoed");
    client.send(&connect_frame(Some("alice"))).await;
    match client.recv().await {
        ServerFrame::Connected {
            session,
            ping_interval_ms,
            ping_timeout_ms,
            user,
        } => {
            assert_eq!(session.len(), 16);
            assert_eq!((ping_interval_ms, ping_timeout_ms), (1500, 700));
            assert_eq!(user.as_deref(), Some("alice"));
        }
        other => panic!("expected connected, got {other:?}"),
    }
    assert_eq!(
        client.last_was_binary,
        Some(true),
        "msgpack travels in binary messages"
    );

    // A second client gets another session.
    let other = TestClient::connect(server.local_addr()).await;
    assert_ne!(other.session, client.session);
    server.shutdown().await;
}

#[tokio::test]
async fn msgpack_is_echoed_when_offered() {
    let server = spawn_default().await;
    let client =
        TestClient::connect_with(server.local_addr(), &["other", SUBPROTOCOL_MSGPACK], None).await;
    assert_eq!(client.selected.as_deref(), Some(SUBPROTOCOL_MSGPACK));
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_version_is_closed_with_unsupported_protocol() {
    let server = spawn_default().await;
    let mut client = TestClient::open(server.local_addr(), &[]).await;
    client
        .send(&ClientFrame::Connect {
            version: 99,
            token: None,
            client: ClientInfo::default(),
            resume: None,
        })
        .await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::UNSUPPORTED_PROTOCOL));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::UNSUPPORTED_PROTOCOL,
            reconnect: false,
            ..
        })
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn a_first_frame_other_than_connect_is_a_protocol_violation() {
    let server = spawn_default().await;
    let mut client = TestClient::open(server.local_addr(), &[]).await;
    client.send(&ClientFrame::Ping {}).await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::PROTOCOL_VIOLATION));
    assert!(
        ended.frames.is_empty(),
        "nothing but the disconnect: {:?}",
        ended.frames
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_connect_is_a_protocol_violation() {
    let server = spawn_default().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    client.send(&connect_frame(None)).await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::PROTOCOL_VIOLATION));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::PROTOCOL_VIOLATION,
            reconnect: true,
            ..
        })
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn connect_and_requests_may_share_one_message() {
    let server = spawn_default().await;
    let mut client = TestClient::open(server.local_addr(), &[]).await;
    client
        .send_batch(&[connect_frame(None), ClientFrame::Ping {}])
        .await;
    assert!(matches!(client.recv().await, ServerFrame::Connected { .. }));
    assert_eq!(client.recv().await, ServerFrame::Pong {});
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_new_connection_is_closed_after_the_connect_timeout() {
    let server = spawn(Server::builder().config(ServerConfig {
        connect_timeout: Duration::from_millis(200),
        ..test_config()
    }))
    .await;
    let mut client = TestClient::open(server.local_addr(), &[]).await;
    let started = std::time::Instant::now();
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::PROTOCOL_VIOLATION));
    assert!(started.elapsed() >= Duration::from_millis(150));
    server.shutdown().await;
}

#[tokio::test]
async fn upgrades_beyond_max_connections_are_refused_with_503() {
    let server = spawn(Server::builder().config(ServerConfig {
        limits: resocket_server::Limits {
            max_connections: 1,
            ..Default::default()
        },
        ..test_config()
    }))
    .await;
    let first = TestClient::connect(server.local_addr()).await;
    let url = format!("ws://{}/ws", server.local_addr());
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    drop(first);
    server.shutdown().await;
}
