//! The stack tag on clusters (`plan/cluster_tags.rs`): written once per cluster and pass,
//! in the cluster's group, which the claims wait for; removed once a cluster the stack no longer names holds none of its
//! services.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use desired_state::DesiredState;

use super::super::tags::*;
use super::*;
use crate::observed::{
    ObservedService, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

/// `dev` declares `keep` in cluster `dev`; `old` is a cluster it no longer names.
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

const DEV_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/dev";
const OLD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/old";

fn desired() -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), STACK.to_owned())]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    }
}

fn service(cluster: &str, name: &str, tags: &[(&str, &str)]) -> ObservedService {
    ObservedService {
        arn: format!("arn:aws:ecs:us-east-1:123456789012:service/{cluster}/{name}"),
        desired_count: 1,
        running_count: 1,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        scalable_target: TargetObservation::Absent,
    }
}

/// `keep` with `keep_tags`; `tagged`: the clusters found carrying `mooring:stack:dev`
/// (`None`: not read); `undeclared`: services found in listed clusters.
fn plan_with(
    keep_tags: &[(&str, &str)],
    tagged: Option<&[(&str, &str)]>,
    listed: &[&str],
    undeclared: &[(&str, &str, ObservedService)],
) -> Plan {
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        tagged_clusters: tagged.map(|pairs| {
            pairs
                .iter()
                .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
                .collect()
        }),
        listed: Some(
            listed
                .iter()
                .map(|c| ((*c).to_owned(), Vec::new()))
                .collect(),
        ),
        ..ObservedStack::default()
    };
    stack.services.insert(
        ServiceKey::new("dev", "keep"),
        ServiceState::Found(service("dev", "keep", keep_tags)),
    );
    for (cluster, name, found) in undeclared {
        stack
            .undeclared
            .insert(ServiceKey::new(*cluster, *name), found.clone());
    }
    let mut observed = Observed::default();
    observed.stacks.insert("dev".into(), stack);
    plan(
        &desired(),
        &observed,
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap(),
    )
}

fn summaries(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .map(|c| format!("{:?} {} [{}]: {}", c.reason, c.resource, c.group, c.summary))
        .collect()
}

#[test]
fn a_claim_in_an_untagged_cluster_waits_for_the_clusters_tag() {
    // Read and not tagged, or not read at all (schedule-only): the same.
    for tagged in [Some(&[][..]), None] {
        let plan = plan_with(&[(COUNT_TAG, "1")], tagged, &["dev"], &[]);
        assert_eq!(
            summaries(&plan),
            [
                "Adopted ecs-cluster dev [cluster:us-east-1:dev]: record on the cluster that stack dev manages services in it (mooring:stack:dev)",
                "Adopted ecs-service dev/keep [us-east-1/dev/keep]: claim the service for stack dev and record the applied desiredCount (mooring:count=1)",
            ],
            "{tagged:?}"
        );
        assert_eq!(plan.changes[0].after, None);
        assert_eq!(
            plan.changes[1].after.as_deref(),
            Some("cluster:us-east-1:dev"),
            "the claim runs only once the cluster's tag is written"
        );
        assert_eq!(
            plan.changes[0].operation,
            Operation::Ecs(EcsOperation::TagCluster {
                arn: DEV_ARN.into(),
                tags: BTreeMap::from([("mooring:stack:dev".to_owned(), "managed".to_owned())]),
            })
        );
    }
}

#[test]
fn a_tagged_cluster_is_not_tagged_again() {
    let plan = plan_with(
        &[(COUNT_TAG, "1")],
        Some(&[("dev", DEV_ARN)]),
        &["dev"],
        &[],
    );
    assert_eq!(
        summaries(&plan),
        ["Adopted ecs-service dev/keep [us-east-1/dev/keep]: claim the service for stack dev and record the applied desiredCount (mooring:count=1)"]
    );
    assert_eq!(plan.changes[0].after, None);
}

#[test]
fn claims_of_many_services_in_one_cluster_share_one_cluster_tag() {
    let three = STACK.replace(
        "      desiredCount: 1
",
        "      desiredCount: 1
    - cluster: dev
      name: web
      desiredCount: 1
    - cluster: dev
      name: api
      desiredCount: 1
",
    );
    let desired = match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), three)]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!(
            "fixture is invalid:
{diagnostics}"
        ),
    };
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        tagged_clusters: Some(BTreeMap::new()),
        ..ObservedStack::default()
    };
    for name in ["keep", "web", "api"] {
        stack.services.insert(
            ServiceKey::new("dev", name),
            ServiceState::Found(service("dev", name, &[])),
        );
    }
    let observed = Observed {
        stacks: BTreeMap::from([("dev".to_owned(), stack)]),
    };
    let plan = plan(
        &desired,
        &observed,
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap(),
    );
    let cluster_tags = plan
        .changes
        .iter()
        .filter(|c| matches!(c.operation, Operation::Ecs(EcsOperation::TagCluster { .. })))
        .count();
    assert_eq!(cluster_tags, 1, "{plan:#?}");
    let claims: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.operation, Operation::Ecs(EcsOperation::TagService { .. })))
        .collect();
    assert_eq!(claims.len(), 3, "one TagResource per service: {plan:#?}");
    assert!(claims
        .iter()
        .all(|c| c.after.as_deref() == Some("cluster:us-east-1:dev")));
}

