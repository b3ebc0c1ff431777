//! One declared service, resolved once: everything the service's planners need to know
//! about it, decided here and nowhere else — its resource and apply group, whether it was
//! found, whose it is, its management mode, whether its scalable target was read, its
//! off-hours phase, and who sets its `desiredCount`. The planners of its count
//! (`service.rs`), autoscaling (`autoscaling/`) and sleep bookkeeping (`offhours.rs`) read
//! this value; none of them looks at the raw observation again to decide these.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desired_state::{Management, Service, Stack};

use super::change::{service_group, EcsOperation, Notice, Operation, Plan, Resource};
use super::ownership::{not_owned, owner, Owner, Step, StepKind, Subject};
use super::phase::{self, Phase};
use super::tags::AUTOSCALING_HASH_TAG;
use crate::events::{FieldDiff, Reason};
use crate::observed::autoscaling::ScalableTarget;
use crate::observed::{
    ObserveScope, ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

/// A declared service that can be planned: found, not paused (so `declared.management` is
/// `Full` or `Observe`), not another stack's, its scalable target read.
pub(super) struct ResolvedService<'a> {
    pub stack: &'a str,
    pub region: &'a str,
    pub declared: &'a Service,
    pub found: &'a ObservedService,
    /// Its apply group: the service's changes run in plan order.
    pub group: String,
    /// Tagged as this stack's (untagged otherwise: another stack's service is never
    /// resolved) and carrying `mooring:autoscaling-hash`: a registered
    /// target is one mooring applied, not someone else's.
    pub autoscaling_ours: bool,
    /// `full`, untagged, no target: the stack tag is written in this pass (with the wake
    /// count when a sleep starts, else on its own before anything else).
    pub claim: bool,
    /// `None`: no scalable target is registered.
    pub target: Option<&'a ScalableTarget>,
    pub phase: Phase,
    /// Whether mooring sets `desiredCount` outside sleep and wake: only without
    /// autoscaling declared, and only when no scalable target is left that could own it
    /// (one of this stack's, being deregistered earlier in the same group, is fine).
    pub count_is_ours: bool,
    /// What this pass read: policies and actions are not compared when they were not.
    pub scope: ObserveScope,
}

