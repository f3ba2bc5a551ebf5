//! Reconnect delays: exponential growth, capped, then fully jittered.

use std::time::Duration;

use rand::Rng;

/// Settings of the reconnect backoff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Upper bound of the first delay (default 500 ms).
    pub initial: Duration,
    /// Largest upper bound any delay can have (default 20 s).
    pub max: Duration,
    /// Growth of the upper bound per attempt (default 2.0).
    pub factor: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(20),
            factor: 2.0,
        }
    }
}

/// Computes the delay before reconnect attempt `n` (0-based).
///
/// The delay is drawn uniformly from `[0, min(max, initial · factor^n)]`: the jitter is
/// applied *after* the cap. Capping after jittering (as Socket.IO's ±50 % does) makes
/// every client that reached the cap wait exactly `max`, so after a server restart a
/// whole fleet comes back in lockstep. Full jitter spreads them over the whole window,
/// and the first retry is jittered too, so a fleet dropped at once does not stampede.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
}

impl Backoff {
    /// A backoff with these settings.
    pub fn new(config: BackoffConfig) -> Self {
        Self { config }
    }

    /// The upper bound of the delay for attempt `n`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        // In whole microseconds, through saturating casts: no conversion can panic.
        let initial = micros(self.config.initial) as f64;
        let max = micros(self.config.max);
        let factor = self.config.factor.max(1.0);
        let grown = initial * factor.powi(attempt.min(1024) as i32);
        Duration::from_micros(if grown.is_finite() {
            (grown as u64).min(max)
        } else {
            max
        })
    }

    /// A jittered delay for attempt `n`, drawn from `rng`.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        if ceiling.is_zero() {
            return ceiling;
        }
        Duration::from_micros(rng.random_range(0..=micros(ceiling)))
    }
}

/// Whole microseconds in `d`, saturating.
fn micros(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000)
        .saturating_add(u64::from(d.subsec_micros()))
}
