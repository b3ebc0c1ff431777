//! ECS services: existence and `desiredCount`.

use desired_state::{Management, Service, Stack};

use super::autoscaling::{count_is_ours, plan_autoscaling};
use super::{
    Change, EcsOperation, EventType, FieldDiff, Notice, Operation, Plan, Reason, Resource,
};
use crate::observed::{ObservedService, ObservedStack, ServiceKey, ServiceState};

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
    plan: &mut Plan,
) {
    if service.management == Management::Paused {
        return;
    }
    let Some(found) = observed_service(stack, seen, service, plan) else {
        return;
    };
    // Autoscaling first: a deregistration of this stack's target comes before a count
    // correction in the same group.
    plan_autoscaling(stack, seen, service, found, plan);
    if count_is_ours(stack, service, found) {
        plan_desired_count(stack, seen, service, found, plan);
    }
}

/// `desiredCount` of a service without autoscaling: mooring owns it.
/// With autoscaling declared, or a scalable target registered outside mooring, the
/// autoscaler owns the count inside [min, max], so it is never "corrected"
/// (`count_is_ours` decides).
fn plan_desired_count(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    plan: &mut Plan,
) {
    let Some(wanted) = service.desired_count else {
        return;
    };
    if found.desired_count == wanted {
        return;
    }
    let diff = vec![FieldDiff::new("desiredCount", found.desired_count, wanted)];
    match service.management {
        Management::Full => plan.changes.push(Change {
            stack: stack.name.clone(),
            resource: service_resource(seen, service),
            // Without a record of the last applied count, a differing count is treated
            // as drift: by far the common case is a person or a pipeline scaling by hand.
            reason: Reason::DriftCorrected,
            summary: format!("set desiredCount to {wanted}"),
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
