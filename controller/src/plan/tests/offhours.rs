//! Off-hours planner tests: a simulated day against an in-memory account that applies
//! planned changes the way AWS would, including passes cut short by a crash.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;

use super::*;
use crate::observed::autoscaling::ScalableTarget;
use crate::observed::{
    ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

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
  services:
    - cluster: dev
      name: web
      desiredCount: 2
      offHours: { schedule: office }
    - cluster: dev
      name: api
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu: { metric: ECSServiceAverageCPUUtilization, target: 70 }
      offHours: { schedule: office, desiredCount: 0 }
"#;

fn desired() -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), STACK.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&Utc),
        Err(e) => panic!("bad instant {text}: {e}"),
    }
}

/// Monday 2026-03-02 in Berlin (UTC+1): awake 06:00-19:00 UTC.
const DAY: &str = "2026-03-02T12:00:00Z";
const NIGHT: &str = "2026-03-02T21:00:00Z";
const MORNING: &str = "2026-03-03T06:30:00Z";

fn service(count: u32, target: TargetObservation) -> ServiceState {
    ServiceState::Found(ObservedService {
        arn: "arn:aws:ecs:us-east-1:123456789012:service/dev/x".into(),
        desired_count: count,
        running_count: count,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags: BTreeMap::new(),
        scalable_target: target,
    })
}

/// `web` at 2 without autoscaling, `api` at 3 with its target not yet registered.
fn account() -> Observed {
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        ..ObservedStack::default()
    };
    stack.services.insert(
        ServiceKey::new("dev", "web"),
        service(2, TargetObservation::Absent),
    );
    stack.services.insert(
        ServiceKey::new("dev", "api"),
        service(3, TargetObservation::Absent),
    );
    let mut observed = Observed::default();
    observed.stacks.insert("dev".into(), stack);
    observed
}

fn found<'a>(observed: &'a mut Observed, name: &str) -> &'a mut ObservedService {
    let stack = observed
        .stacks
        .get_mut("dev")
        .unwrap_or_else(|| panic!("no stack"));
    match stack.services.get_mut(&ServiceKey::new("dev", name)) {
        Some(ServiceState::Found(found)) => found,
        other => panic!("{name}: {other:?}"),
    }
}

/// Applies changes the way AWS would (only what the planner reads back matters).
fn apply(observed: &mut Observed, changes: &[Change]) {
    for change in changes {
        let name = match &change.resource {
            // The cluster's stack tag: nothing the off-hours planner reads back.
            Resource::EcsCluster { .. } => continue,
            Resource::EcsService { service, .. }
            | Resource::ScalableTarget { service, .. }
            | Resource::ScalingPolicy { service, .. }
            | Resource::ScheduledAction { service, .. } => service.clone(),
            // Off-hours never touches alerting; these tests declare none.
            Resource::Alarm { .. }
            | Resource::Topic { .. }
            | Resource::Subscription { .. }
            | Resource::Dashboard { .. }
            | Resource::LambdaPermission { .. } => {
                panic!("off-hours planned an alerting change: {change:?}")
            }
        };
        let found = found(observed, &name);
        match &change.operation {
            Operation::Ecs(EcsOperation::SetDesiredCount { count }) => found.desired_count = *count,
            Operation::Ecs(EcsOperation::TagService { tags, .. }) => {
                found.tags.extend(tags.clone());
            }
            Operation::Ecs(EcsOperation::UntagService { keys, .. }) => {
                for key in keys {
                    found.tags.remove(key);
                }
            }
            Operation::Autoscaling(AutoscalingOperation::RegisterScalableTarget {
                min,
                max,
                suspended,
            }) => {
                let mut target = match &found.scalable_target {
                    TargetObservation::Registered(target) => (**target).clone(),
                    _ => ScalableTarget::default(),
                };
                target.min = *min;
                target.max = *max;
                target.suspended = *suspended;
                // Like Application Auto Scaling: the count moves into the new range.
                found.desired_count = found.desired_count.clamp(*min, *max);
                found.scalable_target = TargetObservation::Registered(Box::new(target));
            }
            Operation::Autoscaling(AutoscalingOperation::PutScalingPolicy { policy }) => {
                if let Resource::ScalingPolicy { policy: name, .. } = &change.resource {
                    if let TargetObservation::Registered(target) = &mut found.scalable_target {
                        target.policies.insert(name.clone(), policy.clone());
                    }
                }
            }
            other => panic!("unexpected operation {other:?}"),
        }
    }
}

