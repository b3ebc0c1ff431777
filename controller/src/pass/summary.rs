//! A pass counted the way a reviewer counts it: resources, not API calls or events. A
//! first plan makes five tag and count changes on one service; that is one service to
//! change. The same counts close the text plan, sit in the JSON report (`summary`) and
//! decide the exit code under `--fail-on-warnings`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::events::{Event, EventType, Phase, Reason};

/// What a resource's changes amount to, from the reasons of its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// `~`: the resource exists and some of it changes (adopted ones included).
    Change,
    /// `+`: the resource does not exist yet and is created.
    Create,
    /// `-`: handed back to whoever owns it now (it left the desired state).
    Release,
    /// `-`: mooring owned it, it left the desired state, it is deleted.
    Delete,
}

impl Effect {
    /// The effect of one resource's changes (`events` all about the same object). A
    /// release or a deletion outweighs everything else done on the way; an ECS service
    /// is never created by mooring, whatever the reason of its tag writes says.
    pub fn of<'a>(object: &str, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut effect = Effect::Change;
        for event in events {
            let this = match event.reason {
                Reason::Released => Effect::Release,
                Reason::Pruned => Effect::Delete,
                Reason::Created if resource_kind(object) != "ecs-service" => Effect::Create,
                _ => Effect::Change,
            };
            effect = effect.max(this);
        }
        effect
    }

    pub fn mark(self) -> char {
        match self {
            Effect::Create => '+',
            Effect::Change => '~',
            Effect::Release | Effect::Delete => '-',
        }
    }
}

/// `ecs-service` of `ecs-service cluster/name`; `stack` of `stack NAME`.
pub fn resource_kind(object: &str) -> &str {
    object.split_once(' ').map_or(object, |(kind, _)| kind)
}

/// Whether an event is a change (planned, made, or failed to be made) of a resource, as
/// opposed to something noticed or a read that failed.
pub fn is_change(event: &Event) -> bool {
    match event.phase {
        Phase::Planned | Phase::Applied => true,
        Phase::Failed => event.reason == Reason::ApplyFailed,
        Phase::Observed => false,
    }
}

/// Whether an event needs a person's attention without being a failure: a service that
/// does not exist, a resource another stack owns, drift in `observe` mode, throttling.
pub fn is_warning(event: &Event) -> bool {
    event.phase == Phase::Observed && event.kind == EventType::Warning
}

/// Resources by what happens to them (planned for `plan`, done for `apply`), resources
/// whose changes failed plus reads that failed, and warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub change: usize,
    pub create: usize,
    pub release: usize,
    pub delete: usize,
    pub failed: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(events: &[Event]) -> Self {
        let mut summary = Summary::default();
        // (stack, object) → its change events (a map: a sleep at 1,000 services has
        // thousands of events).
        let mut resources: BTreeMap<(&str, &str), Vec<&Event>> = BTreeMap::new();
        for event in events {
            if is_warning(event) {
                summary.warnings += 1;
            } else if is_change(event) {
                resources
                    .entry((event.stack.as_str(), event.object.as_str()))
                    .or_default()
                    .push(event);
            } else if event.phase == Phase::Failed {
                // A read that failed, a stack the account guard refused.
                summary.failed += 1;
            }
        }
        for ((_, object), changes) in resources {
            if changes.iter().any(|e| e.phase == Phase::Failed) {
                summary.failed += 1;
                continue;
            }
            match Effect::of(object, changes) {
                Effect::Create => summary.create += 1,
                Effect::Change => summary.change += 1,
                Effect::Release => summary.release += 1,
                Effect::Delete => summary.delete += 1,
            }
        }
        summary
    }

    /// Resources created, changed, released or deleted (not failed ones).
    pub fn resources(&self) -> usize {
        self.change + self.create + self.release + self.delete
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event(object: &str, phase: Phase, kind: EventType, reason: Reason) -> Event {
        Event {
            time: chrono::Utc.with_ymd_and_hms(2026, 3, 4, 15, 0, 0).unwrap(),
            kind,
            reason,
            object: object.into(),
            message: String::new(),
            diff: Vec::new(),
            revision: None,
            stack: "shop".into(),
            phase,
            count: 1,
        }
    }

    fn planned(object: &str, reason: Reason) -> Event {
        event(object, Phase::Planned, EventType::Normal, reason)
    }

    #[test]
    fn resources_are_counted_once_whatever_their_number_of_changes() {
        let events = vec![
            event(
                "ecs-service shop/typo",
                Phase::Observed,
                EventType::Warning,
                Reason::ServiceNotFound,
            ),
            // A service's tag writes are never a creation: mooring creates no services.
            planned("ecs-service shop/web", Reason::Sleep),
            planned("ecs-service shop/web", Reason::Created),
            planned("ecs-service shop/web", Reason::Sleep),
            planned("scalable-target shop/web", Reason::Created),
            planned("alarm web-cpu", Reason::Created),
            planned("alarm web-cpu", Reason::Created),
            planned("alarm old", Reason::Pruned),
            planned("ecs-service shop/gone", Reason::Wake),
            planned("ecs-service shop/gone", Reason::Released),
            planned("topic adopted", Reason::Adopted),
        ];
        assert_eq!(
            Summary::of(&events),
            Summary {
                change: 2,
                create: 2,
                release: 1,
                delete: 1,
                failed: 0,
                warnings: 1,
            }
        );
    }

    #[test]
    fn a_resource_with_a_failed_change_counts_as_failed_only() {
        let events = vec![
            event(
                "ecs-service shop/web",
                Phase::Applied,
                EventType::Normal,
                Reason::Sleep,
            ),
            event(
                "ecs-service shop/web",
                Phase::Failed,
                EventType::Warning,
                Reason::ApplyFailed,
            ),
            event(
                "stack shop",
                Phase::Failed,
                EventType::Warning,
                Reason::ObserveFailed,
            ),
            event(
                "alarm web-cpu",
                Phase::Applied,
                EventType::Normal,
                Reason::DriftCorrected,
            ),
        ];
        let summary = Summary::of(&events);
        assert_eq!((summary.change, summary.failed), (1, 2));
        assert_eq!(summary.warnings, 0);
    }
}
