//! Schedule-only passes (`ObserveScope::ScheduleOnly`: the `offhours` Lambda and
//! `--schedule-only`) read ECS services and their scalable targets' own settings, nothing
//! else. What is checked here: from that narrow observation the planner plans exactly the
//! sleep and wake a full observation leads to, and says nothing about what it did not read
//! (no "missing" policies, alarms or topics).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::idempotence::{cases, parse, scenario, Scenario};
use super::*;
use crate::observed::autoscaling::ScalableTarget;
use crate::observed::{
    ObserveScope, ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

/// Whether a notice is about something a schedule-only pass reads: a service, its
/// target, or the stack as a whole (the account check). Prune caps concern alarms and
/// topics.
fn about_what_is_read(notice: &Notice) -> bool {
    match &notice.resource {
        Some(Resource::EcsService { .. } | Resource::ScalableTarget { .. }) => true,
        None => notice.reason != Reason::PruneBlocked,
        Some(_) => false,
    }
}

fn check_schedule_only_plans_what_a_full_pass_would(
    numbers: Vec<u32>,
) -> Result<(), TestCaseError> {
    let Scenario {
        yaml,
        desired,
        mut account,
        now,
    } = scenario(numbers);
    let mut full = schedule_driven(plan(&desired, &account.observe(&desired), now));
    let narrow = account.observe_in(&desired, ObserveScope::ScheduleOnly);
    let unfiltered = plan(&desired, &narrow, now);
    for change in &unfiltered.changes {
        prop_assert!(
            matches!(
                (&change.resource, &change.operation),
                (Resource::EcsService { .. } | Resource::ScalableTarget { .. }, _)
                    // The cluster's stack tag before a sleep's claim: written unread
                    // (idempotent), as the cluster tags are not read (cluster_tags.rs).
                    | (
                        Resource::EcsCluster { .. },
                        Operation::Ecs(EcsOperation::TagCluster { .. })
                    )
            ),
            "planned on what was not read: {change:#?}\n--- desired (at {now})\n{yaml}"
        );
    }
    for notice in &unfiltered.notices {
        prop_assert!(
            about_what_is_read(notice),
            "a notice about what was not read: {notice:#?}\n--- desired (at {now})\n{yaml}"
        );
    }
    let mut scoped = schedule_driven(unfiltered);
    // A full pass that read the cluster tagged leaves that tag out (and the claims' wait
    // for it); else they plan alike.
    let is_cluster = |change: &Change| matches!(change.resource, Resource::EcsCluster { .. });
    scoped.changes.retain(|c| !is_cluster(c));
    full.changes.retain(|c| !is_cluster(c));
    for change in scoped.changes.iter_mut().chain(full.changes.iter_mut()) {
        change.after = None;
    }
    prop_assert_eq!(
        &scoped.changes,
        &full.changes,
        "--- desired (at {})\n{}",
        now,
        yaml
    );
    // The same warnings about services and targets; a target's diff (an `observe`-mode
    // target that left the desired state) without the policies and actions not read.
    let expected: Vec<Notice> = full
        .notices
        .into_iter()
        .filter(about_what_is_read)
        .map(|mut notice| {
            notice.diff.retain(|d| {
                !d.field.starts_with("policies.") && !d.field.starts_with("scheduledActions.")
            });
            notice
        })
        .collect();
    prop_assert_eq!(
        &scoped.notices,
        &expected,
        "--- desired (at {})\n{}",
        now,
        yaml
    );
    // Applied, the sleep or wake is complete: the next schedule-only pass has nothing to do.
    for change in &scoped.changes {
        prop_assert!(account.apply(change).is_ok(), "{change:#?}");
    }
    let again = schedule_driven(plan(
        &desired,
        &account.observe_in(&desired, ObserveScope::ScheduleOnly),
        now,
    ));
    prop_assert!(
        again.changes.is_empty(),
        "a second schedule-only pass planned {:#?}\n--- desired (at {now})\n{yaml}",
        again.changes
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_schedule_only_observation_plans_the_sleep_and_wake_of_a_full_one(numbers in proptest::collection::vec(any::<u32>(), 0..400)) {
        check_schedule_only_plans_what_a_full_pass_would(numbers)?;
    }
}

/// `api` autoscaled with a policy and a scheduled action, `batch` the same under
/// `management: observe`, both on a Berlin office schedule; an alarm and a topic.
const STACK: &str = r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: dev
spec:
  region: us-east-1
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
  topics:
    dev-alerts: {}
  services:
    - cluster: dev
      name: api
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu: { metric: ECSServiceAverageCPUUtilization, target: 70 }
        scheduledActions:
          morning: { schedule: "cron(0 6 * * ? *)", min: 2, max: 4 }
      offHours: { schedule: office, desiredCount: 0 }
      alarms:
        dev-api-cpu-high: { metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 80, comparison: ">", notify: [dev-alerts] }
    - cluster: dev
      name: batch
      management: observe
      autoscaling:
        min: 1
        max: 2
        targetTracking:
          cpu: { metric: ECSServiceAverageCPUUtilization, target: 70 }
      offHours: { schedule: office }
"#;

/// Monday 2026-03-02, 22:00 in Berlin: asleep.
fn night() -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339("2026-03-02T21:00:00Z") {
        Ok(at) => at.with_timezone(&Utc),
        Err(e) => panic!("{e}"),
    }
}

/// What a schedule-only read of a converged, awake account returns: both targets with
/// their settings, no policies or actions (not read), no alerting (not read).
fn schedule_only_observation(scope: ObserveScope) -> Observed {
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        scope,
        ..ObservedStack::default()
    };
    for (name, count, max) in [("api", 3, 4), ("batch", 1, 2)] {
        let target = ScalableTarget {
            min: 1,
            max,
            ..ScalableTarget::default()
        };
        stack.services.insert(
            ServiceKey::new("dev", name),
            ServiceState::Found(ObservedService {
                arn: format!("arn:aws:ecs:us-east-1:123456789012:service/dev/{name}"),
                desired_count: count,
                running_count: count,
                pending_count: 0,
                status: "ACTIVE".into(),
                tags: BTreeMap::from([(STACK_TAG.to_owned(), "dev".to_owned())]),
                scalable_target: TargetObservation::Registered(Box::new(target)),
            }),
        );
    }
    let mut observed = Observed::default();
    observed.stacks.insert("dev".into(), stack);
    observed
}

