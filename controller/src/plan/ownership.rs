//! The rules every planner shares: who owns a resource, and what a planned step becomes
//! under the resource's `management` mode. Their messages are written here once.
//!
//! Ownership is the `mooring:stack` tag (`tags::STACK_TAG`): on the ECS service for the
//! service's autoscaling (Application Auto Scaling cannot tag policies), on alarms and
//! topics themselves. A resource tagged by another stack is that stack's, whatever this
//! one declares: two stacks declaring one resource would otherwise fight every pass. An
//! untagged resource that exists is taken over only with `adopt: true`.

use desired_state::Management;

use super::change::{Change, Notice, Operation, Plan, Resource};
use super::evidence::{Action, Evidence};
use super::tags::STACK_TAG;
use crate::events::{FieldDiff, Reason};

/// Whose a resource is, by its `mooring:stack` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner<'a> {
    ThisStack,
    /// Untagged: nobody's yet.
    Nobody,
    OtherStack(&'a str),
}

pub(super) fn owner<'a>(stack: &str, tag: Option<&'a str>) -> Owner<'a> {
    match tag {
        Some(owner) if owner == stack => Owner::ThisStack,
        Some(owner) => Owner::OtherStack(owner),
        None => Owner::Nobody,
    }
}

/// What the rule says about a resource that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ownership {
    Ours,
    /// Untagged and declared with `adopt: true`: tag it, then manage it.
    Adopt,
    /// Someone else's: a NotOwned warning with this message, nothing changed.
    NotOwned(String),
}

/// The kinds of resource the rule is applied to, for its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    /// The service itself: another stack's tag leaves its count, autoscaling and sleep alone.
    Service,
    ScalableTarget,
    Alarm,
    Topic,
    /// Owned by the marker widget in its body (dashboards take no tags).
    Dashboard,
}

impl Subject {
    pub(super) fn owned_by(self, other: &str) -> String {
        match self {
            Subject::Service => format!("the service is tagged {STACK_TAG}={other}: it and its scalable target belong to stack {other} and are left alone (desiredCount, autoscaling, off-hours)"),
            Subject::ScalableTarget => format!("the service is tagged {STACK_TAG}={other}: its scalable target belongs to stack {other} and is left alone"),
            Subject::Alarm => format!("the alarm is tagged {STACK_TAG}={other}: it belongs to stack {other} and is left alone"),
            Subject::Topic => format!("the topic is tagged {STACK_TAG}={other}: it belongs to stack {other} and is left alone"),
            Subject::Dashboard => format!("the dashboard carries the marker {STACK_TAG}={other}: it belongs to stack {other} and is left alone"),
        }
    }

    fn untagged(self) -> String {
        match self {
            // A service needs no adoption: only what hangs off it is taken over.
            Subject::Service | Subject::ScalableTarget => {
                "scalable target exists and is not this stack's; set adopt: true to take it over"
                    .into()
            }
            Subject::Alarm => {
                "the alarm exists without mooring's tag; set adopt: true to take it over".into()
            }
            Subject::Topic => {
                "the topic exists without mooring's tag; set adopt: true to take it over".into()
            }
            Subject::Dashboard => {
                "the dashboard exists without mooring's marker; set adopt: true to take it over"
                    .into()
            }
        }
    }

    /// When the tags that say who owns it could not be read (beyond the cap of tag reads).
    pub(super) fn tags_unread(self) -> String {
        match self {
            Subject::Alarm => "the alarm's tags could not be read".into(),
            Subject::Topic => "the topic's tags could not be read".into(),
            Subject::Dashboard => "the dashboard could not be read".into(),
            Subject::Service | Subject::ScalableTarget => {
                "the service's tags could not be read".into()
            }
        }
    }
}

/// The ownership rule for a resource that exists, tagged `tag` (its `mooring:stack`).
pub(super) fn ownership(
    stack: &str,
    subject: Subject,
    tag: Option<&str>,
    adopt: bool,
) -> Ownership {
    match owner(stack, tag) {
        Owner::ThisStack => Ownership::Ours,
        Owner::OtherStack(other) => Ownership::NotOwned(subject.owned_by(other)),
        Owner::Nobody if adopt => Ownership::Adopt,
        Owner::Nobody => Ownership::NotOwned(subject.untagged()),
    }
}

