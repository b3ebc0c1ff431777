//! ECS services: existence and `desiredCount`.

use chrono::{DateTime, Utc};
use desired_state::{Management, Service, Stack};

use super::autoscaling::{count_is_ours, plan_autoscaling};
use super::offhours::{self, Phase};
use super::{
    Change, EcsOperation, EventType, FieldDiff, Notice, Operation, Plan, Reason, Resource,
};
use crate::observed::{
    ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

/// The resource and the apply group of a declared service.
pub(super) fn service_resource(seen: &ObservedStack, service: &Service) -> Resource {
    Resource::EcsService {
        region: seen.region.clone(),
        cluster: service.cluster.clone(),
        service: service.name.clone(),
    }
}

/// Changes to one service (and what hangs off it) are applied in order.
pub(super) fn service_group(seen: &ObservedStack, service: &Service) -> String {
    format!("{}/{}/{}", seen.region, service.cluster, service.name)
}

/// The observed service, or `None` (with a ServiceNotFound warning when it is missing).
pub(super) fn observed_service<'a>(
    stack: &Stack,
    seen: &'a ObservedStack,
    service: &Service,
    plan: &mut Plan,
) -> Option<&'a ObservedService> {
    match seen
        .services
        .get(&ServiceKey::new(&service.cluster, &service.name))
    {
        Some(ServiceState::Found(found)) => Some(found),
        Some(ServiceState::Missing { why }) => {
            plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: Some(service_resource(seen, service)),
                kind: EventType::Warning,
                reason: Reason::ServiceNotFound,
                message: format!(
                    "service not found in region {} ({why}); mooring never creates services, the deploy pipeline does",
                    seen.region
                ),
                diff: Vec::new(),
            });
            None
        }
        // Not observed: the observer records every declared service, so this only
        // happens when observation of this service failed; plan nothing blind.
        None => None,
    }
}

pub(super) fn plan_service(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    now: DateTime<Utc>,
    plan: &mut Plan,
) {
    if service.management == Management::Paused {
        return;
    }
    let Some(found) = observed_service(stack, seen, service, plan) else {
        return;
    };
    // A service another stack claimed (its `mooring:stack` tag) is that stack's: neither
    // its count, nor its scalable target, nor its sleep is changed from here, whatever
    // `adopt` says. Two stacks declaring one service would otherwise fight every pass.
    if let Some(other) = found
        .tags
        .get(super::STACK_TAG)
        .filter(|owner| **owner != stack.name)
    {
        plan.notices.push(Notice {
            stack: stack.name.clone(),
            resource: Some(service_resource(seen, service)),
            kind: EventType::Warning,
            reason: Reason::NotOwned,
            message: format!(
                "the service is tagged {}={other}: it and its scalable target belong to stack {other} and are left alone (desiredCount, autoscaling, off-hours)",
                super::STACK_TAG
            ),
            diff: Vec::new(),
        });
        return;
    }
    // Sleep and wake touch the scalable target: never plan them on a target not seen.
    let phase = match found.scalable_target {
        TargetObservation::Unknown => Phase::Normal,
        _ => offhours::phase(stack, seen, service, found, now, plan),
    };
    let count_is_ours = count_is_ours(stack, service, found);
    // A scalable target registered outside mooring owns the count and mooring does not
    // suspend it (no autoscaling declared): a sleep could never scale down, and marking it
    // complete would read as "woken by someone else" on every later pass.
    let phase = match phase {
        Phase::Asleep { .. } if !count_is_ours && service.autoscaling.is_none() => {
            plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: Some(service_resource(seen, service)),
                kind: EventType::Warning,
                reason: Reason::ManagedElsewhere,
                message: "its schedule says asleep, but a scalable target registered outside mooring owns desiredCount, so it is not put to sleep; declare `autoscaling` (with `adopt: true`) to let mooring suspend it at night".into(),
                diff: Vec::new(),
            });
            Phase::Normal
        }
        other => other,
    };
    // One group, in this order: the wake count is recorded before anything scales down;
    // autoscaling (a deregistration of this stack's target) before a count correction;
    // a wake removes its tags only after the count is back.
    offhours::plan_before_scaling(stack, seen, service, found, phase, plan);
    plan_autoscaling(stack, seen, service, found, phase.target_override(), plan);
    match offhours::wanted_count(phase, found) {
        // While off-hours decides the count, the autoscaler is suspended (or its target
        // is being restored in this same group), so setting it fights nobody.
        Some((count, reason, summary)) => {
            if count_is_ours || service.autoscaling.is_some() {
                plan_desired_count(stack, seen, service, found, (count, reason, summary), plan);
            }
        }
        None => {
            if let (true, Some(wanted)) = (count_is_ours, service.desired_count) {
                // Without a record of the last applied count, a differing count is
                // treated as drift: by far the common case is a person or a pipeline
                // scaling by hand.
                let summary = format!("set desiredCount to {wanted}");
                plan_desired_count(
                    stack,
                    seen,
                    service,
                    found,
                    (wanted, Reason::DriftCorrected, summary),
                    plan,
                );
            }
        }
    }
    offhours::plan_after_count(stack, seen, service, found, phase, now, plan);
}

/// `desiredCount` of a service without autoscaling: mooring owns it.
/// With autoscaling declared, or a scalable target registered outside mooring, the
/// autoscaler owns the count inside [min, max], so it is never "corrected"
/// (`count_is_ours` decides); only sleep and wake set it then.
fn plan_desired_count(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    (wanted, reason, summary): (u32, Reason, String),
    plan: &mut Plan,
) {
    if found.desired_count == wanted {
        return;
    }
    let diff = vec![FieldDiff::new("desiredCount", found.desired_count, wanted)];
    match service.management {
        Management::Full => plan.changes.push(Change {
            stack: stack.name.clone(),
            resource: service_resource(seen, service),
            reason,
            summary,
            diff,
            operation: Operation::Ecs(EcsOperation::SetDesiredCount { count: wanted }),
            group: service_group(seen, service),
        }),
        Management::Observe => plan.notices.push(Notice {
            stack: stack.name.clone(),
            resource: Some(service_resource(seen, service)),
            kind: EventType::Warning,
            reason: Reason::DriftDetected,
            message:
                "differs from the desired state; management is `observe`, so it is only reported"
                    .into(),
            diff,
        }),
        Management::Paused => {}
    }
}