/// Resolves `service`, or says why it is not planned: a ServiceNotFound or NotOwned
/// warning, or nothing (paused; or not observed, or its target not read: a failed read
/// the pass reports itself, and nothing is planned blind).
pub(super) fn resolve<'a>(
    stack: &'a Stack,
    seen: &'a ObservedStack,
    service: &'a Service,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Option<ResolvedService<'a>> {
    if service.management == Management::Paused {
        return None;
    }
    let resource = Resource::ecs_service(&seen.region, &service.cluster, &service.name);
    let found = match seen
        .services
        .get(&ServiceKey::new(&service.cluster, &service.name))?
    {
        ServiceState::Found(found) => found,
        ServiceState::Missing { why } => {
            // A typo is the usual cause: the cluster's services were listed this pass.
            let hint = seen
                .listed
                .as_ref()
                .and_then(|listed| listed.get(&service.cluster))
                .and_then(|names| {
                    let others = names
                        .iter()
                        .map(String::as_str)
                        .filter(|n| *n != service.name);
                    desired_state::closest(&service.name, others)
                })
                .map(|name| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            plan.notices.push(Notice::warning(
                &stack.name,
                Some(resource),
                Reason::ServiceNotFound,
                format!(
                    "service not found in region {} ({why}){hint}; mooring never creates services, the deploy pipeline does",
                    seen.region
                ),
            ));
            return None;
        }
    };
    // A service another stack claimed is that stack's: neither its count, nor its
    // scalable target, nor its sleep is changed from here, whatever `adopt` says.
    let tagged = found.tags.get(super::tags::STACK_TAG).map(String::as_str);
    let tagged_ours = match owner(&stack.name, tagged) {
        Owner::OtherStack(other) => {
            let message = Subject::Service.owned_by(other);
            plan.notices.push(not_owned(&stack.name, resource, message));
            return None;
        }
        Owner::ThisStack => true,
        Owner::Nobody => false,
    };
    // Sleep, wake and count corrections all depend on the target: never plan them on a
    // target not seen.
    let target = match &found.scalable_target {
        TargetObservation::Unknown => return None,
        TargetObservation::Absent => None,
        TargetObservation::Registered(target) => Some(target.as_ref()),
    };
    // The stack tag alone marks the service as managed; its target is this stack's only
    // when the autoscaling digest says mooring applied it.
    let autoscaling_ours = tagged_ours && found.tags.contains_key(AUTOSCALING_HASH_TAG);
    let count_is_ours = service.autoscaling.is_none()
        && target.is_none_or(|_| autoscaling_ours && service.management == Management::Full);
    // Every service mooring manages carries the stack tag, so that it is found when it
    // leaves the desired state. Not over a target someone else registered: the tag would
    // make it look like this stack's.
    let claim = service.management == Management::Full && !tagged_ours && target.is_none();
    let phase = match phase::phase(stack, service, found, &resource, now, plan) {
        // A scalable target registered outside mooring owns the count and mooring does
        // not suspend it (no autoscaling declared): a sleep could never scale down, and
        // marking it complete would read as "woken by someone else" on every later pass.
        Phase::Asleep { .. } if !count_is_ours && service.autoscaling.is_none() => {
            plan.notices.push(Notice::warning(
                &stack.name,
                Some(resource),
                Reason::ManagedElsewhere,
                "its schedule says asleep, but a scalable target registered outside mooring owns desiredCount, so it is not put to sleep; declare `autoscaling` (with `adopt: true`) to let mooring suspend it at night".into(),
            ));
            Phase::Normal
        }
        phase => phase,
    };
    Some(ResolvedService {
        stack: &stack.name,
        region: &seen.region,
        declared: service,
        found,
        group: service_group(&seen.region, &service.cluster, &service.name),
        autoscaling_ours,
        claim,
        target,
        phase,
        count_is_ours,
        scope: seen.scope,
    })
}

impl ResolvedService<'_> {
    pub(super) fn resource(&self) -> Resource {
        Resource::ecs_service(self.region, &self.declared.cluster, &self.declared.name)
    }

    pub(super) fn target_resource(&self) -> Resource {
        Resource::ScalableTarget {
            region: self.region.to_owned(),
            cluster: self.declared.cluster.clone(),
            service: self.declared.name.clone(),
        }
    }

    pub(super) fn policy_resource(&self, name: &str) -> Resource {
        Resource::ScalingPolicy {
            region: self.region.to_owned(),
            cluster: self.declared.cluster.clone(),
            service: self.declared.name.clone(),
            policy: name.to_owned(),
        }
    }

    pub(super) fn action_resource(&self, name: &str) -> Resource {
        Resource::ScheduledAction {
            region: self.region.to_owned(),
            cluster: self.declared.cluster.clone(),
            service: self.declared.name.clone(),
            action: name.to_owned(),
        }
    }

    /// A Warning about `resource` (the service, or something hanging off it).
    pub(super) fn warning(&self, resource: Resource, reason: Reason, message: String) -> Notice {
        Notice::warning(self.stack, Some(resource), reason, message)
    }

    /// TagResource on the service (its other tags are kept); the diff shows each tag's
    /// value before.
    pub(super) fn tag(
        &self,
        kind: StepKind,
        summary: String,
        tags: BTreeMap<String, String>,
    ) -> Step {
        Step {
            resource: self.resource(),
            kind,
            summary,
            diff: tags
                .iter()
                .map(|(key, value)| {
                    let before = self.found.tags.get(key).cloned();
                    FieldDiff::new(format!("tags.{key}"), before, value.clone())
                })
                .collect(),
            operation: Operation::Ecs(EcsOperation::TagService {
                arn: self.found.arn.clone(),
                tags,
            }),
        }
    }

    /// UntagResource on the service; the diff shows the keys it carries now.
    pub(super) fn untag(&self, kind: StepKind, summary: String, keys: Vec<String>) -> Step {
        Step {
            resource: self.resource(),
            kind,
            summary,
            diff: keys
                .iter()
                .filter_map(|key| {
                    let before = self.found.tags.get(key)?;
                    Some(FieldDiff::new(
                        format!("tags.{key}"),
                        before.clone(),
                        serde_json::Value::Null,
                    ))
                })
                .collect(),
            operation: Operation::Ecs(EcsOperation::UntagService {
                arn: self.found.arn.clone(),
                keys,
            }),
        }
    }
}
