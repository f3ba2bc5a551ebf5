//! The core's notion of time: a point on a clock the driver owns.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, measured from an origin chosen by the driver.
///
/// The core never reads a clock; every input carries the current `Time`. Native drivers
/// use the time elapsed since they started, the browser driver `performance.now()`, and
/// tests a simulated clock that jumps straight to the next deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(Duration);

impl Time {
    /// The origin.
    pub const ZERO: Time = Time(Duration::ZERO);

    /// The time `since` after the origin.
    pub const fn from_duration(since: Duration) -> Self {
        Time(since)
    }

    /// The time `ms` milliseconds after the origin.
    pub const fn from_millis(ms: u64) -> Self {
        Time(Duration::from_millis(ms))
    }

    /// How long after the origin this is.
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// How long after `earlier` this is, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, rhs: Duration) -> Time {
        Time(self.0.saturating_add(rhs))
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, rhs: Time) -> Duration {
        self.saturating_since(rhs)
    }
}
