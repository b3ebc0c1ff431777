//! Planner tests for step-scaling policies wired to their alarm: the account is the pure
//! AWS model (`aws_model`), so a plan can be applied and planned again.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::aws_model::{self, Account};
use super::idempotence::parse;
use super::*;
use crate::observed::ServiceKey;

const ALARM: &str = "shop-queue-deep";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:shop-alerts";

/// A stack whose `api` service has a step-scaling policy `burst` (naming `alarm:` when
/// given) and an alarm that notifies a topic; `alarm_extra` is added to the alarm.
fn stack(step_alarm: Option<&str>, alarm_extra: &str) -> DesiredState {
    let alarm_line = step_alarm
        .map(|a| format!("            alarm: {a}\n"))
        .unwrap_or_default();
    parse(&format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: shop }}
spec:
  region: {region}
  topics:
    shop-alerts: {{ displayName: Shop }}
  services:
    - cluster: shop
      name: api
      autoscaling:
        min: 1
        max: 4
        stepScaling:
          burst:
            cooldown: 60s
{alarm_line}            steps:
              - {{ lower: 0, upper: 10, adjustment: 1 }}
              - {{ lower: 10, adjustment: 2 }}
  alarms:
    {ALARM}: {{ namespace: Shop, metric: QueueDepth, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 100, comparison: ">", notify: [shop-alerts]{alarm_extra} }}
"#,
        region = aws_model::REGION
    ))
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn key() -> ServiceKey {
    ServiceKey::new("shop", "api")
}

/// An account where the deploy pipeline created the `api` service.
fn account() -> Account {
    let mut account = Account::default();
    account.services.insert(
        key(),
        aws_model::Service {
            desired_count: 1,
            tags: Default::default(),
            target: None,
            target_unreadable: false,
        },
    );
    account
}

fn plan_for(account: &Account, desired: &DesiredState) -> Plan {
    plan(desired, &account.observe(desired), now())
}

/// Applies every change in plan order (as one apply would, no failures expected).
fn apply_all(account: &mut Account, planned: &Plan) {
    for change in &planned.changes {
        if let Err(error) = account.apply(change) {
            panic!("{error}\n{planned:#?}");
        }
    }
}

fn converge(account: &mut Account, desired: &DesiredState) {
    let planned = plan_for(account, desired);
    apply_all(account, &planned);
    let again = plan_for(account, desired);
    assert_eq!(again.changes, Vec::new(), "not converged: {again:#?}");
}

/// The ARN the account holds for policy `burst` (DescribeScalingPolicies' PolicyARN).
fn policy_arn(account: &Account) -> String {
    account.services[&key()]
        .target
        .as_ref()
        .and_then(|t| t.policy_arns.get("burst"))
        .cloned()
        .unwrap_or_else(|| panic!("no policy burst in {account:#?}"))
}

fn alarm_actions(account: &Account) -> Vec<String> {
    account.alarms[ALARM].spec.alarm_actions.clone()
}

fn alarm_changes(planned: &Plan) -> Vec<&Change> {
    planned
        .changes
        .iter()
        .filter(|c| matches!(c.resource, Resource::Alarm { .. }))
        .collect()
}

#[test]
fn a_policy_created_in_the_same_pass_is_wired_once_it_exists() {
    let desired = stack(Some(ALARM), "");
    let mut account = account();
    let planned = plan_for(&account, &desired);
    let policy_at = planned
        .changes
        .iter()
        .position(|c| matches!(c.resource, Resource::ScalingPolicy { .. }))
        .unwrap_or_else(|| panic!("no policy change: {planned:#?}"));
    let alarm_at = planned
        .changes
        .iter()
        .position(|c| matches!(c.resource, Resource::Alarm { .. }))
        .unwrap_or_else(|| panic!("no alarm change: {planned:#?}"));
    let (policy, alarm) = (&planned.changes[policy_at], &planned.changes[alarm_at]);
    // The ARN is made up by AWS: the alarm runs after the policy, in its group, and
    // names it by a placeholder the applier resolves.
    assert!(policy_at < alarm_at);
    assert_eq!(alarm.group, policy.group);
    let Operation::Alarm(AlarmOperation::PutAlarm { spec, .. }) = &alarm.operation else {
        panic!("{alarm:#?}");
    };
    assert_eq!(
        spec.alarm_actions,
        vec![
            TOPIC_ARN.to_owned(),
            "scaling-policy:service/shop/api/burst".to_owned()
        ]
    );

    apply_all(&mut account, &planned);
    let arn = policy_arn(&account);
    assert!(arn.contains(":scalingPolicy:") && arn.ends_with(":policyName/burst"));
    let mut expected = vec![TOPIC_ARN.to_owned(), arn];
    expected.sort();
    assert_eq!(alarm_actions(&account), expected);
    assert_eq!(plan_for(&account, &desired).changes, Vec::new());
}

