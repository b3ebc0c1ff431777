//! One ECS service's plan, top to bottom: resolved once (`resolve.rs`), then its changes
//! in the order they must run in the service's apply group.

use std::collections::BTreeMap;

use desired_state::{Service, Stack};

use super::change::{EcsOperation, Operation, Plan};
use super::clock::Clock;
use super::ownership::{emit, observe_only, Step, StepKind};
use super::phase::Phase;
use super::resolve::{resolve, ResolvedService};
use super::tags::{STACK_TAG, WAKE_COUNT_TAG};
use super::{autoscaling, offhours};
use crate::events::{FieldDiff, Reason};
use crate::observed::ObservedStack;

pub(super) fn plan_service(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    now: Clock,
    plan: &mut Plan,
) {
    let Some(service) = resolve(stack, seen, service, now.schedule_at, plan) else {
        return;
    };
    // One group, in this order: the wake count is recorded before anything scales down;
    // autoscaling (a deregistration of this stack's target) before a count correction;
    // a wake removes its tags only after the count is back.
    plan_claim(&service, plan);
    offhours::plan_before_scaling(&service, plan);
    autoscaling::plan_autoscaling(&service, plan);
    plan_desired_count(&service, plan);
    offhours::plan_after_count(&service, now.wall, plan);
}

/// The stack tag on a managed service that lacks it, first in its group: what lets a
/// later pass find (and release) it once it leaves the desired state. A sleep that
/// starts in this pass carries it in its own TagResource instead (`offhours.rs`).
fn plan_claim(service: &ResolvedService<'_>, plan: &mut Plan) {
    let sleep_tags = matches!(service.phase, Phase::Asleep { .. })
        && !service.found.tags.contains_key(WAKE_COUNT_TAG);
    if !service.claim || sleep_tags {
        return;
    }
    // Claiming for autoscaling about to be registered is its creation; a plain service
    // is taken over as it is.
    let (kind, summary) = if service.declared.autoscaling.is_some() {
        (
            StepKind::Claim,
            format!(
                "claim the service's autoscaling for stack {}",
                service.stack
            ),
        )
    } else {
        (
            StepKind::Adopt,
            format!("claim the service for stack {}", service.stack),
        )
    };
    let step = service.tag(
        kind,
        summary,
        BTreeMap::from([(STACK_TAG.to_owned(), service.stack.to_owned())]),
    );
    let reason = step.kind.reason(false);
    plan.changes
        .push(step.into_change(service.stack, &service.group, reason));
}

/// `desiredCount`. Without autoscaling mooring owns it (`count_is_ours`); with
/// autoscaling declared, or a scalable target registered outside mooring, the autoscaler
/// owns it inside [min, max], so it is never "corrected": only sleep and wake set it.
fn plan_desired_count(service: &ResolvedService<'_>, plan: &mut Plan) {
    let wanted = match service.phase.wanted_count(service.found) {
        // While off-hours decides the count, the autoscaler is suspended (or its target
        // is being restored in this same group), so setting it fights nobody.
        Some(wanted) if service.count_is_ours || service.declared.autoscaling.is_some() => wanted,
        Some(_) => return,
        None => match (service.count_is_ours, service.declared.desired_count) {
            // Without a record of the last applied count, a differing count is treated
            // as drift: by far the common case is a person or a pipeline scaling by hand.
            (true, Some(count)) => (
                count,
                Reason::DriftCorrected,
                format!("set desiredCount to {count}"),
            ),
            _ => return,
        },
    };
    let (count, reason, summary) = wanted;
    let found = service.found.desired_count;
    if found == count {
        return;
    }
    let step = Step {
        resource: service.resource(),
        kind: StepKind::Given(reason),
        summary,
        diff: vec![FieldDiff::new("desiredCount", found, count)],
        operation: Operation::Ecs(EcsOperation::SetDesiredCount { count }),
    };
    emit(
        vec![step],
        service.declared.management,
        false,
        (service.stack, &service.group),
        |_| observe_only("differs from the desired state"),
        plan,
    );
}
