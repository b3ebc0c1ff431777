//! Application Auto Scaling of ECS services: the scalable target, its policies and
//! scheduled actions, and who owns them.
//!
//! Ownership lives on the ECS service (Application Auto Scaling cannot tag policies, and
//! moto cannot tag targets at all): `mooring:stack=<stack>` on the service means the stack
//! owns the service's scalable target with everything that hangs off it. After a
//! successful reconcile, `mooring:autoscaling-hash` records a digest of the spec that was
//! applied; `evidence.rs` turns it into the reason: a difference found while the recorded
//! digest equals the desired one is drift (DriftCorrected), otherwise the desired state
//! changed (DesiredChanged, Created, Pruned), or nothing was recorded (Updated).
//! docs/architecture.md spells out the rules.

use std::collections::BTreeMap;

use desired_state::Management;
use serde::Serialize;

mod spec;

pub(super) use self::spec::{desired_target, spec_digest};
use super::change::{AutoscalingOperation, EcsOperation, Operation, Plan};
use super::diff::{field_diffs, summarize};
use super::evidence::evidence;
use super::ownership::{
    emit, not_owned, observe_only, ownership, Ownership, Step, StepKind, Subject,
};
use super::resolve::ResolvedService;
use super::tags::{AUTOSCALING_HASH_TAG, STACK_TAG};
use crate::events::{FieldDiff, Reason};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, StepScalingPolicy, SuspendedState,
    TargetTrackingPolicy,
};
use crate::observed::ObserveScope;

/// The service's scalable target, policies and scheduled actions: in the declared shape,
/// or in the shape off-hours gives them while it sleeps or wakes (`phase`).
pub(super) fn plan_autoscaling(service: &ResolvedService<'_>, plan: &mut Plan) {
    let Some(wanted) = &service.declared.autoscaling else {
        if let Some(target) = service.target {
            plan_undeclared_target(service, target, plan);
        }
        return;
    };
    let off_hours = service.phase.target_override();
    let mut desired = desired_target(wanted);
    // The digest is of the declared (awake) spec: sleeping is not a change of spec.
    let digest = spec_digest(&desired);
    if let Some((min, max, suspended)) = off_hours.and_then(|o| o.settings) {
        desired.min = min;
        desired.max = max;
        desired.suspended = suspended;
    }
    let recorded = service.found.tags.get(AUTOSCALING_HASH_TAG);
    let evidence = evidence(recorded.map(String::as_str), &digest);
    let recorded = recorded == Some(&digest);
    let mut steps = Vec::new();
    match service.target {
        None => {
            // The service was claimed (`service.rs`) before this, in the same group.
            reconcile_target(
                service,
                &desired,
                &ScalableTarget::default(),
                true,
                &mut steps,
            );
        }
        Some(target) => {
            // `observe` changes nothing, so it reports drift whoever owns the target.
            if service.declared.management == Management::Full {
                let tag = service.found.tags.get(STACK_TAG).map(String::as_str);
                match ownership(
                    service.stack,
                    Subject::ScalableTarget,
                    tag,
                    service.declared.adopt,
                ) {
                    Ownership::Ours => {}
                    Ownership::Adopt => steps.push(service.tag(
                        StepKind::Adopt,
                        format!("adopt the scalable target for stack {}", service.stack),
                        BTreeMap::from([(STACK_TAG.to_owned(), service.stack.to_owned())]),
                    )),
                    Ownership::NotOwned(message) => {
                        let resource = service.target_resource();
                        plan.notices
                            .push(not_owned(service.stack, resource, message));
                        return;
                    }
                }
            }
            reconcile_target(service, &desired, target, false, &mut steps);
            if let Some(off_hours) = off_hours {
                let target = service.target_resource();
                for step in steps.iter_mut() {
                    if step.kind == StepKind::Update && step.resource == target {
                        step.kind = StepKind::Given(off_hours.reason);
                    }
                }
            }
        }
    }
    // The digest says the whole spec was applied: a schedule-only pass never looked at
    // the policies and actions, so it cannot say that.
    if service.declared.management == Management::Full
        && !recorded
        && service.scope == ObserveScope::Everything
    {
        let first_reason = steps
            .iter()
            .find(|s| !matches!(s.kind, StepKind::Claim | StepKind::Adopt))
            .map(|s| s.kind.reason(&evidence));
        record_digest(service, digest, first_reason, &mut steps);
    }
    emit(
        steps,
        service.declared.management,
        &evidence,
        (service.stack, &service.group),
        |summary| observe_only(&format!("differs from the desired state (would {summary})")),
        plan,
    );
}

