//! Release planner tests: services a stack no longer declares, found by the listing of
//! its clusters (`ObservedStack::undeclared`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::super::tags::*;
use super::*;
use crate::events::EventType;
use crate::observed::autoscaling::{ScalableTarget, SuspendedState};
use crate::observed::{ObservedService, ObservedStack, ServiceKey, TargetObservation};

/// The stack still declares `keep` in cluster `dev`.
const STACK: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: dev
spec:
  region: us-east-1
  services:
    - cluster: dev
      name: keep
      desiredCount: 1
"#;

fn desired(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), yaml.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn undeclared(
    count: u32,
    tags: BTreeMap<String, String>,
    target: TargetObservation,
) -> ObservedService {
    ObservedService {
        arn: "arn:aws:ecs:us-east-1:123456789012:service/dev/gone".into(),
        desired_count: count,
        running_count: count,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags,
        scalable_target: target,
    }
}

fn frozen() -> TargetObservation {
    let mut target = ScalableTarget {
        min: 0,
        max: 0,
        suspended: SuspendedState {
            dynamic_scaling_in_suspended: true,
            dynamic_scaling_out_suspended: true,
            scheduled_scaling_suspended: true,
        },
        ..ScalableTarget::default()
    };
    target.policies.insert(
        "cpu".into(),
        crate::observed::autoscaling::ScalingPolicy::Other {
            policy_type: "TargetTrackingScaling".into(),
        },
    );
    TargetObservation::Registered(Box::new(target))
}

fn plan_with(services: &[(&str, &str, ObservedService)]) -> Plan {
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        ..ObservedStack::default()
    };
    for (cluster, name, service) in services {
        stack
            .undeclared
            .insert(ServiceKey::new(*cluster, *name), service.clone());
    }
    let mut observed = Observed::default();
    observed.stacks.insert("dev".into(), stack);
    plan(
        &desired(STACK),
        &observed,
        Utc.with_ymd_and_hms(2026, 3, 2, 21, 0, 0).unwrap(),
    )
}

fn summaries(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{:?} {}: {}", c.reason, c.resource, c.summary))
        .collect()
}

#[test]
fn a_sleeping_autoscaled_service_is_unfrozen_woken_and_untagged_last() {
    let service = undeclared(
        0,
        tags(&[
            (STACK_TAG, "dev"),
            (AUTOSCALING_HASH_TAG, "abc"),
            (WAKE_COUNT_TAG, "3"),
            (WAKE_RANGE_TAG, "1-4"),
            (ASLEEP_SINCE_TAG, "2026-03-02T19:00:00Z"),
            ("team", "payments"),
        ]),
        frozen(),
    );
    let plan = plan_with(&[("dev", "gone", service)]);
    assert_eq!(
        summaries(&plan),
        [
            "Released scaling-policy dev/gone/cpu: delete scaling policy cpu",
            "Released scalable-target dev/gone: unfreeze the scalable target (min 1, max 4, scaling resumed)",
            "Released ecs-service dev/gone: set desiredCount to its wake count 3",
            "Released ecs-service dev/gone: release the service: it left stack dev's desired state (remove mooring:asleep-since, mooring:autoscaling-hash, mooring:stack, mooring:wake-count, mooring:wake-range)",
        ]
    );
    // One group: the tags (what lets the next pass finish) go only after the rest.
    assert!(plan.changes.iter().all(|c| c.group == "us-east-1/dev/gone"));
    let Operation::Ecs(EcsOperation::UntagService { keys, .. }) = &plan.changes[3].operation else {
        panic!("{:?}", plan.changes[3].operation)
    };
    assert!(!keys.contains(&"team".to_owned()), "other tags are kept");
}

#[test]
fn a_half_done_release_plans_only_what_is_left() {
    // A crash after the target and the count: only the tags remain.
    let target = ScalableTarget {
        min: 1,
        max: 4,
        ..ScalableTarget::default()
    };
    let service = undeclared(
        3,
        tags(&[
            (STACK_TAG, "dev"),
            (AUTOSCALING_HASH_TAG, "abc"),
            (WAKE_COUNT_TAG, "3"),
            (WAKE_RANGE_TAG, "1-4"),
        ]),
        TargetObservation::Registered(Box::new(target)),
    );
    let plan = plan_with(&[("dev", "gone", service)]);
    assert_eq!(plan.changes.len(), 1, "{plan:#?}");
    assert!(matches!(
        plan.changes[0].operation,
        Operation::Ecs(EcsOperation::UntagService { .. })
    ));
}

