//! Folding: identical events within a window are published once. Repeats are only
//! counted; when the window closes (or the process ends) one summary carries the count.
//!
//! Pure: the clock is the events' own `time` and the `now` given to `close_expired`, so
//! the behaviour is tested without waiting. State is in memory on purpose: a lost fold
//! window only means a Warning is published again, never a wrong change.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Event, Reason};

/// What makes two events "the same" for folding. The diff and revision are left out: a
/// drift that keeps being found is one problem even when a later commit is applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FoldKey {
    stack: String,
    reason: Reason,
    object: String,
    message: String,
}

impl FoldKey {
    fn of(event: &Event) -> Self {
        Self {
            stack: event.stack.clone(),
            reason: event.reason,
            object: event.object.clone(),
            message: event.message.clone(),
        }
    }
}

/// One open window: opened by a published event, counting what followed.
#[derive(Debug, Clone)]
struct Window {
    opened: DateTime<Utc>,
    /// Occurrences so far, the published one included.
    occurrences: u32,
    /// The most recent occurrence: the summary reports the current revision and diff.
    latest: Event,
}

#[derive(Debug, Clone)]
pub struct Folder {
    window: TimeDelta,
    open: BTreeMap<FoldKey, Window>,
}

impl Folder {
    pub fn new(window: std::time::Duration) -> Self {
        Self {
            // Windows longer than chrono can represent (hundreds of millions of years)
            // behave as "never closes".
            window: TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX),
            open: BTreeMap::new(),
        }
    }

    /// What to publish because `event` happened: the event itself when it opens a window
    /// (preceded by the summary of an expired window of the same key), nothing when it
    /// repeats inside an open window.
    pub fn offer(&mut self, event: Event) -> Vec<Event> {
        let key = FoldKey::of(&event);
        let mut publish = Vec::new();
        if let Some(window) = self.open.get_mut(&key) {
            if !closed(window, self.window, event.time) {
                window.occurrences = window.occurrences.saturating_add(event.count.max(1));
                window.latest = event;
                return publish;
            }
            publish.extend(self.open.remove(&key).and_then(summary));
        }
        self.open.insert(
            key,
            Window {
                opened: event.time,
                occurrences: event.count.max(1),
                latest: event.clone(),
            },
        );
        publish.push(event);
        publish
    }

    /// Summaries of the windows that have closed by `now` (those with repeats); closed
    /// windows are forgotten, so the next occurrence is published again.
    pub fn close_expired(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let expired: Vec<FoldKey> = self
            .open
            .iter()
            .filter(|(_, window)| closed(window, self.window, now))
            .map(|(key, _)| key.clone())
            .collect();
        expired
            .iter()
            .filter_map(|key| self.open.remove(key))
            .filter_map(summary)
            .collect()
    }

    /// Summaries of every open window with repeats (the process is ending); all forgotten.
    pub fn flush(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.open)
            .into_values()
            .filter_map(summary)
            .collect()
    }

    /// Forgets the window `event` opened (its publication failed), so that the next
    /// occurrence is published instead of folded into something nobody received.
    pub fn forget(&mut self, event: &Event) {
        self.open.remove(&FoldKey::of(event));
    }
}

fn closed(window: &Window, length: TimeDelta, now: DateTime<Utc>) -> bool {
    window
        .opened
        .checked_add_signed(length)
        .is_some_and(|closes| now >= closes)
}

/// The one event standing for a window's repeats; `None` when nothing repeated (the
/// published event already said everything).
fn summary(window: Window) -> Option<Event> {
    if window.occurrences < 2 {
        return None;
    }
    let mut event = window.latest;
    event.message = format!(
        "{} (repeated {} times since {})",
        event.message,
        window.occurrences,
        window.opened.format("%Y-%m-%dT%H:%M:%SZ")
    );
    event.count = window.occurrences;
    Some(event)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::events::{EventType, Phase};
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, minute, 0).unwrap()
    }

    fn missing(object: &str, minute: u32) -> Event {
        Event {
            time: at(minute),
            kind: EventType::Warning,
            reason: Reason::ServiceNotFound,
            object: format!("ecs-service dev/{object}"),
            message: "service not found".into(),
            diff: Vec::new(),
            revision: Some(format!("rev-{minute}")),
            stack: "dev".into(),
            phase: Phase::Observed,
            count: 1,
        }
    }

    fn hour() -> Folder {
        Folder::new(std::time::Duration::from_secs(3600))
    }

    #[test]
    fn repeats_inside_the_window_are_published_once_then_summarised_on_flush() {
        let mut folder = hour();
        assert_eq!(folder.offer(missing("api", 0)), vec![missing("api", 0)]);
        assert!(folder.offer(missing("api", 5)).is_empty());
        assert!(folder.offer(missing("api", 10)).is_empty());
        let flushed = folder.flush();
        assert_eq!(flushed.len(), 1);
        let summary = &flushed[0];
        assert_eq!(summary.count, 3);
        assert_eq!(
            summary.message,
            "service not found (repeated 3 times since 2026-11-26T10:00:00Z)"
        );
        // The latest occurrence's revision and time: what is true now.
        assert_eq!(summary.revision.as_deref(), Some("rev-10"));
        assert_eq!(summary.time, at(10));
        assert!(folder.flush().is_empty(), "flush forgets");
    }

    #[test]
    fn different_objects_are_not_folded_together() {
        let mut folder = hour();
        assert_eq!(folder.offer(missing("api", 0)).len(), 1);
        assert_eq!(folder.offer(missing("web", 0)).len(), 1);
        let mut other_message = missing("api", 1);
        other_message.message = "cluster dev not found".into();
        assert_eq!(folder.offer(other_message).len(), 1);
    }

    #[test]
    fn a_closed_window_is_summarised_and_the_next_occurrence_published_again() {
        let mut folder = hour();
        folder.offer(missing("api", 0));
        folder.offer(missing("api", 30));
        assert!(
            folder.close_expired(at(59)).is_empty(),
            "still open at 10:59"
        );
        let now = at(0) + TimeDelta::hours(1);
        let summaries = folder.close_expired(now);
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].count, 2);
        let mut later = missing("api", 0);
        later.time = now + TimeDelta::minutes(5);
        assert_eq!(folder.offer(later.clone()), vec![later]);
    }

    #[test]
    fn an_occurrence_after_the_window_gets_the_summary_first() {
        let mut folder = hour();
        folder.offer(missing("api", 0));
        folder.offer(missing("api", 20));
        let mut late = missing("api", 0);
        late.time = at(0) + TimeDelta::minutes(61);
        let published = folder.offer(late.clone());
        assert_eq!(published.len(), 2);
        assert_eq!(published[0].count, 2);
        assert_eq!(published[1], late);
    }

    #[test]
    fn a_window_with_one_occurrence_closes_silently() {
        let mut folder = hour();
        folder.offer(missing("api", 0));
        assert!(folder.close_expired(at(0) + TimeDelta::hours(2)).is_empty());
        assert!(folder.flush().is_empty());
    }

    #[test]
    fn a_forgotten_window_publishes_the_next_occurrence() {
        let mut folder = hour();
        let first = missing("api", 0);
        folder.offer(first.clone());
        folder.forget(&first);
        assert_eq!(folder.offer(missing("api", 5)).len(), 1);
    }
}
