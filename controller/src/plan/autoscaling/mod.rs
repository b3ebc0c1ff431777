//! Application Auto Scaling of ECS services: the scalable target, its policies and
//! scheduled actions, and who owns them.
//!
//! Ownership lives on the ECS service (Application Auto Scaling cannot tag policies, and
//! moto cannot tag targets at all): `mooring:stack=<stack>` on the service means the stack
//! owns the service's scalable target with everything that hangs off it. After a
//! successful reconcile, `mooring:autoscaling-hash` records a digest of the spec that was
//! applied; a difference found while the recorded digest equals the desired one is drift
//! (DriftCorrected), otherwise the desired state changed (Created / Updated / Pruned).
//! docs/architecture.md spells out the rules.

use std::collections::BTreeMap;

use desired_state::{Management, Service, Stack};
use serde::Serialize;

mod spec;

pub(super) use self::spec::{desired_target, spec_digest};
use super::diff::{field_diffs, summarize};
use super::ecs::{service_group, service_resource};
use super::offhours::TargetOverride;
use super::{
    AutoscalingOperation, Change, EcsOperation, EventType, FieldDiff, Notice, Operation, Plan,
    Reason, Resource,
};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, StepScalingPolicy, SuspendedState,
    TargetTrackingPolicy,
};
use crate::observed::{ObserveScope, ObservedService, ObservedStack, TargetObservation};

/// On an ECS service: the stack that owns the service's scalable target.
pub const STACK_TAG: &str = "mooring:stack";
/// On an ECS service: hex SHA-256 of the autoscaling spec last applied in full.
pub const AUTOSCALING_HASH_TAG: &str = "mooring:autoscaling-hash";

/// Whether mooring may correct the service's `desiredCount` in this pass: only without
/// autoscaling declared, and only when no scalable target is left that could own it
/// (one of this stack's, being deregistered earlier in the same group, is fine).
pub(super) fn count_is_ours(stack: &Stack, service: &Service, found: &ObservedService) -> bool {
    if service.autoscaling.is_some() {
        return false;
    }
    match &found.scalable_target {
        TargetObservation::Unknown => false,
        TargetObservation::Absent => true,
        TargetObservation::Registered(_) => {
            owner(found) == Some(stack.name.as_str()) && service.management == Management::Full
        }
    }
}

fn owner(found: &ObservedService) -> Option<&str> {
    found.tags.get(STACK_TAG).map(String::as_str)
}

/// What one planned call is, before it becomes a Change (full) or a Notice (observe).
struct Step {
    resource: Resource,
    kind: StepKind,
    summary: String,
    diff: Vec<FieldDiff>,
    operation: Operation,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StepKind {
    /// The ownership tag on a service whose target mooring is about to create.
    Claim,
    /// The ownership tag on a service whose existing target is taken over.
    Adopt,
    Create,
    Update,
    Prune,
    /// The target's settings changed by sleep or wake (the reason says which).
    OffHours(Reason),
}

/// Everything `plan_autoscaling` needs to name resources and build changes.
struct Scope<'a> {
    stack: &'a Stack,
    seen: &'a ObservedStack,
    service: &'a Service,
    found: &'a ObservedService,
}

impl Scope<'_> {
    fn target(&self) -> Resource {
        Resource::ScalableTarget {
            region: self.seen.region.clone(),
            cluster: self.service.cluster.clone(),
            service: self.service.name.clone(),
        }
    }

    fn policy(&self, name: &str) -> Resource {
        Resource::ScalingPolicy {
            region: self.seen.region.clone(),
            cluster: self.service.cluster.clone(),
            service: self.service.name.clone(),
            policy: name.to_owned(),
        }
    }

    fn action(&self, name: &str) -> Resource {
        Resource::ScheduledAction {
            region: self.seen.region.clone(),
            cluster: self.service.cluster.clone(),
            service: self.service.name.clone(),
            action: name.to_owned(),
        }
    }

    fn notice(&self, resource: Resource, reason: Reason, message: String) -> Notice {
        Notice {
            stack: self.stack.name.clone(),
            resource: Some(resource),
            kind: EventType::Warning,
            reason,
            message,
            diff: Vec::new(),
        }
    }

    fn tag_step(&self, kind: StepKind, tags: BTreeMap<String, String>, summary: String) -> Step {
        Step {
            resource: service_resource(self.seen, self.service),
            kind,
            diff: tags
                .iter()
                .map(|(key, value)| {
                    let before = self.found.tags.get(key).cloned();
                    FieldDiff::new(format!("tags.{key}"), before, value.clone())
                })
                .collect(),
            summary,
            operation: Operation::Ecs(EcsOperation::TagService {
                arn: self.found.arn.clone(),
                tags,
            }),
        }
    }
}

