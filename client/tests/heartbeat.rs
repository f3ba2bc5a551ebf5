//! Heartbeat on simulated time: a half-open server is detected within
//! `ping_interval + ping_timeout`, the client reconnects once the server is reachable, and
//! a timer that fires late (a suspended process, a throttled tab) probes with a ping
//! instead of killing a connection that may be fine.

mod sim;

use std::time::Duration;

use resocket::protocol::ClientFrame;
use resocket::{Config, DisconnectReason, Event, State, Time};
use sim::{at, secs, ServerConfig, Sim, Thaw};

const INTERVAL: Duration = Duration::from_secs(25);
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest one-way latency of the simulated network.
const LATENCY: Duration = Duration::from_millis(20);

fn sim(seed: u64) -> Sim {
    let mut sim = Sim::new(
        seed,
        ServerConfig {
            ping_interval: INTERVAL,
            ping_timeout: TIMEOUT,
            ..ServerConfig::default()
        },
    );
    let c = sim.add_client(Config {
        seed,
        // Different from the server's, which must win once connected.
        ping_interval: Duration::from_secs(5),
        ping_timeout: Duration::from_secs(2),
        ..Config::default()
    });
    sim.connect_and_wait(c);
    sim
}

fn disconnects(sim: &Sim) -> Vec<(Time, DisconnectReason)> {
    sim.client(0).events(|e| match e {
        Event::Disconnected { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

fn pongs_received(sim: &Sim) -> usize {
    sim.server
        .received_from(0)
        .filter(|r| matches!(r.frame, ClientFrame::Pong {}))
        .count()
}

fn pings_received_after(sim: &Sim, t: Time) -> usize {
    sim.server
        .received_from(0)
        .filter(|r| r.at >= t && matches!(r.frame, ClientFrame::Ping {}))
        .count()
}

#[test]
fn a_healthy_connection_lives_on_server_pings_alone() {
    let mut sim = sim(1);
    sim.drive_until(at(3_600.0));
    assert!(disconnects(&sim).is_empty(), "{:?}", disconnects(&sim));
    assert_eq!(sim.client(0).opens.len(), 1);
    // The server pings every 25 s and every ping is answered.
    assert!(pongs_received(&sim) >= 3_600 / 25 - 1);
}

#[test]
fn a_half_open_server_is_detected_within_interval_plus_timeout_then_reconnect_succeeds() {
    for seed in 0..20 {
        let mut sim = sim(seed);
        // Somewhere between two server pings.
        let half_open_at = at(600.0) + secs(seed as f64 * 1.3);
        sim.drive_until(half_open_at);
        sim.set_half_open(true);
        let last_heard = sim.client(0).last_delivery.unwrap();
        assert!(
            sim.run_until(half_open_at + secs(300.0), |s| !disconnects(s).is_empty()),
            "seed {seed}: never noticed"
        );

        let (detected, reason) = disconnects(&sim)[0].clone();
        assert_eq!(reason, DisconnectReason::HeartbeatTimeout, "seed {seed}");
        // Exactly when nothing was heard for interval + timeout, which is at most that
        // long after the server went silent.
        assert_eq!(detected, last_heard + INTERVAL + TIMEOUT, "seed {seed}");
        assert!(detected > half_open_at);
        assert!(
            detected <= half_open_at + INTERVAL + TIMEOUT + LATENCY,
            "seed {seed}: detected {:?} after going half-open",
            detected - half_open_at
        );
        let scheduled = sim.client(0).events(|e| match e {
            Event::ReconnectScheduled { attempt, .. } => Some(*attempt),
            _ => None,
        });
        assert_eq!(
            scheduled[0],
            (detected, 0),
            "seed {seed}: reconnect follows"
        );

        // Attempts made while the server is unreachable time out; once it is healthy
        // again the client gets back in.
        sim.drive_until(half_open_at + secs(90.0));
        assert_ne!(sim.client(0).core.state(), State::Connected, "seed {seed}");
        assert!(disconnects(&sim)
            .iter()
            .skip(1)
            .all(|(_, r)| *r == DisconnectReason::ConnectTimeout));
        let healed = sim.time;
        sim.set_half_open(false);
        assert!(
            sim.run_until(healed + secs(60.0), |s| s.client(0).is_connected()),
            "seed {seed}: no reconnect after healing"
        );
        assert_eq!(sim.client(0).connected_at().len(), 2);
        sim.drive_for(secs(600.0));
        assert!(sim.client(0).is_connected(), "seed {seed}");
        assert_eq!(
            sim.client(0).connected_at().len(),
            2,
            "seed {seed}: stays up"
        );
    }
}

#[test]
fn a_late_timer_probes_and_keeps_a_connection_that_answers() {
    for thaw in [Thaw::TimerFirst, Thaw::MessagesFirst] {
        let mut sim = sim(3);
        sim.drive_until(at(100.0));
        // The process is suspended for two minutes. Meanwhile the network carries
        // nothing (the server's pings are lost), so on waking the client has heard
        // nothing for far longer than interval + timeout, and its timer fires late.
        let woke = at(220.0);
        sim.freeze(0, woke, thaw);
        sim.set_half_open(true);
        sim.drive_until(at(219.999));
        sim.set_half_open(false);
        sim.drive_until(woke + secs(0.5));

        assert!(
            disconnects(&sim).is_empty(),
            "{thaw:?}: {:?}",
            disconnects(&sim)
        );
        assert_eq!(
            pings_received_after(&sim, woke),
            1,
            "{thaw:?}: the core probes once on waking"
        );
        sim.drive_until(at(1_000.0));
        assert!(disconnects(&sim).is_empty(), "{thaw:?}");
        assert_eq!(sim.client(0).opens.len(), 1, "{thaw:?}: same connection");
    }
}

#[test]
fn a_late_timer_whose_probe_is_not_answered_drops_the_connection_after_ping_timeout() {
    let mut sim = sim(4);
    sim.drive_until(at(100.0));
    let woke = at(220.0);
    sim.freeze(0, woke, Thaw::TimerFirst);
    sim.set_half_open(true);
    sim.drive_until(woke);

    // Not at once: the silence may be the suspension's doing.
    assert!(disconnects(&sim).is_empty());
    let probes: Vec<Time> = sim
        .client(0)
        .sent_frames()
        .into_iter()
        .filter(|(t, f)| *t >= woke && matches!(f, ClientFrame::Ping {}))
        .map(|(t, _)| t)
        .collect();
    assert_eq!(probes, vec![woke]);

    sim.drive_until(woke + TIMEOUT + secs(1.0));
    assert_eq!(
        disconnects(&sim),
        vec![(woke + TIMEOUT, DisconnectReason::HeartbeatTimeout)]
    );
    sim.set_half_open(false);
    sim.drive_for(secs(60.0));
    assert!(sim.client(0).is_connected());
}

#[test]
fn reconnect_now_probes_a_silently_dead_connection() {
    let mut sim = sim(5);
    sim.drive_until(at(100.0));
    sim.set_half_open(true);
    // The network changed: the application asks to check the connection at once
    // instead of waiting up to interval + timeout.
    let asked = sim.time + secs(1.0);
    sim.drive_until(asked);
    sim.act(0, |core, now| core.reconnect_now(now));
    sim.drive_until(asked + TIMEOUT + secs(1.0));
    assert_eq!(
        disconnects(&sim),
        vec![(asked + TIMEOUT, DisconnectReason::HeartbeatTimeout)]
    );

    // On a healthy connection the same probe is simply answered.
    let mut sim = self::sim(6);
    sim.drive_until(at(100.0));
    sim.act(0, |core, now| core.reconnect_now(now));
    sim.drive_until(at(1_000.0));
    assert!(disconnects(&sim).is_empty());
    assert_eq!(pings_received_after(&sim, at(100.0)), 1);
}