/// One full pass at `at`; returns the plan it applied.
fn pass(observed: &mut Observed, at: &str) -> Plan {
    let plan = plan(&desired(), observed, utc(at));
    apply(observed, &plan.changes);
    plan
}

fn summaries(plan: &Plan, service: &str) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.resource.to_string().ends_with(&format!("/{service}")))
        .map(|c| format!("{:?}: {}", c.reason, c.summary))
        .collect()
}

fn target_of(observed: &mut Observed, name: &str) -> (u32, u32, bool) {
    match &found(observed, name).scalable_target {
        TargetObservation::Registered(t) => {
            (t.min, t.max, t.suspended.dynamic_scaling_in_suspended)
        }
        other => panic!("{name}: no target: {other:?}"),
    }
}

#[test]
fn a_day_sleeps_at_night_and_wakes_with_the_counts_it_had() {
    let mut account = account();
    pass(&mut account, DAY);
    found(&mut account, "api").desired_count = 3; // the autoscaler scaled out during the day
    assert!(
        plan(&desired(), &account, utc(DAY)).is_empty(),
        "converged by day"
    );

    let night = pass(&mut account, NIGHT);
    assert_eq!(
        summaries(&night, "web"),
        [
            "Sleep: record the sleep before scaling down (wake count 2, mooring:asleep-since=2026-03-02T21:00:00Z)",
            "Sleep: set desiredCount to 0 (wake count 2)",
        ]
    );
    assert_eq!(
        summaries(&night, "api"),
        [
            "Sleep: record the sleep before scaling down (wake count 3, mooring:asleep-since=2026-03-02T21:00:00Z)",
            "Sleep: update the scalable target: max 4 → 0, min 1 → 0, suspended.dynamicScalingInSuspended false → true and 2 more",
            "Sleep: set desiredCount to 0 (wake count 3)",
        ]
    );
    // One tag write per service for the sleep, one for the wake (issue 16).
    let tag_writes = |plan: &Plan| {
        plan.changes
            .iter()
            .filter(|c| {
                matches!(
                    c.operation,
                    Operation::Ecs(
                        EcsOperation::TagService { .. } | EcsOperation::UntagService { .. }
                    )
                )
            })
            .count()
    };
    assert_eq!(tag_writes(&night), 2);
    assert_eq!(found(&mut account, "web").desired_count, 0);
    assert_eq!(found(&mut account, "api").desired_count, 0);
    assert_eq!(target_of(&mut account, "api"), (0, 0, true));
    // Asleep and converged: the next pass of the night changes nothing, and the normal
    // count and autoscaling reconciliation do not fight the sleep.
    assert!(plan(&desired(), &account, utc("2026-03-03T03:00:00Z")).is_empty());

    let morning = pass(&mut account, MORNING);
    assert_eq!(
        summaries(&morning, "web"),
        [
            "Wake: set desiredCount to 2",
            "Wake: remove mooring:wake-count, mooring:asleep-since",
        ]
    );
    assert_eq!(tag_writes(&morning), 2);
    assert_eq!(found(&mut account, "web").desired_count, 2);
    assert_eq!(found(&mut account, "api").desired_count, 3);
    assert_eq!(target_of(&mut account, "api"), (1, 4, false));
    assert!(!found(&mut account, "api").tags.contains_key(WAKE_COUNT_TAG));
    assert!(plan(&desired(), &account, utc(MORNING)).is_empty());
}

/// The sleep is recorded (asleep-since included) before the scale-down, so the pass after
/// a crash in between finds a service at its recorded wake count while asleep: it cannot
/// tell that from someone setting the count back, so it warns naming both, and counts
/// nothing.
#[test]
fn a_crash_between_the_tag_and_the_scale_down_loses_no_wake_count() {
    let mut account = account();
    pass(&mut account, DAY);
    let night = plan(&desired(), &account, utc(NIGHT));
    // Only the first change of each service's group made it before the crash.
    let first: Vec<Change> = night
        .changes
        .iter()
        .filter(|c| c.summary.starts_with("record the sleep"))
        .cloned()
        .collect();
    assert_eq!(first.len(), 2);
    apply(&mut account, &first);
    assert_eq!(found(&mut account, "web").desired_count, 2);

    let again = pass(&mut account, "2026-03-02T21:05:00Z");
    assert!(
        !again
            .changes
            .iter()
            .any(|c| c.summary.starts_with("record")),
        "the wake count is never rewritten: {again:#?}"
    );
    let warnings: Vec<&str> = again
        .notices
        .iter()
        .filter(|n| n.reason == Reason::SleepInterrupted)
        .map(|n| n.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "web and api: {again:#?}");
    for warning in warnings {
        assert!(
            warning.contains("stopped before scaling down")
                && warning.contains("set it back to its awake count"),
            "both causes named: {warning}"
        );
    }
    assert!(
        !again
            .changes
            .iter()
            .any(|c| c.reason == Reason::SleepInterrupted),
        "nothing counted: {again:#?}"
    );
    assert!(
        !found(&mut account, "web")
            .tags
            .contains_key(SLEEP_INTERRUPTIONS_TAG),
        "a crash is not counted as churn"
    );
    assert_eq!(found(&mut account, "web").desired_count, 0);
    assert_eq!(found(&mut account, "web").tags[WAKE_COUNT_TAG], "2");
    assert_eq!(found(&mut account, "api").tags[WAKE_COUNT_TAG], "3");
    assert!(plan(&desired(), &account, utc(NIGHT)).is_empty());
}

