//! An async token bucket by virtual scheduling (GCRA): each acquire reserves the instant
//! its token is due under a short lock, then sleeps until then. No polling, no task per
//! bucket, and first come first served: reservations are handed out in the order callers
//! arrive, so a call that has waited longest is sent first.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A bucket of `capacity` tokens refilled at `refill` tokens a second, full at creation
/// (AWS's bucket is full after a quiet period, and mooring's first calls of a pass follow
/// one).
#[derive(Debug)]
pub struct TokenBucket {
    /// Time one token takes to refill (1 / refill).
    interval: Duration,
    /// How far ahead of the clock the schedule may run: (capacity − 1) intervals, the
    /// burst a full bucket allows.
    tolerance: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The "theoretical arrival time": when the bucket would be full again if nobody
    /// asked. A token is free now while it is less than `tolerance` ahead of the clock.
    full_at: Instant,
    /// Time callers spent waiting for tokens, summed.
    waited: Duration,
    /// Tokens handed out.
    taken: u64,
}

impl TokenBucket {
    /// `capacity` and `refill` are positive and finite (quotas.rs checks the file; the
    /// share is in (0, 1]). A capacity under one token still lets one call through per
    /// refill interval.
    pub fn new(capacity: f64, refill: f64) -> Self {
        // quotas.rs bounds the figures; a day per token stands in for anything slower.
        let interval = Duration::try_from_secs_f64(1.0 / refill)
            .unwrap_or(Duration::from_secs(86_400))
            .min(Duration::from_secs(86_400));
        let tolerance = interval.mul_f64((capacity - 1.0).max(0.0));
        Self {
            interval,
            tolerance,
            state: Mutex::new(State {
                full_at: Instant::now(),
                waited: Duration::ZERO,
                taken: 0,
            }),
        }
    }

    /// Waits until a token is free and takes it; returns how long it waited. Dropping the
    /// future while it waits forfeits the reserved token (callers do not cancel).
    pub async fn acquire(&self) -> Duration {
        let now = Instant::now();
        let due = self.reserve(now);
        let wait = due.saturating_duration_since(now);
        if !wait.is_zero() {
            tokio::time::sleep_until(due).await;
        }
        wait
    }

    /// The instant the next token is due, reserved for the caller.
    fn reserve(&self, now: Instant) -> Instant {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            // Nothing in the critical section panics; if it ever did, the numbers are
            // still consistent (each field is written once).
            Err(poisoned) => poisoned.into_inner(),
        };
        let full_at = state.full_at.max(now);
        let due = full_at
            .checked_sub(self.tolerance)
            .map_or(now, |earliest| earliest.max(now));
        state.full_at = full_at + self.interval;
        state.waited += due.saturating_duration_since(now);
        state.taken += 1;
        due
    }

    /// AWS answered that the account's bucket is empty (another caller drained it, or
    /// another mooring process): from now on, assume ours is too, so the next token is
    /// one refill interval away instead of sending the rest of our burst into throttling.
    /// Tokens already reserved are unaffected: they were further out anyway.
    pub fn drain(&self) {
        let now = Instant::now();
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Empty: the bucket would be full again `tolerance + interval` (capacity
        // intervals) from now.
        state.full_at = state.full_at.max(now + self.tolerance + self.interval);
    }

    /// Total time waited for tokens so far.
    pub fn waited(&self) -> Duration {
        match self.state.lock() {
            Ok(state) => state.waited,
            Err(poisoned) => poisoned.into_inner().waited,
        }
    }

    #[cfg(test)]
    fn taken(&self) -> u64 {
        match self.state.lock() {
            Ok(state) => state.taken,
            Err(poisoned) => poisoned.into_inner().taken,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Instants (since `start`, in ms) at which each of `n` acquires started in order
    /// completes.
    async fn completion_times(bucket: Arc<TokenBucket>, n: usize) -> Vec<u128> {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let bucket = bucket.clone();
            tasks.push(tokio::spawn(async move {
                bucket.acquire().await;
                start.elapsed().as_millis()
            }));
            // Spawned tasks start in order; yield so each reserves before the next.
            tokio::task::yield_now().await;
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_gives_its_burst_at_once_then_the_refill_rate() {
        let bucket = Arc::new(TokenBucket::new(3.0, 2.0));
        let times = completion_times(bucket.clone(), 7).await;
        assert_eq!(times, vec![0, 0, 0, 500, 1000, 1500, 2000]);
        assert_eq!(bucket.taken(), 7);
        // 0.5 + 1 + 1.5 + 2 s waited in all.
        assert_eq!(bucket.waited(), Duration::from_millis(5000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_period_refills_the_bucket_up_to_its_capacity_only() {
        let bucket = Arc::new(TokenBucket::new(2.0, 1.0));
        completion_times(bucket.clone(), 2).await;
        // Ten seconds of quiet refill two tokens, not ten.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let times = completion_times(bucket, 4).await;
        assert_eq!(times, vec![0, 0, 1000, 2000]);
    }

    /// A share of a bucket is a smaller bucket: 0.5 × (burst 4, refill 2) = (2, 1).
    #[tokio::test(start_paused = true)]
    async fn the_share_scales_burst_and_refill() {
        let bucket = Arc::new(TokenBucket::new(0.5 * 4.0, 0.5 * 2.0));
        let times = completion_times(bucket, 4).await;
        assert_eq!(times, vec![0, 0, 1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_the_order_they_arrived() {
        let bucket = Arc::new(TokenBucket::new(1.0, 10.0));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (bucket, order) = (bucket.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                bucket.acquire().await;
                order.lock().unwrap().push(i);
            }));
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    /// Many callers at once: every one gets exactly one token, and no more tokens are
    /// handed out than burst + refill × elapsed allows.
    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_never_exceed_the_bucket() {
        let bucket = Arc::new(TokenBucket::new(5.0, 4.0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let bucket = bucket.clone();
                tokio::spawn(async move {
                    bucket.acquire().await;
                    start.elapsed()
                })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        assert_eq!(bucket.taken(), 200);
        times.sort();
        for (i, at) in times.iter().enumerate() {
            // The (i+1)-th token cannot come before (i + 1 − 5) / 4 s.
            let earliest = ((i as f64 + 1.0 - 5.0) / 4.0).max(0.0);
            assert!(at.as_secs_f64() + 1e-9 >= earliest, "token {i} at {at:?}");
        }
        // And the last one comes no later than that floor either: nothing idles.
        let last = times.last().unwrap().as_secs_f64();
        assert!((last - (200.0 - 5.0) / 4.0).abs() < 1e-6, "last at {last}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_drained_bucket_gives_the_next_token_after_one_interval() {
        let bucket = Arc::new(TokenBucket::new(10.0, 2.0));
        completion_times(bucket.clone(), 3).await;
        bucket.drain();
        let times = completion_times(bucket, 3).await;
        assert_eq!(times, vec![500, 1000, 1500]);
    }

    /// A share small enough to leave less than one token of burst still paces.
    #[tokio::test(start_paused = true)]
    async fn a_capacity_under_one_token_still_lets_calls_through() {
        let bucket = Arc::new(TokenBucket::new(0.3, 1.0));
        let times = completion_times(bucket, 3).await;
        assert_eq!(times, vec![0, 1000, 2000]);
    }
}