#[test]
fn an_existing_policy_is_wired_with_its_observed_arn() {
    let mut account = account();
    converge(&mut account, &stack(None, ""));
    assert_eq!(alarm_actions(&account), vec![TOPIC_ARN.to_owned()]);
    let arn = policy_arn(&account);

    let desired = stack(Some(ALARM), "");
    let planned = plan_for(&account, &desired);
    assert_eq!(planned.changes.len(), 1, "{planned:#?}");
    let change = &planned.changes[0];
    assert_eq!(change.resource.to_string(), format!("alarm {ALARM}"));
    // Adding `alarm:` to the policy changes the desired state: not drift.
    assert_eq!(change.reason, Reason::DesiredChanged);
    assert_eq!(change.group, format!("alarm:{}:{ALARM}", aws_model::REGION));
    assert_eq!(change.diff.len(), 1, "{change:#?}");
    assert_eq!(change.diff[0].field, "alarmActions");
    assert!(
        change.diff[0].after.to_string().contains(&arn),
        "{change:#?}"
    );

    apply_all(&mut account, &planned);
    assert!(alarm_actions(&account).contains(&arn));
    assert_eq!(plan_for(&account, &desired).changes, Vec::new());
}

#[test]
fn a_policy_that_leaves_the_desired_state_leaves_the_alarm() {
    let mut account = account();
    converge(&mut account, &stack(Some(ALARM), ""));
    let arn = policy_arn(&account);
    assert!(alarm_actions(&account).contains(&arn));

    let desired = parse(&yaml_without_step_scaling());
    let planned = plan_for(&account, &desired);
    let alarms = alarm_changes(&planned);
    assert_eq!(alarms.len(), 1, "{planned:#?}");
    assert_eq!(alarms[0].reason, Reason::DesiredChanged);
    let Operation::Alarm(AlarmOperation::PutAlarm { spec, .. }) = &alarms[0].operation else {
        panic!("{planned:#?}");
    };
    assert_eq!(spec.alarm_actions, vec![TOPIC_ARN.to_owned()]);
    assert!(planned
        .changes
        .iter()
        .any(|c| c.operation == Operation::Autoscaling(AutoscalingOperation::DeleteScalingPolicy)));

    apply_all(&mut account, &planned);
    assert_eq!(alarm_actions(&account), vec![TOPIC_ARN.to_owned()]);
    assert_eq!(plan_for(&account, &desired).changes, Vec::new());
}

/// `stack(..)` with the policy gone from the service (the alarm stays).
fn yaml_without_step_scaling() -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: shop }}
spec:
  region: {region}
  topics:
    shop-alerts: {{ displayName: Shop }}
  services:
    - cluster: shop
      name: api
      autoscaling: {{ min: 1, max: 4 }}
  alarms:
    {ALARM}: {{ namespace: Shop, metric: QueueDepth, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 100, comparison: ">", notify: [shop-alerts] }}
"#,
        region = aws_model::REGION
    )
}

#[test]
fn an_arn_removed_by_hand_is_put_back_as_drift() {
    let desired = stack(Some(ALARM), "");
    let mut account = account();
    converge(&mut account, &desired);
    let arn = policy_arn(&account);
    if let Some(alarm) = account.alarms.get_mut(ALARM) {
        alarm.spec.alarm_actions.retain(|a| *a != arn);
    }
    let planned = plan_for(&account, &desired);
    assert_eq!(planned.changes.len(), 1, "{planned:#?}");
    assert_eq!(planned.changes[0].reason, Reason::DriftCorrected);
    apply_all(&mut account, &planned);
    assert!(alarm_actions(&account).contains(&arn));
}

