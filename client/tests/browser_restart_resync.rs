//! In a real browser: the server is restarted mid-stream. Publishes made while it is
//! down wait in the offline queue and go out after the reconnect; the subscriber
//! resumes its channel with no gap and no duplicate when the server kept its history,
//! and is told to reset when it did not.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::{connected, control, fast_config, next_non_presence, unique, until, within};
use futures_channel::oneshot;
use resocket::{ChannelEvent, PublishAck, PublishError, ResetReason, State, SubscribedOutcome};
use wasm_bindgen_futures::spawn_local;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn restart_with_history_resumes_without_gap_or_duplicate() {
    let publisher = connected(fast_config()).await;
    let subscriber = connected(fast_config()).await;
    let channel = unique("resync");
    let mut sub = subscriber.subscribe(&channel);
    assert_eq!(
        next_non_presence(&mut sub).await,
        ChannelEvent::Subscribed(SubscribedOutcome::Fresh)
    );
    for i in 0..20u32 {
        publisher
            .publish(&channel, &i)
            .await
            .expect("publish before restart");
    }

    control("/restart?down_ms=700&keep_history=1").await;
    until(3000, "publisher notices", || {
        publisher.state() == State::Connecting
    })
    .await;

    // Published while the server is down: each waits in the offline queue.
    let mut acks: Vec<oneshot::Receiver<Result<PublishAck, PublishError>>> = Vec::new();
    for i in 20..40u32 {
        let (tx, rx) = oneshot::channel();
        let (client, channel) = (publisher.clone(), channel.clone());
        spawn_local(async move {
            let _ = tx.send(client.publish(&channel, &i).await);
        });
        acks.push(rx);
    }
    until(2000, "20 publishes queued", || {
        publisher.status().queued.0 == 20
    })
    .await;
    assert_eq!(publisher.state(), State::Connecting);
    for (i, ack) in acks.into_iter().enumerate() {
        let ack = within(8000, "queued publish acked", ack).await.unwrap();
        let ack = ack.unwrap_or_else(|e| panic!("queued publish {i}: {e}"));
        assert_eq!(ack.position.offset, 21 + i as u64);
        assert!(!ack.duplicate);
    }
    assert_eq!(publisher.status().queued.0, 0);

    let mut seen = Vec::new();
    while seen.len() < 40 {
        match next_non_presence(&mut sub).await {
            ChannelEvent::Message(m) => seen.push((m.position.offset, m.decode::<u32>().unwrap())),
            ChannelEvent::Subscribed(SubscribedOutcome::Recovered { .. }) => {}
            other => panic!("unexpected {other:?} after {} messages", seen.len()),
        }
    }
    let expected: Vec<(u64, u32)> = (0..40).map(|i| (u64::from(i) + 1, i)).collect();
    assert_eq!(seen, expected);
}

#[wasm_bindgen_test]
async fn restart_without_history_says_reset() {
    let publisher = connected(fast_config()).await;
    let subscriber = connected(fast_config()).await;
    let channel = unique("lost");
    let mut sub = subscriber.subscribe(&channel);
    assert_eq!(
        next_non_presence(&mut sub).await,
        ChannelEvent::Subscribed(SubscribedOutcome::Fresh)
    );
    publisher.publish(&channel, &1u32).await.unwrap();
    assert!(matches!(
        next_non_presence(&mut sub).await,
        ChannelEvent::Message(_)
    ));

    control("/restart?down_ms=200&keep_history=0").await;
    match next_non_presence(&mut sub).await {
        ChannelEvent::Reset(ResetReason::PositionLost { lost }) => assert_eq!(lost.offset, 1),
        other => panic!("expected a reset, got {other:?}"),
    }
    assert_eq!(
        next_non_presence(&mut sub).await,
        ChannelEvent::Subscribed(SubscribedOutcome::Reset)
    );
}
