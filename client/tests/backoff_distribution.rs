//! Reconnect backoff over a thousand seeds: delays stay within `[0, cap]`, grow with the
//! attempt, are jittered from the first retry on and stay spread once capped; server
//! advice (retry-after, `reconnect: false`, 41xx) and `max_reconnect_attempts` end or
//! delay reconnecting as documented; `reconnect_now` cuts the wait short.

mod sim;

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;
use resocket::protocol::codes;
use resocket::{
    Backoff, BackoffConfig, CloseReason, Config, DisconnectReason, Event, PublishError, State,
};
use sim::{at, secs, ServerConfig, Sim};

const SEEDS: u64 = 1_000;
const BUCKET: Duration = Duration::from_millis(50);

fn config(seed: u64) -> Config {
    Config {
        seed,
        ..Config::default()
    }
}

fn mean(delays: &[Duration]) -> f64 {
    delays.iter().map(Duration::as_secs_f64).sum::<f64>() / delays.len() as f64
}

/// The largest share of `delays` falling in one 50 ms bucket.
fn largest_bucket_share(delays: &[Duration]) -> f64 {
    let mut buckets: BTreeMap<u128, usize> = BTreeMap::new();
    for d in delays {
        *buckets
            .entry(d.as_micros() / BUCKET.as_micros())
            .or_default() += 1;
    }
    *buckets.values().max().unwrap() as f64 / delays.len() as f64
}

fn distinct(delays: &[Duration]) -> usize {
    let mut v = delays.to_vec();
    v.sort();
    v.dedup();
    v.len()
}

/// Checks the delays of one attempt number across the fleet against its ceiling.
fn check_attempt(what: &str, attempt: u32, ceiling: Duration, delays: &[Duration]) {
    assert_eq!(delays.len() as u64, SEEDS, "{what}: attempt {attempt}");
    for d in delays {
        assert!(
            *d <= ceiling,
            "{what}: attempt {attempt}: {d:?} > {ceiling:?}"
        );
    }
    let expected = ceiling.as_secs_f64() / 2.0;
    let m = mean(delays);
    assert!(
        (m - expected).abs() < 0.1 * expected,
        "{what}: attempt {attempt}: mean {m:.3}s, uniform over [0, {ceiling:?}] gives {expected:.3}s"
    );
    assert!(
        distinct(delays) as u64 > SEEDS * 99 / 100,
        "{what}: attempt {attempt} is not jittered"
    );
    let lowest = delays.iter().min().unwrap().as_secs_f64();
    let highest = delays.iter().max().unwrap().as_secs_f64();
    let c = ceiling.as_secs_f64();
    assert!(
        lowest < 0.02 * c && highest > 0.98 * c,
        "{what}: attempt {attempt}: delays span only [{lowest}, {highest}] of [0, {c}]"
    );
}

/// Means must grow with the attempt until the cap, then stay; at the cap no 50 ms
/// window may hold more than 3 % of the fleet.
fn check_growth(what: &str, backoff: &Backoff, by_attempt: &BTreeMap<u32, Vec<Duration>>) {
    let cap = BackoffConfig::default().max;
    let mut previous: Option<f64> = None;
    for (&attempt, delays) in by_attempt {
        let ceiling = backoff.ceiling(attempt);
        check_attempt(what, attempt, ceiling, delays);
        let m = mean(delays);
        if let Some(p) = previous {
            if ceiling < cap {
                assert!(
                    m > 1.5 * p,
                    "{what}: mean does not grow at attempt {attempt}"
                );
            } else {
                assert!(
                    m > 0.4 * cap.as_secs_f64(),
                    "{what}: mean fell at {attempt}"
                );
            }
        }
        previous = Some(m);
        if ceiling == cap {
            let share = largest_bucket_share(delays);
            assert!(
                share <= 0.03,
                "{what}: attempt {attempt}: {:.1} % of clients share a 50 ms window",
                share * 100.0
            );
        }
    }
    let capped = by_attempt
        .keys()
        .filter(|&&a| backoff.ceiling(a) == cap)
        .count();
    assert!(capped >= 3, "{what}: the run must reach the cap");
}

#[test]
fn ceilings_double_from_the_initial_delay_up_to_the_cap() {
    let backoff = Backoff::new(BackoffConfig::default());
    let ms = |a| backoff.ceiling(a).as_millis();
    assert_eq!(
        (0..8).map(ms).collect::<Vec<_>>(),
        [500, 1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000]
    );
    assert_eq!(ms(1_000), 20_000);
    assert_eq!(ms(u32::MAX), 20_000);
    let mut rng = SmallRng::seed_from_u64(7);
    assert!(backoff.delay(u32::MAX, &mut rng) <= Duration::from_secs(20));

    let flat = Backoff::new(BackoffConfig {
        initial: Duration::ZERO,
        ..BackoffConfig::default()
    });
    assert_eq!(flat.delay(5, &mut rng), Duration::ZERO);
}

