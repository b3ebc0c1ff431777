//! One ECS service's plan, top to bottom: resolved once (`resolve.rs`), then its changes
//! in the order they must run in the service's apply group.

use std::collections::BTreeMap;

use desired_state::{Management, Service, Stack};

use super::change::{EcsOperation, Operation, Plan};
use super::clock::Clock;
use super::evidence::{evidence, Action, Evidence};
use super::ownership::{emit, observe_only, Step, StepKind};
use super::phase::Phase;
use super::resolve::{resolve, ResolvedService};
use super::tags::{COUNT_TAG, STACK_TAG, WAKE_COUNT_TAG};
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
    // One group, in this order: the sleep is recorded before anything scales down;
    // autoscaling (a deregistration of this stack's target) before a count correction;
    // a wake removes its tags only after the count is back.
    plan_claim(&service, plan);
    offhours::plan_before_scaling(&service, now.wall, plan);
    autoscaling::plan_autoscaling(&service, plan);
    plan_desired_count(&service, plan);
    offhours::plan_after_count(&service, plan);
}

/// The stack tag on a managed service that lacks it, first in its group: what lets a
/// later pass find (and release) it once it leaves the desired state. A sleep that
/// starts in this pass carries it in its own TagResource instead (`offhours.rs`), and so
/// does the count record of a plain service (`record_count`): one tag write either way.
fn plan_claim(service: &ResolvedService<'_>, plan: &mut Plan) {
    let sleep_tags = matches!(service.phase, Phase::Asleep { .. })
        && !service.found.tags.contains_key(WAKE_COUNT_TAG);
    if !service.claim || sleep_tags || claims_with_count(service) {
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
    let reason = step.kind.reason(&Evidence::Unknown);
    plan.changes
        .push(step.into_change(service.stack, &service.group, reason));
}

/// `desiredCount`. Without autoscaling mooring owns it (`count_is_ours`); with
/// autoscaling declared, or a scalable target registered outside mooring, the autoscaler
/// owns it inside [min, max], so it is never "corrected": only sleep and wake set it.
fn plan_desired_count(service: &ResolvedService<'_>, plan: &mut Plan) {
    let declared = service
        .declared
        .desired_count
        .filter(|_| service.count_is_ours);
    match service.phase.wanted_count(service.found) {
        // While off-hours decides the count, the autoscaler is suspended (or its target
        // is being restored in this same group), so setting it fights nobody.
        Some(wanted) if service.count_is_ours || service.declared.autoscaling.is_some() => {
            plan_phase_count(service, wanted, declared, plan);
        }
        Some(_) => {}
        None => {
            if let Some(count) = declared {
                plan_declared_count(service, count, plan);
            }
        }
    }
}

/// Sleep and wake set the count; a wake back to the declared count also records it.
fn plan_phase_count(
    service: &ResolvedService<'_>,
    (count, reason, summary): (u32, Reason, String),
    declared: Option<u32>,
    plan: &mut Plan,
) {
    let found = service.found.desired_count;
    let mut steps = Vec::new();
    if found != count {
        steps.push(Step {
            resource: service.resource(),
            kind: StepKind::Given(reason),
            summary,
            diff: vec![FieldDiff::new("desiredCount", found, count)],
            operation: Operation::Ecs(EcsOperation::SetDesiredCount { count }),
        });
    }
    let waking = matches!(service.phase, Phase::Waking { .. });
    if waking && declared == Some(count) {
        steps.extend(record_count(service, count, reason));
    }
    emit(
        steps,
        service.declared.management,
        &Evidence::Unknown,
        (service.stack, &service.group),
        |_| observe_only("differs from the desired state"),
        plan,
    );
}

/// The declared count, outside sleep and wake. `mooring:count` records the count last
/// applied: the evidence that tells a hand-made change (DriftCorrected) from a changed
/// file (DesiredChanged).
fn plan_declared_count(service: &ResolvedService<'_>, count: u32, plan: &mut Plan) {
    let recorded = service.found.tags.get(COUNT_TAG).map(String::as_str);
    let evidence = evidence(recorded, &count.to_string());
    let found = service.found.desired_count;
    let mut steps = Vec::new();
    if found != count {
        steps.push(Step {
            resource: service.resource(),
            kind: StepKind::Update,
            summary: format!("set desiredCount to {count}"),
            diff: vec![FieldDiff::new("desiredCount", found, count)],
            operation: Operation::Ecs(EcsOperation::SetDesiredCount { count }),
        });
    }
    steps.extend(record_count(
        service,
        count,
        evidence.reason(Action::Update),
    ));
    emit(
        steps,
        service.declared.management,
        &evidence,
        (service.stack, &service.group),
        |_| observe_only("differs from the desired state"),
        plan,
    );
}

/// A plain service (no autoscaling) whose declared count mooring records, claimed in this
/// pass outside a sleep or wake: the claim goes in the count record's TagResource, after
/// the count. Nothing in the group needs the claim earlier (no scalable target to own);
/// a crash before it leaves an unclaimed service whose count is already right, which the
/// next pass claims (and records) in one call.
fn claims_with_count(service: &ResolvedService<'_>) -> bool {
    service.claim
        && service.count_is_ours
        && service.declared.autoscaling.is_none()
        && service.declared.desired_count.is_some()
        && service.phase == Phase::Normal
}

/// The tag that records `count` (written after the count, in the same group), unless it
/// already does. It is written also when the count already matches and the record does
/// not, so that the next difference has evidence. `observe` changes nothing, so it
/// records nothing either. It carries the claim when one is due (`claims_with_count`).
fn record_count(service: &ResolvedService<'_>, count: u32, reason: Reason) -> Option<Step> {
    let declared = count.to_string();
    let recorded = service.found.tags.get(COUNT_TAG);
    let claim = claims_with_count(service);
    if service.declared.management != Management::Full || (recorded == Some(&declared) && !claim) {
        return None;
    }
    let record = format!("record the applied desiredCount ({COUNT_TAG}={count})");
    let mut tags = BTreeMap::from([(COUNT_TAG.to_owned(), declared)]);
    if !claim {
        return Some(service.tag(StepKind::Record(reason), record, tags));
    }
    tags.insert(STACK_TAG.to_owned(), service.stack.to_owned());
    Some(service.tag(
        StepKind::Adopt,
        format!("claim the service for stack {} and {record}", service.stack),
        tags,
    ))
}
