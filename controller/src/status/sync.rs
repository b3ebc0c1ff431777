//! The one rule from what a pass said about a resource to its sync state.

use serde::Serialize;

use crate::events::{Event, Phase, Reason};

/// A resource's state after the last pass. Ordered by how much it needs a person: a
/// resource with several events takes the most urgent of their states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SyncState {
    /// The account matches the file (or the pass just made it so).
    InSync,
    /// `management: paused`: mooring does not look at it.
    Paused,
    /// Not read in the last pass (a schedule-only pass, or its stack was not observed).
    Unknown,
    /// A service the stack released (it left the file): handed back, tags removed.
    Released,
    /// A change is due that is not drift: a new or edited declaration, an adoption, a
    /// sleep or wake, or a change held back while the resource backs off.
    Pending,
    /// A declared ECS service or cluster that does not exist (mooring creates neither).
    Missing,
    /// It exists but belongs to another stack, or to nobody without `adopt: true`.
    NotOwned,
    /// The account differs from what mooring last applied: changed behind its back. Under
    /// `management: observe` it stays so; otherwise the next apply puts it back.
    Drifted,
    /// Its last change or read failed.
    Failed,
}

impl SyncState {
    pub fn needs_attention(self) -> bool {
        !matches!(self, Self::InSync | Self::Paused | Self::Released)
    }

    /// What one event says of its resource's state; `None` when it says nothing of it
    /// (an event about sinks, throttling, a loaded file).
    pub fn after(event: &Event) -> Option<Self> {
        Some(match (event.phase, event.reason) {
            (Phase::Failed, _) | (_, Reason::ObserveFailed) => Self::Failed,
            // A drift `plan` shows is named DriftDetected; one `apply` put back is
            // DriftCorrected and Applied: in sync now.
            (Phase::Planned | Phase::Observed, Reason::DriftDetected | Reason::DriftCorrected) => {
                Self::Drifted
            }
            (_, Reason::NotOwned | Reason::ManagedElsewhere) => Self::NotOwned,
            (_, Reason::ServiceNotFound | Reason::ClusterNotFound) => Self::Missing,
            // A release `plan` shows has not happened yet: Pending, below.
            (Phase::Applied | Phase::Observed, Reason::Released) => Self::Released,
            (Phase::Planned, _)
            | (
                Phase::Observed,
                Reason::BackingOff
                | Reason::PruneBlocked
                | Reason::SubscriptionPendingConfirmation
                | Reason::Sleep
                | Reason::Wake
                | Reason::SleepInterrupted,
            ) => Self::Pending,
            (Phase::Applied, _) => Self::InSync,
            (Phase::Observed, _) => return None,
        })
    }

    /// The state of a resource the pass had these events for: the most urgent one.
    pub fn of_events<'e>(events: impl IntoIterator<Item = &'e Event>) -> Option<(Self, &'e Event)> {
        events
            .into_iter()
            .filter_map(|event| Some((Self::after(event)?, event)))
            // The last of equally urgent events: the latest word.
            .max_by(|(a, _), (b, _)| a.cmp(b))
    }
}

impl std::fmt::Display for SyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::events::EventType;

    fn event(reason: Reason, phase: Phase) -> Event {
        Event {
            time: Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap(),
            kind: EventType::Normal,
            reason,
            object: "ecs-service c/web".into(),
            message: format!("{reason:?}"),
            diff: Vec::new(),
            revision: None,
            stack: "shop".into(),
            phase,
            count: 1,
        }
    }

    #[test]
    fn each_event_names_the_state_a_person_would_call_it() {
        let cases = [
            (
                Reason::DriftDetected,
                Phase::Planned,
                Some(SyncState::Drifted),
            ),
            (
                Reason::DriftDetected,
                Phase::Observed,
                Some(SyncState::Drifted),
            ),
            (
                Reason::DriftCorrected,
                Phase::Applied,
                Some(SyncState::InSync),
            ),
            (
                Reason::DesiredChanged,
                Phase::Planned,
                Some(SyncState::Pending),
            ),
            (Reason::Created, Phase::Planned, Some(SyncState::Pending)),
            (Reason::Sleep, Phase::Applied, Some(SyncState::InSync)),
            (Reason::Sleep, Phase::Observed, Some(SyncState::Pending)),
            (
                Reason::BackingOff,
                Phase::Observed,
                Some(SyncState::Pending),
            ),
            (Reason::NotOwned, Phase::Observed, Some(SyncState::NotOwned)),
            (
                Reason::ServiceNotFound,
                Phase::Observed,
                Some(SyncState::Missing),
            ),
            (Reason::Released, Phase::Applied, Some(SyncState::Released)),
            (Reason::Released, Phase::Planned, Some(SyncState::Pending)),
            (Reason::ApplyFailed, Phase::Failed, Some(SyncState::Failed)),
            (Reason::Created, Phase::Failed, Some(SyncState::Failed)),
            (Reason::Throttled, Phase::Observed, None),
        ];
        for (reason, phase, expected) in cases {
            assert_eq!(
                SyncState::after(&event(reason, phase)),
                expected,
                "{reason:?} {phase:?}"
            );
        }
    }

    #[test]
    fn the_most_urgent_event_decides() {
        let events = [
            event(Reason::Adopted, Phase::Applied),
            event(Reason::ApplyFailed, Phase::Failed),
            event(Reason::DriftDetected, Phase::Planned),
        ];
        let (state, by) = SyncState::of_events(&events).unwrap();
        assert_eq!(state, SyncState::Failed);
        assert_eq!(by.reason, Reason::ApplyFailed);
        assert_eq!(SyncState::of_events(&[]), None);
    }
}