#[test]
fn a_service_claimed_before_cluster_tags_existed_gets_its_cluster_tagged_on_its_own() {
    let claimed = [(STACK_TAG, "dev"), (COUNT_TAG, "1")];
    let plan = plan_with(&claimed, Some(&[]), &["dev"], &[]);
    assert_eq!(
        summaries(&plan),
        ["Adopted ecs-cluster dev [cluster:us-east-1:dev]: record on the cluster that stack dev manages services in it (mooring:stack:dev)"]
    );
    // Not read (schedule-only): nothing to decide on, nothing planned.
    assert!(plan_with(&claimed, None, &["dev"], &[]).changes.is_empty());
}

#[test]
fn a_cluster_no_longer_named_keeps_its_tag_until_the_stacks_last_service_there_is_released() {
    let claimed = [(STACK_TAG, "dev"), (COUNT_TAG, "1")];
    let tagged = [("dev", DEV_ARN), ("old", OLD_ARN)];
    let gone = service("old", "gone", &[(STACK_TAG, "dev"), (WAKE_COUNT_TAG, "1")]);
    // The pass that releases the service leaves the cluster's tag alone...
    let releasing = plan_with(
        &claimed,
        Some(&tagged),
        &["dev", "old"],
        &[("old", "gone", gone)],
    );
    assert_eq!(
        summaries(&releasing),
        ["Released ecs-service old/gone [us-east-1/old/gone]: release the service: it left stack dev's desired state (remove mooring:stack, mooring:wake-count)"]
    );
    // ...the next one, which finds none of the stack's services left there, removes it.
    let other = service("old", "theirs", &[(STACK_TAG, "other")]);
    let after = plan_with(
        &claimed,
        Some(&tagged),
        &["dev", "old"],
        &[("old", "theirs", other)],
    );
    assert_eq!(
        summaries(&after),
        ["Released ecs-cluster old [cluster:us-east-1:old]: release the cluster: no service of stack dev is left in it (remove mooring:stack:dev)"]
    );
    assert_eq!(
        after.changes[0].operation,
        Operation::Ecs(EcsOperation::UntagCluster {
            arn: OLD_ARN.into(),
            keys: vec!["mooring:stack:dev".into()],
        })
    );
}

#[test]
fn a_cluster_not_listed_keeps_its_tag() {
    let claimed = [(STACK_TAG, "dev"), (COUNT_TAG, "1")];
    let plan = plan_with(
        &claimed,
        Some(&[("dev", DEV_ARN), ("old", OLD_ARN)]),
        &["dev"],
        &[],
    );
    assert!(plan.changes.is_empty(), "{plan:#?}");
}

#[test]
fn a_stack_emptied_of_services_releases_nothing_through_its_cluster_tags() {
    let emptied = STACK.replace(
        "  services:\n    - cluster: dev\n      name: keep\n      desiredCount: 1\n",
        "  services: []\n",
    );
    let desired = match desired_state::parse_sources(&[(PathBuf::from("dev.yaml"), emptied)]) {
        Ok(desired) => desired,
        Err(diagnostics) => panic!("fixture is invalid:\n{diagnostics}"),
    };
    let mut stack = ObservedStack {
        region: "us-east-1".into(),
        tagged_clusters: Some(BTreeMap::from([("old".to_owned(), OLD_ARN.to_owned())])),
        listed: Some(BTreeMap::from([("old".to_owned(), Vec::new())])),
        ..ObservedStack::default()
    };
    stack.undeclared.insert(
        ServiceKey::new("old", "gone"),
        service("old", "gone", &[(STACK_TAG, "dev"), (WAKE_COUNT_TAG, "1")]),
    );
    let observed = Observed {
        stacks: BTreeMap::from([("dev".to_owned(), stack)]),
    };
    let plan = plan(
        &desired,
        &observed,
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap(),
    );
    assert!(plan.changes.is_empty(), "{plan:#?}");
}
