//! Container Insights on declared clusters (`plan/container_insights.rs`): the setting by
//! management mode, a missing cluster, and the record that tells drift from a new
//! declaration.

use std::collections::BTreeMap;

use super::*;
use crate::observed::clusters::{ClusterState, ObservedCluster};

const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/dev";

fn stack(value: &str, management: &str) -> DesiredState {
    desired(&format!(
        r#"
apiVersion: mooring/v1
kind: Stack
metadata:
  name: shop
spec:
  region: us-east-1
  clusters:
    dev: {{ containerInsights: {value}, management: {management} }}
"#
    ))
}

/// `dev` with the setting at `value` (`None`: not reported) and the record at `recorded`.
fn observed(state: Option<ClusterState>) -> Observed {
    let mut seen = ObservedStack {
        region: "us-east-1".into(),
        ..ObservedStack::default()
    };
    if let Some(state) = state {
        seen.clusters.insert("dev".into(), state);
    }
    Observed {
        stacks: BTreeMap::from([("shop".to_owned(), seen)]),
    }
}

fn cluster(value: Option<&str>, recorded: Option<&str>) -> Option<ClusterState> {
    Some(ClusterState::Found(ObservedCluster {
        arn: ARN.into(),
        container_insights: value.map(str::to_owned),
        tags: recorded
            .map(|r| BTreeMap::from([(CONTAINER_INSIGHTS_TAG.to_owned(), r.to_owned())]))
            .unwrap_or_default(),
    }))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
}

fn set(value: &str) -> Operation {
    Operation::Ecs(EcsOperation::SetContainerInsights {
        value: value.into(),
    })
}

fn record(value: &str) -> Operation {
    Operation::Ecs(EcsOperation::TagCluster {
        arn: ARN.into(),
        tags: BTreeMap::from([(CONTAINER_INSIGHTS_TAG.to_owned(), value.to_owned())]),
    })
}

#[test]
fn the_first_change_sets_the_value_then_records_it_and_says_the_cluster_is_not_ours() {
    for (declared, was) in [
        ("enabled", "disabled"),
        ("enhanced", "enabled"),
        ("disabled", "enhanced"),
    ] {
        let plan = plan(
            &stack(declared, "full"),
            &observed(cluster(Some(was), None)),
            now(),
        );
        assert!(plan.notices.is_empty(), "{:#?}", plan.notices);
        let [update, tag] = plan.changes.as_slice() else {
            panic!("{:#?}", plan.changes)
        };
        assert_eq!(update.operation, set(declared));
        assert_eq!(update.reason, Reason::Updated);
        assert!(
            update.summary.contains("the cluster is not mooring's")
                && update.summary.contains("mooring's first change of it"),
            "{}",
            update.summary
        );
        assert_eq!(
            update.diff,
            vec![crate::events::FieldDiff::new(
                "settings.containerInsights",
                was,
                declared
            )]
        );
        assert_eq!(tag.operation, record(declared));
        assert_eq!(tag.reason, Reason::Updated);
        // One group of its own, apart from the cluster-tag group that claims wait for.
        assert_eq!(update.group, "container-insights:us-east-1:dev");
        assert_eq!(tag.group, update.group);
        assert_ne!(
            update.group,
            super::super::change::cluster_group("us-east-1", "dev")
        );
        assert_eq!(
            update.resource,
            Resource::EcsCluster {
                region: "us-east-1".into(),
                cluster: "dev".into()
            }
        );
    }
}

#[test]
fn a_converged_cluster_plans_nothing() {
    let plan = plan(
        &stack("enhanced", "full"),
        &observed(cluster(Some("enhanced"), Some("enhanced"))),
        now(),
    );
    assert_eq!(plan, Plan::default());
}