fn lines(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{:?} {}: {}", c.reason, c.resource, c.summary))
        .chain(
            plan.notices
                .iter()
                .map(|n| format!("{:?} {:?}: {}", n.reason, n.resource, n.message)),
        )
        .collect()
}

#[test]
fn a_schedule_only_pass_sleeps_and_says_nothing_about_what_it_did_not_read() {
    let desired = parse(STACK);
    let plan = plan(
        &desired,
        &schedule_only_observation(ObserveScope::ScheduleOnly),
        night(),
    );
    // Unfiltered: not even the planner's raw output mentions the unread policies,
    // actions, alarms or topics; `batch` (observe mode) is only reported, not slept.
    assert_eq!(
        lines(&plan),
        [
            "Sleep ecs-service dev/api: record the sleep before scaling down (wake count 3, mooring:asleep-since=2026-03-02T21:00:00Z)",
            "Sleep scalable-target dev/api: update the scalable target: max 4 → 0, min 1 → 0, suspended.dynamicScalingInSuspended false → true and 2 more",
            "Sleep ecs-service dev/api: set desiredCount to 0 (wake count 3)",
            "Sleep Some(EcsService { region: \"us-east-1\", cluster: \"dev\", service: \"batch\" }): schedule `office` says asleep: desiredCount would go to 0; management is `observe`, so it is only reported",
        ]
    );
}

/// The same observation taken as a full one: the policies and actions that were not read
/// would be created again, and `batch` would report them as drift. This is what the scope
/// prevents.
#[test]
fn without_the_scope_unread_policies_would_look_missing() {
    let desired = parse(STACK);
    let plan = plan(
        &desired,
        &schedule_only_observation(ObserveScope::Everything),
        night(),
    );
    let lines = lines(&plan);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Created scaling-policy dev/api/cpu")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DriftDetected Some(ScalingPolicy")),
        "{lines:#?}"
    );
}