#[test]
fn a_plain_service_is_woken_and_a_range_never_recorded_falls_back_to_the_wake_count() {
    let plain = undeclared(
        0,
        tags(&[(STACK_TAG, "dev"), (WAKE_COUNT_TAG, "2")]),
        TargetObservation::Absent,
    );
    let old = undeclared(
        0,
        tags(&[
            (STACK_TAG, "dev"),
            (AUTOSCALING_HASH_TAG, "abc"),
            (WAKE_COUNT_TAG, "2"),
        ]),
        frozen(),
    );
    let plan = plan_with(&[("dev", "plain", plain), ("dev", "old", old)]);
    let summaries = summaries(&plan);
    assert!(
        summaries.contains(
            &"Released ecs-service dev/plain: set desiredCount to its wake count 2".to_owned()
        ),
        "{summaries:#?}"
    );
    assert!(
        summaries.contains(&"Released scalable-target dev/old: unfreeze the scalable target (min 2, max 2, scaling resumed)".to_owned()),
        "{summaries:#?}"
    );
}

#[test]
fn nothing_is_released_blind_and_someone_elses_target_is_left_alone() {
    // Target not read: nothing at all.
    let unread = undeclared(
        0,
        tags(&[(STACK_TAG, "dev"), (WAKE_COUNT_TAG, "2")]),
        TargetObservation::Unknown,
    );
    // A target without mooring's digest is not mooring's: only the count and the tags.
    let foreign = undeclared(1, tags(&[(STACK_TAG, "dev")]), frozen());
    let plan = plan_with(&[("dev", "unread", unread), ("dev", "foreign", foreign)]);
    assert_eq!(
        summaries(&plan),
        ["Released ecs-service dev/foreign: release the service: it left stack dev's desired state (remove mooring:stack)"]
    );
}

#[test]
fn a_leftover_of_an_undeclared_stack_is_a_warning_naming_the_command() {
    let leftover = undeclared(
        0,
        tags(&[(STACK_TAG, "old-shop")]),
        TargetObservation::Unknown,
    );
    // Another loaded stack's service is that stack's business; untagged bookkeeping
    // says nothing about whose it is.
    let mut two_stacks = desired(STACK);
    two_stacks
        .stacks
        .extend(desired(&STACK.replace("name: dev", "name: other")).stacks);
    let declared_other = undeclared(0, tags(&[(STACK_TAG, "other")]), TargetObservation::Unknown);
    let ownerless = undeclared(
        0,
        tags(&[(WAKE_COUNT_TAG, "2")]),
        TargetObservation::Unknown,
    );
    // In a cluster the stack's services are not in: not its to report.
    let elsewhere = undeclared(
        0,
        tags(&[(STACK_TAG, "old-shop")]),
        TargetObservation::Unknown,
    );
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        ..ObservedStack::default()
    };
    for (cluster, name, service) in [
        ("dev", "leftover", leftover),
        ("dev", "theirs", declared_other),
        ("dev", "ownerless", ownerless),
        ("batch", "elsewhere", elsewhere),
    ] {
        stack
            .undeclared
            .insert(ServiceKey::new(cluster, name), service);
    }
    let mut observed = Observed::default();
    observed.stacks.insert("dev".into(), stack);
    let plan = plan(
        &two_stacks,
        &observed,
        Utc.with_ymd_and_hms(2026, 3, 2, 21, 0, 0).unwrap(),
    );
    assert!(plan.changes.is_empty(), "{plan:#?}");
    assert_eq!(plan.notices.len(), 1, "{plan:#?}");
    let notice = &plan.notices[0];
    assert_eq!(notice.kind, EventType::Warning);
    assert_eq!(notice.reason, Reason::NotOwned);
    assert!(
        notice
            .message
            .contains("`mooring release old-shop --region us-east-1 --cluster dev`"),
        "{}",
        notice.message
    );
}