#[test]
fn a_cluster_already_at_the_value_only_gets_the_record() {
    let plan = plan(
        &stack("enabled", "full"),
        &observed(cluster(Some("enabled"), None)),
        now(),
    );
    let [tag] = plan.changes.as_slice() else {
        panic!("{:#?}", plan.changes)
    };
    assert_eq!(tag.operation, record("enabled"));
}

#[test]
fn a_hand_made_change_after_mooring_set_it_is_drift() {
    let plan = plan(
        &stack("enabled", "full"),
        &observed(cluster(Some("disabled"), Some("enabled"))),
        now(),
    );
    let [update] = plan.changes.as_slice() else {
        panic!("{:#?}", plan.changes)
    };
    assert_eq!(update.operation, set("enabled"));
    assert_eq!(update.reason, Reason::DriftCorrected);
    assert!(
        update.summary.contains("changed outside mooring"),
        "{}",
        update.summary
    );
}

#[test]
fn a_new_declaration_is_desired_changed_and_rewrites_the_record() {
    let plan = plan(
        &stack("enhanced", "full"),
        &observed(cluster(Some("enabled"), Some("enabled"))),
        now(),
    );
    let [update, tag] = plan.changes.as_slice() else {
        panic!("{:#?}", plan.changes)
    };
    assert_eq!(update.reason, Reason::DesiredChanged);
    assert!(
        update.summary.contains("enabled → enhanced"),
        "{}",
        update.summary
    );
    assert_eq!(tag.operation, record("enhanced"));
    assert_eq!(tag.reason, Reason::DesiredChanged);
}

#[test]
fn a_cluster_that_reports_no_setting_gets_it() {
    let plan = plan(
        &stack("disabled", "full"),
        &observed(cluster(None, None)),
        now(),
    );
    assert_eq!(plan.changes[0].operation, set("disabled"));
    assert_eq!(plan.changes[0].diff[0].before, serde_json::Value::Null);
}

#[test]
fn observe_reports_the_difference_and_writes_nothing() {
    let plan = plan(
        &stack("enabled", "observe"),
        &observed(cluster(Some("disabled"), None)),
        now(),
    );
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    let [notice] = plan.notices.as_slice() else {
        panic!("{:#?}", plan.notices)
    };
    assert_eq!(notice.reason, Reason::DriftDetected);
    assert_eq!(notice.kind, EventType::Warning);
    assert!(notice
        .message
        .starts_with("would set containerInsights of cluster dev to enabled"));
    assert!(notice
        .message
        .ends_with("management is `observe`, so it is only reported"));
    // Observe never writes the record either: no warning about a missing tag.
    let converged = plan_of("enabled", "observe", cluster(Some("enabled"), None));
    assert_eq!(converged, Plan::default());
}

fn plan_of(value: &str, management: &str, state: Option<ClusterState>) -> Plan {
    plan(&stack(value, management), &observed(state), now())
}

#[test]
fn paused_plans_nothing_whatever_the_cluster() {
    for state in [
        cluster(Some("disabled"), None),
        Some(ClusterState::Missing {
            why: "ECS says MISSING".into(),
        }),
    ] {
        assert_eq!(plan_of("enabled", "paused", state), Plan::default());
    }
}

#[test]
fn a_missing_cluster_is_a_warning_not_a_change() {
    for management in ["full", "observe"] {
        let plan = plan_of(
            "enabled",
            management,
            Some(ClusterState::Missing {
                why: "ECS says MISSING".into(),
            }),
        );
        assert!(plan.changes.is_empty());
        let [notice] = plan.notices.as_slice() else {
            panic!("{:#?}", plan.notices)
        };
        assert_eq!(notice.reason, Reason::ClusterNotFound);
        assert_eq!(notice.kind, EventType::Warning);
        assert!(notice
            .message
            .contains("cluster dev not found (ECS says MISSING)"));
    }
}

#[test]
fn a_cluster_not_read_is_not_planned() {
    assert_eq!(plan_of("enabled", "full", None), Plan::default());
}