#[test]
fn a_crash_between_the_scale_up_and_the_tag_removal_converges() {
    let mut account = account();
    pass(&mut account, DAY);
    pass(&mut account, NIGHT);
    let morning = plan(&desired(), &account, utc(MORNING));
    let scale_up: Vec<Change> = morning
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c.operation,
                Operation::Ecs(EcsOperation::UntagService { .. })
            )
        })
        .cloned()
        .collect();
    apply(&mut account, &scale_up);
    assert!(found(&mut account, "web").tags.contains_key(WAKE_COUNT_TAG));

    let again = pass(&mut account, "2026-03-03T06:35:00Z");
    assert_eq!(
        summaries(&again, "web"),
        ["Wake: remove mooring:wake-count, mooring:asleep-since"]
    );
    assert_eq!(found(&mut account, "web").desired_count, 2);
    assert_eq!(found(&mut account, "api").desired_count, 3);
    assert!(plan(&desired(), &account, utc(MORNING)).is_empty());
}

#[test]
fn waking_by_someone_else_is_put_back_and_counted() {
    let mut account = account();
    pass(&mut account, DAY);
    pass(&mut account, NIGHT);
    for times in 1..=3 {
        // A deploy sets a count mooring never recorded: certainly not mooring's doing.
        found(&mut account, "web").desired_count = 3;
        let night = pass(&mut account, "2026-03-02T23:00:00Z");
        let warning = night
            .notices
            .iter()
            .find(|n| n.reason == Reason::SleepInterrupted)
            .unwrap_or_else(|| panic!("no warning: {night:#?}"));
        assert!(
            warning.message.contains(&format!("{times} time(s)")),
            "{}",
            warning.message
        );
        assert_eq!(found(&mut account, "web").desired_count, 0);
        assert_eq!(found(&mut account, "web").tags[WAKE_COUNT_TAG], "2");
    }
    // Back to exactly the recorded wake count: a crashed pass looks the same, so the
    // warning names both causes and the count stays.
    found(&mut account, "web").desired_count = 2;
    let night = pass(&mut account, "2026-03-02T23:30:00Z");
    assert!(
        night
            .notices
            .iter()
            .any(|n| n.reason == Reason::SleepInterrupted
                && n.message
                    .contains("either the pass that recorded the sleep stopped")),
        "{night:#?}"
    );
    assert_eq!(found(&mut account, "web").desired_count, 0);
    assert_eq!(
        found(&mut account, "web").tags[SLEEP_INTERRUPTIONS_TAG],
        "3"
    );
    pass(&mut account, MORNING);
    assert!(!found(&mut account, "web")
        .tags
        .contains_key(SLEEP_INTERRUPTIONS_TAG));
}

#[test]
fn override_tags_keep_a_service_awake_until_they_expire() {
    let mut account = account();
    pass(&mut account, DAY);
    found(&mut account, "web")
        .tags
        .insert(AWAKE_UNTIL_TAG.into(), "2026-03-02T23:00:00+01:00".into());
    let night = pass(&mut account, NIGHT);
    assert!(summaries(&night, "web").is_empty(), "{night:#?}");
    let later = pass(&mut account, "2026-03-02T22:00:00Z");
    assert_eq!(summaries(&later, "web").len(), 2);
    assert_eq!(found(&mut account, "web").desired_count, 0);
}