#[test]
fn an_alarm_under_observe_only_reports_the_missing_arn() {
    let mut account = account();
    converge(&mut account, &stack(None, ""));
    let desired = stack(Some(ALARM), ", management: observe");
    let planned = plan_for(&account, &desired);
    assert_eq!(planned.changes, Vec::new());
    let drift: Vec<&Notice> = planned
        .notices
        .iter()
        .filter(|n| n.reason == Reason::DriftDetected)
        .collect();
    assert_eq!(drift.len(), 1, "{planned:#?}");
    assert_eq!(drift[0].diff[0].field, "alarmActions");
    assert!(drift[0].diff[0]
        .after
        .to_string()
        .contains(&policy_arn(&account)));
}

#[test]
fn a_policy_of_another_stack_is_neither_wired_nor_unwired() {
    // Another stack owns the service's autoscaling and wired its own policy `burst` to
    // the alarm (which is this stack's).
    let mut account = account();
    converge(&mut account, &stack(Some(ALARM), ""));
    let arn = policy_arn(&account);
    if let Some(service) = account.services.get_mut(&key()) {
        service.tags.insert(STACK_TAG.into(), "other".into());
    }
    let planned = plan_for(&account, &stack(Some(ALARM), ""));
    assert_eq!(planned.changes, Vec::new());
    assert!(planned.notices.iter().any(|n| n.reason == Reason::NotOwned));
    assert!(alarm_actions(&account).contains(&arn));

    // Not yet wired: it is not added either.
    if let Some(alarm) = account.alarms.get_mut(ALARM) {
        alarm.spec.alarm_actions.retain(|a| *a != arn);
    }
    let planned = plan_for(&account, &stack(Some(ALARM), ""));
    let added = planned
        .changes
        .iter()
        .any(|c| c.diff.iter().any(|d| d.after.to_string().contains(&arn)));
    assert!(!added, "{planned:#?}");
}

#[test]
fn an_unread_target_keeps_the_alarm_wired() {
    let desired = stack(Some(ALARM), "");
    let mut account = account();
    converge(&mut account, &desired);
    if let Some(service) = account.services.get_mut(&key()) {
        service.target_unreadable = true;
    }
    // Nothing is planned on what was not read: the ARN is neither known nor removed.
    assert_eq!(plan_for(&account, &desired).changes, Vec::new());
}

#[test]
fn a_policy_naming_an_alarm_of_another_stack_is_reported() {
    let shop = format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: shop }}
spec:
  region: {region}
  services:
    - cluster: shop
      name: api
      autoscaling:
        min: 1
        max: 4
        stepScaling:
          burst:
            alarm: ops-queue-deep
            steps: [{{ lower: 0, adjustment: 1 }}]
  alarms:
    shop-cpu: {{ namespace: Shop, metric: CPU, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: ">" }}
"#,
        region = aws_model::REGION
    );
    let ops = format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: ops }}
spec:
  region: {region}
  alarms:
    ops-queue-deep: {{ namespace: Ops, metric: QueueDepth, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: ">" }}
"#,
        region = aws_model::REGION
    );
    let sources = [
        (PathBuf::from("shop.yaml"), shop),
        (PathBuf::from("ops.yaml"), ops),
    ];
    let desired = desired_state::parse_sources(&sources)
        .unwrap_or_else(|diagnostics| panic!("fixture is invalid:\n{diagnostics}"));
    let planned = plan_for(&account(), &desired);
    let notice = planned
        .notices
        .iter()
        .find(|n| n.reason == Reason::NotOwned)
        .unwrap_or_else(|| panic!("{planned:#?}"));
    assert!(notice.message.contains("ops-queue-deep"), "{notice:#?}");
    let ops_alarm = alarm_changes(&planned)
        .into_iter()
        .find(|c| c.resource.to_string() == "alarm ops-queue-deep")
        .unwrap_or_else(|| panic!("{planned:#?}"));
    let Operation::Alarm(AlarmOperation::PutAlarm { spec, .. }) = &ops_alarm.operation else {
        panic!("{ops_alarm:#?}");
    };
    assert_eq!(spec.alarm_actions, Vec::<String>::new());
}
