//! What the running controller knows about itself, shared between the loop (which
//! writes after every pass) and the HTTP endpoints (which read).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use desired_state::{DesiredState, Management};
use serde::Serialize;

use super::metrics::Metrics;
use crate::aws::stats::CallStats;
use crate::events::{Event, Phase, Reason};
use crate::pass::PassReport;

/// A resource's state after the last pass, as `/status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SyncState {
    /// Nothing left to do (or the pass just corrected it).
    Synced,
    /// A change is pending: planned, held back, or not allowed (not owned, not found).
    OutOfSync,
    /// Its last change or read failed.
    Error,
    /// `management: paused`: skipped entirely.
    Paused,
    /// `management: observe`: drift is reported, nothing changed.
    Observing,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStatus {
    pub stack: String,
    pub state: SyncState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<Event>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub source: String,
    pub revision: Option<String>,
    pub loaded: bool,
    pub passes: u64,
    pub last_pass_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Why the last new desired state was refused, while the previous one is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    pub resources: BTreeMap<String, ResourceStatus>,
}

#[derive(Debug)]
struct Inner {
    status: StatusReport,
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
                status: StatusReport {
                    source,
                    revision: None,
                    loaded: false,
                    passes: 0,
                    last_pass_at: None,
                    last_success_at: None,
                    rejected: None,
                    resources: BTreeMap::new(),
                },
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
        inner.status.loaded = true;
        inner.status.revision = revision;
        inner.status.rejected = None;
    }

    pub fn rejected(&self, why: String) {
        let mut inner = self.lock();
        inner.status.rejected = Some(why);
        inner
            .metrics
            .record_failure(&Reason::DesiredStateInvalid.to_string());
    }

    pub fn record_pass(&self, desired: &DesiredState, report: &PassReport) {
        let now = Utc::now();
        let mut inner = self.lock();
        // Millisecond precision is plenty for a timestamp gauge.
        #[allow(clippy::cast_precision_loss)]
        let unix = now.timestamp_millis() as f64 / 1000.0;
        inner.metrics.record_pass(report, unix);
        inner.last_pass_finished = Some(Instant::now());
        inner.status.passes += 1;
        inner.status.last_pass_at = Some(now);
        if report.failed() == 0 {
            inner.status.last_success_at = Some(now);
        }
        let previous = std::mem::take(&mut inner.status.resources);
        inner.status.resources = resource_states(desired, report, previous);
    }

    /// A desired state is loaded and a pass finished within three intervals.
    pub fn ready(&self) -> bool {
        let inner = self.lock();
        inner.status.loaded
            && inner
                .last_pass_finished
                .is_some_and(|at| at.elapsed() <= self.interval.saturating_mul(3))
    }

    pub fn status(&self) -> StatusReport {
        self.lock().status.clone()
    }

    pub fn metrics_text(&self) -> String {
        let calls = self.stats.snapshot();
        let inner = self.lock();
        inner
            .metrics
            .render(&calls, inner.status.revision.as_deref())
    }
}

/// Every declared service plus every object the pass had something to say about. A
/// resource's last event is kept across quiet passes: it says when it last changed.
fn resource_states(
    desired: &DesiredState,
    report: &PassReport,
    mut previous: BTreeMap<String, ResourceStatus>,
) -> BTreeMap<String, ResourceStatus> {
    let mut states: BTreeMap<String, ResourceStatus> = BTreeMap::new();
    for stack in &desired.stacks {
        for service in &stack.services {
            let object = format!("ecs-service {}/{}", service.cluster, service.name);
            let state = match service.management {
                Management::Full => SyncState::Synced,
                Management::Observe => SyncState::Observing,
                Management::Paused => SyncState::Paused,
            };
            let last_event = previous.remove(&object).and_then(|s| s.last_event);
            states.insert(
                object,
                ResourceStatus {
                    stack: stack.name.clone(),
                    state,
                    last_event,
                },
            );
        }
    }
    for event in &report.events {
        if event.object.starts_with("stack ") {
            continue;
        }
        let entry = states
            .entry(event.object.clone())
            .or_insert_with(|| ResourceStatus {
                stack: event.stack.clone(),
                state: SyncState::Synced,
                last_event: None,
            });
        let state = state_after(event);
        // Error outranks OutOfSync outranks Synced; Paused and Observing stay.
        if !matches!(entry.state, SyncState::Paused | SyncState::Observing)
            && rank(state) > rank(entry.state)
        {
            entry.state = state;
        }
        entry.last_event = Some(event.clone());
    }
    states
}

