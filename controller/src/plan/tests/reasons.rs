//! Reasons that mean what they say (`evidence.rs`): for every kind of resource, a change
//! of the file is DesiredChanged and a change of the account DriftCorrected; where no
//! record survives, the event says it cannot tell. The account is the pure AWS model, so
//! each case starts from a converged account.

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;
use serde_json::json;

use super::aws_model::{self, Account};
use super::idempotence::parse;
use super::*;
use crate::observed::autoscaling::ScalingPolicy;
use crate::observed::ServiceKey;

/// Count 2 on `web`; `api` scales 1..4 on CPU 70 %; alarm `shop-cpu` above 80; topic
/// `shop-alerts` with one sqs subscription. `edit` rewrites the text (the "pull request").
fn stack(edit: impl Fn(String) -> String) -> DesiredState {
    let yaml = format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: shop }}
spec:
  region: {region}
  topics:
    shop-alerts:
      displayName: Shop
      subscriptions:
        - {{ protocol: sqs, endpoint: "arn:aws:sqs:{region}:123456789012:q", rawMessageDelivery: false }}
  services:
    - {{ cluster: shop, name: web, desiredCount: 2 }}
    - cluster: shop
      name: api
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu: {{ metric: ECSServiceAverageCPUUtilization, target: 70 }}
  alarms:
    shop-cpu: {{ namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 80, comparison: ">", notify: [shop-alerts] }}
"#,
        region = aws_model::REGION
    );
    parse(&edit(yaml))
}

