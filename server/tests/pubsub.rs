//! Publish/subscribe between two connections: acks, deliveries, increasing offsets.

mod common;

use common::{spawn_default, TestClient};
use resocket_protocol::ServerFrame;

#[tokio::test]
async fn messages_flow_between_connections_with_increasing_offsets() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut alice = TestClient::connect_with(addr, &[], Some("alice")).await;
    let mut bob = TestClient::connect_with(addr, &[], Some("bob")).await;
    let (epoch, offset) = bob.subscribe_fresh("room").await;
    assert_eq!(offset, 0, "a new channel starts at offset 0");

    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        let (ack_epoch, ack_offset, duplicate) = alice
            .publish("room", &format!("a-{i}"), text.as_bytes())
            .await;
        assert_eq!(ack_epoch, epoch);
        assert_eq!(ack_offset, i as u64 + 1);
        assert!(!duplicate);
    }
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        match bob.recv().await {
            ServerFrame::Message {
                channel,
                epoch: message_epoch,
                offset,
                payload,
                publisher,
            } => {
                assert_eq!(channel, "room");
                assert_eq!(message_epoch, epoch);
                assert_eq!(offset, i as u64 + 1);
                assert_eq!(payload.as_bytes(), text.as_bytes());
                assert_eq!(publisher.as_deref(), Some("alice"));
            }
            other => panic!("expected a message, got {other:?}"),
        }
    }

    // A later subscriber starts at the latest offset and sees only what follows.
    let mut carol = TestClient::connect(addr).await;
    let (_, offset) = carol.subscribe_fresh("room").await;
    assert_eq!(offset, 3);
    bob.recv().await; // carol's join
    let (_, fourth, _) = bob.publish("room", "b-1", b"four").await;
    assert_eq!(fourth, 4);
    assert_eq!(carol.expect_message().await, (4, b"four".to_vec()));
    assert_eq!(
        bob.expect_message().await,
        (4, b"four".to_vec()),
        "the publisher's own connection receives it too"
    );
    // Anonymous publishers are named by their session.
    carol.publish("room", "c-1", b"five").await;
    match bob.recv().await {
        ServerFrame::Message {
            offset: 5,
            publisher,
            ..
        } => assert_eq!(publisher, carol.session),
        other => panic!("expected message 5, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut client = TestClient::connect(addr).await;
    client.subscribe_fresh("news").await;
    let id = client.id();
    client
        .send(&resocket_protocol::ClientFrame::Unsubscribe {
            id,
            channel: "news".into(),
        })
        .await;
    assert_eq!(
        client.recv().await,
        ServerFrame::Unsubscribed {
            id,
            channel: "news".into()
        }
    );
    let (_, offset, _) = client.publish("news", "n1", b"x").await;
    assert_eq!(offset, 1);
    // The next thing is the answer to this call, not a message.
    assert!(matches!(
        client.call("echo", b"").await,
        resocket_protocol::CallResult::Ok(_)
    ));

    let id = client.id();
    client
        .send(&resocket_protocol::ClientFrame::Unsubscribe {
            id,
            channel: "news".into(),
        })
        .await;
    assert_eq!(
        client.expect_error(id).await,
        resocket_protocol::codes::error::NOT_SUBSCRIBED
    );
    server.shutdown().await;
}
