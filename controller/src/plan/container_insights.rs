//! Container Insights on the clusters a stack declares (`spec.clusters`).
//!
//! A cluster is never mooring's: the deploy pipeline or Terraform created it, and mooring
//! neither creates nor deletes one. Declaring `containerInsights` is the stack's choice
//! to have mooring set that one setting, so each change says so in its summary. What
//! mooring last set is recorded on the cluster (`mooring:container-insights`, written
//! after the setting, and only when it differs from the declared value): with it a later
//! difference is told apart as drift (DriftCorrected) or a new declaration
//! (DesiredChanged) by `evidence.rs`, as for the other resources. Without it (the first
//! change) the change is Updated, worded as mooring's first change of the cluster.
//!
//! Per cluster: `full`: UpdateCluster (then the record) in a group of its own; `observe`:
//! a DriftDetected warning; `paused`: nothing (not even read). A cluster that does not
//! exist is a ClusterNotFound warning, never a failure.

use std::collections::BTreeMap;

use desired_state::{Cluster, Management, Stack};

use super::change::{container_insights_group, EcsOperation, Notice, Operation, Plan, Resource};
use super::evidence::{self, Evidence};
use super::ownership::{emit, observe_only, Step, StepKind};
use super::tags::CONTAINER_INSIGHTS_TAG;
use crate::events::{FieldDiff, Reason};
use crate::observed::clusters::{ClusterState, ObservedCluster};
use crate::observed::ObservedStack;

/// Plans the Container Insights setting of every cluster `stack` declares.
pub(super) fn plan_container_insights(stack: &Stack, seen: &ObservedStack, plan: &mut Plan) {
    for (name, cluster) in &stack.clusters {
        if cluster.management == Management::Paused {
            continue;
        }
        let resource = Resource::EcsCluster {
            region: seen.region.clone(),
            cluster: name.clone(),
        };
        // Not read (a schedule-only pass, a failed read): nothing is planned blind.
        match seen.clusters.get(name) {
            None => {}
            Some(ClusterState::Missing { why }) => plan.notices.push(Notice::warning(
                &stack.name,
                Some(resource),
                Reason::ClusterNotFound,
                format!(
                    "cluster {name} not found ({why}): its containerInsights ({}) cannot be kept; mooring never creates clusters",
                    cluster.container_insights
                ),
            )),
            Some(ClusterState::Found(found)) => {
                plan_cluster(stack, &seen.region, name, cluster, found, resource, plan);
            }
        }
    }
}

fn plan_cluster(
    stack: &Stack,
    region: &str,
    name: &str,
    cluster: &Cluster,
    found: &ObservedCluster,
    resource: Resource,
    plan: &mut Plan,
) {
    let declared = cluster.container_insights.as_str();
    let recorded = found.tags.get(CONTAINER_INSIGHTS_TAG).map(String::as_str);
    let evidence = evidence::evidence(recorded, declared);
    let mut steps = Vec::new();
    if found.container_insights.as_deref() != Some(declared) {
        let was = found.container_insights.as_deref().unwrap_or("not set");
        let set = format!("set containerInsights of cluster {name} to {declared} (was {was})");
        let (kind, summary) = match evidence {
            // Nothing says mooring ever set it: this is the stack's first change of a
            // cluster it does not own, and the summary says so instead of "cannot tell".
            Evidence::Unknown => (
                StepKind::Given(Reason::Updated),
                format!(
                    "{set}: the cluster is not mooring's; stack {} declares the setting in spec.clusters, and this is mooring's first change of it (no {CONTAINER_INSIGHTS_TAG} record on the cluster)",
                    stack.name
                ),
            ),
            _ => (StepKind::Update, set),
        };
        steps.push(Step {
            resource: resource.clone(),
            kind,
            summary,
            diff: vec![FieldDiff::new(
                "settings.containerInsights",
                found.container_insights.clone(),
                declared,
            )],
            operation: Operation::Ecs(EcsOperation::SetContainerInsights {
                value: declared.to_owned(),
            }),
        });
    }
    if cluster.management == Management::Full && recorded != Some(declared) {
        // Written after the setting (skipped when it fails), so it never claims a value
        // the cluster does not have; alone when the cluster already had the value.
        let reason = steps
            .first()
            .map(|step| step.kind.reason(&evidence))
            .unwrap_or(Reason::Updated);
        steps.push(Step {
            resource,
            kind: StepKind::Record(reason),
            summary: format!(
                "record on cluster {name} that stack {} keeps containerInsights {declared} ({CONTAINER_INSIGHTS_TAG})",
                stack.name
            ),
            diff: vec![FieldDiff::new(
                format!("tags.{CONTAINER_INSIGHTS_TAG}"),
                recorded.map(str::to_owned),
                declared,
            )],
            operation: Operation::Ecs(EcsOperation::TagCluster {
                arn: found.arn.clone(),
                tags: BTreeMap::from([(CONTAINER_INSIGHTS_TAG.to_owned(), declared.to_owned())]),
            }),
        });
    }
    emit(
        steps,
        cluster.management,
        &evidence,
        (&stack.name, &container_insights_group(region, name)),
        |summary| observe_only(&format!("would {summary}")),
        plan,
    );
}
