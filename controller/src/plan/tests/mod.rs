//! The planner's tests: desired state from YAML, observations built by hand (here and
//! in one file per concern), and a pure model of what AWS does with each change
//! (`aws_model/`) for the property tests (`idempotence.rs`, `schedule_scope.rs`).

mod alarm_policies;
mod alerting;
mod autoscaling;
mod aws_model;
mod cluster_tags;
mod container_insights;
mod idempotence;
mod init_round_trip;
mod offhours;
mod reasons;
mod release;
mod schedule_scope;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use desired_state::DesiredState;

use super::offhours::SCHEDULE_REASONS;
use super::tags::*;
use super::*;
use crate::events::EventType;
use crate::observed::{
    ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

fn desired(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("test.yaml"), yaml.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

const STACK: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: shop
spec:
  account: "123456789012"
  region: us-east-1
  services:
    - cluster: shop
      name: web
      desiredCount: 2
    - cluster: shop
      name: api
      autoscaling: { min: 1, max: 4 }
    - cluster: shop
      name: worker
      desiredCount: 1
      management: observe
    - cluster: shop
      name: batch
      desiredCount: 3
      management: paused
    - cluster: shop
      name: cron
"#;

/// A service this stack already claimed (the first full pass tags it).
fn found(count: u32) -> ServiceState {
    ServiceState::Found(ObservedService {
        arn: "arn:aws:ecs:us-east-1:123456789012:service/shop/x".into(),
        desired_count: count,
        running_count: count,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags: BTreeMap::from([(STACK_TAG.to_owned(), "shop".to_owned())]),
        scalable_target: TargetObservation::Absent,
    })
}

/// A service mooring set to `recorded` at its last apply (`mooring:count`), now at `count`.
fn applied(count: u32, recorded: u32) -> ServiceState {
    let ServiceState::Found(mut service) = found(count) else {
        unreachable!()
    };
    service
        .tags
        .insert(COUNT_TAG.to_owned(), recorded.to_string());
    ServiceState::Found(service)
}

/// `api` as a converged autoscaled service: its target matches the desired state and
/// carries this stack's tags.
fn converged_api(count: u32) -> ServiceState {
    let desired = desired(STACK);
    let Some(scaling) = desired.stacks[0].services[1].autoscaling.as_ref() else {
        panic!("api declares autoscaling");
    };
    let target = crate::plan::autoscaling::desired_target(scaling);
    let ServiceState::Found(mut service) = found(count) else {
        unreachable!()
    };
    service.tags = BTreeMap::from([
        (STACK_TAG.to_owned(), "shop".to_owned()),
        (
            AUTOSCALING_HASH_TAG.to_owned(),
            crate::plan::autoscaling::spec_digest(&target),
        ),
    ]);
    service.scalable_target = TargetObservation::Registered(Box::new(target));
    ServiceState::Found(service)
}

fn observed(services: &[(&str, ServiceState)]) -> Observed {
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
    for (name, state) in services {
        stack
            .services
            .insert(ServiceKey::new("shop", *name), state.clone());
    }
    let mut observed = Observed::default();
    observed.stacks.insert("shop".into(), stack);
    observed
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

#[test]
fn drifted_count_of_an_owned_service_is_corrected() {
    let plan = plan(
        &desired(STACK),
        &observed(&[
            ("web", applied(5, 2)),
            ("api", converged_api(3)),
            ("worker", found(1)),
            ("cron", found(2)),
        ]),
        now(),
    );
    assert_eq!(plan.changes.len(), 1, "{plan:#?}");
    let change = &plan.changes[0];
    assert_eq!(change.resource.to_string(), "ecs-service shop/web");
    assert_eq!(change.reason, Reason::DriftCorrected);
    assert_eq!(
        change.operation,
        Operation::Ecs(EcsOperation::SetDesiredCount { count: 2 })
    );
    assert_eq!(change.diff[0].field, "desiredCount");
    assert_eq!(change.diff[0].before, serde_json::json!(5));
    assert_eq!(change.diff[0].after, serde_json::json!(2));
    assert!(plan.notices.is_empty(), "{plan:#?}");
}

#[test]
fn converged_account_plans_nothing() {
    let plan = plan(
        &desired(STACK),
        &observed(&[
            ("web", applied(2, 2)),
            ("api", converged_api(4)),
            ("worker", found(1)),
            ("cron", found(0)),
        ]),
        now(),
    );
    assert!(plan.is_empty(), "{plan:#?}");
    assert!(plan.notices.is_empty());
}

#[test]
fn the_autoscaler_owns_the_count_when_autoscaling_is_declared() {
    // api declares autoscaling 1..4; any count is the autoscaler's business.
    for count in [0, 1, 3, 9] {
        let plan = plan(
            &desired(STACK),
            &observed(&[("api", converged_api(count))]),
            now(),
        );
        assert!(plan.changes.is_empty(), "count {count}: {plan:#?}");
    }
}

#[test]
fn observe_mode_reports_drift_and_changes_nothing() {
    let plan = plan(&desired(STACK), &observed(&[("worker", found(4))]), now());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].reason, Reason::DriftDetected);
    assert_eq!(plan.notices[0].kind, EventType::Warning);
    assert_eq!(plan.notices[0].diff[0].before, serde_json::json!(4));
}

#[test]
fn paused_services_are_skipped_even_when_missing() {
    let plan = plan(
        &desired(STACK),
        &observed(&[(
            "batch",
            ServiceState::Missing {
                why: "MISSING".into(),
            },
        )]),
        now(),
    );
    assert!(plan.changes.is_empty());
    assert!(plan.notices.is_empty(), "{plan:#?}");
}

#[test]
fn a_missing_service_is_reported_never_created() {
    let plan = plan(
        &desired(STACK),
        &observed(&[(
            "web",
            ServiceState::Missing {
                why: "ECS says MISSING".into(),
            },
        )]),
        now(),
    );
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices[0].reason, Reason::ServiceNotFound);
    assert!(plan.notices[0].message.contains("ECS says MISSING"));
}

