//! Publish/subscribe between several real clients, and presence join/leave.

use std::time::Duration;

use resocket::{ChannelEvent, Client, PresenceEvent, State};
use resocket_e2e::{drain_until_quiet, fast_client, start, test_server, wait_for, ws_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_every_message_in_order() {
    let server = start(test_server()).await;
    let url = ws_url(server.local_addr());
    let clients: Vec<Client> = (0..3)
        .map(|i| Client::connect(url.clone(), fast_client(10 + i)))
        .collect();
    let mut subs: Vec<_> = clients.iter().map(|c| c.subscribe("room")).collect();
    for sub in subs.iter_mut() {
        wait_for(sub, Duration::from_secs(5), |e| {
            matches!(e, ChannelEvent::Subscribed(_))
        })
        .await;
    }

    const PER_CLIENT: u32 = 50;
    let mut publishers = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let client = client.clone();
        publishers.push(tokio::spawn(async move {
            for seq in 0..PER_CLIENT {
                client
                    .publish("room", &(i as u32, seq))
                    .await
                    .expect("publish acked");
            }
        }));
    }
    for p in publishers {
        p.await.unwrap();
    }

    for sub in subs.iter_mut() {
        let events = drain_until_quiet(sub, Duration::from_millis(300)).await;
        let mut next_seq = [0u32; 3];
        let mut last_offset = 0;
        for event in events {
            if let ChannelEvent::Message(m) = event {
                let (from, seq): (u32, u32) = m.decode().unwrap();
                assert_eq!(seq, next_seq[from as usize], "in order, once");
                next_seq[from as usize] += 1;
                assert!(m.position.offset > last_offset);
                last_offset = m.position.offset;
            }
        }
        assert_eq!(next_seq, [PER_CLIENT; 3]);
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_snapshot_join_and_leave() {
    let server = start(test_server()).await;
    let url = ws_url(server.local_addr());
    let alice = Client::connect(url.clone(), fast_client(1));
    let mut alice_room = alice.subscribe("room");
    let snapshot = wait_for(&mut alice_room, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Presence(PresenceEvent::Snapshot { .. }))
    })
    .await;
    let ChannelEvent::Presence(PresenceEvent::Snapshot { members }) = snapshot else {
        unreachable!()
    };
    assert_eq!(members.len(), 1, "alice sees herself");

    let bob = Client::connect(url.clone(), fast_client(2));
    assert_eq!(bob.connected().await, State::Connected);
    let mut bob_room = bob.subscribe("room");
    let joined = wait_for(&mut alice_room, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Presence(PresenceEvent::Join { .. }))
    })
    .await;
    let ChannelEvent::Presence(PresenceEvent::Join { member }) = joined else {
        unreachable!()
    };
    assert_eq!(
        Some(member.session.as_str()),
        bob.status().session.as_deref()
    );
    wait_for(&mut bob_room, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Presence(PresenceEvent::Snapshot { members }) if members.len() == 2)
    })
    .await;
    assert_eq!(alice.presence("room").len(), 2);

    drop(bob_room);
    let left = wait_for(&mut alice_room, Duration::from_secs(5), |e| {
        matches!(e, ChannelEvent::Presence(PresenceEvent::Leave { .. }))
    })
    .await;
    let ChannelEvent::Presence(PresenceEvent::Leave { member }) = left else {
        unreachable!()
    };
    assert_eq!(
        Some(member.session.as_str()),
        bob.status().session.as_deref()
    );
    assert_eq!(alice.presence("room").len(), 1);
    server.shutdown().await;
}
