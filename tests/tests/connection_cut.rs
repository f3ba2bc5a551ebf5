//! The TCP connection is cut (no server restart): messages published during the cut
//! are replayed from history after the reconnect, in order, without duplicates.

use std::time::Duration;

use resocket::{ChannelEvent, Client, DisconnectReason, Event, SubscribedOutcome};
use resocket_e2e::{
    drain_until_quiet, fast_client, start, test_server, wait_for, ws_url, ChaosProxy,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_messages_are_replayed_after_a_cut() {
    let server = start(test_server()).await;
    let proxy = ChaosProxy::start(server.local_addr()).await;

    let subscriber = Client::connect(proxy.ws_url(), fast_client(1));
    let publisher = Client::connect(ws_url(server.local_addr()), fast_client(2));
    let mut connection = subscriber.connection_events();
    let mut feed = subscriber.subscribe("feed");
    wait_for(&mut feed, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Subscribed(_))
    })
    .await;

    for seq in 0..10u32 {
        publisher.publish("feed", &seq).await.unwrap();
    }
    wait_for(
        &mut feed,
        Duration::from_secs(5),
        |e| matches!(e, ChannelEvent::Message(m) if m.decode::<u32>().unwrap() == 9),
    )
    .await;

    // Cut, and keep the path down while 20 more messages are published.
    proxy.set_refuse(true);
    proxy.cut_all();
    loop {
        match tokio::time::timeout(
            Duration::from_secs(5),
            futures_util::StreamExt::next(&mut connection),
        )
        .await
        {
            Ok(Some(Event::Disconnected { reason, reconnect })) => {
                assert!(reconnect);
                assert!(
                    matches!(reason, DisconnectReason::SocketClosed { .. }),
                    "{reason:?}"
                );
                break;
            }
            Ok(Some(_)) => continue,
            other => panic!("no disconnect seen: {other:?}"),
        }
    }
    for seq in 10..30u32 {
        publisher.publish("feed", &seq).await.unwrap();
    }
    proxy.set_refuse(false);

    let resumed = wait_for(&mut feed, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Subscribed(_))
    })
    .await;
    assert_eq!(
        resumed,
        ChannelEvent::Subscribed(SubscribedOutcome::Recovered { replayed: 20 })
    );
    let mut received = Vec::new();
    for event in drain_until_quiet(&mut feed, Duration::from_millis(500)).await {
        match event {
            ChannelEvent::Message(m) => received.push(m.decode::<u32>().unwrap()),
            ChannelEvent::Reset(r) => panic!("unexpected reset {r:?}"),
            _ => {}
        }
    }
    assert_eq!(received, (10..30).collect::<Vec<_>>());
    server.shutdown().await;
}
