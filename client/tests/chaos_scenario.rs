//! A simulated hour of chaos: 100 clients subscribed to a few channels publish at random
//! moments while the server crashes 20 times (some crashes keep the history, some lose
//! it and start a new epoch), single connections break and the server repeats messages.
//!
//! After a quiet period every subscriber must hold, per channel, exactly the server's
//! history from its first subscription to the head, in order and without repeats, except
//! for stretches an explicit Reset covered; and every publish must have ended in exactly
//! one acknowledgement pointing at the message it published.

mod sim;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use rand::seq::SliceRandom;
use rand::Rng;
use resocket::{
    Config, Event, Payload, Position, PublishError, RequestId, ResetReason, SubscribedOutcome,
};
use sim::server::EpochLog;
use sim::{at, secs, ServerConfig, Sim};

const SEED: u64 = 0x5eed_c4a0;
const CLIENTS: usize = 100;
const CHANNELS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
const CHANNELS_PER_CLIENT: usize = 2;
const CRASHES: usize = 20;
const CRASHES_LOSING_HISTORY: usize = 8;
const CONNECTION_KILLS: usize = 60;
const DUPLICATE_BURSTS: usize = 20;
const HOUR: f64 = 3_600.0;
const QUIET: f64 = 300.0;
/// Chance that a client publishes in the 30 ms before a given crash.
const PUBLISH_BEFORE_CRASH: f64 = 0.1;
/// Share of publishes whose connection is broken right after.
const KILL_IN_FLIGHT: f64 = 0.1;
/// Mean time between two publishes of one client.
const PUBLISH_GAP: f64 = 300.0;

/// Who published a message and its sequence number on that channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Tag {
    publisher: u32,
    seq: u64,
}

fn payload(tag: Tag) -> Payload {
    let mut bytes = tag.publisher.to_le_bytes().to_vec();
    bytes.extend_from_slice(&tag.seq.to_le_bytes());
    Payload::from(bytes)
}

fn tag(payload: &Payload) -> Tag {
    let b = payload.as_bytes();
    Tag {
        publisher: u32::from_le_bytes(b[..4].try_into().unwrap()),
        seq: u64::from_le_bytes(b[4..].try_into().unwrap()),
    }
}

/// One call to `publish`.
#[derive(Debug, Clone)]
struct Publish {
    client: usize,
    channel: &'static str,
    tag: Tag,
    id: RequestId,
}

/// A position's place in a channel's whole history: (epoch number, offset).
fn rank(logs: &[EpochLog], p: &Position) -> (usize, u64) {
    let epoch = logs
        .iter()
        .position(|e| e.epoch == p.epoch)
        .unwrap_or_else(|| panic!("unknown epoch {}", p.epoch));
    (epoch, p.offset)
}

fn archived<'a>(logs: &'a [EpochLog], p: &Position) -> &'a sim::server::Archived {
    let (epoch, offset) = rank(logs, p);
    assert!(offset >= 1, "no message at offset 0");
    &logs[epoch].messages[offset as usize - 1]
}

/// What one subscriber saw on one channel, checked against the server's history.
#[derive(Default)]
struct Stream {
    /// Positions delivered, in order.
    delivered: Vec<(usize, u64)>,
    /// Ranges `(lost, new]` skipped by a reset.
    covered: Vec<((usize, u64), (usize, u64))>,
    resets: usize,
    recovered: usize,
}

/// Walks client `c`'s events on `channel`: every message must be the next one in the
/// server's history after the previous message, the subscription's start or a reset's
/// new position; the stream must end at the channel's head.
fn walk(sim: &Sim, c: usize, channel: &str) -> Stream {
    let logs = &sim.server.archive[channel];
    let mut stream = Stream::default();
    let mut cursor: Option<Position> = None;
    let mut segment_tags: BTreeSet<Tag> = BTreeSet::new();
    let mut last_seq: BTreeMap<u32, u64> = BTreeMap::new();
    let who = format!("client {c} on {channel}");
    for logged in &sim.client(c).log {
        match &logged.event {
            Event::Subscribed {
                channel: ch,
                outcome,
            } if ch == channel => match outcome {
                SubscribedOutcome::Fresh => {
                    assert!(
                        cursor.is_none(),
                        "{who}: fresh subscription after a position"
                    );
                    assert!(logged.at < at(30.0), "{who}: subscribed late");
                    cursor = logged.position.clone();
                    assert!(cursor.is_some(), "{who}: no position after subscribing");
                }
                SubscribedOutcome::Recovered { .. } => {
                    assert!(cursor.is_some(), "{who}: recovered without a position");
                    stream.recovered += 1;
                }
                SubscribedOutcome::Reset => {}
            },
            Event::Reset {
                channel: ch,
                reason,
            } if ch == channel => {
                let ResetReason::PositionLost { lost } = reason else {
                    panic!("{who}: unexpected reset {reason:?} at {:?}", logged.at);
                };
                assert_eq!(Some(lost), cursor.as_ref(), "{who}: reset from elsewhere");
                assert!(
                    sim.server.lost_epochs.contains(&lost.epoch),
                    "{who}: reset although epoch {} still exists",
                    lost.epoch
                );
                let new = logged.position.clone().expect("position after reset");
                assert!(
                    rank(logs, &new) > rank(logs, lost),
                    "{who}: reset backwards"
                );
                stream.covered.push((rank(logs, lost), rank(logs, &new)));
                stream.resets += 1;
                segment_tags.clear();
                last_seq.clear();
                cursor = Some(new);
            }
            Event::Message(m) if m.channel == channel => {
                let c = cursor
                    .as_ref()
                    .unwrap_or_else(|| panic!("{who}: message first"));
                let expected = Position {
                    epoch: c.epoch.clone(),
                    offset: c.offset + 1,
                };
                assert_eq!(m.position, expected, "{who}: out of order or repeated");
                let original = archived(logs, &m.position);
                assert_eq!(m.payload, original.payload, "{who}: wrong payload");
                let t = tag(&m.payload);
                assert!(segment_tags.insert(t), "{who}: {t:?} delivered twice");
                // Each publisher's sequence numbers follow each other within a stretch.
                if let Some(prev) = last_seq.insert(t.publisher, t.seq) {
                    assert_eq!(t.seq, prev + 1, "{who}: publisher {} skipped", t.publisher);
                }
                stream.delivered.push(rank(logs, &m.position));
                cursor = Some(m.position.clone());
            }
            _ => {}
        }
    }
    assert_eq!(
        cursor,
        sim.server.head(channel),
        "{who}: did not catch up with the head"
    );
    stream
}