fn state_after(event: &Event) -> SyncState {
    match (event.phase, event.reason) {
        (Phase::Failed, _) | (_, Reason::ObserveFailed) => SyncState::Error,
        (Phase::Applied, _) => SyncState::Synced,
        (Phase::Planned, _) => SyncState::OutOfSync,
        (Phase::Observed, Reason::BackingOff | Reason::ServiceNotFound | Reason::NotOwned) => {
            SyncState::OutOfSync
        }
        (Phase::Observed, Reason::DriftDetected) => SyncState::OutOfSync,
        (Phase::Observed, _) => SyncState::Synced,
    }
}

fn rank(state: SyncState) -> u8 {
    match state {
        SyncState::Synced | SyncState::Paused | SyncState::Observing => 0,
        SyncState::OutOfSync => 1,
        SyncState::Error => 2,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::events::EventType;

    fn desired() -> DesiredState {
        desired_state::parse_sources(&[(
            "shop.yaml".into(),
            "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: shop\nspec:\n  region: us-east-1\n  services:\n    - { cluster: c, name: web, desiredCount: 1 }\n    - { cluster: c, name: api, desiredCount: 1 }\n    - { cluster: c, name: old, desiredCount: 1, management: paused }\n    - { cluster: c, name: watched, desiredCount: 1, management: observe }\n".into(),
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

    fn report(events: Vec<Event>) -> PassReport {
        PassReport {
            stacks: Vec::new(),
            revision: Some("abc".into()),
            events,
            plan: crate::plan::SharedPlan::default(),
            outcomes: None,
            calls: Vec::new(),
            token_waits: Vec::new(),
            duration_ms: 5,
            summary: crate::pass::Summary::default(),
        }
    }

    #[test]
    fn each_resource_gets_the_state_its_events_say_and_keeps_its_last_event() {
        let first = report(vec![
            event("ecs-service c/web", Reason::DriftCorrected, Phase::Applied),
            event("ecs-service c/api", Reason::ApplyFailed, Phase::Failed),
            event(
                "ecs-service c/watched",
                Reason::DriftDetected,
                Phase::Observed,
            ),
            event("alarm cpu", Reason::BackingOff, Phase::Observed),
            event("stack shop", Reason::DesiredStateLoaded, Phase::Observed),
        ]);
        let states = resource_states(&desired(), &first, BTreeMap::new());
        let state = |name: &str| states[name].state;
        assert_eq!(state("ecs-service c/web"), SyncState::Synced);
        assert_eq!(state("ecs-service c/api"), SyncState::Error);
        assert_eq!(state("ecs-service c/old"), SyncState::Paused);
        assert_eq!(state("ecs-service c/watched"), SyncState::Observing);
        assert_eq!(state("alarm cpu"), SyncState::OutOfSync);
        assert!(!states.contains_key("stack shop"));

        // A quiet pass: every service is in sync and remembers what last happened to it.
        let states = resource_states(&desired(), &report(Vec::new()), states);
        assert_eq!(states["ecs-service c/api"].state, SyncState::Synced);
        assert_eq!(
            states["ecs-service c/api"]
                .last_event
                .as_ref()
                .map(|e| e.reason),
            Some(Reason::ApplyFailed)
        );
    }
}
