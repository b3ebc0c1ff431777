//! From planned changes to edits, without AWS: which drift is accepted, where it goes,
//! how it is spelled, and what is left alone.

use std::collections::BTreeMap;
use std::path::PathBuf;

use desired_state::edit::Document;
use serde_json::json;

use super::mapping::{accepting, Accepting};
use crate::events::{FieldDiff, Reason};
use crate::plan::{
    AlarmOperation, Change, EcsOperation, Notice, Operation, Resource, TopicOperation,
};

const FILE: &str = "\
apiVersion: mooring/v1
kind: Stack
metadata: { name: shop }
spec:
  topics:
    alerts:
      subscriptions:
        - protocol: email
          endpoint: ops@example.com
  services:
    - cluster: c
      name: api
      desiredCount: 2   # by day
  alarms:
    db-cpu:
      namespace: AWS/RDS
      metric: CPUUtilization
      statistic: Average
      period: 60s
      evaluationPeriods: 2
      threshold: 80
      comparison: GreaterThanThreshold
";

fn accept(changes: &[Change], notices: &[Notice], named: &[&str]) -> (Accepting, String) {
    let path = PathBuf::from("shop.yaml");
    let desired = desired_state::parse_sources(&[(path.clone(), FILE.to_owned())])
        .unwrap_or_else(|e| panic!("{e}"));
    let documents = BTreeMap::from([(path.clone(), Document::parse(FILE).unwrap())]);
    let refs: Vec<&Change> = changes.iter().collect();
    let named: Vec<String> = named.iter().map(|s| (*s).to_owned()).collect();
    let out = accepting(&desired, &documents, &refs, notices, &named);
    let text = match out.edits.get(&path) {
        Some(edits) => documents[&path]
            .apply(edits)
            .unwrap_or_else(|e| panic!("{e}")),
        None => FILE.to_owned(),
    };
    (out, text)
}

fn change(
    resource: Resource,
    reason: Reason,
    diff: Vec<FieldDiff>,
    operation: Operation,
) -> Change {
    Change {
        stack: "shop".into(),
        resource,
        reason,
        summary: String::new(),
        diff,
        operation,
        group: "g".into(),
        after: None,
    }
}

fn count(reason: Reason, before: u32) -> Change {
    change(
        Resource::ecs_service("us-east-1", "c", "api"),
        reason,
        vec![FieldDiff::new("desiredCount", before, 2)],
        Operation::Ecs(EcsOperation::SetDesiredCount { count: 2 }),
    )
}

fn alarm(reason: Reason, diff: Vec<FieldDiff>) -> Change {
    change(
        Resource::Alarm {
            region: "us-east-1".into(),
            name: "db-cpu".into(),
        },
        reason,
        diff,
        Operation::Alarm(AlarmOperation::PutAlarm {
            spec: Box::default(),
            description: String::new(),
            tags: BTreeMap::new(),
        }),
    )
}

fn subscription(endpoint: &str, raw: bool) -> Change {
    change(
        Resource::Subscription {
            region: "us-east-1".into(),
            topic: "alerts".into(),
            protocol: "https".into(),
            endpoint: endpoint.into(),
        },
        Reason::DriftCorrected,
        vec![FieldDiff::new(
            "settings.rawMessageDelivery",
            raw,
            serde_json::Value::Null,
        )],
        Operation::Topic(TopicOperation::Unsubscribe { arn: "arn".into() }),
    )
}

#[test]
fn drift_is_accepted_and_a_file_edit_not_yet_applied_is_not_unless_named() {
    let (out, text) = accept(&[count(Reason::DriftCorrected, 5)], &[], &[]);
    assert!(text.contains("desiredCount: 5   # by day"), "{text}");
    assert_eq!(out.accepted.len(), 1);
    let (out, text) = accept(&[count(Reason::DesiredChanged, 5)], &[], &[]);
    assert_eq!(text, FILE);
    assert!(out.not_accepted[0]
        .1
        .contains("accepting would undo the edit"));
    let (_, text) = accept(&[count(Reason::DesiredChanged, 5)], &[], &["c/api"]);
    assert!(text.contains("desiredCount: 5"), "{text}");
    // Without evidence either way (Updated): accepted.
    let (_, text) = accept(&[count(Reason::Updated, 3)], &[], &[]);
    assert!(text.contains("desiredCount: 3"), "{text}");
}

