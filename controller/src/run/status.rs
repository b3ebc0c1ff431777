//! What the running controller knows about itself, shared between the loop (which
//! writes after every pass) and the HTTP endpoints (which read).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::metrics::Metrics;
use crate::aws::stats::CallStats;
use crate::events::{Event, Reason};
use crate::pass::PassReport;
use crate::status::{LastPass, StackStatus, StatusDocument, RECENT_EVENTS, VERSION};

#[derive(Debug)]
struct Inner {
    source: String,
    revision: Option<String>,
    loaded: bool,
    passes: u64,
    last_pass: Option<LastPass>,
    last_success_at: Option<DateTime<Utc>>,
    rejected: Option<String>,
    stacks: Vec<StackStatus>,
    /// Newest first, at most `RECENT_EVENTS`.
    events: VecDeque<Event>,
    last_pass_finished: Option<Instant>,
    metrics: Metrics,
}

/// Cheap to clone: the loop and the HTTP server each hold one.
#[derive(Debug, Clone)]
pub struct Shared {
    inner: Arc<Mutex<Inner>>,
    stats: CallStats,
    interval: Duration,
}

impl Shared {
    pub fn new(source: String, stats: CallStats, interval: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                source,
                revision: None,
                loaded: false,
                passes: 0,
                last_pass: None,
                last_success_at: None,
                rejected: None,
                stacks: Vec::new(),
                events: VecDeque::new(),
                last_pass_finished: None,
                metrics: Metrics::default(),
            })),
            stats,
            interval,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing here can be left half-updated in a way that matters: read on.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn loaded(&self, revision: Option<String>) {
        let mut inner = self.lock();
        inner.loaded = true;
        inner.revision = revision;
        inner.rejected = None;
    }

    pub fn rejected(&self, why: String) {
        let mut inner = self.lock();
        inner.rejected = Some(why);
        inner
            .metrics
            .record_failure(&Reason::DesiredStateInvalid.to_string());
    }

    /// After a pass: its report, the status it built (`PassReport::status`, taken out of
    /// it) and the events noticed since the previous pass that the report does not carry
    /// (a loaded or refused file).
    pub fn record_pass(&self, report: &PassReport, status: Vec<StackStatus>, between: &[Event]) {
        let now = Utc::now();
        let mut inner = self.lock();
        // Millisecond precision is plenty for a timestamp gauge.
        #[allow(clippy::cast_precision_loss)]
        let unix = now.timestamp_millis() as f64 / 1000.0;
        inner.metrics.record_pass(report, unix);
        inner.last_pass_finished = Some(Instant::now());
        inner.passes += 1;
        inner.last_pass = Some(report.last_pass(now));
        if report.failed() == 0 {
            inner.last_success_at = Some(now);
        }
        let previous = std::mem::take(&mut inner.stacks);
        inner.stacks = keep_last_events(status, previous);
        for event in between.iter().chain(&report.events) {
            push_folded(&mut inner.events, event);
        }
        inner.events.truncate(RECENT_EVENTS);
    }

    /// A desired state is loaded and a pass finished within three intervals.
    pub fn ready(&self) -> bool {
        let inner = self.lock();
        inner.loaded
            && inner
                .last_pass_finished
                .is_some_and(|at| at.elapsed() <= self.interval.saturating_mul(3))
    }

    pub fn status(&self) -> StatusDocument {
        let inner = self.lock();
        StatusDocument {
            version: VERSION,
            source: inner.source.clone(),
            revision: inner.revision.clone(),
            loaded: inner.loaded,
            passes: inner.passes,
            last_pass: inner.last_pass.clone(),
            last_success_at: inner.last_success_at,
            rejected: inner.rejected.clone(),
            stacks: inner.stacks.clone(),
            events: inner.events.iter().cloned().collect(),
        }
    }

    pub fn metrics_text(&self) -> String {
        let calls = self.stats.snapshot();
        let inner = self.lock();
        inner.metrics.render(&calls, inner.revision.as_deref())
    }
}

