//! The planner: `plan(desired, observed, now)` → what should change.
//!
//! Pure and deterministic: no I/O, no clock (the instants are an argument, `clock.rs`: one
//! for off-hours schedules, one recorded in tags), no SDK types. Everything `mooring plan` prints comes from here,
//! and `mooring apply` executes exactly these changes.
//!
//! Per stack: each service (`service.rs`, after `resolve.rs` has resolved it once), the
//! services that left it (`release.rs`), the Container Insights of its declared clusters
//! (`container_insights.rs`), then the alerting (`topics.rs`, `alarm_policies.rs`, `alarms.rs`, sharing `prune.rs`'s
//! budget). The rules every planner shares are in `ownership.rs`; the vocabulary they
//! build in `change.rs`. docs/architecture.md, "Finding your way".

mod alarm_policies;
mod alarms;
mod autoscaling;
mod change;
mod clock;
mod cluster_tags;
mod container_insights;
mod dashboard_body;
mod dashboards;
mod diff;
mod digest;
mod evidence;
mod lambda_permissions;
mod offhours;
mod ownership;
mod phase;
mod prune;
mod release;
mod resolve;
mod service;
mod tags;
mod topics;

use std::collections::BTreeSet;

use desired_state::{DesiredState, Stack};

pub(crate) use self::alarm_policies::parse_pending_policy;
pub(crate) use self::change::{
    AlarmOperation, AutoscalingOperation, Change, DashboardOperation, EcsOperation,
    LambdaOperation, Notice, Operation, Plan, Resource, SharedPlan, TopicOperation,
};
pub use self::clock::Clock;
pub(crate) use self::dashboard_body::ACCOUNT_PLACEHOLDER;
pub(crate) use self::offhours::schedule_driven;
pub(crate) use self::phase::override_tags;
use self::prune::PruneBudget;
pub(crate) use self::tags::{
    cluster_stack_tag, ASLEEP_SINCE_TAG, ASLEEP_UNTIL_TAG, AWAKE_UNTIL_TAG, STACK_TAG,
    WAKE_COUNT_TAG,
};
pub(crate) use crate::events::Reason;
use crate::observed::{Observed, ObservedStack};

/// Plans every stack of the desired state against what was observed; `now` is the
/// instant off-hours schedules are evaluated at, or a `Clock` when the pass runs at
/// another (wall-clock) time that tags must record.
#[cfg(test)]
pub(crate) fn plan(desired: &DesiredState, observed: &Observed, now: impl Into<Clock>) -> Plan {
    let declared: BTreeSet<&str> = desired.stacks.iter().map(|s| s.name.as_str()).collect();
    plan_among(desired, &declared, observed, now)
}

/// `plan` of some of the loaded stacks (`--stack`, or those the account guard let
/// through): `declared` names every stack the loaded files declare, planned or not, so a
/// service tagged by one of them is never taken for a leftover of a stack no file declares.
pub fn plan_among(
    desired: &DesiredState,
    declared: &BTreeSet<&str>,
    observed: &Observed,
    now: impl Into<Clock>,
) -> Plan {
    let now = now.into();
    let mut plan = Plan::default();
    for stack in &desired.stacks {
        // The observer fills every stack it was given; a missing entry means the
        // stack could not be observed, and nothing is planned blind.
        if let Some(seen) = observed.stacks.get(&stack.name) {
            plan_stack(stack, seen, declared, now, &mut plan);
        }
    }
    plan
}

fn plan_stack(
    stack: &Stack,
    seen: &ObservedStack,
    declared: &BTreeSet<&str>,
    now: Clock,
    plan: &mut Plan,
) {
    if let (Some(wanted), Some(found)) = (&stack.account, &seen.account) {
        if wanted != found {
            plan.notices.push(Notice::warning(
                &stack.name,
                None,
                Reason::AccountMismatch,
                format!(
                    "stack is declared for account {wanted} but the credentials reach account {found}; nothing in this stack is changed"
                ),
            ));
            return;
        }
    }
    let start = plan.changes.len();
    for service in &stack.services {
        service::plan_service(stack, seen, service, now, plan);
    }
    cluster_tags::plan_cluster_tags(stack, seen, start, plan);
    release::plan_undeclared(stack, seen, declared, plan);
    cluster_tags::plan_cluster_release(stack, seen, plan);
    container_insights::plan_container_insights(stack, seen, plan);
    // Alarms, topics and dashboards share one prune budget.
    let mut budget = PruneBudget::new(stack);
    if let Some(alerting) = &seen.alerting {
        let alerting_start = plan.changes.len();
        topics::plan_topics(stack, seen, alerting, &mut budget, plan);
        let policies = alarm_policies::policies_by_alarm(stack, seen, alerting, plan);
        alarms::plan_alarms(stack, seen, alerting, &policies, &mut budget, plan);
        lambda_permissions::plan_lambda_permissions(stack, seen, plan);
        lambda_permissions::order_subscriptions(plan, alerting_start);
    }
    if let Some(found) = &seen.dashboards {
        dashboards::plan_dashboards(stack, seen, found, &mut budget, plan);
    }
    budget.report(stack, plan);
}

#[cfg(test)]
mod tests;