#[test]
fn an_hour_of_crashes_loses_no_acknowledged_message_and_repeats_none() {
    let started = std::time::Instant::now();
    let mut sim = Sim::new(
        SEED,
        ServerConfig {
            presence: false,
            frame_per_message: true,
            history_limit: 100_000,
            record: false,
            ..ServerConfig::default()
        },
    );
    sim.record_deliveries = false;
    let publishes: Rc<RefCell<Vec<Publish>>> = Rc::default();

    // Server crashes: one in each slot of the hour, down for up to a minute; some
    // restarts lose the history.
    let mut loses: Vec<bool> = (0..CRASHES).map(|n| n < CRASHES_LOSING_HISTORY).collect();
    loses.shuffle(&mut sim.rng);
    let slot = (HOUR - 120.0) / CRASHES as f64;
    let mut crashes = Vec::new();
    for (n, lose_history) in loses.into_iter().enumerate() {
        let crash = 60.0 + slot * n as f64 + sim.rng.random_range(0.0..slot / 2.0);
        let down = sim.rng.random_range(0.5..60.0);
        sim.schedule(at(crash), Sim::crash);
        sim.schedule(at(crash + down), move |sim| sim.restart(lose_history));
        crashes.push(crash);
    }

    // Clients: each subscribes to two channels, connects within the first 5 s and then
    // publishes on its channels at random moments until the hour is over, some of them
    // just before a crash so that the crash swallows their acks.
    let mut subscriptions: Vec<Vec<&'static str>> = Vec::new();
    for i in 0..CLIENTS {
        let c = sim.add_client(Config {
            seed: SEED ^ (i as u64 + 1),
            ..Config::default()
        });
        let mut channels = CHANNELS.to_vec();
        channels.shuffle(&mut sim.rng);
        channels.truncate(CHANNELS_PER_CLIENT);
        for channel in &channels {
            sim.subscribe(c, channel);
        }
        let start = at(sim.rng.random_range(0.0..5.0));
        sim.schedule(start, move |sim| sim.connect(c));

        let mut times = Vec::new();
        let mut t = 30.0;
        loop {
            t += -PUBLISH_GAP * (1.0 - sim.rng.random::<f64>()).ln();
            if t >= HOUR {
                break;
            }
            times.push(t);
        }
        for crash in &crashes {
            if sim.rng.random_bool(PUBLISH_BEFORE_CRASH) {
                times.push(crash - sim.rng.random_range(0.0..0.03));
            }
        }
        times.sort_by(f64::total_cmp);
        let mut seqs: BTreeMap<&str, u64> = BTreeMap::new();
        for t in times {
            let channel = channels[sim.rng.random_range(0..channels.len())];
            let seq = seqs.entry(channel).or_default();
            *seq += 1;
            let tag = Tag {
                publisher: c as u32,
                seq: *seq,
            };
            let log = Rc::clone(&publishes);
            sim.schedule(at(t), move |sim| {
                let id = sim
                    .publish(c, channel, payload(tag), None)
                    .expect("publish accepted");
                log.borrow_mut().push(Publish {
                    client: c,
                    channel,
                    tag,
                    id,
                });
                // Now and then the connection dies while the publish is in flight.
                if sim.rng.random_bool(KILL_IN_FLIGHT) {
                    let when = sim.time + secs(sim.rng.random_range(0.0..0.04));
                    sim.schedule(when, move |sim| sim.kill_connection(c));
                }
            });
        }
        subscriptions.push(channels);
    }

    // Single connections break, and the server repeats recent messages.
    for _ in 0..CONNECTION_KILLS {
        let when = at(sim.rng.random_range(30.0..HOUR));
        let victim = sim.rng.random_range(0..CLIENTS);
        sim.schedule(when, move |sim| sim.kill_connection(victim));
    }
    for _ in 0..DUPLICATE_BURSTS {
        let when = at(sim.rng.random_range(30.0..HOUR));
        sim.schedule(when, |sim| sim.inject_duplicates(5));
    }

    sim.drive_until(at(HOUR + QUIET));
    let simulated = started.elapsed();

    // ----- checks ---------------------------------------------------------------------
    assert!(
        sim.server.violations.is_empty(),
        "{:?}",
        sim.server.violations
    );
    for (c, client) in sim.clients.iter().enumerate() {
        assert!(client.is_connected(), "client {c} is not connected");
        assert_eq!(client.core.queued(), (0, 0), "client {c} still queues");
    }

    // Every publish ended in exactly one acknowledgement, pointing at its message.
    let publishes = publishes.borrow();
    let mut acked_at: BTreeMap<(usize, RequestId), Position> = BTreeMap::new();
    let mut duplicates = 0;
    for (c, client) in sim.clients.iter().enumerate() {
        for (_, id, result) in client.publish_results() {
            let ack = result.unwrap_or_else(|e: PublishError| panic!("client {c}: {e}"));
            duplicates += usize::from(ack.duplicate);
            let previous = acked_at.insert((c, id), ack.position);
            assert!(
                previous.is_none(),
                "client {c}: publish {id} acknowledged twice"
            );
        }
    }
    assert_eq!(
        acked_at.len(),
        publishes.len(),
        "a publish ended without an ack"
    );
    for p in publishes.iter() {
        let position = &acked_at[&(p.client, p.id)];
        let original = archived(&sim.server.archive[p.channel], position);
        assert_eq!(
            tag(&original.payload),
            p.tag,
            "ack points at another message"
        );
        assert_eq!(original.publisher, p.client);
    }

    // Within an epoch the server published each message once, each publisher's in order.
    let mut republished = 0;
    for (channel, logs) in &sim.server.archive {
        let mut seen: BTreeSet<Tag> = BTreeSet::new();
        for log in logs {
            let mut last: BTreeMap<u32, u64> = BTreeMap::new();
            let mut in_epoch: BTreeSet<Tag> = BTreeSet::new();
            for m in &log.messages {
                let t = tag(&m.payload);
                assert!(
                    in_epoch.insert(t),
                    "{channel}: {t:?} twice in {}",
                    log.epoch
                );
                if let Some(prev) = last.insert(t.publisher, t.seq) {
                    assert_eq!(t.seq, prev + 1, "{channel}: out of order in {}", log.epoch);
                }
                // Published again after a restart lost the dedup table with the history.
                republished += usize::from(!seen.insert(t));
            }
        }
    }

    // Every subscriber: contiguous streams; every acknowledged message delivered once
    // or covered by a reset.
    let mut resets = 0;
    let mut recovered = 0;
    let mut deliveries = 0;
    let mut covered = 0;
    for (c, channels) in subscriptions.iter().enumerate() {
        for &channel in channels {
            let stream = walk(&sim, c, channel);
            assert!(stream.resets <= CRASHES_LOSING_HISTORY);
            resets += stream.resets;
            recovered += stream.recovered;
            deliveries += stream.delivered.len();
            let logs = &sim.server.archive[channel];
            let delivered: BTreeSet<(usize, u64)> = stream.delivered.iter().copied().collect();
            assert_eq!(delivered.len(), stream.delivered.len());
            for p in publishes.iter().filter(|p| p.channel == channel) {
                let r = rank(logs, &acked_at[&(p.client, p.id)]);
                let is_covered = stream
                    .covered
                    .iter()
                    .any(|(lost, new)| *lost < r && r <= *new);
                assert!(
                    delivered.contains(&r) || is_covered,
                    "client {c} on {channel}: {:?} neither delivered nor reset",
                    p.tag
                );
                covered += usize::from(is_covered && !delivered.contains(&r));
            }
        }
    }

    let checked = started.elapsed() - simulated;
    // The run exercised what it claims to.
    let epochs: usize = sim.server.archive.values().map(Vec::len).sum();
    assert!(publishes.len() > 1_000, "{} publishes", publishes.len());
    println!(
        "{} publishes, {deliveries} deliveries, {resets} resets, {recovered} recoveries, \
         {covered} messages covered by resets, {duplicates} duplicate acks, {republished} \
         republished after losing history, {epochs} epochs; simulated in {simulated:?}, \
         checked in {checked:?}",
        publishes.len()
    );
    assert!(
        resets > 100 && recovered > 1_000,
        "{resets} resets, {recovered} recovered"
    );
    assert!(
        covered > 0 && duplicates > 0,
        "{covered} covered, {duplicates} dup acks"
    );
    assert!(
        republished > 0,
        "no publish was caught by a crash that lost history"
    );
    assert!(epochs >= CHANNELS.len() * (CRASHES_LOSING_HISTORY + 1) - CHANNELS.len());
}
