//! Planner tests for Application Auto Scaling: desired state from YAML, the observed
//! target built from it (then changed the way a person in the console would).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::*;
use crate::observed::autoscaling::{ScalableTarget, ScalingPolicy, ScheduledAction};
use crate::observed::{
    ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};
use crate::plan::autoscaling::{desired_target, spec_digest};

const STACK: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: shop
spec:
  region: us-east-1
  timezone: Europe/Berlin
  services:
    - cluster: shop
      name: api
      desiredCount: 2
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu70: { metric: ECSServiceAverageCPUUtilization, target: 70, scaleInCooldown: 300s, scaleOutCooldown: 60s }
          queue: { customMetric: { namespace: Shop, metric: QueueDepth, statistic: Average }, target: 100 }
        scheduledActions:
          morning: { schedule: "cron(0 7 ? * MON-FRI *)", min: 2, start: 2026-03-29T02:30:00 }
"#;

fn desired(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("test.yaml"), yaml.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

/// `STACK` with its api service changed by `edit` (e.g. a different management mode).
fn stack_with(edit: &str) -> DesiredState {
    desired(&STACK.replace(
        "      desiredCount: 2\n",
        &format!("      desiredCount: 2\n{edit}"),
    ))
}

/// The target the desired state asks for, as AWS would report it.
fn wanted(desired: &DesiredState) -> ScalableTarget {
    match &desired.stacks[0].services[0].autoscaling {
        Some(scaling) => desired_target(scaling),
        None => ScalableTarget::default(),
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Tags of a service whose autoscaling this stack applied in full.
fn owned(target: &ScalableTarget) -> BTreeMap<String, String> {
    tags(&[
        (STACK_TAG, "shop"),
        (AUTOSCALING_HASH_TAG, &spec_digest(target)),
    ])
}

fn observed(count: u32, tags: BTreeMap<String, String>, target: TargetObservation) -> Observed {
    let service = ObservedService {
        arn: "arn:aws:ecs:us-east-1:123456789012:service/shop/api".into(),
        desired_count: count,
        running_count: count,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags,
        scalable_target: target,
    };
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        // The cluster already carries the stack's tag (cluster_tags.rs has its tests).
        tagged_clusters: Some(BTreeMap::from([(
            "shop".to_owned(),
            "arn:aws:ecs:us-east-1:123456789012:cluster/shop".to_owned(),
        )])),
        ..ObservedStack::default()
    };
    stack
        .services
        .insert(ServiceKey::new("shop", "api"), ServiceState::Found(service));
    let mut observed = Observed::default();
    observed.stacks.insert("shop".into(), stack);
    observed
}

fn registered(target: ScalableTarget) -> TargetObservation {
    TargetObservation::Registered(Box::new(target))
}

fn plan_of(desired: &DesiredState, observed: &Observed) -> Plan {
    plan(
        desired,
        observed,
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
    )
}

fn summaries(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{} {}: {}", c.reason, c.resource, c.summary))
        .collect()
}

#[test]
fn a_new_target_is_claimed_registered_and_filled_in_order() {
    let desired = desired(STACK);
    let plan = plan_of(&desired, &observed(0, tags(&[]), TargetObservation::Absent));
    assert_eq!(
        summaries(&plan),
        [
            "Created ecs-service shop/api: claim the service's autoscaling for stack shop",
            "Created scalable-target shop/api: register the scalable target (min 1, max 4)",
            "Created scaling-policy shop/api/cpu70: create target-tracking policy cpu70",
            "Created scaling-policy shop/api/queue: create target-tracking policy queue",
            "Created scheduled-action shop/api/morning: create scheduled action morning (cron(0 7 ? * MON-FRI *))",
            "Created ecs-service shop/api: record the applied autoscaling spec",
        ]
    );
    assert!(plan.changes.iter().all(|c| c.group == "us-east-1/shop/api"));
    // The declared count is what a wake-up restores, never a correction.
    assert!(!plan.changes.iter().any(|c| matches!(
        c.operation,
        Operation::Ecs(EcsOperation::SetDesiredCount { .. })
    )));
    // The last change records the digest of exactly what was planned.
    match &plan.changes[5].operation {
        Operation::Ecs(EcsOperation::TagService { tags, .. }) => {
            assert_eq!(tags[AUTOSCALING_HASH_TAG], spec_digest(&wanted(&desired)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn start_times_are_read_in_the_actions_zone_and_a_skipped_hour_moves_past_the_gap() {
    // 2026-03-29 02:30 does not exist in Berlin (clocks go 02:00 → 03:00 CEST).
    let target = wanted(&desired(STACK));
    let start = target.scheduled_actions["morning"].start;
    assert_eq!(
        start,
        Some(Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap())
    );
    assert_eq!(
        target.scheduled_actions["morning"].timezone,
        "Europe/Berlin"
    );
}

#[test]
fn a_converged_target_plans_nothing() {
    let desired = desired(STACK);
    let target = wanted(&desired);
    let plan = plan_of(&desired, &observed(3, owned(&target), registered(target)));
    assert!(plan.changes.is_empty(), "{plan:#?}");
    assert!(plan.notices.is_empty(), "{plan:#?}");
}

#[test]
fn what_aws_echoes_back_compares_equal() {
    // A double that went through JSON, and cooldowns AWS fills in for a policy that
    // left them unset, are not differences.
    let desired = desired(STACK);
    let mut target = wanted(&desired);
    let tags = owned(&target);
    if let Some(ScalingPolicy::TargetTracking(p)) = target.policies.get_mut("cpu70") {
        p.target_value = 70.000_000_000_001;
    }
    if let Some(ScalingPolicy::TargetTracking(p)) = target.policies.get_mut("queue") {
        p.scale_in_cooldown = Some(300);
        p.scale_out_cooldown = Some(300);
    }
    let plan = plan_of(&desired, &observed(3, tags, registered(target)));
    assert!(plan.changes.is_empty(), "{plan:#?}");
}

#[test]
fn drift_on_an_applied_spec_is_corrected_with_its_diff() {
    let desired = desired(STACK);
    let applied = wanted(&desired);
    let mut drifted = applied.clone();
    drifted.min = 2;
    drifted.max = 8;
    drifted.policies.remove("queue");
    if let Some(ScalingPolicy::TargetTracking(p)) = drifted.policies.get_mut("cpu70") {
        p.target_value = 50.0;
    }
    drifted.scheduled_actions.clear();
    let plan = plan_of(&desired, &observed(3, owned(&applied), registered(drifted)));
    assert_eq!(
        summaries(&plan),
        [
            "DriftCorrected scalable-target shop/api: update the scalable target: max 8 → 4, min 2 → 1 (changed outside mooring since the last apply: what it recorded still matches the desired state)",
            "DriftCorrected scaling-policy shop/api/cpu70: update scaling policy cpu70: targetValue 50.0 → 70.0 (changed outside mooring since the last apply: what it recorded still matches the desired state)",
            "DriftCorrected scaling-policy shop/api/queue: create target-tracking policy queue (changed outside mooring since the last apply: what it recorded still matches the desired state)",
            "DriftCorrected scheduled-action shop/api/morning: create scheduled action morning (cron(0 7 ? * MON-FRI *)) (changed outside mooring since the last apply: what it recorded still matches the desired state)",
        ],
        "the recorded digest is current, so nothing else is written"
    );
    let min = &plan.changes[0].diff;
    assert_eq!(min[1].field, "min");
    assert_eq!(
        (min[1].before.clone(), min[1].after.clone()),
        (2.into(), 1.into())
    );
}

#[test]
fn a_changed_desired_state_updates_prunes_and_records_the_new_spec() {
    let before = desired(STACK);
    let applied = wanted(&before);
    // The policy `queue` and the action left the file; max went up.
    let after = desired(
        &STACK
            .replace("        max: 4\n", "        max: 6\n")
            .replace(
                "          queue: { customMetric: { namespace: Shop, metric: QueueDepth, statistic: Average }, target: 100 }\n",
                "",
            )
            .replace("        scheduledActions:\n", "")
            .replace(
                "          morning: { schedule: \"cron(0 7 ? * MON-FRI *)\", min: 2, start: 2026-03-29T02:30:00 }\n",
                "",
            ),
    );
    let plan = plan_of(
        &after,
        &observed(3, owned(&applied), registered(applied.clone())),
    );
    assert_eq!(
        summaries(&plan),
        [
            "DesiredChanged scalable-target shop/api: update the scalable target: max 4 → 6 (the desired state changed since the last apply: 1ce2cd2d → 7b89c98e)",
            "Pruned scaling-policy shop/api/queue: delete scaling policy queue",
            "Pruned scheduled-action shop/api/morning: delete scheduled action morning",
            "DesiredChanged ecs-service shop/api: record the applied autoscaling spec",
        ]
    );
}

#[test]
fn an_existing_target_without_the_stack_tag_is_left_alone_unless_adopted() {
    let desired = desired(STACK);
    let mut theirs = wanted(&desired);
    theirs.policies.insert(
        "legacy".into(),
        ScalingPolicy::Other {
            policy_type: "PredictiveScaling".into(),
        },
    );
    let seen = observed(3, tags(&[("team", "web")]), registered(theirs));
    let plan = plan_of(&desired, &seen);
    assert!(plan.changes.is_empty(), "{plan:#?}");
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].reason, Reason::NotOwned);
    assert_eq!(plan.notices[0].kind, EventType::Warning);
    assert!(plan.notices[0].message.contains("set adopt: true"));

    let adopting = stack_with("      adopt: true\n");
    let plan = plan_of(&adopting, &seen);
    assert_eq!(
        summaries(&plan),
        [
            "Adopted ecs-service shop/api: adopt the scalable target for stack shop",
            "Pruned scaling-policy shop/api/legacy: delete scaling policy legacy",
            "Updated ecs-service shop/api: record the applied autoscaling spec",
        ]
    );
}

#[test]
fn adopting_a_matching_target_is_one_tag_call() {
    let adopting = stack_with("      adopt: true\n");
    let target = wanted(&adopting);
    let plan = plan_of(&adopting, &observed(3, tags(&[]), registered(target)));
    assert_eq!(plan.changes.len(), 1, "{plan:#?}");
    match &plan.changes[0].operation {
        Operation::Ecs(EcsOperation::TagService { tags, .. }) => {
            assert_eq!(tags[STACK_TAG], "shop");
            assert!(tags.contains_key(AUTOSCALING_HASH_TAG));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan.changes[0].reason, Reason::Adopted);
}

#[test]
fn another_stacks_target_is_never_touched() {
    for adopt in ["", "      adopt: true\n"] {
        let desired = stack_with(adopt);
        let seen = observed(
            3,
            tags(&[(STACK_TAG, "billing")]),
            TargetObservation::Absent,
        );
        let plan = plan_of(&desired, &seen);
        assert!(plan.changes.is_empty(), "{plan:#?}");
        assert_eq!(plan.notices[0].reason, Reason::NotOwned);
        assert!(plan.notices[0].message.contains("billing"));
    }
}

const NO_SCALING: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: shop
spec:
  region: us-east-1
  services:
    - cluster: shop
      name: api
      desiredCount: 2
"#;

#[test]
fn a_target_registered_elsewhere_owns_the_count_and_is_not_fought() {
    let target = ScalableTarget {
        min: 1,
        max: 10,
        ..ScalableTarget::default()
    };
    let plan = plan_of(
        &desired(NO_SCALING),
        &observed(7, tags(&[]), registered(target)),
    );
    assert!(plan.changes.is_empty(), "no count correction: {plan:#?}");
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].reason, Reason::ManagedElsewhere);
    assert!(plan.notices[0].message.contains("does not correct it"));
}

#[test]
fn autoscaling_removed_from_the_desired_state_deregisters_then_restores_the_count() {
    let applied = wanted(&desired(STACK));
    let plan = plan_of(
        &desired(NO_SCALING),
        &observed(7, owned(&applied), registered(applied.clone())),
    );
    assert_eq!(
        summaries(&plan),
        [
            "Pruned scalable-target shop/api: deregister the scalable target (its policies and scheduled actions go with it)",
            "Pruned ecs-service shop/api: release the service's autoscaling (mooring:autoscaling-hash)",
            // Nothing recorded the count while the autoscaler owned it: no guess.
            "Updated ecs-service shop/api: set desiredCount to 2 (no record of a previous apply: cannot tell whether this is drift or a new declaration)",
            "Updated ecs-service shop/api: record the applied desiredCount (mooring:count=2)",
        ]
    );
    assert!(plan.changes.iter().all(|c| c.group == "us-east-1/shop/api"));
}

#[test]
fn observe_mode_reports_each_difference_and_changes_nothing() {
    let desired = stack_with("      management: observe\n");
    let applied = wanted(&desired);
    let mut drifted = applied.clone();
    drifted.min = 3;
    drifted.scheduled_actions.insert(
        "extra".into(),
        ScheduledAction {
            schedule: "rate(1 hour)".into(),
            timezone: "UTC".into(),
            min: Some(1),
            max: None,
            start: None,
            end: None,
        },
    );
    // Untagged: observe reports drift whoever owns the target.
    let plan = plan_of(&desired, &observed(3, tags(&[]), registered(drifted)));
    assert!(plan.changes.is_empty(), "{plan:#?}");
    let reported: Vec<String> = plan
        .notices
        .iter()
        .map(|n| {
            format!(
                "{} {:?}",
                n.reason,
                n.resource.as_ref().map(ToString::to_string)
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            "DriftDetected Some(\"scalable-target shop/api\")",
            "DriftDetected Some(\"scheduled-action shop/api/extra\")",
        ]
    );
    assert!(plan.notices.iter().all(|n| n.kind == EventType::Warning));
    assert_eq!(plan.notices[0].diff[0].field, "min");
}

#[test]
fn paused_services_are_not_planned() {
    let desired = stack_with("      management: paused\n");
    let plan = plan_of(&desired, &observed(0, tags(&[]), TargetObservation::Absent));
    assert!(
        plan.changes.is_empty() && plan.notices.is_empty(),
        "{plan:#?}"
    );
}

#[test]
fn an_unread_target_plans_nothing_not_even_the_count() {
    for desired in [desired(STACK), desired(NO_SCALING)] {
        let plan = plan_of(
            &desired,
            &observed(9, tags(&[]), TargetObservation::Unknown),
        );
        assert!(plan.changes.is_empty(), "{plan:#?}");
    }
}

#[test]
fn the_digest_is_stable() {
    // Pinned: a different digest for the same spec would turn every drift into an update.
    let target = ScalableTarget {
        min: 1,
        max: 4,
        ..ScalableTarget::default()
    };
    assert_eq!(
        spec_digest(&target),
        spec_digest(&ScalableTarget { ..target.clone() })
    );
    assert_eq!(spec_digest(&target).len(), 64);
    assert_ne!(
        spec_digest(&target),
        spec_digest(&ScalableTarget { max: 5, ..target })
    );
}
