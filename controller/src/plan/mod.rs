//! The planner: `plan(desired, observed, now)` → what should change.
//!
//! Pure and deterministic: no I/O, no clock (the instant is an argument, used by
//! off-hours schedules), no SDK types. Everything `mooring plan` prints comes from here,
//! and `mooring apply` executes exactly these changes. One module per resource kind.

mod alarm_policies;
mod alarms;
mod autoscaling;
mod diff;
mod ecs;
mod offhours;
mod topics;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use desired_state::{DesiredState, Stack};
use serde::Serialize;

pub use self::alarm_policies::{parse_pending_policy, PENDING_POLICY_PREFIX};
pub use self::alarms::AlarmOperation;
pub use self::autoscaling::{AUTOSCALING_HASH_TAG, STACK_TAG};
pub use self::offhours::{
    schedule_driven, ASLEEP_SINCE_TAG, ASLEEP_UNTIL_TAG, AWAKE_UNTIL_TAG, SCHEDULE_REASONS,
    SLEEP_INTERRUPTIONS_TAG, WAKE_COUNT_TAG,
};
pub use self::topics::{TopicOperation, TOPIC_DIGEST_TAG};
pub use crate::events::{EventType, FieldDiff, Reason};
use crate::observed::autoscaling::{ScalingPolicy, ScheduledAction, SuspendedState};
use crate::observed::{Observed, ObservedStack};

/// Everything one pass would do, plus what it noticed but will not change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub notices: Vec<Notice>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// An AWS resource mooring manages, named the way people know it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resource {
    #[serde(rename_all = "camelCase")]
    EcsService {
        region: String,
        cluster: String,
        service: String,
    },
    /// The Application Auto Scaling target of an ECS service.
    #[serde(rename_all = "camelCase")]
    ScalableTarget {
        region: String,
        cluster: String,
        service: String,
    },
    #[serde(rename_all = "camelCase")]
    ScalingPolicy {
        region: String,
        cluster: String,
        service: String,
        policy: String,
    },
    #[serde(rename_all = "camelCase")]
    ScheduledAction {
        region: String,
        cluster: String,
        service: String,
        action: String,
    },
    /// A CloudWatch alarm (metric, metric-math or composite).
    #[serde(rename_all = "camelCase")]
    Alarm { region: String, name: String },
    #[serde(rename_all = "camelCase")]
    Topic { region: String, name: String },
    /// A subscription of a topic, named by protocol and endpoint.
    #[serde(rename_all = "camelCase")]
    Subscription {
        region: String,
        topic: String,
        protocol: String,
        /// The full endpoint (the applier subscribes it); shown redacted (`redact`).
        #[serde(serialize_with = "crate::redact::serialize_endpoint")]
        endpoint: String,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::EcsService {
                cluster, service, ..
            } => write!(f, "ecs-service {cluster}/{service}"),
            Resource::ScalableTarget {
                cluster, service, ..
            } => write!(f, "scalable-target {cluster}/{service}"),
            Resource::ScalingPolicy {
                cluster,
                service,
                policy,
                ..
            } => write!(f, "scaling-policy {cluster}/{service}/{policy}"),
            Resource::ScheduledAction {
                cluster,
                service,
                action,
                ..
            } => write!(f, "scheduled-action {cluster}/{service}/{action}"),
            Resource::Alarm { name, .. } => write!(f, "alarm {name}"),
            Resource::Topic { name, .. } => write!(f, "topic {name}"),
            Resource::Subscription {
                topic,
                protocol,
                endpoint,
                ..
            } => write!(
                f,
                "subscription {topic}/{protocol}:{}",
                crate::redact::endpoint(endpoint)
            ),
        }
    }
}

/// What the applier calls to make a change happen, one variant family per AWS service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Operation {
    Ecs(EcsOperation),
    Autoscaling(AutoscalingOperation),
    Alarm(AlarmOperation),
    Topic(TopicOperation),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum EcsOperation {
    /// UpdateService with only `desiredCount` set.
    #[serde(rename_all = "camelCase")]
    SetDesiredCount { count: u32 },
    /// TagResource on the service (its other tags are kept).
    #[serde(rename_all = "camelCase")]
    TagService {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// UntagResource on the service.
    #[serde(rename_all = "camelCase")]
    UntagService { arn: String, keys: Vec<String> },
}

/// Application Auto Scaling calls; the target, policy or action is named by the
/// change's `resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum AutoscalingOperation {
    /// RegisterScalableTarget: creates the target or updates it in place.
    #[serde(rename_all = "camelCase")]
    RegisterScalableTarget {
        min: u32,
        max: u32,
        suspended: SuspendedState,
    },
    DeregisterScalableTarget,
    PutScalingPolicy {
        policy: ScalingPolicy,
    },
    DeleteScalingPolicy,
    PutScheduledAction {
        action: ScheduledAction,
    },
    DeleteScheduledAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub stack: String,
    pub resource: Resource,
    /// The event reason once applied (DriftCorrected, Created, Updated, Pruned, Adopted).
    pub reason: Reason,
    /// What the change does, as a verb phrase: "set desiredCount to 2".
    pub summary: String,
    pub diff: Vec<FieldDiff>,
    pub operation: Operation,
    /// Changes with the same group are applied one after another, in plan order, and
    /// the rest of a group is skipped when one fails (e.g. ownership tag before the
    /// scalable target it covers). Different groups run concurrently.
    pub group: String,
}

/// Something the pass noticed and will not change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub stack: String,
    pub resource: Option<Resource>,
    pub kind: EventType,
    pub reason: Reason,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
}

/// Plans every stack of the desired state against what was observed; `now` is the
/// instant off-hours schedules are evaluated at.
pub fn plan(desired: &DesiredState, observed: &Observed, now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::default();
    for stack in &desired.stacks {
        // The observer fills every stack it was given; a missing entry means the
        // stack could not be observed, and nothing is planned blind.
        if let Some(seen) = observed.stacks.get(&stack.name) {
            plan_stack(stack, seen, now, &mut plan);
        }
    }
    plan
}

fn plan_stack(stack: &Stack, seen: &ObservedStack, now: DateTime<Utc>, plan: &mut Plan) {
    if let (Some(wanted), Some(found)) = (&stack.account, &seen.account) {
        if wanted != found {
            plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: None,
                kind: EventType::Warning,
                reason: Reason::AccountMismatch,
                message: format!(
                    "stack is declared for account {wanted} but the credentials reach account {found}; nothing in this stack is changed"
                ),
                diff: Vec::new(),
            });
            return;
        }
    }
    for service in &stack.services {
        ecs::plan_service(stack, seen, service, now, plan);
    }
    if let Some(alerting) = &seen.alerting {
        let mut budget = alarms::PruneBudget::new(stack);
        topics::plan_topics(stack, seen, alerting, &mut budget, plan);
        let policies = alarm_policies::policies_by_alarm(stack, seen, alerting, plan);
        alarms::plan_alarms(stack, seen, alerting, &policies, &mut budget, plan);
        budget.report(stack, plan);
    }
}

#[cfg(test)]
mod alarm_policies_tests;
#[cfg(test)]
mod alerting_tests;
#[cfg(test)]
mod autoscaling_tests;
#[cfg(test)]
mod aws_model;
#[cfg(test)]
mod idempotence_tests;
#[cfg(test)]
mod offhours_tests;
#[cfg(test)]
mod schedule_scope_tests;
#[cfg(test)]
mod tests;