#[test]
fn alarm_settings_are_spelled_as_the_file_spells_them_and_defaults_stay_omitted() {
    let diff = vec![
        FieldDiff::new("comparison", "LessThanThreshold", "GreaterThanThreshold"),
        FieldDiff::new("datapointsToAlarm", 4, 2),
        FieldDiff::new("evaluationPeriods", 4, 2),
        FieldDiff::new("period", 300, 60),
        FieldDiff::new("threshold", 99.5, 80.0),
        FieldDiff::new("treatMissingData", "missing", "notBreaching"),
        FieldDiff::new("alarmActions", json!(["arn:x"]), json!([])),
    ];
    let (out, text) = accept(&[alarm(Reason::DriftCorrected, diff)], &[], &[]);
    insta::assert_snapshot!(text.split("  alarms:\n").nth(1).unwrap_or_default(), @r"
        db-cpu:
          namespace: AWS/RDS
          metric: CPUUtilization
          statistic: Average
          period: 5m
          evaluationPeriods: 4
          threshold: 99.5
          comparison: LessThanThreshold
    ");
    assert_eq!(out.not_accepted.len(), 1);
    assert!(out.not_accepted[0]
        .1
        .starts_with("alarmActions: not a field accept writes"));
}

#[test]
fn a_subscription_is_appended_unless_its_endpoint_carries_a_secret() {
    let (out, text) = accept(
        &[
            subscription("https://hooks.example.com/alerts", true),
            subscription(
                "https://hooks.example.com/services/T0/B0/XOXBSECRET123",
                false,
            ),
        ],
        &[],
        &[],
    );
    assert!(
        text.contains("          endpoint: ops@example.com\n        - protocol: https\n          endpoint: https://hooks.example.com/alerts\n          rawMessageDelivery: true\n"),
        "{text}"
    );
    assert_eq!(out.not_accepted.len(), 1);
    let (resource, why) = &out.not_accepted[0];
    assert!(
        !resource.contains("XOXBSECRET") && !why.contains("XOXBSECRET"),
        "{why}"
    );
    assert!(
        why.contains("carries a secret (shown as https://hooks.example.com/services/T0/B0/***)"),
        "{why}"
    );
}

#[test]
fn missing_resources_observe_mode_and_records_are_not_accepted() {
    let created = change(
        Resource::Alarm {
            region: "us-east-1".into(),
            name: "db-cpu".into(),
        },
        Reason::Created,
        Vec::new(),
        Operation::Alarm(AlarmOperation::DeleteAlarm),
    );
    let record = change(
        Resource::ecs_service("us-east-1", "c", "api"),
        Reason::DriftCorrected,
        vec![FieldDiff::new("tags.mooring:count", "1", "2")],
        Operation::Ecs(EcsOperation::TagService {
            arn: "arn".into(),
            tags: BTreeMap::new(),
        }),
    );
    let observed = Notice::warning(
        "shop",
        Some(Resource::ecs_service("us-east-1", "c", "api")),
        Reason::DriftDetected,
        "differs".into(),
    );
    let (out, text) = accept(&[created, record], &[observed], &[]);
    assert_eq!(text, FILE);
    let whys: Vec<&str> = out
        .not_accepted
        .iter()
        .map(|(_, why)| why.as_str())
        .collect();
    assert_eq!(whys.len(), 2, "{whys:?}");
    assert!(whys[0].starts_with("declared but missing in the account"));
    assert!(whys[1].starts_with("in `observe` mode"));
}

#[test]
fn scaling_suspended_by_hand_adds_the_suspended_key_with_the_flags_turned_on() {
    let file = FILE.replace(
        "desiredCount: 2   # by day",
        "desiredCount: 2   # by day\n      autoscaling: { min: 1, max: 4 }",
    );
    let path = PathBuf::from("shop.yaml");
    let desired = desired_state::parse_sources(&[(path.clone(), file.clone())])
        .unwrap_or_else(|e| panic!("{e}"));
    let documents = BTreeMap::from([(path.clone(), Document::parse(&file).unwrap())]);
    let target = change(
        Resource::ScalableTarget {
            region: "us-east-1".into(),
            cluster: "c".into(),
            service: "api".into(),
        },
        Reason::DriftCorrected,
        vec![
            FieldDiff::new("suspended.dynamicScalingInSuspended", true, false),
            FieldDiff::new("suspended.scheduledScalingSuspended", true, false),
        ],
        Operation::Autoscaling(crate::plan::AutoscalingOperation::RegisterScalableTarget {
            min: 1,
            max: 4,
            suspended: Default::default(),
        }),
    );
    let out = accepting(&desired, &documents, &[&target], &[], &[]);
    let text = documents[&path]
        .apply(&out.edits[&path])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains("autoscaling: { min: 1, max: 4, suspended: { dynamicScalingIn: true, scheduledScaling: true } }"),
        "{text}"
    );
}

