//! Publish deduplication by `(channel, msg_id)`.

mod common;

use common::{spawn_default, TestClient};
use resocket_protocol::{ClientFrame, Payload, ServerFrame};

#[tokio::test]
async fn a_repeated_msg_id_is_acked_as_duplicate_and_delivered_once() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut publisher = TestClient::connect(addr).await;
    let mut subscriber = TestClient::connect(addr).await;
    subscriber.subscribe_fresh("orders").await;

    let first = publisher.publish("orders", "order-17", b"buy").await;
    assert!(!first.2);
    // The retry of a publish whose ack was lost, possibly on a new connection.
    let mut retrying = TestClient::connect(addr).await;
    let second = retrying.publish("orders", "order-17", b"buy").await;
    assert_eq!(
        (second.0, second.1, second.2),
        (first.0.clone(), first.1, true)
    );

    // The same msg_id on another channel is a different message.
    let other = publisher.publish("orders-eu", "order-17", b"buy").await;
    assert!(!other.2);

    let (_, next, _) = publisher.publish("orders", "order-18", b"sell").await;
    assert_eq!(next, first.1 + 1, "the duplicate did not take an offset");
    assert_eq!(
        subscriber.expect_message().await,
        (first.1, b"buy".to_vec())
    );
    assert_eq!(subscriber.expect_message().await, (next, b"sell".to_vec()));
    server.shutdown().await;
}

#[tokio::test]
async fn duplicates_within_one_batch_are_caught() {
    let server = spawn_default().await;
    let mut client = TestClient::connect(server.local_addr()).await;
    let publish = |id| ClientFrame::Publish {
        id,
        channel: "c".into(),
        msg_id: "same".into(),
        payload: Payload::from(b"x".to_vec()),
    };
    client.send_batch(&[publish(10), publish(11)]).await;
    let mut acks = vec![];
    for _ in 0..2 {
        match client.recv().await {
            ServerFrame::PublishAck {
                id,
                offset,
                duplicate,
                ..
            } => acks.push((id, offset, duplicate)),
            other => panic!("expected an ack, got {other:?}"),
        }
    }
    assert_eq!(acks, vec![(10, 1, false), (11, 1, true)]);
    server.shutdown().await;
}
