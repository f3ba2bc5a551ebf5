//! In a real browser: two clients on one page publish and subscribe through the real
//! server and see each other's presence.
#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::{connected, fast_config, next_non_presence, unique, until, within};
use futures_util::StreamExt;
use resocket::{ChannelEvent, PresenceEvent, SubscribedOutcome};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn messages_go_from_one_client_to_the_other_in_order() {
    let publisher = connected(fast_config()).await;
    let subscriber = connected(fast_config()).await;
    let channel = unique("pubsub");
    let mut sub = subscriber.subscribe(&channel);
    assert_eq!(
        next_non_presence(&mut sub).await,
        ChannelEvent::Subscribed(SubscribedOutcome::Fresh)
    );
    for i in 0..50u32 {
        let ack = publisher.publish(&channel, &i).await.expect("publish");
        assert_eq!(ack.position.offset, u64::from(i) + 1);
    }
    for i in 0..50u32 {
        match next_non_presence(&mut sub).await {
            ChannelEvent::Message(m) => {
                assert_eq!(m.decode::<u32>().unwrap(), i);
                assert_eq!(m.position.offset, u64::from(i) + 1);
                assert_eq!(
                    m.publisher.as_deref(),
                    publisher.status().session.as_deref()
                );
            }
            other => panic!("expected message {i}, got {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn presence_shows_joins_and_leaves() {
    let a = connected(fast_config()).await;
    let b = connected(fast_config()).await;
    let channel = unique("presence");
    let mut sub_a = a.subscribe(&channel);
    let a_session = a.status().session.unwrap();
    let b_session = b.status().session.unwrap();
    let snapshot = within(5000, "snapshot", async {
        loop {
            if let Some(ChannelEvent::Presence(PresenceEvent::Snapshot { members })) =
                sub_a.next().await
            {
                return members;
            }
        }
    })
    .await;
    assert_eq!(snapshot.len(), 1);
    assert_eq!(snapshot[0].session, a_session);

    let sub_b = b.subscribe(&channel);
    let joined = within(5000, "join", async {
        loop {
            if let Some(ChannelEvent::Presence(PresenceEvent::Join { member })) = sub_a.next().await
            {
                return member;
            }
        }
    })
    .await;
    assert_eq!(joined.session, b_session);
    until(2000, "presence set of two", || {
        a.presence(&channel).len() == 2
    })
    .await;

    drop(sub_b);
    let left = within(5000, "leave", async {
        loop {
            if let Some(ChannelEvent::Presence(PresenceEvent::Leave { member })) =
                sub_a.next().await
            {
                return member;
            }
        }
    })
    .await;
    assert_eq!(left.session, b_session);
    assert_eq!(a.presence(&channel).len(), 1);
}