pub(super) fn plan_autoscaling(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    off_hours: Option<TargetOverride>,
    plan: &mut Plan,
) {
    let scope = Scope {
        stack,
        seen,
        service,
        found,
    };
    let observed = match &found.scalable_target {
        // Never plan on what was not seen.
        TargetObservation::Unknown => return,
        TargetObservation::Absent => None,
        TargetObservation::Registered(target) => Some(target.as_ref()),
    };
    let ours = owner(found) == Some(stack.name.as_str());
    let Some(wanted) = &service.autoscaling else {
        if let Some(target) = observed {
            plan_undeclared_target(&scope, target, ours, plan);
        }
        return;
    };
    if let Some(other) = owner(found).filter(|o| *o != stack.name) {
        plan.notices.push(scope.notice(
            scope.target(),
            Reason::NotOwned,
            format!("the service is tagged {STACK_TAG}={other}: its scalable target belongs to stack {other} and is left alone"),
        ));
        return;
    }
    let mut desired = desired_target(wanted);
    // The digest is of the declared (awake) spec: sleeping is not a change of spec.
    let digest = spec_digest(&desired);
    if let Some((min, max, suspended)) = off_hours.and_then(|o| o.settings) {
        desired.min = min;
        desired.max = max;
        desired.suspended = suspended;
    }
    let recorded = found.tags.get(AUTOSCALING_HASH_TAG) == Some(&digest);
    let mut steps = Vec::new();
    match observed {
        None => {
            if !ours {
                steps.push(scope.tag_step(
                    StepKind::Claim,
                    BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]),
                    format!("claim the service's autoscaling for stack {}", stack.name),
                ));
            }
            reconcile_target(
                &scope,
                &desired,
                &ScalableTarget::default(),
                true,
                &mut steps,
            );
        }
        Some(target) => {
            // `observe` changes nothing, so it reports drift whoever owns the target.
            if !ours && service.management == Management::Full {
                if !service.adopt {
                    plan.notices.push(scope.notice(
                        scope.target(),
                        Reason::NotOwned,
                        "scalable target exists and is not this stack's; set adopt: true to take it over".into(),
                    ));
                    return;
                }
                steps.push(scope.tag_step(
                    StepKind::Adopt,
                    BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]),
                    format!("adopt the scalable target for stack {}", stack.name),
                ));
            }
            reconcile_target(&scope, &desired, target, false, &mut steps);
            if let Some(off_hours) = off_hours {
                let target = scope.target();
                for step in steps.iter_mut() {
                    if step.kind == StepKind::Update && step.resource == target {
                        step.kind = StepKind::OffHours(off_hours.reason);
                    }
                }
            }
        }
    }
    match service.management {
        Management::Paused => {}
        Management::Observe => report_drift(&scope, steps, plan),
        Management::Full => {
            let first_reason = steps
                .iter()
                .find(|s| !matches!(s.kind, StepKind::Claim | StepKind::Adopt))
                .map(|s| reason(s.kind, recorded));
            // The digest says the whole spec was applied: a schedule-only pass never
            // looked at the policies and actions, so it cannot say that.
            if !recorded && seen.scope == ObserveScope::Everything {
                record_digest(&scope, digest, first_reason, &mut steps);
            }
            for step in steps {
                plan.changes.push(Change {
                    stack: stack.name.clone(),
                    resource: step.resource,
                    reason: reason(step.kind, recorded),
                    summary: step.summary,
                    diff: step.diff,
                    operation: step.operation,
                    group: service_group(seen, service),
                });
            }
        }
    }
}

