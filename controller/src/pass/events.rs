//! What a pass turns into events: failed reads, the plan's notices and changes, the
//! changes held back, and the outcomes of apply. The vocabulary itself
//! (`Event`, `Reason`, ...) is `crate::events`, which knows nothing of plans.

use chrono::{DateTime, Utc};

use crate::apply::Outcome;
use crate::aws::error_chain;
use crate::events::{Event, EventType, FieldDiff, Phase, Reason};
use crate::observe::ObserveError;
use crate::plan::{Change, Notice};

/// What every event of one pass shares.
#[derive(Debug, Clone)]
pub(super) struct EventContext {
    pub(super) time: DateTime<Utc>,
    pub(super) revision: Option<String>,
}

impl EventContext {
    fn event(
        &self,
        stack: &str,
        phase: Phase,
        (kind, reason): (EventType, Reason),
        object: String,
        message: String,
        diff: Vec<FieldDiff>,
    ) -> Event {
        Event {
            time: self.time,
            kind,
            reason,
            object,
            message,
            diff,
            revision: self.revision.clone(),
            stack: stack.to_owned(),
            phase,
            count: 1,
        }
    }

    /// A read that failed: what it would have read is left out of the pass.
    pub(super) fn observe_failed(&self, failure: &ObserveError) -> Event {
        Event::for_stack(
            failure.stack(),
            (EventType::Warning, Reason::ObserveFailed),
            Phase::Failed,
            error_chain(failure),
            self.time,
            self.revision.clone(),
        )
    }

    pub(super) fn notice(&self, notice: &Notice) -> Event {
        let object = notice
            .resource
            .as_ref()
            .map_or_else(|| format!("stack {}", notice.stack), ToString::to_string);
        self.event(
            &notice.stack,
            Phase::Observed,
            (notice.kind, notice.reason),
            object,
            notice.message.clone(),
            notice.diff.clone(),
        )
    }

    /// A change `plan` would make.
    pub(super) fn planned(&self, change: &Change) -> Event {
        let reason = match change.reason {
            // Before it is corrected, drift is only detected.
            Reason::DriftCorrected => Reason::DriftDetected,
            other => other,
        };
        self.event(
            &change.stack,
            Phase::Planned,
            (EventType::Normal, reason),
            change.resource.to_string(),
            format!("will {}", change.summary),
            change.diff.clone(),
        )
    }

    /// A change not tried this pass: its group is still backing off after `failures`
    /// failed passes in a row, until `until`.
    pub(super) fn held_back(&self, change: &Change, until: DateTime<Utc>, failures: u32) -> Event {
        Event {
            kind: EventType::Warning,
            reason: Reason::BackingOff,
            message: format!(
                "not tried this pass after {failures} consecutive failed pass(es); next attempt after {until}: {}",
                change.summary
            ),
            phase: Phase::Observed,
            ..self.planned(change)
        }
    }

    /// A change `apply` made or failed to make.
    pub(super) fn outcome(&self, outcome: &Outcome) -> Event {
        let change = &outcome.change;
        match &outcome.error {
            None => self.event(
                &change.stack,
                Phase::Applied,
                (EventType::Normal, change.reason),
                change.resource.to_string(),
                change.summary.clone(),
                change.diff.clone(),
            ),
            Some(error) => self.event(
                &change.stack,
                Phase::Failed,
                (EventType::Warning, Reason::ApplyFailed),
                change.resource.to_string(),
                format!("could not {}: {error}", change.summary),
                change.diff.clone(),
            ),
        }
    }
}