#[test]
fn backoff_delay_is_bounded_growing_and_spread_over_a_thousand_seeds() {
    let backoff = Backoff::new(BackoffConfig::default());
    let mut by_attempt: BTreeMap<u32, Vec<Duration>> = BTreeMap::new();
    for seed in 0..SEEDS {
        let mut rng = SmallRng::seed_from_u64(seed);
        for attempt in 0..12 {
            by_attempt
                .entry(attempt)
                .or_default()
                .push(backoff.delay(attempt, &mut rng));
        }
    }
    check_growth("Backoff::delay", &backoff, &by_attempt);
}

#[test]
fn a_fleet_whose_connection_attempts_always_fail_backs_off_with_full_jitter() {
    let mut sim = Sim::new(1, ServerConfig::default());
    sim.crash();
    for seed in 0..SEEDS {
        let c = sim.add_client(config(seed));
        sim.connect(c);
    }
    sim.drive_until(at(600.0));

    let backoff = Backoff::new(BackoffConfig::default());
    let mut by_attempt: BTreeMap<u32, Vec<Duration>> = BTreeMap::new();
    for (i, client) in sim.clients.iter().enumerate() {
        let scheduled = client.events(|e| match e {
            Event::ReconnectScheduled { attempt, delay } => Some((*attempt, *delay)),
            _ => None,
        });
        assert!(
            scheduled.len() >= 12,
            "client {i}: {} retries",
            scheduled.len()
        );
        for (n, (when, (attempt, delay))) in scheduled.iter().enumerate() {
            // The first attempt fails, so the first retry is attempt 1.
            assert_eq!(*attempt, n as u32 + 1, "client {i}");
            // The next socket is asked for exactly when the wait ends.
            match client.opens.get(n + 1) {
                Some(open) => assert_eq!(*open, *when + *delay, "client {i}"),
                None => assert!(*when + *delay > sim.time, "client {i}"),
            }
            if n < 12 {
                by_attempt.entry(*attempt).or_default().push(*delay);
            }
        }
        assert_eq!(client.core.state(), State::Connecting);
    }
    check_growth("ReconnectScheduled", &backoff, &by_attempt);
}

#[test]
fn a_fleet_dropped_at_once_does_not_come_back_at_once() {
    let mut sim = Sim::new(2, ServerConfig::default());
    for seed in 0..SEEDS {
        let c = sim.add_client(config(seed));
        sim.connect(c);
    }
    sim.drive_until(at(5.0));
    assert!(sim.clients.iter().all(|c| c.is_connected()));
    sim.crash();
    sim.drive_until(at(7.0));
    sim.restart(false);
    sim.drive_until(at(120.0));

    let mut first_retry = Vec::new();
    for (i, client) in sim.clients.iter().enumerate() {
        let scheduled = client.events(|e| match e {
            Event::ReconnectScheduled { attempt, delay } => Some((*attempt, *delay)),
            _ => None,
        });
        // n is 0 for the first retry after an established connection.
        assert_eq!(scheduled[0].1 .0, 0, "client {i}");
        first_retry.push(scheduled[0].1 .1);
        assert!(client.is_connected(), "client {i} is back");
    }
    let ceiling = Backoff::new(BackoffConfig::default()).ceiling(0);
    check_attempt("first retry", 0, ceiling, &first_retry);
    // Ten 50 ms windows in [0, 500 ms]: a uniform spread puts ~10 % in each.
    assert!(largest_bucket_share(&first_retry) < 0.15);
}

#[test]
fn a_retry_after_hint_is_a_floor_and_the_jitter_still_spreads_clients() {
    for (hint_ms, seeds) in [(5_000u64, 0..100u64), (100, 100..200)] {
        let mut sim = Sim::new(hint_ms, ServerConfig::default());
        for seed in seeds.clone() {
            let c = sim.add_client(config(seed));
            sim.connect(c);
        }
        sim.drive_until(at(5.0));
        let advised_at = sim.time;
        for c in 0..sim.clients.len() {
            sim.disconnect(c, codes::close::SHUTDOWN, true, Some(hint_ms));
        }
        sim.drive_until(at(60.0));

        let hint = Duration::from_millis(hint_ms);
        let mut above_hint = 0;
        let mut delays = Vec::new();
        for (i, client) in sim.clients.iter().enumerate() {
            let scheduled = client.events(|e| match e {
                Event::ReconnectScheduled { delay, .. } => Some(*delay),
                _ => None,
            });
            assert_eq!(scheduled.len(), 1, "client {i}");
            let (when, delay) = scheduled[0];
            assert!(delay >= hint, "client {i}: {delay:?} < hint {hint:?}");
            assert!(when >= advised_at);
            assert_eq!(client.opens[1], when + delay, "client {i}");
            above_hint += usize::from(delay > hint);
            delays.push(delay);
            assert!(client.is_connected(), "client {i} came back");
        }
        // The jitter applies on top of the hint: clients told the same hint do not come
        // back in the same instant, and stay within hint + the first ceiling (500 ms).
        assert!(above_hint > 95, "{above_hint} of 100 delays above the hint");
        assert!(distinct(&delays) > 95, "delays under one hint are spread");
        assert!(delays
            .iter()
            .all(|d| *d <= hint + Duration::from_millis(500)));
    }
}