fn unchanged(yaml: String) -> String {
    yaml
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn plan_for(account: &Account, desired: &DesiredState) -> Plan {
    plan(desired, &account.observe(desired), now())
}

/// An account where the deploy pipeline created both services, converged by mooring.
fn converged() -> Account {
    let mut account = Account::default();
    for name in ["web", "api"] {
        account.services.insert(
            ServiceKey::new("shop", name),
            aws_model::Service {
                desired_count: 1,
                tags: Default::default(),
                target: None,
                target_unreadable: false,
            },
        );
    }
    let desired = stack(unchanged);
    for change in &plan_for(&account, &desired).changes {
        if let Err(error) = account.apply(change) {
            panic!("{error}");
        }
    }
    let again = plan_for(&account, &desired);
    assert_eq!(again.changes, Vec::new(), "not converged: {again:#?}");
    account
}

/// The reason and summary of the change of `resource` (the first, when several).
fn change_of(planned: &Plan, resource: &str) -> (Reason, String) {
    planned
        .changes
        .iter()
        .find(|c| c.resource.to_string() == resource)
        .map(|c| (c.reason, c.summary.clone()))
        .unwrap_or_else(|| panic!("no change of {resource}: {planned:#?}"))
}

fn web() -> ServiceKey {
    ServiceKey::new("shop", "web")
}

fn api() -> ServiceKey {
    ServiceKey::new("shop", "api")
}

#[test]
fn a_changed_count_in_the_file_is_desired_changed_and_recorded() {
    let account = converged();
    assert_eq!(
        account.services[&web()]
            .tags
            .get(COUNT_TAG)
            .map(String::as_str),
        Some("2")
    );
    let planned = plan_for(
        &account,
        &stack(|y| y.replace("desiredCount: 2", "desiredCount: 3")),
    );
    let (reason, summary) = change_of(&planned, "ecs-service shop/web");
    assert_eq!(reason, Reason::DesiredChanged);
    assert_eq!(
        summary,
        "set desiredCount to 3 (the desired state changed since the last apply: 2 → 3)"
    );
    let record = planned.changes.last().map(|c| c.summary.clone());
    assert_eq!(
        record.as_deref(),
        Some("record the applied desiredCount (mooring:count=3)")
    );
}

#[test]
fn a_count_changed_by_hand_is_drift_corrected() {
    let mut account = converged();
    if let Some(service) = account.services.get_mut(&web()) {
        service.desired_count = 5;
    }
    let planned = plan_for(&account, &stack(unchanged));
    assert_eq!(
        planned.changes.len(),
        1,
        "nothing to record again: {planned:#?}"
    );
    let (reason, summary) = change_of(&planned, "ecs-service shop/web");
    assert_eq!(reason, Reason::DriftCorrected);
    assert!(summary.contains("changed outside mooring"), "{summary}");
}

#[test]
fn a_count_without_a_record_is_not_called_drift() {
    let mut account = converged();
    if let Some(service) = account.services.get_mut(&web()) {
        service.tags.remove(COUNT_TAG);
        service.desired_count = 5;
    }
    let planned = plan_for(&account, &stack(unchanged));
    let (reason, summary) = change_of(&planned, "ecs-service shop/web");
    assert_eq!(reason, Reason::Updated);
    assert!(
        summary.contains("cannot tell whether this is drift"),
        "{summary}"
    );
}

#[test]
fn a_count_already_matching_a_new_declaration_is_only_recorded() {
    let mut account = converged();
    if let Some(service) = account.services.get_mut(&web()) {
        service.desired_count = 3;
    }
    let planned = plan_for(
        &account,
        &stack(|y| y.replace("desiredCount: 2", "desiredCount: 3")),
    );
    assert_eq!(planned.changes.len(), 1, "{planned:#?}");
    assert_eq!(planned.changes[0].reason, Reason::DesiredChanged);
    assert!(matches!(
        planned.changes[0].operation,
        Operation::Ecs(EcsOperation::TagService { .. })
    ));
}

#[test]
fn autoscaling_range_and_policy_changed_in_the_file_are_desired_changed() {
    let account = converged();
    let planned = plan_for(
        &account,
        &stack(|y| {
            y.replace("max: 4", "max: 6")
                .replace("target: 70", "target: 60")
        }),
    );
    assert_eq!(
        change_of(&planned, "scalable-target shop/api").0,
        Reason::DesiredChanged
    );
    assert_eq!(
        change_of(&planned, "scaling-policy shop/api/cpu").0,
        Reason::DesiredChanged
    );
}

#[test]
fn autoscaling_range_and_policy_changed_by_hand_are_drift_corrected() {
    let mut account = converged();
    if let Some(target) = account
        .services
        .get_mut(&api())
        .and_then(|s| s.target.as_mut())
    {
        target.max = 9;
        if let Some(ScalingPolicy::TargetTracking(policy)) = target.policies.get_mut("cpu") {
            policy.target_value = 50.0;
        }
    }
    let planned = plan_for(&account, &stack(unchanged));
    assert_eq!(
        change_of(&planned, "scalable-target shop/api").0,
        Reason::DriftCorrected
    );
    assert_eq!(
        change_of(&planned, "scaling-policy shop/api/cpu").0,
        Reason::DriftCorrected
    );
}

#[test]
fn an_alarm_changed_in_the_file_is_desired_changed_and_by_hand_drift_corrected() {
    let mut account = converged();
    let planned = plan_for(
        &account,
        &stack(|y| y.replace("threshold: 80", "threshold: 90")),
    );
    assert_eq!(
        change_of(&planned, "alarm shop-cpu").0,
        Reason::DesiredChanged
    );

    if let Some(alarm) = account.alarms.get_mut("shop-cpu") {
        alarm.spec.threshold = Some(95.0);
    }
    let planned = plan_for(&account, &stack(unchanged));
    assert_eq!(
        change_of(&planned, "alarm shop-cpu").0,
        Reason::DriftCorrected
    );
}

#[test]
fn an_alarm_deleted_by_hand_says_it_cannot_tell_unless_the_previous_pass_saw_it() {
    let mut account = converged();
    account.alarms.remove("shop-cpu");
    let desired = stack(unchanged);
    let planned = plan_for(&account, &desired);
    let (reason, summary) = change_of(&planned, "alarm shop-cpu");
    assert_eq!(reason, Reason::Created);
    assert!(
        summary.contains("cannot tell whether it was deleted outside mooring or is newly declared"),
        "{summary}"
    );

    // `mooring run` hands in what its previous pass left in place.
    let mut observed = account.observe(&desired);
    for seen in observed.stacks.values_mut() {
        if let Some(alerting) = seen.alerting.as_mut() {
            alerting.left_in_place_last_pass.insert("shop-cpu".into());
        }
    }
    let planned = plan(&desired, &observed, now());
    let (reason, summary) = change_of(&planned, "alarm shop-cpu");
    assert_eq!(reason, Reason::DriftCorrected);
    assert!(summary.contains("the previous pass saw it"), "{summary}");
}

#[test]
fn subscriptions_and_topic_attributes_changed_in_the_file_or_by_hand() {
    let resource = format!(
        "subscription shop-alerts/sqs:arn:aws:sqs:{}:123456789012:q",
        aws_model::REGION
    );
    let mut account = converged();
    let planned = plan_for(
        &account,
        &stack(|y| {
            y.replace("rawMessageDelivery: false", "rawMessageDelivery: true")
                .replace("displayName: Shop", "displayName: Shop2")
        }),
    );
    assert_eq!(change_of(&planned, &resource).0, Reason::DesiredChanged);
    assert_eq!(
        change_of(&planned, "topic shop-alerts").0,
        Reason::DesiredChanged
    );

    if let Some(topic) = account.topics.get_mut("shop-alerts") {
        topic.settings.display_name = Some("by hand".into());
        for subscription in &mut topic.subscriptions {
            subscription.settings.raw_message_delivery = true;
        }
    }
    let planned = plan_for(&account, &stack(unchanged));
    let (reason, summary) = change_of(&planned, &resource);
    assert_eq!(reason, Reason::DriftCorrected);
    assert!(summary.contains("changed outside mooring"), "{summary}");
    assert_eq!(
        change_of(&planned, "topic shop-alerts").0,
        Reason::DriftCorrected
    );
    assert_eq!(
        planned.changes[0].diff[0],
        crate::events::FieldDiff::new("displayName", json!("by hand"), json!("Shop"))
    );
}
