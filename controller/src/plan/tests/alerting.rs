//! Planner tests for alarms, topics and subscriptions: observations built by hand.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::*;
use crate::observed::alerting::{
    Alerting, Marker, ObservedAlarm, ObservedSubscription, ObservedTopic, SubscriptionSettings,
    TopicSettings,
};
use crate::observed::ObservedStack;
use crate::plan::alarms::{declared_digest, desired_spec};

fn desired(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("test.yaml"), yaml.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

const PREFIX: &str = "arn:aws:sns:us-east-1:123456789012:";

fn stack(alarms: &str, extra: &str) -> DesiredState {
    desired(&format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: shop\nspec:\n  region: us-east-1\n{extra}  topics:\n    shop-alerts:\n      subscriptions:\n        - {{ protocol: email, endpoint: ops@example.com }}\n  alarms:\n{alarms}"
    ))
}

fn alarm(name: &str, threshold: u32) -> String {
    format!("    {name}: {{ namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 300s, evaluationPeriods: 2, threshold: {threshold}, comparison: \">\", notify: [shop-alerts] }}\n")
}

fn topic(confirmed: bool) -> ObservedTopic {
    let digest_shape_unknown = BTreeMap::from([(STACK_TAG.to_owned(), "shop".to_owned())]);
    ObservedTopic {
        arn: format!("{PREFIX}shop-alerts"),
        tags: digest_shape_unknown,
        settings: TopicSettings::default(),
        subscriptions: Some(vec![ObservedSubscription {
            arn: confirmed.then(|| format!("{PREFIX}shop-alerts:1")),
            protocol: "email".into(),
            endpoint: "ops@example.com".into(),
            settings: SubscriptionSettings::default(),
        }]),
    }
}

/// The alarms of `state` as mooring would have put them (marker of this stack).
fn as_put(
    state: &DesiredState,
    alerting: &Alerting,
    tags: bool,
) -> BTreeMap<String, ObservedAlarm> {
    state
        .alarms()
        .map(|(name, declared)| {
            let spec = desired_spec(declared, alerting, None);
            let observed = ObservedAlarm {
                arn: format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"),
                marker: Some(Marker {
                    stack: "shop".into(),
                    digest: declared_digest(declared, None),
                }),
                spec,
                tags: tags.then(|| BTreeMap::from([(STACK_TAG.to_owned(), "shop".to_owned())])),
                state: None,
            };
            (name.to_owned(), observed)
        })
        .collect()
}

fn run(state: &DesiredState, alerting: Alerting) -> Plan {
    let observed = Observed {
        stacks: BTreeMap::from([(
            "shop".to_owned(),
            ObservedStack {
                region: "us-east-1".into(),
                alerting: Some(alerting),
                ..ObservedStack::default()
            },
        )]),
    };
    plan(state, &observed, Utc.timestamp_opt(0, 0).unwrap())
}

fn base() -> Alerting {
    Alerting {
        topics: BTreeMap::from([("shop-alerts".to_owned(), topic(true))]),
        topic_arn_prefix: Some(PREFIX.into()),
        ..Alerting::default()
    }
}

#[test]
fn an_edited_threshold_is_drift_corrected_with_its_diff() {
    let state = stack(&alarm("shop-db-cpu", 80), "");
    let mut alerting = base();
    alerting.alarms = as_put(&state, &alerting, false);
    // Edited in the console: the marker (and its digest) stays.
    if let Some(found) = alerting.alarms.get_mut("shop-db-cpu") {
        found.spec.threshold = Some(95.0);
    }
    let plan = run(&state, alerting);
    let alarm_changes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::Alarm { .. }))
        .collect();
    assert_eq!(alarm_changes.len(), 1, "{plan:#?}");
    assert_eq!(alarm_changes[0].reason, Reason::DriftCorrected);
    assert_eq!(alarm_changes[0].diff.len(), 1);
    assert_eq!(alarm_changes[0].diff[0].field, "threshold");
}