/// A target on a service declared without autoscaling: this stack's (autoscaling left
/// the desired state) is deregistered; anyone else's owns the count, and is reported.
fn plan_undeclared_target(service: &ResolvedService<'_>, target: &ScalableTarget, plan: &mut Plan) {
    if !service.autoscaling_ours {
        plan.notices.push(service.warning(
            service.target_resource(),
            Reason::ManagedElsewhere,
            "a scalable target registered outside mooring: the autoscaler owns desiredCount; mooring does not correct it".into(),
        ));
        return;
    }
    let diff = field_diffs(Some(target), None::<&ScalableTarget>);
    let deregister = Step {
        resource: service.target_resource(),
        kind: StepKind::Prune,
        summary: "deregister the scalable target (its policies and scheduled actions go with it)"
            .into(),
        diff,
        operation: Operation::Autoscaling(AutoscalingOperation::DeregisterScalableTarget),
    };
    let steps = if service.declared.management == Management::Full {
        // The digest goes, so that a target registered later by someone else is reported
        // (ManagedElsewhere) instead of pruned; the stack tag stays (the service is still
        // this stack's).
        let release = service.untag(
            StepKind::Prune,
            format!("release the service's autoscaling ({AUTOSCALING_HASH_TAG})"),
            vec![AUTOSCALING_HASH_TAG.to_owned()],
        );
        vec![deregister, release]
    } else {
        // `observe` reports the target; the tags are bookkeeping.
        vec![deregister]
    };
    emit(
        steps,
        service.declared.management,
        // Autoscaling left the desired state: nothing is declared to compare the record with.
        &evidence(
            service
                .found
                .tags
                .get(AUTOSCALING_HASH_TAG)
                .map(String::as_str),
            "none",
        ),
        (service.stack, &service.group),
        |_| observe_only("autoscaling left the desired state and the target is this stack's"),
        plan,
    );
}

/// Steps that turn `observed` into `desired`: the target, then policies, then scheduled
/// actions; puts before deletes within each.
fn reconcile_target(
    service: &ResolvedService<'_>,
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
            resource: service.target_resource(),
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
    if service.scope == ObserveScope::ScheduleOnly {
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
            resource: service.policy_resource(name),
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
                resource: service.policy_resource(name),
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
            resource: service.action_resource(name),
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
                resource: service.action_resource(name),
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

/// The digest tag, written last so that it is only there when every change before it in
/// the group succeeded. When the only other step is the ownership tag, one TagResource
/// call carries both.
fn record_digest(
    service: &ResolvedService<'_>,
    digest: String,
    first_reason: Option<Reason>,
    steps: &mut Vec<Step>,
) {
    if let [only] = steps.as_mut_slice() {
        if let Operation::Ecs(EcsOperation::TagService { tags, .. }) = &mut only.operation {
            let before = service.found.tags.get(AUTOSCALING_HASH_TAG).cloned();
            only.diff.push(FieldDiff::new(
                format!("tags.{AUTOSCALING_HASH_TAG}"),
                before,
                digest.clone(),
            ));
            tags.insert(AUTOSCALING_HASH_TAG.to_owned(), digest);
            return;
        }
    }
    let reason = match first_reason {
        Some(reason @ (Reason::Created | Reason::DesiredChanged)) => reason,
        _ => Reason::Updated,
    };
    steps.push(service.tag(
        StepKind::Record(reason),
        "record the applied autoscaling spec".into(),
        BTreeMap::from([(AUTOSCALING_HASH_TAG.to_owned(), digest)]),
    ));
}