#[test]
fn reconnect_false_advice_and_41xx_close_codes_end_in_closed_without_reopening() {
    // (disconnect frame advice, close code)
    let cases: [(Option<bool>, u16); 4] = [
        (Some(false), codes::close::SHUTDOWN),
        (Some(true), codes::close::FORBIDDEN),
        (None, codes::close::UNAUTHORIZED),
        (None, codes::close::UNSUPPORTED_PROTOCOL),
    ];
    for (seed, (advice, code)) in cases.into_iter().enumerate() {
        let mut sim = Sim::new(seed as u64, ServerConfig::default());
        let c = sim.add_client(config(seed as u64));
        sim.connect_and_wait(c);
        match advice {
            Some(reconnect) => sim.disconnect(c, code, reconnect, Some(10)),
            None => sim.close_with(c, code),
        }
        sim.drive_for(secs(3_600.0));

        let client = sim.client(c);
        let case = format!("advice {advice:?}, code {code}");
        assert_eq!(client.core.state(), State::Closed, "{case}");
        assert_eq!(client.opens.len(), 1, "{case}: no further open");
        let closed = client.events(|e| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        });
        let last = &closed.last().unwrap().1;
        assert!(
            matches!(last, CloseReason::ServerRefused { code: c, .. } if *c == code),
            "{case}: {last:?}"
        );
        let disconnects = client.events(|e| match e {
            Event::Disconnected { reconnect, .. } => Some(*reconnect),
            _ => None,
        });
        assert!(!disconnects.last().unwrap().1, "{case}");
        assert!(
            client
                .events(|e| matches!(e, Event::ReconnectScheduled { .. }).then_some(()))
                .is_empty(),
            "{case}"
        );
        assert_eq!(
            sim.act(c, |core, now| core.publish(
                now,
                "ch",
                b"y"[..].into(),
                None
            )),
            Err(PublishError::Closed),
            "{case}"
        );
    }
}

#[test]
fn max_reconnect_attempts_ends_in_closed_and_fails_what_was_queued() {
    for max in [1u32, 3, 6] {
        let mut sim = Sim::new(u64::from(max), ServerConfig::default());
        let c = sim.add_client(Config {
            max_reconnect_attempts: Some(max),
            ..config(u64::from(max))
        });
        sim.connect_and_wait(c);
        sim.crash();
        let id = sim.publish(c, "ch", b"queued"[..].into(), None).unwrap();
        sim.drive_for(secs(3_600.0));

        let client = sim.client(c);
        assert_eq!(client.core.state(), State::Closed, "max {max}");
        // One successful connection, then `max` failed reconnect attempts.
        assert_eq!(client.opens.len() as u32, 1 + max, "max {max}");
        let closed = client.events(|e| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        });
        assert_eq!(closed.len(), 1);
        assert_eq!(
            closed[0].1,
            CloseReason::ReconnectAttemptsExhausted { attempts: max }
        );
        assert!(closed[0].0 >= *client.opens.last().unwrap());
        let published = client.publish_results();
        assert_eq!(published.len(), 1);
        assert_eq!(
            (published[0].1, &published[0].2),
            (id, &Err(PublishError::Closed))
        );

        // The server comes back: a closed client stays closed.
        sim.restart(false);
        sim.drive_for(secs(600.0));
        assert_eq!(sim.client(c).opens.len() as u32, 1 + max);
    }
}

#[test]
fn reconnect_now_during_the_wait_opens_at_once() {
    let mut sim = Sim::new(9, ServerConfig::default());
    let c = sim.add_client(config(9));
    sim.connect_and_wait(c);
    sim.crash();
    // Let the backoff grow to the cap.
    sim.drive_for(secs(300.0));
    sim.restart(false);
    let waiting_until = {
        let client = sim.client(c);
        let (when, delay) = *client
            .events(|e| match e {
                Event::ReconnectScheduled { delay, .. } => Some(*delay),
                _ => None,
            })
            .last()
            .unwrap();
        when + delay
    };
    assert!(waiting_until > sim.time, "the client is waiting");
    let opens = sim.client(c).opens.len();

    let now = sim.time;
    sim.act(c, |core, now| core.reconnect_now(now));
    assert_eq!(sim.client(c).opens.len(), opens + 1);
    assert_eq!(sim.client(c).opens.last(), Some(&now));
    sim.drive_for(secs(1.0));
    assert!(sim.client(c).is_connected());
    assert!(sim.time < waiting_until);
    let reasons = sim.client(c).events(|e| match e {
        Event::Disconnected { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(reasons
        .iter()
        .all(|(_, r)| matches!(r, DisconnectReason::SocketClosed { code: None, .. })));
}
