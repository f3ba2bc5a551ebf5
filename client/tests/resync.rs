//! Resync after a reconnect on simulated time: what was missed is replayed once and in
//! order, a position the server no longer has gives an explicit Reset and live messages
//! go on, duplicates sent by the server are dropped, and presence is snapshotted again.

mod sim;

use resocket::protocol::{ClientFrame, ServerFrame};
use resocket::{Config, Event, Payload, Position, PresenceEvent, ResetReason, SubscribedOutcome};
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

/// A reader and a writer, both connected and subscribed to `ROOM`.
fn room(seed: u64, server: ServerConfig) -> Sim {
    let mut sim = Sim::new(seed, server);
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

fn publish(sim: &mut Sim, range: std::ops::RangeInclusive<u64>) {
    for n in range {
        sim.publish(WRITER, ROOM, payload(n), None).unwrap();
        sim.drive_for(secs(0.5));
    }
}

fn seqs(sim: &Sim, c: usize) -> Vec<u64> {
    sim.client(c)
        .messages(ROOM)
        .map(|m| seq(&m.payload))
        .collect()
}

fn outcomes(sim: &Sim, c: usize) -> Vec<SubscribedOutcome> {
    sim.client(c)
        .events(|e| match e {
            Event::Subscribed { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

fn resets(sim: &Sim, c: usize) -> Vec<ResetReason> {
    sim.client(c)
        .events(|e| match e {
            Event::Reset { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

/// Takes the reader away while the writer publishes `missed`, then brings it back.
fn away_while(sim: &mut Sim, missed: std::ops::RangeInclusive<u64>) {
    sim.set_offline(READER, true);
    publish(sim, missed);
    sim.set_offline(READER, false);
    let limit = sim.time + secs(60.0);
    assert!(sim.run_until(limit, |s| s.client(READER).connected_at().len() == 2));
    sim.drive_for(secs(1.0));
}

fn epoch_of(sim: &Sim) -> String {
    sim.server.head(ROOM).unwrap().epoch
}

#[test]
fn messages_published_while_away_are_replayed_exactly_once_in_order() {
    let mut sim = room(1, ServerConfig::default());
    publish(&mut sim, 1..=3);
    away_while(&mut sim, 4..=10);
    publish(&mut sim, 11..=12);

    assert_eq!(seqs(&sim, READER), (1..=12).collect::<Vec<_>>());
    let epoch = epoch_of(&sim);
    let positions: Vec<Position> = sim
        .client(READER)
        .messages(ROOM)
        .map(|m| m.position.clone())
        .collect();
    let expected: Vec<Position> = (1..=12)
        .map(|offset| Position {
            epoch: epoch.clone(),
            offset,
        })
        .collect();
    assert_eq!(positions, expected);
    assert_eq!(
        outcomes(&sim, READER),
        [
            SubscribedOutcome::Fresh,
            SubscribedOutcome::Recovered { replayed: 7 }
        ]
    );
    assert!(resets(&sim, READER).is_empty());
    // It resumed from exactly the last position it had seen.
    let since = sim
        .server
        .received_from(READER)
        .filter_map(|r| match &r.frame {
            ClientFrame::Subscribe { since, .. } => Some(since.clone()),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(since, [None, Some(Position { epoch, offset: 3 })]);
}

#[test]
fn missing_exactly_the_kept_history_recovers_and_one_more_resets() {
    for (missed, reset) in [(5u64, false), (6, true)] {
        let server = ServerConfig {
            history_limit: 5,
            ..ServerConfig::default()
        };
        let mut sim = room(2, server);
        publish(&mut sim, 1..=3);
        away_while(&mut sim, 4..=3 + missed);
        publish(&mut sim, 4 + missed..=5 + missed);

        let seen = seqs(&sim, READER);
        if reset {
            assert_eq!(seen, [1, 2, 3, 4 + missed, 5 + missed], "missed {missed}");
            assert_eq!(
                resets(&sim, READER),
                [ResetReason::PositionLost {
                    lost: Position {
                        epoch: epoch_of(&sim),
                        offset: 3
                    }
                }]
            );
            assert_eq!(outcomes(&sim, READER)[1], SubscribedOutcome::Reset);
        } else {
            assert_eq!(
                seen,
                (1..=5 + missed).collect::<Vec<_>>(),
                "missed {missed}"
            );
            assert!(resets(&sim, READER).is_empty());
            assert_eq!(
                outcomes(&sim, READER)[1],
                SubscribedOutcome::Recovered { replayed: missed }
            );
        }
        assert_eq!(
            sim.client(READER).core.position(ROOM),
            sim.server.head(ROOM).as_ref()
        );
    }
}

#[test]
fn the_reset_event_comes_before_the_reset_subscription_and_its_live_messages() {
    let server = ServerConfig {
        history_limit: 2,
        ..ServerConfig::default()
    };
    let mut sim = room(3, server);
    publish(&mut sim, 1..=2);
    away_while(&mut sim, 3..=9);
    publish(&mut sim, 10..=10);

    let order: Vec<&str> = sim
        .client(READER)
        .log
        .iter()
        .filter_map(|l| match &l.event {
            Event::Reset { .. } => Some("reset"),
            Event::Subscribed { .. } => Some("subscribed"),
            Event::Message(_) => Some("message"),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "subscribed",
            "message",
            "message",
            "reset",
            "subscribed",
            "message"
        ]
    );
}

#[test]
fn a_crash_that_loses_history_resets_into_the_new_epoch_and_live_messages_continue() {
    let mut sim = room(4, ServerConfig::default());
    publish(&mut sim, 1..=5);
    let old = epoch_of(&sim);
    sim.crash();
    sim.drive_for(secs(3.0));
    sim.restart(true);
    sim.drive_for(secs(60.0));
    assert!(sim.client(READER).is_connected() && sim.client(WRITER).is_connected());
    publish(&mut sim, 6..=7);

    let new = epoch_of(&sim);
    assert_ne!(old, new);
    assert_eq!(seqs(&sim, READER), (1..=7).collect::<Vec<_>>());
    assert_eq!(
        resets(&sim, READER),
        [ResetReason::PositionLost {
            lost: Position {
                epoch: old,
                offset: 5
            }
        }]
    );
    let live: Vec<Position> = sim
        .client(READER)
        .messages(ROOM)
        .skip(5)
        .map(|m| m.position.clone())
        .collect();
    assert_eq!(
        live,
        [1, 2].map(|offset| Position {
            epoch: new.clone(),
            offset
        })
    );
}

#[test]
fn a_crash_that_keeps_history_recovers_without_reset() {
    let mut sim = room(5, ServerConfig::default());
    publish(&mut sim, 1..=5);
    let epoch = epoch_of(&sim);
    sim.crash();
    sim.drive_for(secs(3.0));
    sim.restart(false);
    sim.drive_for(secs(60.0));
    publish(&mut sim, 6..=8);

    assert_eq!(seqs(&sim, READER), (1..=8).collect::<Vec<_>>());
    assert!(resets(&sim, READER).is_empty());
    assert_eq!(
        outcomes(&sim, READER),
        [
            SubscribedOutcome::Fresh,
            SubscribedOutcome::Recovered { replayed: 0 }
        ]
    );
    assert_eq!(epoch_of(&sim), epoch);
}

#[test]
fn duplicates_sent_by_the_server_are_dropped() {
    let mut sim = room(6, ServerConfig::default());
    publish(&mut sim, 1..=4);
    sim.inject_duplicates(3);
    sim.drive_for(secs(1.0));
    publish(&mut sim, 5..=6);
    sim.inject_duplicates(10);
    sim.inject_duplicates(1);
    sim.drive_for(secs(1.0));
    // Around a reconnect too: the replay overlaps with repeated live messages.
    away_while(&mut sim, 7..=9);
    sim.inject_duplicates(64);
    publish(&mut sim, 10..=10);
    sim.inject_duplicates(2);
    sim.drive_for(secs(1.0));

    // The server did send each message several times...
    let deliveries = sim
        .client(READER)
        .delivered_frames()
        .into_iter()
        .filter(|(_, f)| matches!(f, ServerFrame::Message { .. }))
        .count();
    assert!(deliveries > 20, "{deliveries} deliveries");
    // ...and the application saw each once.
    assert_eq!(seqs(&sim, READER), (1..=10).collect::<Vec<_>>());
    assert_eq!(seqs(&sim, WRITER), (1..=10).collect::<Vec<_>>());
    assert!(resets(&sim, READER).is_empty());
    assert!(resets(&sim, WRITER).is_empty());
}

#[test]
fn presence_is_snapshotted_again_on_every_resubscribe() {
    let mut sim = room(7, ServerConfig::default());
    let first_session = sim.client(READER).core.session().unwrap().to_owned();
    let writer_session = sim.client(WRITER).core.session().unwrap().to_owned();
    sim.kill_connection(READER);
    sim.drive_for(secs(30.0));
    let second_session = sim.client(READER).core.session().unwrap().to_owned();
    assert_ne!(first_session, second_session);

    let presence = |c: usize| {
        sim.client(c)
            .events(|e| match e {
                Event::Presence { channel, event } if channel == ROOM => Some(event.clone()),
                _ => None,
            })
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
    };
    let members = |event: &PresenceEvent| match event {
        PresenceEvent::Snapshot { members } => {
            let mut s: Vec<String> = members.iter().map(|m| m.session.clone()).collect();
            s.sort();
            Some(s)
        }
        _ => None,
    };
    let snapshots: Vec<Vec<String>> = presence(READER).iter().filter_map(members).collect();
    let mut both = vec![second_session.clone(), writer_session.clone()];
    both.sort();
    assert_eq!(snapshots, [vec![first_session.clone()], both]);

    // The writer saw the reader join, leave with its old session and join with the new.
    let changes: Vec<(bool, String)> = presence(WRITER)
        .into_iter()
        .filter_map(|e| match e {
            PresenceEvent::Join { member } => Some((true, member.session)),
            PresenceEvent::Leave { member } => Some((false, member.session)),
            PresenceEvent::Snapshot { .. } => None,
        })
        .collect();
    assert_eq!(
        changes,
        [(false, first_session), (true, second_session)],
        "joins and leaves after the writer's own snapshot"
    );
}