#[test]
fn an_untagged_managed_service_is_claimed_with_its_count_record_and_only_once() {
    let ServiceState::Found(mut web) = found(5) else {
        unreachable!()
    };
    web.tags.clear();
    let claimed = plan(
        &desired(STACK),
        &observed(&[("web", ServiceState::Found(web))]),
        now(),
    );
    let ops: Vec<_> = claimed.changes.iter().map(|c| &c.operation).collect();
    // The count, then one TagResource: the claim with the record of the count applied
    // (mooring:count). A plain service has nothing the claim must precede.
    assert_eq!(claimed.changes.len(), 2, "{claimed:#?}");
    assert_eq!(
        ops[0],
        &Operation::Ecs(EcsOperation::SetDesiredCount { count: 2 })
    );
    assert_eq!(
        ops[1],
        &Operation::Ecs(EcsOperation::TagService {
            arn: "arn:aws:ecs:us-east-1:123456789012:service/shop/x".into(),
            tags: BTreeMap::from([
                (COUNT_TAG.to_owned(), "2".to_owned()),
                (STACK_TAG.to_owned(), "shop".to_owned())
            ]),
        })
    );
    assert_eq!(claimed.changes[1].reason, Reason::Adopted);
    // `observe` never writes, not even the claim.
    let ServiceState::Found(mut worker) = found(1) else {
        unreachable!()
    };
    worker.tags.clear();
    let observed_plan = plan(
        &desired(STACK),
        &observed(&[("worker", ServiceState::Found(worker))]),
        now(),
    );
    assert!(observed_plan.is_empty(), "{observed_plan:#?}");
}

#[test]
fn a_missing_service_suggests_the_nearest_name_in_its_cluster() {
    let mut observed = observed(&[(
        "web",
        ServiceState::Missing {
            why: "ECS says MISSING".into(),
        },
    )]);
    if let Some(stack) = observed.stacks.get_mut("shop") {
        stack.listed = Some(BTreeMap::from([(
            "shop".to_owned(),
            vec!["webs".to_owned(), "worker".to_owned()],
        )]));
    }
    let plan = plan(&desired(STACK), &observed, now());
    assert_eq!(plan.notices[0].reason, Reason::ServiceNotFound);
    assert!(
        plan.notices[0].message.contains("did you mean `webs`?"),
        "{}",
        plan.notices[0].message
    );
}

#[test]
fn a_service_without_a_declared_count_is_left_alone() {
    let plan = plan(&desired(STACK), &observed(&[("cron", found(7))]), now());
    assert!(plan.is_empty());
}

#[test]
fn unobserved_resources_are_not_planned_blind() {
    // Observation of the stack failed entirely, or of one service.
    assert!(plan(&desired(STACK), &Observed::default(), now()).is_empty());
    assert!(plan(&desired(STACK), &observed(&[]), now()).is_empty());
}

#[test]
fn another_account_is_never_touched() {
    let mut seen = observed(&[("web", found(5))]);
    if let Some(stack) = seen.stacks.get_mut("shop") {
        stack.account = Some("999999999999".into());
    }
    let plan = plan(&desired(STACK), &seen, now());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.notices[0].reason, Reason::AccountMismatch);
    assert!(plan.notices[0].message.contains("999999999999"));
}

#[test]
fn planning_is_deterministic() {
    let seen = observed(&[("web", found(5)), ("worker", found(4))]);
    let first = plan(&desired(STACK), &seen, now());
    for _ in 0..10 {
        assert_eq!(plan(&desired(STACK), &seen, now()), first);
    }
}