#[test]
fn a_changed_desired_threshold_is_an_update() {
    let before = stack(&alarm("shop-db-cpu", 80), "");
    let mut alerting = base();
    alerting.alarms = as_put(&before, &alerting, false);
    let plan = run(&stack(&alarm("shop-db-cpu", 90), ""), alerting);
    let change = plan
        .changes
        .iter()
        .find(|c| matches!(c.resource, Resource::Alarm { .. }))
        .unwrap();
    assert_eq!(change.reason, Reason::DesiredChanged);
    assert!(
        change
            .summary
            .starts_with("update alarm shop-db-cpu: threshold 80.0 → 90.0 (the desired state changed since the last apply: "),
        "{change:#?}"
    );
}

#[test]
fn an_untagged_alarm_is_not_owned_unless_adopted() {
    let state = stack(&alarm("shop-db-cpu", 80), "");
    let mut alerting = base();
    alerting.alarms = as_put(&state, &alerting, false);
    if let Some(found) = alerting.alarms.get_mut("shop-db-cpu") {
        found.marker = None;
        found.tags = Some(BTreeMap::new());
    }
    let plan = run(&state, alerting.clone());
    assert!(plan
        .changes
        .iter()
        .all(|c| !matches!(c.resource, Resource::Alarm { .. })));
    assert!(plan.notices.iter().any(|n| n.reason == Reason::NotOwned));

    let adopted = stack(
        "    shop-db-cpu: { namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 300s, evaluationPeriods: 2, threshold: 80, comparison: \">\", notify: [shop-alerts], adopt: true }\n",
        "",
    );
    let plan = run(&adopted, alerting);
    let reasons: Vec<Reason> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::Alarm { .. }))
        .map(|c| c.reason)
        .collect();
    assert_eq!(reasons, [Reason::Adopted, Reason::Adopted]);
}

#[test]
fn a_pending_subscription_is_a_warning_and_never_subscribed_again() {
    let state = stack(&alarm("shop-db-cpu", 80), "");
    let mut alerting = base();
    alerting.topics.insert("shop-alerts".into(), topic(false));
    alerting.alarms = as_put(&state, &alerting, false);
    let plan = run(&state, alerting);
    assert!(plan
        .notices
        .iter()
        .any(|n| n.reason == Reason::SubscriptionPendingConfirmation));
    assert!(!plan.changes.iter().any(|c| matches!(
        c.operation,
        Operation::Topic(TopicOperation::Subscribe { .. })
    )));
}

#[test]
fn prunes_are_capped_and_need_the_tag() {
    let all: String = (0..5).map(|i| alarm(&format!("shop-a{i}"), 80)).collect();
    let before = stack(&all, "");
    let mut alerting = base();
    alerting.alarms = as_put(&before, &alerting, true);
    // One of them lost its tag: never deleted.
    if let Some(found) = alerting.alarms.get_mut("shop-a4") {
        found.tags = Some(BTreeMap::new());
    }
    let plan = run(
        &stack(
            &alarm("shop-a0", 80),
            "  prune: { maxDeletionsPerPass: 2 }\n",
        ),
        alerting,
    );
    let pruned: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.reason == Reason::Pruned)
        .map(|c| c.resource.to_string())
        .collect();
    assert_eq!(pruned, ["alarm shop-a1", "alarm shop-a2"]);
    let blocked: Vec<&Notice> = plan
        .notices
        .iter()
        .filter(|n| n.reason == Reason::PruneBlocked)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert!(
        blocked[0].message.contains("shop-a3"),
        "{}",
        blocked[0].message
    );
    assert!(
        !blocked[0].message.contains("shop-a4"),
        "{}",
        blocked[0].message
    );
}

#[test]
fn an_alarm_put_before_its_topic_existed_is_converged_once_the_topic_exists() {
    let state = stack(&alarm("shop-db-cpu", 80), "");
    // The pass that created the topic knew no ARN for it: the alarm was planned with the
    // bare topic name, resolved to the ARN when applied.
    let unresolved = Alerting::default();
    let mut alerting = base();
    alerting.alarms = as_put(&state, &unresolved, true);
    for observed in alerting.alarms.values_mut() {
        for action in &mut observed.spec.alarm_actions {
            *action = format!("{PREFIX}{action}");
        }
    }
    let plan = run(&state, alerting);
    let alarm_changes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::Alarm { .. }))
        .collect();
    assert!(alarm_changes.is_empty(), "{alarm_changes:#?}");
}