/// A target on a service declared without autoscaling: this stack's (autoscaling left
/// the desired state) is deregistered; anyone else's owns the count, and is reported.
fn plan_undeclared_target(scope: &Scope<'_>, target: &ScalableTarget, ours: bool, plan: &mut Plan) {
    if !ours {
        plan.notices.push(scope.notice(
            scope.target(),
            Reason::ManagedElsewhere,
            "a scalable target registered outside mooring: the autoscaler owns desiredCount; mooring does not correct it".into(),
        ));
        return;
    }
    let diff = field_diffs(Some(target), None::<&ScalableTarget>);
    match scope.service.management {
        Management::Observe => {
            let mut notice = scope.notice(
                scope.target(),
                Reason::DriftDetected,
                "autoscaling left the desired state and the target is this stack's; management is `observe`, so it is only reported".into(),
            );
            notice.diff = diff;
            plan.notices.push(notice);
        }
        Management::Paused => {}
        Management::Full => {
            let group = service_group(scope.seen, scope.service);
            plan.changes.push(Change {
                stack: scope.stack.name.clone(),
                resource: scope.target(),
                reason: Reason::Pruned,
                summary:
                    "deregister the scalable target (its policies and scheduled actions go with it)"
                        .into(),
                diff,
                operation: Operation::Autoscaling(AutoscalingOperation::DeregisterScalableTarget),
                group: group.clone(),
            });
            // Released, so that a target registered later by someone else is reported
            // (ManagedElsewhere) instead of pruned.
            plan.changes.push(Change {
                stack: scope.stack.name.clone(),
                resource: service_resource(scope.seen, scope.service),
                reason: Reason::Pruned,
                summary: format!(
                    "release the service's autoscaling ({STACK_TAG}, {AUTOSCALING_HASH_TAG})"
                ),
                diff: [STACK_TAG, AUTOSCALING_HASH_TAG]
                    .iter()
                    .filter_map(|key| {
                        let before = scope.found.tags.get(*key)?;
                        Some(FieldDiff::new(
                            format!("tags.{key}"),
                            before.clone(),
                            serde_json::Value::Null,
                        ))
                    })
                    .collect(),
                operation: Operation::Ecs(EcsOperation::UntagService {
                    arn: scope.found.arn.clone(),
                    keys: vec![STACK_TAG.to_owned(), AUTOSCALING_HASH_TAG.to_owned()],
                }),
                group,
            });
        }
    }
}

/// Steps that turn `observed` into `desired`: the target, then policies, then scheduled
/// actions; puts before deletes within each.
fn reconcile_target(
    scope: &Scope<'_>,
    desired: &ScalableTarget,
    observed: &ScalableTarget,
    absent: bool,
    steps: &mut Vec<Step>,
) {
    let target_diff = if absent {
        field_diffs(None::<&TargetSettings>, Some(&TargetSettings::of(desired)))
    } else {
        field_diffs(
            Some(&TargetSettings::of(observed)),
            Some(&TargetSettings::of(desired)),
        )
    };
    if !target_diff.is_empty() {
        let (kind, summary) = if absent {
            (
                StepKind::Create,
                format!(
                    "register the scalable target (min {}, max {})",
                    desired.min, desired.max
                ),
            )
        } else {
            (
                StepKind::Update,
                format!("update the scalable target: {}", summarize(&target_diff)),
            )
        };
        steps.push(Step {
            resource: scope.target(),
            kind,
            summary,
            diff: target_diff,
            operation: Operation::Autoscaling(AutoscalingOperation::RegisterScalableTarget {
                min: desired.min,
                max: desired.max,
                suspended: desired.suspended,
            }),
        });
    }
    if scope.seen.scope == ObserveScope::ScheduleOnly {
        // Policies and actions were not read: compared with nothing, every declared one
        // would look missing (Created, or DriftDetected under `observe`).
        return;
    }
    let mut prunes = Vec::new();
    for (name, wanted) in &desired.policies {
        let found = observed.policies.get(name);
        let compared = found.map(|f| with_unset_cooldowns_from(wanted, f));
        let diff = field_diffs(found, compared.as_ref().or(Some(wanted)));
        if diff.is_empty() {
            continue;
        }
        let (kind, summary) = match found {
            None => (
                StepKind::Create,
                format!("create {} policy {name}", policy_kind(wanted)),
            ),
            Some(_) => (
                StepKind::Update,
                format!("update scaling policy {name}: {}", summarize(&diff)),
            ),
        };
        steps.push(Step {
            resource: scope.policy(name),
            kind,
            summary,
            diff,
            operation: Operation::Autoscaling(AutoscalingOperation::PutScalingPolicy {
                policy: wanted.clone(),
            }),
        });
    }
    for (name, found) in &observed.policies {
        if !desired.policies.contains_key(name) {
            prunes.push(Step {
                resource: scope.policy(name),
                kind: StepKind::Prune,
                summary: format!("delete scaling policy {name}"),
                diff: field_diffs(Some(found), None::<&ScalingPolicy>),
                operation: Operation::Autoscaling(AutoscalingOperation::DeleteScalingPolicy),
            });
        }
    }
    steps.append(&mut prunes);
    for (name, wanted) in &desired.scheduled_actions {
        let found = observed.scheduled_actions.get(name);
        let diff = field_diffs(found, Some(wanted));
        if diff.is_empty() {
            continue;
        }
        let (kind, summary) = match found {
            None => (
                StepKind::Create,
                format!("create scheduled action {name} ({})", wanted.schedule),
            ),
            Some(_) => (
                StepKind::Update,
                format!("update scheduled action {name}: {}", summarize(&diff)),
            ),
        };
        steps.push(Step {
            resource: scope.action(name),
            kind,
            summary,
            diff,
            operation: Operation::Autoscaling(AutoscalingOperation::PutScheduledAction {
                action: wanted.clone(),
            }),
        });
    }
    for (name, found) in &observed.scheduled_actions {
        if !desired.scheduled_actions.contains_key(name) {
            prunes.push(Step {
                resource: scope.action(name),
                kind: StepKind::Prune,
                summary: format!("delete scheduled action {name}"),
                diff: field_diffs(Some(found), None::<&ScheduledAction>),
                operation: Operation::Autoscaling(AutoscalingOperation::DeleteScheduledAction),
            });
        }
    }
    steps.append(&mut prunes);
}

