//! Publishes in flight when a connection dies: resent after the reconnect with the same
//! request id and `msg_id`, deduplicated by the server, acknowledged once, seen once.

mod sim;

use std::collections::BTreeMap;

use rand::Rng;
use resocket::protocol::{ClientFrame, ServerFrame};
use resocket::{Config, Payload, Position, PublishAck, RequestId};
use sim::{secs, ServerConfig, Sim};

const ROOM: &str = "room";
const READER: usize = 0;
const WRITER: usize = 1;

fn payload(n: u64) -> Payload {
    Payload::from(n.to_le_bytes().to_vec())
}

fn seq(p: &Payload) -> u64 {
    u64::from_le_bytes(p.as_bytes().try_into().unwrap())
}

fn room(seed: u64) -> Sim {
    let mut sim = Sim::new(seed, ServerConfig::default());
    for i in 0..2 {
        let c = sim.add_client(Config {
            seed: seed * 10 + i,
            ..Config::default()
        });
        sim.subscribe(c, ROOM);
        sim.connect_and_wait(c);
    }
    sim.drive_for(secs(1.0));
    sim
}

/// `(request id, msg_id, payload)` of every publish frame the server received from `c`.
fn publishes_received(sim: &Sim, c: usize) -> Vec<(RequestId, String, Payload)> {
    sim.server
        .received_from(c)
        .filter_map(|r| match &r.frame {
            ClientFrame::Publish {
                id,
                msg_id,
                payload,
                ..
            } => Some((*id, msg_id.clone(), payload.clone())),
            _ => None,
        })
        .collect()
}

fn seqs(sim: &Sim, c: usize) -> Vec<u64> {
    sim.client(c)
        .messages(ROOM)
        .map(|m| seq(&m.payload))
        .collect()
}

fn archived(sim: &Sim) -> Vec<u64> {
    sim.server.archive[ROOM]
        .iter()
        .flat_map(|e| e.messages.iter().map(|m| seq(&m.payload)))
        .collect()
}

#[test]
fn a_publish_whose_ack_was_lost_is_resent_deduplicated_and_seen_once() {
    let mut sim = room(1);
    let id = sim.publish(WRITER, ROOM, payload(1), None).unwrap();
    let limit = sim.time + secs(1.0);
    assert!(sim.run_until(limit, |s| !publishes_received(s, WRITER).is_empty()));
    // The server published it; its ack (and the writer's own delivery) die with the
    // connection.
    sim.kill_connection(WRITER);
    sim.drive_for(secs(60.0));

    let frames = publishes_received(&sim, WRITER);
    assert_eq!(frames.len(), 2, "sent, then resent after the reconnect");
    assert_eq!(frames[0], frames[1], "same request id, msg_id and payload");
    assert_eq!(frames[0].0, id);
    let acks: Vec<bool> = sim
        .server
        .sent
        .iter()
        .filter_map(|s| match &s.frame {
            ServerFrame::PublishAck {
                id: i, duplicate, ..
            } if *i == id => Some(*duplicate),
            _ => None,
        })
        .collect();
    assert_eq!(acks, [false, true]);

    let epoch = sim.server.head(ROOM).unwrap().epoch;
    let results = sim.client(WRITER).publish_results();
    assert_eq!(results.len(), 1, "one outcome per publish");
    assert_eq!(results[0].1, id);
    assert_eq!(
        results[0].2,
        Ok(PublishAck {
            position: Position { epoch, offset: 1 },
            duplicate: true
        })
    );
    assert_eq!(archived(&sim), [1], "published once");
    assert_eq!(seqs(&sim, READER), [1]);
    assert_eq!(seqs(&sim, WRITER), [1], "the writer got it by replay, once");
}

#[test]
fn a_publish_lost_on_the_way_is_resent_and_published_once() {
    let mut sim = room(2);
    let id = sim.publish(WRITER, ROOM, payload(1), None).unwrap();
    // Dies before the frame reaches the server.
    sim.kill_connection(WRITER);
    sim.drive_for(secs(60.0));

    let frames = publishes_received(&sim, WRITER);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, id);
    let results = sim.client(WRITER).publish_results();
    assert_eq!(results.len(), 1);
    assert!(matches!(&results[0].2, Ok(a) if !a.duplicate));
    assert_eq!(archived(&sim), [1]);
    assert_eq!(seqs(&sim, READER), [1]);
    assert_eq!(seqs(&sim, WRITER), [1]);
}

#[test]
fn a_crash_that_keeps_history_keeps_deduplicating_resent_publishes() {
    let mut sim = room(3);
    let id = sim.publish(WRITER, ROOM, payload(1), None).unwrap();
    let limit = sim.time + secs(1.0);
    assert!(sim.run_until(limit, |s| !publishes_received(s, WRITER).is_empty()));
    sim.crash();
    sim.drive_for(secs(2.0));
    sim.restart(false);
    sim.drive_for(secs(60.0));

    let results = sim.client(WRITER).publish_results();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].1, id);
    assert!(matches!(&results[0].2, Ok(a) if a.duplicate && a.position.offset == 1));
    assert_eq!(archived(&sim), [1]);
    assert_eq!(seqs(&sim, READER), [1]);
}

#[test]
fn a_stream_of_publishes_survives_repeated_connection_loss_exactly_once_and_in_order() {
    for seed in 0..10 {
        let mut sim = room(100 + seed);
        let mut ids = Vec::new();
        for n in 1..=40 {
            ids.push(sim.publish(WRITER, ROOM, payload(n), None).unwrap());
            let pause = sim.rng.random_range(0.0..0.05);
            sim.drive_for(secs(pause));
            if sim.rng.random_bool(0.15) {
                let victim = if sim.rng.random_bool(0.7) {
                    WRITER
                } else {
                    READER
                };
                sim.kill_connection(victim);
            }
        }
        sim.drive_for(secs(120.0));

        let all: Vec<u64> = (1..=40).collect();
        assert_eq!(
            archived(&sim),
            all,
            "seed {seed}: published once each, in order"
        );
        assert_eq!(seqs(&sim, READER), all, "seed {seed}");
        assert_eq!(seqs(&sim, WRITER), all, "seed {seed}");
        let results = sim.client(WRITER).publish_results();
        let acked: Vec<RequestId> = results.iter().map(|(_, id, _)| *id).collect();
        assert_eq!(acked, ids, "seed {seed}: one ack each, in order");
        for (n, (_, _, result)) in results.iter().enumerate() {
            let ack = result.as_ref().unwrap();
            assert_eq!(ack.position.offset, n as u64 + 1, "seed {seed}");
        }
        // Every resend repeats the original frame exactly.
        let mut by_id: BTreeMap<RequestId, (String, Payload)> = BTreeMap::new();
        for (id, msg_id, payload) in publishes_received(&sim, WRITER) {
            let first = by_id.entry(id).or_insert((msg_id.clone(), payload.clone()));
            assert_eq!(*first, (msg_id, payload), "seed {seed}");
        }
        assert_eq!(by_id.len(), 40);
        let distinct: std::collections::BTreeSet<&String> =
            by_id.values().map(|(m, _)| m).collect();
        assert_eq!(distinct.len(), 40, "seed {seed}: msg_ids are unique");
    }
}