#[test]
fn the_lambda_applies_only_schedule_driven_changes() {
    let mut account = account();
    // By night, before any full pass: api's target does not exist yet (a Created change,
    // not the Lambda's business), web is drifted and goes to sleep.
    found(&mut account, "web").desired_count = 5;
    let plan = schedule_driven(plan(&desired(), &account, utc(NIGHT)));
    assert!(plan
        .changes
        .iter()
        .all(|c| SCHEDULE_REASONS.contains(&c.reason)));
    assert_eq!(
        summaries(&plan, "web"),
        [
            "Sleep: record the sleep before scaling down (wake count 5, mooring:asleep-since=2026-03-02T21:00:00Z)",
            "Sleep: set desiredCount to 0 (wake count 5)",
        ]
    );
    assert!(!summaries(&plan, "api")
        .iter()
        .any(|s| s.contains("register")));
}

/// Found by the planner's property test: a service without declared autoscaling whose
/// count a foreign scalable target owns was "put to sleep" (tags written, count untouched),
/// and every later pass counted a sleep interruption.
#[test]
fn a_service_whose_count_a_foreign_target_owns_is_not_put_to_sleep() {
    let mut observed = account();
    found(&mut observed, "web").scalable_target =
        TargetObservation::Registered(Box::new(ScalableTarget {
            min: 1,
            max: 6,
            ..ScalableTarget::default()
        }));
    for _ in 0..2 {
        let plan = pass(&mut observed, NIGHT);
        assert!(summaries(&plan, "web").is_empty(), "{plan:#?}");
        assert!(
            plan.notices
                .iter()
                .any(|n| n.reason == Reason::ManagedElsewhere
                    && n.message.contains("not put to sleep")),
            "{plan:#?}"
        );
    }
    let web = found(&mut observed, "web");
    assert_eq!(web.desired_count, 2);
    assert!(web.tags.is_empty(), "{:?}", web.tags);
}

#[test]
fn an_observed_service_is_reported_at_night_but_never_put_to_sleep() {
    let observed_stack = STACK.replace(
        "      desiredCount: 2\n      offHours: { schedule: office }",
        "      desiredCount: 2\n      offHours: { schedule: office }\n      management: observe",
    );
    assert_ne!(
        observed_stack, STACK,
        "the fixture changed: update the replacement"
    );
    let desired = match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), observed_stack)])
    {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    };
    let account = account();
    let sleep_notices = |plan: &Plan| -> Vec<(EventType, String, String)> {
        plan.notices
            .iter()
            .filter(|n| {
                n.reason == Reason::Sleep
                    && n.resource
                        .as_ref()
                        .is_some_and(|r| r.to_string().ends_with("/web"))
            })
            .map(|n| (n.kind, n.message.clone(), format!("{:?}", n.diff)))
            .collect()
    };

    let night = plan(&desired, &account, utc(NIGHT));
    assert!(summaries(&night, "web").is_empty(), "{night:?}");
    let notices = sleep_notices(&night);
    assert_eq!(notices.len(), 1, "{night:?}");
    assert_eq!(notices[0].0, EventType::Normal);
    assert!(
        notices[0].1.contains("schedule `office` says asleep") && notices[0].1.contains("observe"),
        "{notices:?}"
    );
    assert!(notices[0].2.contains("desiredCount"), "{notices:?}");
    // The offhours Lambda keeps it, so the schedule's effect is visible there too.
    assert_eq!(sleep_notices(&schedule_driven(night)).len(), 1);

    // By day, and at night once something else scaled it down, there is nothing to say.
    assert!(sleep_notices(&plan(&desired, &account, utc(DAY))).is_empty());
    let mut scaled_down = account;
    found(&mut scaled_down, "web").desired_count = 0;
    let quiet = plan(&desired, &scaled_down, utc(NIGHT));
    assert!(sleep_notices(&quiet).is_empty(), "{quiet:?}");
    assert!(summaries(&quiet, "web").is_empty(), "{quiet:?}");
}

/// `--now T` (or the Lambda's scheduled instant) decides the schedule; the tag records when
/// the sleep really happened, so a later reader is not told the night began at T.
#[test]
fn a_sleep_planned_at_another_instant_records_the_wall_clock_time() {
    let mut account = account();
    pass(&mut account, DAY);
    let wall = utc("2026-07-15T09:30:00Z");
    let night = plan(&desired(), &account, Clock::new(utc(NIGHT), wall));
    assert_eq!(
        summaries(&night, "web").first().map(String::as_str),
        Some("Sleep: record the sleep before scaling down (wake count 2, mooring:asleep-since=2026-07-15T09:30:00Z)")
    );
}