/// The target's own settings, compared apart from its policies and actions.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetSettings {
    min: u32,
    max: u32,
    suspended: SuspendedState,
}

impl TargetSettings {
    fn of(target: &ScalableTarget) -> Self {
        Self {
            min: target.min,
            max: target.max,
            suspended: target.suspended,
        }
    }
}

/// A cooldown the desired state leaves unset means "AWS's default", whatever AWS
/// reports for it: comparing it would re-put the policy on every pass.
fn with_unset_cooldowns_from(wanted: &ScalingPolicy, found: &ScalingPolicy) -> ScalingPolicy {
    match (wanted, found) {
        (ScalingPolicy::TargetTracking(want), ScalingPolicy::TargetTracking(have)) => {
            ScalingPolicy::TargetTracking(TargetTrackingPolicy {
                scale_in_cooldown: want.scale_in_cooldown.or(have.scale_in_cooldown),
                scale_out_cooldown: want.scale_out_cooldown.or(have.scale_out_cooldown),
                ..want.clone()
            })
        }
        (ScalingPolicy::StepScaling(want), ScalingPolicy::StepScaling(have)) => {
            ScalingPolicy::StepScaling(StepScalingPolicy {
                cooldown: want.cooldown.or(have.cooldown),
                ..want.clone()
            })
        }
        _ => wanted.clone(),
    }
}

fn policy_kind(policy: &ScalingPolicy) -> &'static str {
    match policy {
        ScalingPolicy::TargetTracking(_) => "target-tracking",
        ScalingPolicy::StepScaling(_) => "step-scaling",
        ScalingPolicy::Other { .. } => "scaling",
    }
}

fn reason(kind: StepKind, recorded: bool) -> Reason {
    match kind {
        StepKind::Claim => Reason::Created,
        StepKind::Adopt => Reason::Adopted,
        StepKind::OffHours(reason) => reason,
        _ if recorded => Reason::DriftCorrected,
        StepKind::Create => Reason::Created,
        StepKind::Update => Reason::Updated,
        StepKind::Prune => Reason::Pruned,
    }
}

/// The digest tag, written last so that it is only there when every change before it in
/// the group succeeded. When the only other step is the ownership tag, one TagResource
/// call carries both.
fn record_digest(
    scope: &Scope<'_>,
    digest: String,
    first_reason: Option<Reason>,
    steps: &mut Vec<Step>,
) {
    if let [only] = steps.as_mut_slice() {
        if let Operation::Ecs(EcsOperation::TagService { tags, .. }) = &mut only.operation {
            let before = scope.found.tags.get(AUTOSCALING_HASH_TAG).cloned();
            only.diff.push(FieldDiff::new(
                format!("tags.{AUTOSCALING_HASH_TAG}"),
                before,
                digest.clone(),
            ));
            tags.insert(AUTOSCALING_HASH_TAG.to_owned(), digest);
            return;
        }
    }
    let kind = match first_reason {
        Some(Reason::Created) => StepKind::Create,
        _ => StepKind::Update,
    };
    steps.push(scope.tag_step(
        kind,
        BTreeMap::from([(AUTOSCALING_HASH_TAG.to_owned(), digest)]),
        "record the applied autoscaling spec".into(),
    ));
}

/// `observe`: every difference is a DriftDetected warning; nothing is changed.
fn report_drift(scope: &Scope<'_>, steps: Vec<Step>, plan: &mut Plan) {
    for step in steps {
        if matches!(step.kind, StepKind::Claim | StepKind::Adopt) {
            continue;
        }
        plan.notices.push(Notice {
            stack: scope.stack.name.clone(),
            resource: Some(step.resource),
            kind: EventType::Warning,
            reason: Reason::DriftDetected,
            message: format!(
                "differs from the desired state (would {}); management is `observe`, so it is only reported",
                step.summary
            ),
            diff: step.diff,
        });
    }
}
