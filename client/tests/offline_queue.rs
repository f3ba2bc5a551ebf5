//! The offline queue on simulated time: what is published or called while disconnected
//! is sent in order once the resync is done; a full queue and an oversized payload are
//! refused at once; and a request whose deadline passes while queued times out and is
//! never put on the wire, whatever order the driver handles an overdue timer in.

mod sim;

use resocket::protocol::{ClientFrame, ServerFrame};
use resocket::{CallError, Config, Payload, PublishError, QueueLimits};
use sim::{secs, ServerConfig, Sim, Thaw};

fn config(seed: u64) -> Config {
    Config {
        seed,
        ..Config::default()
    }
}

/// A payload no other one contains: `tag` followed by a fixed 16-byte marker.
fn marked(tag: u8) -> Payload {
    let mut bytes = vec![tag; 4];
    bytes.extend_from_slice(b"\x7fOFFLINE-MARKER\x7f");
    bytes.push(tag);
    Payload::from(bytes)
}

/// Whether any byte sequence the server ever received contains `payload`.
fn server_ever_saw(sim: &Sim, payload: &Payload) -> bool {
    let needle = payload.as_bytes();
    sim.server
        .received_bytes
        .iter()
        .any(|(_, _, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn publishes_made_offline_are_sent_in_order_after_the_resubscribes_are_answered() {
    let mut sim = Sim::new(1, ServerConfig::default());
    let c = sim.add_client(config(1));
    for channel in ["a", "b", "c"] {
        sim.subscribe(c, channel);
    }
    sim.connect_and_wait(c);
    sim.drive_for(secs(1.0));
    sim.crash();
    sim.drive_for(secs(1.0));

    let mut ids = Vec::new();
    for n in 0..10u8 {
        let channel = ["a", "b", "c"][usize::from(n) % 3];
        ids.push(sim.publish(c, channel, marked(n), None).unwrap());
    }
    let call = sim.call(c, "echo", marked(100), None).unwrap();
    assert_eq!(sim.client(c).core.queued().0, 11);
    sim.drive_for(secs(10.0));
    sim.restart(false);
    sim.drive_for(secs(60.0));

    assert_eq!(sim.client(c).connected_at().len(), 2);
    let reconnected = sim.client(c).connected_at()[1];
    let after: Vec<_> = sim
        .server
        .received_from(c)
        .filter(|r| r.at >= reconnected)
        .collect();
    let subscribes: Vec<_> = after
        .iter()
        .filter(|r| matches!(r.frame, ClientFrame::Subscribe { .. }))
        .collect();
    assert_eq!(subscribes.len(), 3);
    let publishes: Vec<_> = after
        .iter()
        .filter_map(|r| match &r.frame {
            ClientFrame::Publish { id, payload, .. } => Some((r, *id, payload.clone())),
            _ => None,
        })
        .collect();
    // In order, each once.
    let sent_ids: Vec<u64> = publishes.iter().map(|(_, id, _)| *id).collect();
    assert_eq!(sent_ids, ids);
    for (n, (_, _, payload)) in publishes.iter().enumerate() {
        assert_eq!(*payload, marked(n as u8));
    }
    // Only after every resubscribe was answered: not in the same message as any
    // subscribe, and received after the server sent its last `subscribed`.
    let first = publishes[0].0;
    assert!(subscribes.iter().all(|s| s.message < first.message));
    let last_subscribed = sim
        .server
        .sent
        .iter()
        .filter(|s| s.client == c && matches!(s.frame, ServerFrame::Subscribed { .. }))
        .map(|s| s.at)
        .max()
        .unwrap();
    assert!(first.at > last_subscribed);
    // The queued call went out after the publishes queued before it.
    let call_frame = after
        .iter()
        .position(|r| matches!(r.frame, ClientFrame::Call { id, .. } if id == call))
        .unwrap();
    let last_publish = after
        .iter()
        .rposition(|r| matches!(r.frame, ClientFrame::Publish { .. }))
        .unwrap();
    assert!(call_frame > last_publish);

    let acked: Vec<u64> = sim
        .client(c)
        .publish_results()
        .into_iter()
        .map(|(_, id, r)| {
            assert!(r.is_ok(), "{r:?}");
            id
        })
        .collect();
    assert_eq!(acked, ids);
    assert_eq!(sim.client(c).call_results()[0].2, Ok(marked(100)));
    assert_eq!(sim.client(c).core.queued(), (0, 0));
}

#[test]
fn a_full_queue_refuses_at_once_by_count_and_by_bytes() {
    let mut sim = Sim::new(2, ServerConfig::default());
    let by_count = sim.add_client(Config {
        queue: QueueLimits {
            max_items: 4,
            max_bytes: 1 << 20,
        },
        ..config(2)
    });
    let by_bytes = sim.add_client(Config {
        queue: QueueLimits {
            max_items: 100,
            max_bytes: 100,
        },
        ..config(3)
    });
    sim.crash();
    sim.connect(by_count);
    sim.connect(by_bytes);

    let payload = |tag: u8, len: usize| {
        let mut p = marked(tag).as_bytes().to_vec();
        p.resize(len, tag);
        Payload::from(p)
    };

    for n in 0..4 {
        sim.publish(by_count, "ch", payload(n, 30), None).unwrap();
    }
    assert_eq!(
        sim.publish(by_count, "ch", payload(4, 30), None),
        Err(PublishError::QueueFull {
            items: 4,
            bytes: 120
        })
    );
    assert_eq!(
        sim.call(by_count, "echo", payload(5, 30), None),
        Err(CallError::QueueFull {
            items: 4,
            bytes: 120
        })
    );

    sim.publish(by_bytes, "ch", payload(10, 60), None).unwrap();
    assert_eq!(
        sim.publish(by_bytes, "ch", payload(11, 50), None),
        Err(PublishError::QueueFull {
            items: 1,
            bytes: 60
        })
    );
    assert_eq!(
        sim.call(by_bytes, "echo", payload(12, 41), None),
        Err(CallError::QueueFull {
            items: 1,
            bytes: 60
        })
    );
    // Exactly filling the byte budget is fine.
    sim.call(by_bytes, "echo", payload(13, 40), None).unwrap();
    assert_eq!(sim.client(by_bytes).core.queued(), (2, 100));

    sim.restart(false);
    sim.drive_for(secs(120.0));
    for n in [0, 1, 2, 3, 10, 13] {
        let len = if n < 10 {
            30
        } else if n == 10 {
            60
        } else {
            40
        };
        assert!(
            server_ever_saw(&sim, &payload(n, len)),
            "accepted {n} was sent"
        );
    }
    for (n, len) in [(4, 30), (5, 30), (11, 50), (12, 41)] {
        assert!(
            !server_ever_saw(&sim, &payload(n, len)),
            "refused {n} was sent"
        );
    }
    // Refused requests leave no event behind; accepted ones all complete.
    assert_eq!(sim.client(by_count).publish_results().len(), 4);
    assert!(sim.client(by_count).call_results().is_empty());
    assert_eq!(sim.client(by_bytes).publish_results().len(), 1);
    assert_eq!(sim.client(by_bytes).call_results().len(), 1);
}

#[test]
fn a_request_whose_deadline_passes_in_the_queue_times_out_and_is_never_sent() {
    let mut sim = Sim::new(3, ServerConfig::default());
    let c = sim.add_client(config(4));
    sim.subscribe(c, "ch");
    sim.connect_and_wait(c);
    sim.crash();
    let start = sim.time;
    let expiring = sim.publish(c, "ch", marked(1), Some(secs(2.0))).unwrap();
    let kept = sim.publish(c, "ch", marked(2), None).unwrap();
    let call = sim.call(c, "echo", marked(3), Some(secs(3.0))).unwrap();
    sim.drive_for(secs(10.0));
    sim.restart(false);
    sim.drive_for(secs(600.0));

    let published = sim.client(c).publish_results();
    assert_eq!(published.len(), 2);
    assert_eq!(
        (published[0].0, published[0].1, &published[0].2),
        (start + secs(2.0), expiring, &Err(PublishError::Timeout))
    );
    assert_eq!(published[1].1, kept);
    assert!(published[1].2.is_ok());
    assert_eq!(
        sim.client(c).call_results(),
        vec![(start + secs(3.0), call, Err(CallError::Timeout))]
    );
    assert!(!server_ever_saw(&sim, &marked(1)));
    assert!(!server_ever_saw(&sim, &marked(3)));
    assert!(server_ever_saw(&sim, &marked(2)));
}

/// The deadline passes while the process is suspended with the reconnect's `connected`
/// already on its way. On waking the driver may hand over that message before firing
/// the overdue timer; the expired publish must still never be sent.
#[test]
fn an_expired_request_is_not_sent_even_when_the_driver_handles_messages_before_the_timer() {
    for thaw in [Thaw::TimerFirst, Thaw::MessagesFirst] {
        let mut sim = Sim::new(4, ServerConfig::default());
        let c = sim.add_client(config(5));
        sim.connect_and_wait(c);
        sim.crash();
        sim.drive_for(secs(1.0));
        let start = sim.time;
        let expiring = sim.publish(c, "ch", marked(1), Some(secs(5.0))).unwrap();
        let call = sim.call(c, "echo", marked(2), Some(secs(5.0))).unwrap();
        sim.restart(false);
        sim.act(c, |core, now| core.reconnect_now(now));
        let sent_connected = |s: &Sim| {
            s.server
                .sent
                .iter()
                .filter(|f| f.client == c && matches!(f.frame, ServerFrame::Connected { .. }))
                .count()
                == 2
        };
        assert!(sim.run_until(start + secs(2.0), sent_connected));
        sim.freeze(c, start + secs(8.0), thaw);
        sim.drive_for(secs(60.0));

        assert!(sim.client(c).is_connected(), "{thaw:?}");
        assert_eq!(
            sim.client(c).publish_results(),
            vec![(start + secs(8.0), expiring, Err(PublishError::Timeout))],
            "{thaw:?}"
        );
        assert_eq!(
            sim.client(c).call_results(),
            vec![(start + secs(8.0), call, Err(CallError::Timeout))],
            "{thaw:?}"
        );
        assert!(
            !server_ever_saw(&sim, &marked(1)),
            "{thaw:?}: expired publish sent"
        );
        assert!(
            !server_ever_saw(&sim, &marked(2)),
            "{thaw:?}: expired call sent"
        );
    }
}

#[test]
fn an_oversized_payload_is_refused_at_once_and_never_sent() {
    let mut sim = Sim::new(5, ServerConfig::default());
    let c = sim.add_client(Config {
        max_payload_bytes: 1_024,
        ..config(6)
    });
    let big = |tag: u8, len: usize| {
        let mut p = marked(tag).as_bytes().to_vec();
        p.resize(len, tag);
        Payload::from(p)
    };
    // Refused offline and online alike.
    sim.connect(c);
    assert_eq!(
        sim.publish(c, "ch", big(1, 1_025), None),
        Err(PublishError::PayloadTooLarge {
            len: 1_025,
            max: 1_024
        })
    );
    sim.drive_for(secs(5.0));
    assert!(sim.client(c).is_connected());
    assert_eq!(
        sim.call(c, "echo", big(2, 4_096), None),
        Err(CallError::PayloadTooLarge {
            len: 4_096,
            max: 1_024
        })
    );
    assert_eq!(sim.client(c).core.queued(), (0, 0));
    sim.publish(c, "ch", big(3, 1_024), None).unwrap();
    sim.drive_for(secs(5.0));

    assert!(!server_ever_saw(&sim, &big(1, 1_025)));
    assert!(!server_ever_saw(&sim, &big(2, 4_096)));
    assert!(server_ever_saw(&sim, &big(3, 1_024)));
    assert_eq!(sim.client(c).publish_results().len(), 1);
    assert!(sim.client(c).call_results().is_empty());
}
