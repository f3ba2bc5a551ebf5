//! Resubscribing with a position: exactly the missed messages, in order, then live —
//! also while publishes race with the subscribe.

mod common;

use std::sync::Arc;

use common::{spawn_default, TestClient};
use resocket_protocol::{Position, ServerFrame, SubscribeOutcome};

#[tokio::test]
async fn missed_messages_are_replayed_then_live_ones_follow() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut publisher = TestClient::connect(addr).await;
    let mut reader = TestClient::connect(addr).await;
    let (epoch, _) = reader.subscribe_fresh("feed").await;
    for i in 1..=3 {
        publisher
            .publish("feed", &format!("m{i}"), format!("p{i}").as_bytes())
            .await;
    }
    for i in 1..=3 {
        assert_eq!(reader.expect_message().await.0, i);
    }
    // The reader's connection drops after offset 3; five more are published.
    drop(reader);
    for i in 4..=8 {
        publisher
            .publish("feed", &format!("m{i}"), format!("p{i}").as_bytes())
            .await;
    }
    let mut reader = TestClient::connect(addr).await;
    let since = Position {
        epoch: epoch.clone(),
        offset: 3,
    };
    let (got_epoch, offset, outcome) = reader.subscribe("feed", Some(since)).await;
    assert_eq!(got_epoch, epoch);
    assert_eq!(offset, 8);
    assert_eq!(outcome, SubscribeOutcome::Recovered { replayed: 5 });
    for i in 4..=8 {
        assert_eq!(
            reader.expect_message().await,
            (i, format!("p{i}").into_bytes())
        );
    }
    reader.expect_snapshot().await;
    publisher.publish("feed", "m9", b"p9").await;
    assert_eq!(reader.expect_message().await, (9, b"p9".to_vec()));

    // A position at the head recovers nothing, successfully.
    let mut up_to_date = TestClient::connect(addr).await;
    let head = Position { epoch, offset: 9 };
    let (_, offset, outcome) = up_to_date.subscribe("feed", Some(head)).await;
    assert_eq!(
        (offset, outcome),
        (9, SubscribeOutcome::Recovered { replayed: 0 })
    );
    server.shutdown().await;
}

#[tokio::test]
async fn replay_and_live_stream_meet_without_gap_or_duplicate_under_concurrent_publishes() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut seed = TestClient::connect(addr).await;
    let (epoch, _, _) = seed.publish("race", "seed", b"0").await;

    // Two publishers hammer the channel while subscribers resume from offset 1.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut publishers = vec![];
    for p in 0..2 {
        let stop = stop.clone();
        publishers.push(tokio::spawn(async move {
            let mut client = TestClient::connect(addr).await;
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                client.publish("race", &format!("p{p}-{n}"), b"x").await;
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let mut subscribers = vec![];
    let mut first_offset = None;
    for _ in 0..5 {
        let mut client = TestClient::connect(addr).await;
        let since = Position {
            epoch: epoch.clone(),
            offset: 1,
        };
        let (_, offset, outcome) = client.subscribe("race", Some(since)).await;
        let SubscribeOutcome::Recovered { replayed } = outcome else {
            panic!("expected recovery, got {outcome:?}");
        };
        assert_eq!(replayed, offset - 1);
        first_offset.get_or_insert(offset);
        subscribers.push(client);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut published = 1;
    for p in publishers {
        published += p.await.unwrap();
    }
    assert!(
        published > first_offset.unwrap() + 10,
        "live publishes followed the subscribes ({published} published)"
    );
    for mut client in subscribers {
        let mut expected = 2;
        while expected <= published {
            match client.recv().await {
                ServerFrame::Message { offset, .. } => {
                    assert_eq!(offset, expected, "offsets arrive exactly once, in order");
                    expected += 1;
                }
                ServerFrame::Presence { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    server.shutdown().await;
}
