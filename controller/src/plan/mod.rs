//! The planner: `plan(desired, observed, now)` → what should change.
//!
//! Pure and deterministic: no I/O, no clock (the instant is an argument, used by
//! off-hours schedules), no SDK types. Everything `mooring plan` prints comes from here,
//! and `mooring apply` executes exactly these changes.

use std::fmt;

use chrono::{DateTime, Utc};
use desired_state::{DesiredState, Management, Service, Stack};
use serde::Serialize;

use crate::observed::{Observed, ObservedStack, ServiceKey, ServiceState};

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resource {
    #[serde(rename_all = "camelCase")]
    EcsService {
        region: String,
        cluster: String,
        service: String,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::EcsService {
                cluster, service, ..
            } => write!(f, "ecs-service {cluster}/{service}"),
        }
    }
}

/// One field of one resource, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// What the applier has to call to make a change happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Operation {
    /// ECS UpdateService with only `desiredCount` set.
    #[serde(rename_all = "camelCase")]
    SetDesiredCount { count: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub stack: String,
    pub resource: Resource,
    /// Why mooring wants this change (the event reason once applied).
    pub reason: Reason,
    pub diff: Vec<FieldDiff>,
    pub operation: Operation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Severity {
    Normal,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reason {
    /// The account differs from the desired state and mooring will correct it.
    DriftCorrected,
    /// The account differs, but the resource is in `observe` mode: reported only.
    DriftDetected,
    /// A declared service does not exist; mooring never creates services.
    ServiceNotFound,
    /// The stack names an account and the resources found belong to another one.
    AccountMismatch,
}

/// Something the pass noticed and will not change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub stack: String,
    pub resource: Option<Resource>,
    pub severity: Severity,
    pub reason: Reason,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
}

/// Plans every stack of the desired state against what was observed.
///
/// `_now` is the instant schedules are evaluated at; off-hours planning arrives with the
/// schedules issue, and taking the instant already keeps the signature stable.
pub fn plan(desired: &DesiredState, observed: &Observed, _now: DateTime<Utc>) -> Plan {
    let mut plan = Plan::default();
    for stack in &desired.stacks {
        // The observer fills every stack it was given; a missing entry means the
        // stack could not be observed, and nothing is planned blind.
        if let Some(seen) = observed.stacks.get(&stack.name) {
            plan_stack(stack, seen, &mut plan);
        }
    }
    plan
}

fn plan_stack(stack: &Stack, seen: &ObservedStack, plan: &mut Plan) {
    if let (Some(wanted), Some(found)) = (&stack.account, &seen.account) {
        if wanted != found {
            plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: None,
                severity: Severity::Warning,
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
        plan_service_count(stack, seen, service, plan);
    }
}

/// `desiredCount` of a service without autoscaling: mooring owns it.
/// With autoscaling declared the autoscaler owns the count inside [min, max], so it is
/// never "corrected" here.
fn plan_service_count(stack: &Stack, seen: &ObservedStack, service: &Service, plan: &mut Plan) {
    if service.management == Management::Paused {
        return;
    }
    let resource = Resource::EcsService {
        region: seen.region.clone(),
        cluster: service.cluster.clone(),
        service: service.name.clone(),
    };
    let key = ServiceKey::new(&service.cluster, &service.name);
    let found = match seen.services.get(&key) {
        Some(ServiceState::Found(found)) => found,
        Some(ServiceState::Missing { why }) => {
            plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: Some(resource),
                severity: Severity::Warning,
                reason: Reason::ServiceNotFound,
                message: format!(
                    "service not found in region {} ({why}); mooring never creates services, the deploy pipeline does",
                    seen.region
                ),
                diff: Vec::new(),
            });
            return;
        }
        // Not observed: the observer records every declared service, so this only
        // happens when observation of this service failed; plan nothing blind.
        None => return,
    };
    if service.autoscaling.is_some() {
        return;
    }
    let Some(wanted) = service.desired_count else {
        return;
    };
    if found.desired_count == wanted {
        return;
    }
    let diff = vec![FieldDiff {
        field: "desiredCount".into(),
        before: found.desired_count.into(),
        after: wanted.into(),
    }];
    match service.management {
        Management::Full => plan.changes.push(Change {
            stack: stack.name.clone(),
            resource,
            reason: Reason::DriftCorrected,
            diff,
            operation: Operation::SetDesiredCount { count: wanted },
        }),
        Management::Observe => plan.notices.push(Notice {
            stack: stack.name.clone(),
            resource: Some(resource),
            severity: Severity::Warning,
            reason: Reason::DriftDetected,
            message:
                "differs from the desired state; management is `observe`, so it is only reported"
                    .into(),
            diff,
        }),
        Management::Paused => {}
    }
}

#[cfg(test)]
mod tests;