/// The NotOwned warning for a resource another stack (or nobody) owns.
pub(super) fn not_owned(stack: &str, resource: Resource, message: String) -> Notice {
    Notice::warning(stack, Some(resource), Reason::NotOwned, message)
}

/// A DriftDetected warning's message under `management: observe`: what differs, and why
/// nothing is done about it.
pub(super) fn observe_only(what: &str) -> String {
    format!("{what}; management is `observe`, so it is only reported")
}

/// The DriftDetected warning `management: observe` gives instead of a change.
pub(super) fn drift_detected(
    stack: &str,
    resource: Resource,
    message: String,
    diff: Vec<FieldDiff>,
) -> Notice {
    Notice {
        diff,
        ..Notice::warning(stack, Some(resource), Reason::DriftDetected, message)
    }
}

/// One planned call, before the mode decides whether it becomes a Change (`full`) or a
/// DriftDetected warning (`observe`).
pub(super) struct Step {
    pub resource: Resource,
    pub kind: StepKind,
    pub summary: String,
    pub diff: Vec<FieldDiff>,
    pub operation: Operation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StepKind {
    /// The ownership tag on a resource mooring is about to create (a service's
    /// autoscaling): reported as Created.
    Claim,
    /// The ownership tag on an existing resource that is taken over.
    Adopt,
    Create,
    Update,
    Prune,
    /// A reason the planner decided itself: Sleep, Wake, SleepInterrupted, or a count's
    /// (whose summary already carries its evidence).
    Given(Reason),
    /// Bookkeeping (a digest tag) written last: the reason of what it records.
    Record(Reason),
}

impl StepKind {
    /// The event reason, by the evidence of what was last applied (`evidence.rs`).
    pub(super) fn reason(self, evidence: &Evidence) -> Reason {
        match self.action() {
            Some(action) => evidence.reason(action),
            None => match self {
                StepKind::Claim => Reason::Created,
                StepKind::Adopt => Reason::Adopted,
                StepKind::Given(reason) | StepKind::Record(reason) => reason,
                _ => Reason::Updated,
            },
        }
    }

    /// What the step does, when its reason is the evidence's to decide.
    fn action(self) -> Option<Action> {
        match self {
            StepKind::Create => Some(Action::Create),
            StepKind::Update => Some(Action::Update),
            StepKind::Prune => Some(Action::Prune),
            _ => None,
        }
    }

    /// Ownership tags are not differences of the resource: `observe` does not report them.
    fn is_ownership(self) -> bool {
        matches!(self, StepKind::Claim | StepKind::Adopt)
    }
}

impl Step {
    pub(super) fn into_change(self, stack: &str, group: &str, reason: Reason) -> Change {
        Change {
            stack: stack.to_owned(),
            resource: self.resource,
            reason,
            summary: self.summary,
            diff: self.diff,
            operation: self.operation,
            group: group.to_owned(),
            after: None,
        }
    }
}

/// What a resource's steps become: under `full`, changes in one apply group; under
/// `observe`, a DriftDetected warning each (`observed` words it from the step's summary);
/// under `paused`, nothing.
pub(super) fn emit(
    steps: Vec<Step>,
    management: Management,
    evidence: &Evidence,
    (stack, group): (&str, &str),
    observed: impl Fn(&str) -> String,
    plan: &mut Plan,
) {
    match management {
        Management::Paused => {}
        Management::Observe => {
            for step in steps.into_iter().filter(|s| !s.kind.is_ownership()) {
                let message = observed(&step.summary);
                plan.notices
                    .push(drift_detected(stack, step.resource, message, step.diff));
            }
        }
        Management::Full => {
            for mut step in steps {
                let reason = step.kind.reason(evidence);
                if let Some(action) = step.kind.action() {
                    step.summary = evidence.annotate(action, &step.summary);
                }
                plan.changes.push(step.into_change(stack, group, reason));
            }
        }
    }
}
