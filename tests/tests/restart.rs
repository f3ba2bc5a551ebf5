//! The server is killed abruptly and restarted on the same port while clients publish.
//! Clients reconnect with backoff, resubscribe, flush their queues; every subscriber
//! receives every acknowledged message exactly once and in order, or gets an explicit
//! Reset for the channel — never a silent gap.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use resocket::{ChannelEvent, Client, Config, Position, ResetReason};
use resocket_e2e::{
    drain_until_quiet, engine_of, fast_client, start, start_on, test_server, wait_for, ws_url,
};

const CLIENTS: u32 = 4;
const PER_CLIENT: u32 = 60;

/// What one subscriber saw, in order.
struct Seen {
    messages: Vec<(u32, u32, Position)>,
    resets: Vec<ResetReason>,
}

async fn run_restart(keep_history: bool) -> (Vec<Seen>, BTreeMap<(u32, u32), Position>) {
    let first = start(test_server()).await;
    let addr = first.local_addr();
    let clients: Vec<Client> = (0..CLIENTS)
        .map(|i| {
            let config = Config {
                default_publish_timeout: Some(Duration::from_secs(20)),
                ..fast_client(100 + u64::from(i))
            };
            Client::connect(ws_url(addr), config)
        })
        .collect();
    let mut subs: Vec<_> = clients.iter().map(|c| c.subscribe("feed")).collect();
    for sub in subs.iter_mut() {
        wait_for(sub, Duration::from_secs(5), |e| {
            matches!(e, ChannelEvent::Subscribed(_))
        })
        .await;
    }

    let mut publishers = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let client = client.clone();
        publishers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for seq in 0..PER_CLIENT {
                let ack = client.publish("feed", &(i as u32, seq)).await;
                if let Ok(ack) = ack {
                    acked.push(((i as u32, seq), ack.position));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            acked
        }));
    }

    // Crash mid-stream, stay down a moment, come back on the same port.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let engine = engine_of(&first);
    first.abort().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let builder = if keep_history {
        test_server().engine(engine)
    } else {
        test_server()
    };
    let second = start_on(addr, builder).await;

    let mut acked = BTreeMap::new();
    for p in publishers {
        acked.extend(p.await.unwrap());
    }
    assert_eq!(
        acked.len() as u32,
        CLIENTS * PER_CLIENT,
        "every publish is acknowledged once the server is back"
    );

    let mut seen = Vec::new();
    for sub in subs.iter_mut() {
        let mut s = Seen {
            messages: Vec::new(),
            resets: Vec::new(),
        };
        for event in drain_until_quiet(sub, Duration::from_millis(800)).await {
            match event {
                ChannelEvent::Message(m) => {
                    let (from, seq): (u32, u32) = m.decode().unwrap();
                    s.messages.push((from, seq, m.position));
                }
                ChannelEvent::Reset(reason) => s.resets.push(reason),
                _ => {}
            }
        }
        seen.push(s);
    }
    second.shutdown().await;
    (seen, acked)
}

/// No duplicates, per-publisher order kept, offsets contiguous within an epoch.
fn assert_in_order_once(seen: &Seen) {
    let mut keys = BTreeSet::new();
    let mut next = BTreeMap::new();
    for (from, seq, _) in &seen.messages {
        assert!(
            keys.insert((*from, *seq)),
            "duplicate delivery of {from}/{seq}"
        );
        let last = next.entry(*from).or_insert(*seq);
        assert!(*seq >= *last, "publisher {from}: {seq} after {last}");
        *last = *seq;
    }
    for pair in seen.messages.windows(2) {
        let (a, b) = (&pair[0].2, &pair[1].2);
        if a.epoch == b.epoch {
            assert_eq!(b.offset, a.offset + 1, "silent gap between {a:?} and {b:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_lost_history_resets_explicitly() {
    let (seen, acked) = run_restart(false).await;
    let final_epoch = acked.values().map(|p| p.epoch.clone()).max_by_key(|e| {
        acked
            .values()
            .filter(|p| &p.epoch == e)
            .map(|p| p.offset)
            .max()
    });
    for s in &seen {
        assert_in_order_once(s);
        let received: BTreeSet<(u32, u32)> = s.messages.iter().map(|(f, q, _)| (*f, *q)).collect();
        let missing: Vec<_> = acked.keys().filter(|k| !received.contains(k)).collect();
        if missing.is_empty() {
            continue;
        }
        // Something was missed: the channel must have said so.
        assert!(
            s.resets
                .iter()
                .any(|r| matches!(r, ResetReason::PositionLost { .. })),
            "{} acknowledged messages missing without a Reset",
            missing.len()
        );
        // What was missed is either from the lost epoch or from before the point the
        // subscriber was reset to; everything after that point arrived.
        let first_in_new = s
            .messages
            .iter()
            .map(|(_, _, p)| p)
            .filter(|p| Some(&p.epoch) == final_epoch.as_ref())
            .map(|p| p.offset)
            .min();
        for key in missing {
            let position = &acked[key];
            let before_reset_point = match first_in_new {
                Some(first) => position.offset < first,
                None => true,
            };
            assert!(
                Some(&position.epoch) != final_epoch.as_ref() || before_reset_point,
                "message {key:?} at {position:?} was lost after the reset point"
            );
        }
    }
    assert!(
        seen.iter().any(|s| !s.resets.is_empty()),
        "a restart that lost history must reset someone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_kept_history_delivers_everything_exactly_once() {
    let (seen, acked) = run_restart(true).await;
    for s in &seen {
        assert_in_order_once(s);
        assert!(s.resets.is_empty(), "history was kept: {:?}", s.resets);
        let received: BTreeSet<(u32, u32)> = s.messages.iter().map(|(f, q, _)| (*f, *q)).collect();
        let acked_keys: BTreeSet<(u32, u32)> = acked.keys().copied().collect();
        assert_eq!(
            received, acked_keys,
            "every acknowledged message, exactly once"
        );
    }
}
