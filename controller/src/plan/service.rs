//! One ECS service's plan, top to bottom: resolved once (`resolve.rs`), then its changes
//! in the order they must run in the service's apply group.

use desired_state::{Service, Stack};

use super::change::{EcsOperation, Operation, Plan};
use super::clock::Clock;
use super::ownership::{emit, observe_only, Step, StepKind};
use super::resolve::{resolve, ResolvedService};
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
    offhours::plan_before_scaling(&service, plan);
    autoscaling::plan_autoscaling(&service, plan);
    plan_desired_count(&service, plan);
    offhours::plan_after_count(&service, now.wall, plan);
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
