//! Per-connection request limits: the request rate limiter and input validation.
//!
//! Requests (`subscribe`, `unsubscribe`, `publish`, `call`) draw from one token bucket
//! per connection. A request that finds the bucket empty is refused with a
//! `RATE_LIMITED` error frame naming its id and is not processed. A client that keeps
//! going regardless — more refusals within one second than the bucket's burst size — is
//! disconnected with close code `RATE_LIMITED`, so a flood costs the server a bounded
//! amount of work. Pings and pongs are never limited.

use std::time::Duration;

use tokio::time::Instant;

/// Longest channel name accepted, in bytes.
pub const MAX_CHANNEL_NAME_BYTES: usize = 255;

/// Checks a channel name: non-empty, at most [`MAX_CHANNEL_NAME_BYTES`] bytes, no
/// control characters. The error says what is wrong, for the client.
pub fn validate_channel_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("channel name is empty".into());
    }
    if name.len() > MAX_CHANNEL_NAME_BYTES {
        return Err(format!(
            "channel name is {} bytes, longer than {MAX_CHANNEL_NAME_BYTES}",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("channel name contains control characters".into());
    }
    Ok(())
}

/// What the limiter decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Process it.
    Allowed,
    /// Refuse it with a `RATE_LIMITED` error frame.
    Refused,
    /// Refuse it and disconnect the client with close code `RATE_LIMITED`.
    Abusive,
}

/// Token bucket over a connection's requests. See the [module docs](self).
#[derive(Debug, Clone)]
pub(crate) struct RequestLimiter {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
    refusals: u32,
    refusals_since: Instant,
}

impl RequestLimiter {
    /// A full bucket refilling at `per_second` tokens up to `burst`. A rate of 0 means
    /// unlimited.
    pub(crate) fn new(now: Instant, per_second: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            per_second: f64::from(per_second),
            burst,
            tokens: burst,
            refilled_at: now,
            refusals: 0,
            refusals_since: now,
        }
    }

    pub(crate) fn admit(&mut self, now: Instant) -> Admission {
        if self.per_second == 0.0 {
            return Admission::Allowed;
        }
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Admission::Allowed;
        }
        if now.saturating_duration_since(self.refusals_since) > Duration::from_secs(1) {
            self.refusals = 0;
            self.refusals_since = now;
        }
        self.refusals += 1;
        if f64::from(self.refusals) > self.burst {
            Admission::Abusive
        } else {
            Admission::Refused
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_checked() {
        assert!(validate_channel_name("chat.room-1").is_ok());
        assert!(validate_channel_name("").is_err());
        assert!(validate_channel_name(&"x".repeat(256)).is_err());
        assert!(validate_channel_name(&"x".repeat(255)).is_ok());
        assert!(validate_channel_name("a\nb").is_err());
        assert!(validate_channel_name("a\u{7f}b").is_err());
    }

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut limiter = RequestLimiter::new(t0, 10, 3);
        for _ in 0..3 {
            assert_eq!(limiter.admit(t0), Admission::Allowed);
        }
        assert_eq!(limiter.admit(t0), Admission::Refused);
        assert_eq!(
            limiter.admit(t0 + Duration::from_millis(100)),
            Admission::Allowed
        );
        assert_eq!(
            limiter.admit(t0 + Duration::from_millis(100)),
            Admission::Refused
        );
    }

    #[test]
    fn persistent_flooding_becomes_abusive() {
        let t0 = Instant::now();
        let mut limiter = RequestLimiter::new(t0, 1, 2);
        limiter.admit(t0);
        limiter.admit(t0);
        assert_eq!(limiter.admit(t0), Admission::Refused);
        assert_eq!(limiter.admit(t0), Admission::Refused);
        assert_eq!(limiter.admit(t0), Admission::Abusive);
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let t0 = Instant::now();
        let mut limiter = RequestLimiter::new(t0, 0, 0);
        for _ in 0..10_000 {
            assert_eq!(limiter.admit(t0), Admission::Allowed);
        }
    }
}
