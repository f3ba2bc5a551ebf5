//! Undecodable, oversized and unknown input, and subscribe floods: each gets a clear
//! error or close code, and other connections are unaffected.

mod common;

use common::{spawn, test_config, TestClient};
use resocket_protocol::codes::{close, error};
use resocket_protocol::{CallResult, ClientFrame, ServerFrame, SUBPROTOCOL_JSON};
use resocket_server::{Limits, Server, ServerConfig, ServerHandle};
use tokio_tungstenite::tungstenite::Message;

async fn server() -> ServerHandle {
    spawn(
        Server::builder()
            .config(ServerConfig {
                limits: Limits {
                    max_message_bytes: 4096,
                    max_subscriptions: 8,
                    ..Limits::default()
                },
                ..test_config()
            })
            .rpc("echo", |_ctx, payload| async move { Ok(payload) }),
    )
    .await
}

async fn assert_still_works(client: &mut TestClient) {
    assert!(matches!(
        client.call("echo", b"ok").await,
        CallResult::Ok(_)
    ));
}

#[tokio::test]
async fn garbage_bytes_get_bad_frame() {
    let server = server().await;
    let mut bystander = TestClient::connect(server.local_addr()).await;
    let cases: [(&[&str], &[u8]); 2] = [
        (&[], b"\xc1\xc1 definitely not a frame"),
        (&[SUBPROTOCOL_JSON], b"{ definitely not a frame"),
    ];
    for (subprotocols, garbage) in cases {
        let mut client = TestClient::connect_with(server.local_addr(), subprotocols, None).await;
        client.send_bytes(garbage.to_vec()).await;
        let ended = client.until_closed().await;
        assert_eq!(ended.close_code, Some(close::BAD_FRAME), "{subprotocols:?}");
        assert!(matches!(
            ended.frames.as_slice(),
            [ServerFrame::Error {
                code: error::BAD_FRAME,
                id: None,
                ..
            }]
        ));
        assert!(matches!(
            ended.disconnect,
            Some(ServerFrame::Disconnect {
                code: close::BAD_FRAME,
                reconnect: true,
                ..
            })
        ));
    }
    // Text garbage on a MessagePack connection, and an empty message, too.
    let mut client = TestClient::connect(server.local_addr()).await;
    client.ws.send_text_for_test("hello?").await;
    assert_eq!(
        client.until_closed().await.close_code,
        Some(close::BAD_FRAME)
    );
    let mut client = TestClient::connect(server.local_addr()).await;
    client.send_bytes(Vec::new()).await;
    assert_eq!(
        client.until_closed().await.close_code,
        Some(close::BAD_FRAME)
    );
    assert_still_works(&mut bystander).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_message_is_closed_with_frame_too_large() {
    let server = server().await;
    let mut bystander = TestClient::connect(server.local_addr()).await;
    let mut client = TestClient::connect(server.local_addr()).await;
    client.send_bytes(vec![0x90; 5000]).await;
    let ended = client.until_closed().await;
    assert_eq!(ended.close_code, Some(close::FRAME_TOO_LARGE));
    assert!(matches!(
        ended.disconnect,
        Some(ServerFrame::Disconnect {
            code: close::FRAME_TOO_LARGE,
            ..
        })
    ));
    assert_still_works(&mut bystander).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_frame_type_is_reported_and_the_connection_kept() {
    let server = server().await;
    // `{"frobnicate":{"x":1}}` in both encodings.
    let msgpack = b"\x81\xaafrobnicate\x81\xa1x\x01".to_vec();
    let cases: [(&[&str], Vec<u8>); 2] = [
        (&[SUBPROTOCOL_JSON], br#"{"frobnicate":{"x":1}}"#.to_vec()),
        (&[], msgpack),
    ];
    for (subprotocols, unknown) in cases {
        let mut client = TestClient::connect_with(server.local_addr(), subprotocols, None).await;
        client.send_bytes(unknown).await;
        match client.recv().await {
            ServerFrame::Error { code, message, id } => {
                assert_eq!((code, id), (error::BAD_FRAME, None));
                assert!(
                    message.contains("unknown frame type `frobnicate`"),
                    "{message}"
                );
            }
            other => panic!("expected an error, got {other:?}"),
        }
        assert_still_works(&mut client).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_subscribe_flood_is_capped_and_invalid_requests_are_refused() {
    let server = server().await;
    let mut bystander = TestClient::connect(server.local_addr()).await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let flood: Vec<ClientFrame> = (0..20)
        .map(|i| ClientFrame::Subscribe {
            id: 1000 + i,
            channel: format!("flood-{i}"),
            since: None,
        })
        .collect();
    client.send_batch(&flood).await;
    let (mut subscribed, mut refused) = (0, 0);
    while subscribed + refused < 20 {
        match client.recv().await {
            ServerFrame::Subscribed { .. } => subscribed += 1,
            ServerFrame::Error {
                code: error::TOO_MANY_SUBSCRIPTIONS,
                id: Some(_),
                ..
            } => refused += 1,
            ServerFrame::Presence { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((subscribed, refused), (8, 12));

    let bad_names = ["".to_string(), "x".repeat(256), "tab\there".into()];
    for name in bad_names {
        let id = bystander.id();
        bystander
            .send(&ClientFrame::Subscribe {
                id,
                channel: name,
                since: None,
            })
            .await;
        assert_eq!(bystander.expect_error(id).await, error::BAD_REQUEST);
    }
    bystander.subscribe_fresh("once").await;
    let id = bystander.id();
    bystander
        .send(&ClientFrame::Subscribe {
            id,
            channel: "once".into(),
            since: None,
        })
        .await;
    assert_eq!(bystander.expect_error(id).await, error::ALREADY_SUBSCRIBED);
    assert_still_works(&mut bystander).await;
    server.shutdown().await;
}

/// Sends a text message whatever the connection's encoding.
trait SendText {
    async fn send_text_for_test(&mut self, text: &str);
}

impl SendText
    for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
{
    async fn send_text_for_test(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.send(Message::Text(text.into())).await.unwrap();
    }
}
