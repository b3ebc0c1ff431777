//! Planner tests for Lambda alert targets: which statements are this stack's, and what
//! is added, kept and removed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::*;
use crate::observed::alerting::{
    Alerting, Marker, ObservedAlarm, ObservedSubscription, ObservedTopic, SubscriptionSettings,
};
use crate::observed::Observed;
use crate::plan::{plan, TopicOperation};

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:chat-notify";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:alerts";
const ALARM_ARN: &str = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:db-cpu";

fn desired(subscribed: bool, alarm_action: bool, management: &str) -> DesiredState {
    let subscription = if subscribed {
        format!("\n        - {{ protocol: lambda, endpoint: \"{FUNCTION}\" }}")
    } else {
        String::new()
    };
    let notify = if alarm_action {
        format!("[alerts, \"{FUNCTION}\"]")
    } else {
        "[alerts]".to_owned()
    };
    let yaml = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: tap\nspec:\n  region: us-east-1\n  topics:\n    alerts:\n      management: {management}\n      subscriptions:\n        - {{ protocol: email, endpoint: ops@example.com }}{subscription}\n  alarms:\n    db-cpu: {{ namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 300s, evaluationPeriods: 2, threshold: 80, comparison: \">\", notify: {notify} }}\n"
    );
    match desired_state::parse_sources(&[(PathBuf::from("t.yaml"), yaml)]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

fn alerting(subscribed: bool) -> Alerting {
    let mut subscriptions = vec![ObservedSubscription {
        arn: Some(format!("{TOPIC_ARN}:1")),
        protocol: "email".into(),
        endpoint: "ops@example.com".into(),
        settings: SubscriptionSettings::default(),
    }];
    if subscribed {
        subscriptions.push(ObservedSubscription {
            arn: Some(format!("{TOPIC_ARN}:2")),
            protocol: "lambda".into(),
            endpoint: FUNCTION.into(),
            settings: SubscriptionSettings::default(),
        });
    }
    Alerting {
        topics: BTreeMap::from([(
            "alerts".to_owned(),
            ObservedTopic {
                arn: TOPIC_ARN.into(),
                tags: BTreeMap::from([(crate::plan::STACK_TAG.to_owned(), "tap".to_owned())]),
                settings: Default::default(),
                subscriptions: Some(subscriptions),
            },
        )]),
        topic_arn_prefix: Some("arn:aws:sns:us-east-1:123456789012:".into()),
        ..Alerting::default()
    }
}

fn statement(sid: &str, principal: &str, source: &str) -> PermissionStatement {
    PermissionStatement {
        sid: sid.into(),
        principal: Some(principal.into()),
        source_arn: Some(source.into()),
    }
}

fn run(state: &DesiredState, alerting: Alerting, policy: FunctionPolicy) -> Plan {
    let seen = ObservedStack {
        region: "us-east-1".into(),
        account: Some("123456789012".into()),
        alerting: Some(alerting),
        lambda_policies: BTreeMap::from([(FUNCTION.to_owned(), policy)]),
        ..ObservedStack::default()
    };
    let observed = Observed {
        stacks: BTreeMap::from([("tap".to_owned(), seen)]),
    };
    plan(state, &observed, Utc.timestamp_opt(0, 0).unwrap())
}

fn permission_changes(plan: &Plan) -> Vec<(&str, &LambdaOperation, Reason)> {
    plan.changes
        .iter()
        .filter_map(|c| match (&c.resource, &c.operation) {
            (Resource::LambdaPermission { statement_id, .. }, Operation::Lambda(op)) => {
                Some((statement_id.as_str(), op, c.reason))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn statement_ids_are_this_stacks_only() {
    let sid = statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN);
    assert!(sid.starts_with("mooring-tap-"));
    assert!(
        sid.len() <= 100,
        "AddPermission takes at most 100 characters"
    );
    assert!(is_ours("tap", &sid));
    // Another stack whose name extends this one's is not this one's.
    assert!(!is_ours(
        "tap",
        &statement_id("tap-dev", SNS_PRINCIPAL, TOPIC_ARN)
    ));
    assert!(!is_ours("tap", "mooring-tap-by-hand"));
    assert!(!is_ours("tap", "sns-invoke"));
    // Deterministic, and another source is another statement.
    assert_eq!(sid, statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN));
    assert_ne!(sid, statement_id("tap", SNS_PRINCIPAL, ALARM_ARN));
}

#[test]
fn missing_statements_are_added_for_the_subscription_and_the_alarm_action() {
    let state = desired(true, true, "full");
    let plan = run(&state, alerting(false), FunctionPolicy::Found(Vec::new()));
    let changes = permission_changes(&plan);
    assert_eq!(changes.len(), 2, "{plan:#?}");
    let sources: Vec<(&str, &str)> = changes
        .iter()
        .filter_map(|(_, op, _)| match op {
            LambdaOperation::AddPermission {
                principal,
                source_arn,
            } => Some((principal.as_str(), source_arn.as_str())),
            LambdaOperation::RemovePermission => None,
        })
        .collect();
    // The alarm is created in this pass: its ARN is built from the account.
    assert!(sources.contains(&(SNS_PRINCIPAL, TOPIC_ARN)), "{sources:?}");
    assert!(
        sources.contains(&(ALARMS_PRINCIPAL, ALARM_ARN)),
        "{sources:?}"
    );
    assert!(changes
        .iter()
        .all(|(_, _, reason)| *reason == Reason::Created));
    // The new subscription waits for the function's statements.
    let subscribe = plan
        .changes
        .iter()
        .find(|c| {
            matches!(&c.operation, Operation::Topic(TopicOperation::Subscribe { .. }))
                && matches!(&c.resource, Resource::Subscription { protocol, .. } if protocol == "lambda")
        })
        .expect("the lambda subscription is planned");
    assert_eq!(
        subscribe.after.as_deref(),
        Some(lambda_group("us-east-1", FUNCTION).as_str())
    );
}

#[test]
fn a_converged_policy_plans_nothing_and_others_statements_are_left_alone() {
    let state = desired(true, false, "full");
    let ours = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let by_hand = statement(
        "allow-sns-other",
        SNS_PRINCIPAL,
        "arn:aws:sns:us-east-1:123456789012:other",
    );
    let other_stack = statement(
        &statement_id("billing", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let policy = FunctionPolicy::Found(vec![ours, by_hand, other_stack]);
    let plan = run(&state, alerting(true), policy);
    assert!(permission_changes(&plan).is_empty(), "{plan:#?}");
}

#[test]
fn a_statement_removed_by_hand_is_put_back_as_drift() {
    let state = desired(true, false, "full");
    let plan = run(&state, alerting(true), FunctionPolicy::Found(Vec::new()));
    let changes = permission_changes(&plan);
    assert_eq!(changes.len(), 1, "{plan:#?}");
    assert_eq!(changes[0].2, Reason::DriftCorrected);
}

#[test]
fn a_stale_statement_of_ours_is_removed_and_only_that_one() {
    // The subscription left the file; the same principal from another source (a
    // person's statement) stays, and so does the alarm's statement still wanted.
    let state = desired(false, true, "full");
    let stale = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let alarm = statement(
        &statement_id("tap", ALARMS_PRINCIPAL, ALARM_ARN),
        ALARMS_PRINCIPAL,
        ALARM_ARN,
    );
    let by_hand = statement(
        "by-hand",
        SNS_PRINCIPAL,
        "arn:aws:sns:us-east-1:123456789012:x",
    );
    let mut found = alerting(true);
    found.alarms.insert(
        "db-cpu".into(),
        ObservedAlarm {
            arn: ALARM_ARN.into(),
            spec: Default::default(),
            marker: Some(Marker {
                stack: "tap".into(),
                digest: "0123".into(),
            }),
            tags: None,
            state: None,
        },
    );
    let plan = run(
        &state,
        found,
        FunctionPolicy::Found(vec![stale.clone(), alarm, by_hand]),
    );
    let changes = permission_changes(&plan);
    assert_eq!(changes.len(), 1, "{plan:#?}");
    assert_eq!(changes[0].0, stale.sid);
    assert_eq!(changes[0].1, &LambdaOperation::RemovePermission);
    assert_eq!(changes[0].2, Reason::Pruned);
}

#[test]
fn a_statement_of_ours_with_other_content_is_replaced() {
    let state = desired(true, false, "full");
    let sid = statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN);
    let edited = statement(&sid, SNS_PRINCIPAL, "arn:aws:sns:us-east-1:123456789012:*");
    let plan = run(&state, alerting(true), FunctionPolicy::Found(vec![edited]));
    let ops: Vec<&LambdaOperation> = permission_changes(&plan).into_iter().map(|c| c.1).collect();
    assert!(matches!(
        ops.as_slice(),
        [
            LambdaOperation::RemovePermission,
            LambdaOperation::AddPermission { .. }
        ]
    ));
}

#[test]
fn observe_mode_reports_and_paused_keeps() {
    let observed = run(
        &desired(true, false, "observe"),
        alerting(true),
        FunctionPolicy::Found(Vec::new()),
    );
    assert!(permission_changes(&observed).is_empty());
    assert!(observed
        .notices
        .iter()
        .any(|n| n.reason == Reason::DriftDetected
            && matches!(n.resource, Some(Resource::LambdaPermission { .. }))));
    let ours = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let paused = run(
        &desired(true, false, "paused"),
        alerting(true),
        FunctionPolicy::Found(vec![ours]),
    );
    assert!(permission_changes(&paused).is_empty(), "{paused:#?}");
}

#[test]
fn a_missing_function_is_a_warning_not_a_change() {
    let state = desired(true, true, "full");
    let policy = FunctionPolicy::FunctionMissing {
        why: format!("Function not found: {FUNCTION}"),
    };
    let plan = run(&state, alerting(false), policy);
    assert!(permission_changes(&plan).is_empty());
    let warnings: Vec<&Notice> = plan
        .notices
        .iter()
        .filter(|n| n.reason == Reason::FunctionNotFound)
        .collect();
    assert_eq!(warnings.len(), 1, "{plan:#?}");
    assert!(warnings[0].message.contains("chat-notify"));
}

#[test]
fn a_topic_that_is_not_this_stacks_keeps_its_statements() {
    // Made again by hand, untagged, without `adopt`: NotOwned, and left as it is.
    let state = desired(true, false, "full");
    let mut found = alerting(true);
    if let Some(topic) = found.topics.get_mut("alerts") {
        topic.tags.clear();
    }
    let ours = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let plan = run(&state, found.clone(), FunctionPolicy::Found(vec![ours]));
    assert!(permission_changes(&plan).is_empty(), "{plan:#?}");
    let plan = run(&state, found, FunctionPolicy::Found(Vec::new()));
    assert!(permission_changes(&plan).is_empty(), "{plan:#?}");
}

#[test]
fn an_observed_topic_keeps_the_statement_of_a_subscription_the_file_dropped() {
    // `observe`: the subscription stays in the account, and so does its statement.
    let state = desired(false, false, "observe");
    let ours = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let plan = run(&state, alerting(true), FunctionPolicy::Found(vec![ours]));
    assert!(permission_changes(&plan).is_empty(), "{plan:#?}");
    // In full mode the same statement goes with the subscription.
    let ours = statement(
        &statement_id("tap", SNS_PRINCIPAL, TOPIC_ARN),
        SNS_PRINCIPAL,
        TOPIC_ARN,
    );
    let plan = run(
        &desired(false, false, "full"),
        alerting(true),
        FunctionPolicy::Found(vec![ours]),
    );
    assert_eq!(permission_changes(&plan).len(), 1, "{plan:#?}");
}
