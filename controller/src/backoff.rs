//! Per-resource backoff across passes. The SDK already retries one call with backoff
//! and jitter; this is the next level up: a resource whose changes failed in one pass is
//! not retried in every following pass, but after a delay that doubles with each
//! consecutive failure (base, 2×base, 4×base, … up to a cap), spread by jitter so that
//! resources failing together do not retry together. One success clears it.
//!
//! In memory on purpose: losing it (a restart) only means one early retry. The
//! long-running controller keeps one across passes; a one-shot CLI pass has none.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    failures: u32,
    retry_at: DateTime<Utc>,
}

/// Keyed by a change's apply group (one service and what hangs off it).
#[derive(Debug, Clone)]
pub struct ResourceBackoff {
    base: Duration,
    cap: Duration,
    entries: HashMap<String, Entry>,
}

impl ResourceBackoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
            entries: HashMap::new(),
        }
    }

    /// When `group` may be tried again, if it is still waiting at `now`.
    pub fn waiting_until(&self, group: &str, now: DateTime<Utc>) -> Option<(DateTime<Utc>, u32)> {
        self.entries
            .get(group)
            .filter(|entry| entry.retry_at > now)
            .map(|entry| (entry.retry_at, entry.failures))
    }

    /// Consecutive failed passes of `group` (0 when it is not backing off).
    pub fn failures(&self, group: &str) -> u32 {
        self.entries.get(group).map_or(0, |e| e.failures)
    }

    pub fn succeeded(&mut self, group: &str) {
        self.entries.remove(group);
    }

    /// Records a failure at `now`; `jitter` in [0, 1) stretches the delay by up to 50 %.
    pub fn failed(&mut self, group: &str, now: DateTime<Utc>, jitter: f64) {
        let failures = self.failures(group) + 1;
        let delay = self.delay(failures, jitter);
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        self.entries.insert(
            group.to_owned(),
            Entry {
                failures,
                retry_at: now
                    .checked_add_signed(delay)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            },
        );
    }

    /// base × 2^(failures-1), capped, times 1 + jitter/2.
    fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let doubled = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        doubled.mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 2.0)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A jitter in [0, 1) that differs per group and per process: std's randomly seeded
/// hasher is random enough to spread retries, without a dependency for it.
pub fn jitter_for(group: &str, failures: u32) -> f64 {
    let hash = std::collections::hash_map::RandomState::new().hash_one((group, failures));
    // 53 bits are exactly representable in an f64.
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn delays_double_up_to_the_cap_and_a_success_clears() {
        let mut backoff = ResourceBackoff::new(Duration::from_secs(60), Duration::from_secs(600));
        backoff.failed("svc", at(0), 0.0);
        assert_eq!(backoff.waiting_until("svc", at(0)), Some((at(60), 1)));
        assert_eq!(
            backoff.waiting_until("svc", at(60)),
            None,
            "due again at 60 s"
        );
        backoff.failed("svc", at(60), 0.0);
        assert_eq!(backoff.waiting_until("svc", at(61)), Some((at(180), 2)));
        for _ in 0..10 {
            backoff.failed("svc", at(1000), 0.0);
        }
        assert_eq!(
            backoff.waiting_until("svc", at(1000)).map(|w| w.0),
            Some(at(1600)),
            "capped"
        );
        backoff.succeeded("svc");
        assert_eq!(backoff.waiting_until("svc", at(1000)), None);
        assert!(backoff.is_empty());
    }

    #[test]
    fn jitter_stretches_by_at_most_half_and_groups_are_independent() {
        let mut backoff = ResourceBackoff::new(Duration::from_secs(100), Duration::from_secs(100));
        backoff.failed("a", at(0), 0.999);
        backoff.failed("b", at(0), 0.0);
        let a = backoff.waiting_until("a", at(0)).map(|w| w.0);
        assert!(a > Some(at(149)) && a <= Some(at(150)), "{a:?}");
        assert_eq!(
            backoff.waiting_until("b", at(0)).map(|w| w.0),
            Some(at(100))
        );
        assert_eq!(backoff.len(), 2);
    }

    #[test]
    fn jitter_is_in_range() {
        for failures in 0..100 {
            let j = jitter_for("group", failures);
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