#[test]
fn a_target_tracking_policy_takes_its_target_and_cooldowns_and_a_step_policy_is_left_alone() {
    use crate::observed::autoscaling::{
        ScalingPolicy, StepScalingPolicy, TargetTrackingPolicy, TrackedMetric,
    };
    let file = FILE.replace(
        "desiredCount: 2   # by day",
        "desiredCount: 2   # by day\n      autoscaling:\n        min: 1\n        max: 4\n        targetTracking:\n          cpu:\n            metric: ECSServiceAverageCPUUtilization\n            target: 60   # percent\n            scaleInCooldown: \"5m\"\n        stepScaling:\n          burst: { alarm: db-cpu, steps: [{ lower: 0, adjustment: 1 }] }",
    );
    let path = PathBuf::from("shop.yaml");
    let desired = desired_state::parse_sources(&[(path.clone(), file.clone())])
        .unwrap_or_else(|e| panic!("{e}"));
    let documents = BTreeMap::from([(path.clone(), Document::parse(&file).unwrap())]);
    let policy = |name: &str, policy: ScalingPolicy, diff: Vec<FieldDiff>| {
        change(
            Resource::ScalingPolicy {
                region: "us-east-1".into(),
                cluster: "c".into(),
                service: "api".into(),
                policy: name.into(),
            },
            Reason::DriftCorrected,
            diff,
            Operation::Autoscaling(crate::plan::AutoscalingOperation::PutScalingPolicy { policy }),
        )
    };
    let tracking = policy(
        "cpu",
        ScalingPolicy::TargetTracking(TargetTrackingPolicy {
            metric: TrackedMetric::Predefined {
                predefined_metric_type: "ECSServiceAverageCPUUtilization".into(),
                resource_label: None,
            },
            target_value: 60.0,
            scale_in_cooldown: Some(300),
            scale_out_cooldown: None,
            disable_scale_in: false,
        }),
        vec![
            FieldDiff::new("disableScaleIn", false, false),
            FieldDiff::new("scaleInCooldown", 600, 300),
            FieldDiff::new("scaleOutCooldown", 60, serde_json::Value::Null),
            FieldDiff::new("targetValue", 75.5, 60.0),
        ],
    );
    let step = policy(
        "burst",
        ScalingPolicy::StepScaling(StepScalingPolicy {
            adjustment_type: "ChangeInCapacity".into(),
            cooldown: None,
            metric_aggregation_type: "Average".into(),
            min_adjustment_magnitude: None,
            steps: Vec::new(),
        }),
        vec![FieldDiff::new("cooldown", 30, serde_json::Value::Null)],
    );
    let out = accepting(&desired, &documents, &[&tracking, &step], &[], &[]);
    let text = documents[&path]
        .apply(&out.edits[&path])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains("            target: 75.5   # percent\n            scaleInCooldown: \"10m\"\n            scaleOutCooldown: 1m\n        stepScaling:"),
        "{text}"
    );
    assert_eq!(out.not_accepted.len(), 1);
    assert!(out.not_accepted[0].0.ends_with("/burst"));
    assert!(out.not_accepted[0]
        .1
        .starts_with("only a target-tracking policy's"));
}

/// Container Insights switched by hand: the cluster's value goes into `spec.clusters`.
#[test]
fn a_container_insights_drift_is_written_into_the_clusters_entry() {
    const CLUSTERS: &str = "\
apiVersion: mooring/v1
kind: Stack
metadata: { name: shop }
spec:
  clusters:
    dev:
      containerInsights: enabled   # the seed says so
";
    let path = PathBuf::from("shop.yaml");
    let desired = desired_state::parse_sources(&[(path.clone(), CLUSTERS.to_owned())])
        .unwrap_or_else(|e| panic!("{e}"));
    let documents = BTreeMap::from([(path.clone(), Document::parse(CLUSTERS).unwrap())]);
    let drift = change(
        Resource::EcsCluster {
            region: "us-east-1".into(),
            cluster: "dev".into(),
        },
        Reason::DriftCorrected,
        vec![FieldDiff::new(
            "settings.containerInsights",
            "enhanced",
            "enabled",
        )],
        Operation::Ecs(EcsOperation::SetContainerInsights {
            value: "enabled".into(),
        }),
    );
    let out = accepting(&desired, &documents, &[&drift], &[], &[]);
    assert!(out.not_accepted.is_empty(), "{:?}", out.not_accepted);
    let text = documents[&path].apply(&out.edits[&path]).unwrap();
    assert!(
        text.contains("      containerInsights: enhanced   # the seed says so\n"),
        "{text}"
    );
    assert_eq!(out.groups, vec!["g".to_owned()]);
}
