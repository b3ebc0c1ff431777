//! Why a resource differs from the desired state, decided once for every kind: the
//! desired state changed (a merged pull request: `DesiredChanged`), or the account was
//! changed behind mooring's back (`DriftCorrected`), or nothing survives to tell.
//!
//! The evidence is what mooring recorded when it last applied the resource in full (the
//! autoscaling digest and the count on the service, the marker in an alarm's
//! description, the digest tag on a topic), compared with what is declared now; and, in
//! `mooring run`, what the previous pass saw
//! (`Alerting::left_in_place_last_pass`). Alerting on `DriftCorrected`
//! must never fire on a merged pull request, so without evidence the rule never says
//! drift: it says it cannot tell.

use crate::events::Reason;

/// What the record of the last apply says about a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Evidence {
    /// The record equals what is declared now: the declared state did not change since
    /// the last apply, so a difference is the account's doing.
    Drift,
    /// The record differs from what is declared now: the file changed since.
    DesiredChanged { recorded: String, declared: String },
    /// The previous pass of `mooring run` saw the resource in place and this one does
    /// not, though mooring did not delete it: removed outside mooring.
    VanishedSincePreviousPass,
    /// Nothing recorded (never applied by mooring, or deleted with its record).
    Unknown,
}

/// The rule: `recorded` is what the last apply wrote (None: nothing), `declared` the
/// same record computed from the desired state now.
pub(super) fn evidence(recorded: Option<&str>, declared: &str) -> Evidence {
    match recorded {
        Some(recorded) if recorded == declared => Evidence::Drift,
        Some(recorded) => Evidence::DesiredChanged {
            recorded: recorded.to_owned(),
            declared: declared.to_owned(),
        },
        None => Evidence::Unknown,
    }
}

/// What a step does to the resource, as far as the reason is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Create,
    Update,
    Prune,
}

impl Evidence {
    pub(super) fn is_drift(&self) -> bool {
        matches!(self, Evidence::Drift | Evidence::VanishedSincePreviousPass)
    }

    /// The event reason of `action` under this evidence. A resource created or deleted
    /// because the file declares it or no longer does keeps Created / Pruned; a changed
    /// one is DesiredChanged; without evidence, an update is only Updated.
    pub(super) fn reason(&self, action: Action) -> Reason {
        match (self, action) {
            (Evidence::Drift | Evidence::VanishedSincePreviousPass, _) => Reason::DriftCorrected,
            (_, Action::Create) => Reason::Created,
            (_, Action::Prune) => Reason::Pruned,
            (Evidence::DesiredChanged { .. }, Action::Update) => Reason::DesiredChanged,
            (Evidence::Unknown, Action::Update) => Reason::Updated,
        }
    }

    /// The evidence in words, appended to the change's summary (so to its event).
    pub(super) fn explain(&self, action: Action) -> String {
        match (self, action) {
            // The record itself is left out: an alarm's digest covers names that differ
            // between accounts, and "it matches" is the whole evidence.
            (Evidence::Drift, _) => {
                "changed outside mooring since the last apply: what it recorded still matches the desired state".into()
            }
            (Evidence::DesiredChanged { recorded, declared }, _) => format!(
                "the desired state changed since the last apply: {} → {}",
                short(recorded),
                short(declared)
            ),
            (Evidence::VanishedSincePreviousPass, _) => {
                "removed outside mooring: the previous pass saw it in place".into()
            }
            (Evidence::Unknown, Action::Create) => {
                "no record of a previous apply: cannot tell whether it was deleted outside mooring or is newly declared".into()
            }
            (Evidence::Unknown, _) => {
                "no record of a previous apply: cannot tell whether this is drift or a new declaration".into()
            }
        }
    }

    /// `summary` with the evidence appended where it is news: a resource created or
    /// deleted because the file declares it or no longer does says so by its reason
    /// alone. A planner that knows a missing resource may have existed (an alarm or a
    /// topic, whose record went with it) appends `explain` itself.
    pub(super) fn annotate(&self, action: Action, summary: &str) -> String {
        match (self, action) {
            (
                Evidence::DesiredChanged { .. } | Evidence::Unknown,
                Action::Create | Action::Prune,
            ) => summary.to_owned(),
            _ => format!("{summary} ({})", self.explain(action)),
        }
    }
}

/// Digests are shown by their first 8 hex digits; a recorded count whole.
fn short(record: &str) -> &str {
    record.get(..8).unwrap_or(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_record_means_drift_and_a_changed_one_a_new_desired_state() {
        let drift = evidence(Some("abcdef0123456789"), "abcdef0123456789");
        assert_eq!(drift.reason(Action::Update), Reason::DriftCorrected);
        assert_eq!(drift.reason(Action::Create), Reason::DriftCorrected);
        assert_eq!(drift.reason(Action::Prune), Reason::DriftCorrected);
        assert!(drift
            .explain(Action::Update)
            .contains("changed outside mooring"));

        let changed = evidence(Some("abcdef0123456789"), "0011223344556677");
        assert_eq!(changed.reason(Action::Update), Reason::DesiredChanged);
        assert_eq!(changed.reason(Action::Create), Reason::Created);
        assert_eq!(changed.reason(Action::Prune), Reason::Pruned);
        assert_eq!(
            changed.explain(Action::Update),
            "the desired state changed since the last apply: abcdef01 → 00112233"
        );
    }

    #[test]
    fn without_a_record_it_never_says_drift() {
        let unknown = evidence(None, "abcdef0123456789");
        assert_eq!(unknown.reason(Action::Update), Reason::Updated);
        assert_eq!(unknown.reason(Action::Create), Reason::Created);
        assert!(unknown
            .explain(Action::Create)
            .contains("cannot tell whether it was deleted outside mooring"));
        assert!(!unknown.is_drift());
    }

    #[test]
    fn counts_are_shown_whole() {
        let changed = evidence(Some("2"), "3");
        assert!(changed
            .explain(Action::Update)
            .ends_with("since the last apply: 2 → 3"));
    }
}
