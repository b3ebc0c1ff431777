//! The two instants a pass knows: when schedules are evaluated, and when it runs.
//!
//! They differ under `--now T` (`plan`, `apply`, `run`) and in the `offhours` Lambda (the
//! instant EventBridge scheduled the invocation): schedules are evaluated at T, but what
//! mooring records about the world (`mooring:asleep-since`) is the real time it happened,
//! so a later pass, a person or an audit reads the truth.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// The instant off-hours schedules and override tags are evaluated at.
    pub schedule_at: DateTime<Utc>,
    /// The wall-clock instant of the pass: recorded in tags, and the time backoff runs on.
    pub wall: DateTime<Utc>,
}

impl Clock {
    /// Schedules evaluated at `schedule_at`, the pass running at `wall`.
    pub fn new(schedule_at: DateTime<Utc>, wall: DateTime<Utc>) -> Self {
        Self { schedule_at, wall }
    }
}

/// One instant for both: a pass at the real time, or a test at a chosen one.
impl From<DateTime<Utc>> for Clock {
    fn from(now: DateTime<Utc>) -> Self {
        Self::new(now, now)
    }
}
