//! The vocabulary of events: `Event`, its `EventType`, `Reason` and `Phase`, and
//! `FieldDiff`. It imports nothing else of mooring: the planner, the pass and the sinks
//! build on it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Kubernetes' two event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum EventType {
    Normal,
    Warning,
}

/// Why an event happened. Stable names: people alert on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Reason {
    /// The account differs from the desired state (planned correction, or `observe` mode).
    DriftDetected,
    /// The account was changed behind mooring's back (console, CLI, another tool) and
    /// mooring put back what it last applied.
    DriftCorrected,
    /// A declared resource that did not exist was created.
    Created,
    /// A resource was changed to follow a new desired state.
    Updated,
    /// A resource mooring owns left the desired state and was deleted.
    Pruned,
    /// An existing resource was taken over (`adopt: true`) and tagged as this stack's.
    Adopted,
    /// A declared ECS service does not exist; mooring never creates services.
    ServiceNotFound,
    /// A Lambda function an alert target names does not exist; mooring never creates
    /// functions, and grants nothing on one that is not there.
    FunctionNotFound,
    /// A change failed; the message says which call and why.
    ApplyFailed,
    /// AWS throttled mooring despite its pacing; the SDK backed off and retried.
    Throttled,
    /// Reading the account failed; the resources concerned were not planned.
    ObserveFailed,
    DesiredStateInvalid,
    DesiredStateLoaded,
    /// More deletions than the per-pass cap: the rest waits.
    PruneBlocked,
    SubscriptionPendingConfirmation,
    /// The stack names an account and the credentials reach another one (STS
    /// GetCallerIdentity, or the ARNs read): the stack is refused whole.
    AccountMismatch,
    /// The stack names an account and STS could not say which account the credentials
    /// reach: the stack is refused whole (the guard fails closed).
    AccountUnverified,
    /// A declared resource exists but is not this stack's (untagged without `adopt`,
    /// or tagged by another stack): it is left alone.
    NotOwned,
    /// Something outside mooring manages a field mooring would otherwise own (e.g. a
    /// scalable target registered on a service declared without autoscaling).
    ManagedElsewhere,
    /// Changes of a resource that kept failing are held back until its backoff expires.
    BackingOff,
    /// An event sink (SNS topic, CloudWatch metrics) could not deliver; the pass itself
    /// is unaffected.
    EventSinkFailed,
    /// A service's schedule says asleep: its wake count is recorded and it is scaled
    /// down (the diff carries the counts).
    Sleep,
    /// A service's schedule says awake again: it is scaled back to its wake count.
    Wake,
    /// Something outside mooring woke a sleeping service (a deploy, a person); the
    /// message says how often since it went to sleep. It is put back to sleep.
    SleepInterrupted,
    /// `mooring run` stopped on SIGTERM or SIGINT; the message says whether a pass was
    /// cut short.
    ControllerStopped,
    /// A service (or a whole stack) that left the desired state was handed back: woken to
    /// its wake count, its autoscaling unfrozen, mooring's tags removed, and what mooring
    /// created only for it pruned.
    Released,
    /// The desired state changed (a merged pull request) and the account follows it. Not
    /// drift: `DriftCorrected` is kept for changes made behind mooring's back.
    DesiredChanged,
    /// A cluster the stack declares settings for (`spec.clusters`) does not exist;
    /// mooring never creates clusters.
    ClusterNotFound,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One field of one resource, before and after (`null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl FieldDiff {
    pub fn new(
        field: impl Into<String>,
        before: impl Into<serde_json::Value>,
        after: impl Into<serde_json::Value>,
    ) -> Self {
        Self {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// Whether an event reports what a pass would do (`plan`) or what it did (`apply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Planned,
    Applied,
    Failed,
    /// Noticed, not a change.
    Observed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub time: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub reason: Reason,
    /// The resource, as `plan` names it (`ecs-service cluster/name`), or `stack NAME`.
    pub object: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// The git commit (or given value) of the desired state that was applied.
    pub revision: Option<String>,
    pub stack: String,
    pub phase: Phase,
    /// How many identical events this one stands for (folded repeats).
    pub count: u32,
}

impl Event {
    /// An event about a whole stack rather than one of its resources (loaded, invalid,
    /// refused by the account guard, a read or a sink that failed, stopped): the only
    /// place such an event is built. Its object is `stack NAME`, or `desired-state`
    /// when there is no stack to name (nothing was loaded yet).
    pub fn for_stack(
        stack: &str,
        (kind, reason): (EventType, Reason),
        phase: Phase,
        message: String,
        time: DateTime<Utc>,
        revision: Option<String>,
    ) -> Self {
        Self {
            time,
            kind,
            reason,
            object: if stack.is_empty() {
                "desired-state".to_owned()
            } else {
                format!("stack {stack}")
            },
            message,
            diff: Vec::new(),
            revision,
            stack: stack.to_owned(),
            phase,
            count: 1,
        }
    }

    /// Whether the event says its stack was refused whole by the account guard
    /// (`AccountMismatch`, `AccountUnverified`): such a stack's event sinks, in the
    /// account mooring must not touch, are not used either.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self.reason,
            Reason::AccountMismatch | Reason::AccountUnverified
        ) && self.phase == Phase::Failed
    }
}