/// Puts `event` first; an earlier event saying the same thing about the same object (a
/// drift reported every pass under `management: observe`) is folded into it, so the list
/// keeps its variety: the new one carries the count of both.
fn push_folded(events: &mut VecDeque<Event>, event: &Event) {
    let mut event = event.clone();
    if let Some(index) = events.iter().position(|e| {
        e.object == event.object
            && e.reason == event.reason
            && e.phase == event.phase
            && e.message == event.message
            && e.diff == event.diff
    }) {
        if let Some(earlier) = events.remove(index) {
            event.count = event.count.saturating_add(earlier.count);
        }
    }
    events.push_front(event);
}

/// A resource the last pass said nothing about keeps the last event an earlier pass had
/// for it: it says when it last changed.
fn keep_last_events(mut stacks: Vec<StackStatus>, previous: Vec<StackStatus>) -> Vec<StackStatus> {
    let mut last: BTreeMap<(String, String), Event> = previous
        .into_iter()
        .flat_map(|stack| {
            let name = stack.name;
            stack
                .resources
                .into_iter()
                .filter_map(move |r| Some(((name.clone(), r.id), r.last_event?)))
        })
        .collect();
    for stack in &mut stacks {
        for resource in &mut stack.resources {
            if resource.last_event.is_none() {
                resource.last_event = last.remove(&(stack.name.clone(), resource.id.clone()));
            }
        }
    }
    stacks
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use desired_state::DesiredState;

    use super::*;
    use crate::events::{EventType, Phase};
    use crate::observed::Observed;
    use crate::status::{stack_statuses, StatusInput, SyncState};

    fn desired() -> DesiredState {
        desired_state::parse_sources(&[(
            "shop.yaml".into(),
            "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: shop\nspec:\n  region: us-east-1\n  services:\n    - { cluster: c, name: web, desiredCount: 1 }\n    - { cluster: c, name: api, desiredCount: 1 }\n".into(),
        )])
        .unwrap()
    }

    fn event(object: &str, reason: Reason, phase: Phase) -> Event {
        Event {
            time: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
            kind: EventType::Normal,
            reason,
            object: object.into(),
            message: String::new(),
            diff: Vec::new(),
            revision: Some("abc".into()),
            stack: "shop".into(),
            phase,
            count: 1,
        }
    }

    fn statuses(events: &[Event]) -> Vec<StackStatus> {
        stack_statuses(&StatusInput {
            desired: &desired(),
            observed: &Observed::default(),
            events,
            now: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
        })
    }

    #[test]
    fn a_repeated_event_is_folded_into_the_latest_one() {
        let mut events = VecDeque::new();
        let drift = event("alarm a", Reason::DriftDetected, Phase::Observed);
        let sleep = event("ecs-service c/web", Reason::Sleep, Phase::Applied);
        push_folded(&mut events, &drift);
        push_folded(&mut events, &sleep);
        push_folded(&mut events, &drift);
        push_folded(&mut events, &drift);
        let shown: Vec<(&str, u32)> = events
            .iter()
            .map(|e| (e.object.as_str(), e.count))
            .collect();
        assert_eq!(shown, [("alarm a", 3), ("ecs-service c/web", 1)]);
    }

    #[test]
    fn a_quiet_pass_keeps_each_resources_last_event() {
        let first = statuses(&[
            event("ecs-service c/web", Reason::DriftCorrected, Phase::Applied),
            event("ecs-service c/api", Reason::ApplyFailed, Phase::Failed),
        ]);
        assert_eq!(first[0].resources[1].state, SyncState::Failed);
        let quiet = keep_last_events(statuses(&[]), first);
        let api = &quiet[0].resources[1];
        assert_eq!(api.id, "ecs-service c/api");
        // Not read in the quiet pass (nothing observed here): unknown, not failed.
        assert_eq!(api.state, SyncState::Unknown);
        assert_eq!(
            api.last_event.as_ref().map(|e| e.reason),
            Some(Reason::ApplyFailed)
        );
        assert_eq!(
            quiet[0].resources[0].last_event.as_ref().map(|e| e.reason),
            Some(Reason::DriftCorrected)
        );
    }
}
