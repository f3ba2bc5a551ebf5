//! When to ping a connection and when to give up on it.
//!
//! The server sends `ping` every `interval`. Once a ping is out, the client has `timeout`
//! to send anything at all (its `pong`, or any other frame); a client that stays silent
//! that long is considered dead. This is a plain state machine over instants, so the
//! connection's read loop only sleeps until [`Heartbeat::deadline`] and reacts to
//! [`Heartbeat::on_deadline`].

use std::time::Duration;

use tokio::time::Instant;

/// What the connection should do at a heartbeat deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeartbeatAction {
    /// Send a `ping` frame.
    SendPing,
    /// The client missed its deadline: close with `HEARTBEAT_TIMEOUT`.
    TimedOut,
    /// Nothing is due yet.
    Wait,
}

/// Heartbeat state of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    next_ping: Instant,
    /// When the oldest ping the client has not answered (with anything) was sent.
    unanswered_since: Option<Instant>,
}

impl Heartbeat {
    /// Starts the schedule at `now`. An interval below 1 ms is taken as 1 ms.
    pub(crate) fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        Self {
            interval,
            timeout,
            next_ping: now + interval,
            unanswered_since: None,
        }
    }

    /// The client sent something: it is alive.
    pub(crate) fn on_activity(&mut self) {
        self.unanswered_since = None;
    }

    /// The next instant at which [`on_deadline`](Self::on_deadline) has something to do.
    pub(crate) fn deadline(&self) -> Instant {
        match self.unanswered_since {
            Some(sent) => self.next_ping.min(sent + self.timeout),
            None => self.next_ping,
        }
    }

    pub(crate) fn on_deadline(&mut self, now: Instant) -> HeartbeatAction {
        if let Some(sent) = self.unanswered_since {
            if now >= sent + self.timeout {
                return HeartbeatAction::TimedOut;
            }
        }
        if now >= self.next_ping {
            self.next_ping = now + self.interval;
            self.unanswered_since.get_or_insert(now);
            return HeartbeatAction::SendPing;
        }
        HeartbeatAction::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pings_every_interval_and_times_out_a_silent_client() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, 100 * MS, 30 * MS);
        assert_eq!(hb.deadline(), t0 + 100 * MS);
        assert_eq!(hb.on_deadline(t0 + 50 * MS), HeartbeatAction::Wait);
        assert_eq!(hb.on_deadline(t0 + 100 * MS), HeartbeatAction::SendPing);
        assert_eq!(hb.deadline(), t0 + 130 * MS);
        assert_eq!(hb.on_deadline(t0 + 130 * MS), HeartbeatAction::TimedOut);
    }

    #[test]
    fn any_activity_answers_the_ping() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, 100 * MS, 30 * MS);
        assert_eq!(hb.on_deadline(t0 + 100 * MS), HeartbeatAction::SendPing);
        hb.on_activity();
        assert_eq!(hb.deadline(), t0 + 200 * MS);
        assert_eq!(hb.on_deadline(t0 + 200 * MS), HeartbeatAction::SendPing);
    }

    #[test]
    fn a_timeout_longer_than_the_interval_counts_from_the_first_unanswered_ping() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(t0, 10 * MS, 25 * MS);
        assert_eq!(hb.on_deadline(t0 + 10 * MS), HeartbeatAction::SendPing);
        assert_eq!(hb.on_deadline(t0 + 20 * MS), HeartbeatAction::SendPing);
        assert_eq!(hb.on_deadline(t0 + 30 * MS), HeartbeatAction::SendPing);
        assert_eq!(hb.deadline(), t0 + 35 * MS);
        assert_eq!(hb.on_deadline(t0 + 35 * MS), HeartbeatAction::TimedOut);
    }
}
