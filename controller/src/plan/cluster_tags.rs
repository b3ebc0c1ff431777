//! The stack tag on ECS clusters (`mooring:stack:<stack>`): how a pass finds a cluster the
//! stack no longer names, because its last service there left the desired state, and
//! releases what is left in it (`release.rs`).
//!
//! - Written before the claims of services (their `mooring:stack` tag, `service.rs`'s
//!   claim or count record, or the first sleep's TagResource in `offhours.rs`), whenever
//!   the cluster is not known to carry it: one TagResource per cluster and pass, in the
//!   cluster's own group, which every claim's change waits for (`Change::after`: the
//!   applier runs it first and skips the claims if it failed). A pass killed in between
//!   leaves a tagged cluster with unclaimed services (harmless), never the reverse. When
//!   the cluster tags were not read (a schedule-only pass) it is written anyway
//!   (TagResource is idempotent); claims are rare.
//! - Services claimed before cluster tags existed: their cluster gets the tag in a group
//!   of its own (full passes only, which read the cluster tags).
//! - Removed, last, by the pass that finds no service tagged as the stack's left in a
//!   cluster the stack no longer names: the pass that released the last one still saw
//!   it, so the tag outlives every service it leads to.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{Management, Stack};

use super::change::{cluster_group, Change, EcsOperation, Operation, Plan, Resource};
use super::offhours::SCHEDULE_REASONS;
use super::tags::{cluster_stack_tag, CLUSTER_STACK_TAG_VALUE, STACK_TAG};
use crate::events::{FieldDiff, Reason};
use crate::observed::{ObservedStack, ServiceState};

/// Plans the cluster tag once per cluster that a claim planned for `stack` since `start`
/// (an index into `plan.changes`) needs, and on the clusters of services claimed earlier
/// that lack it.
pub(super) fn plan_cluster_tags(
    stack: &Stack,
    seen: &ObservedStack,
    start: usize,
    plan: &mut Plan,
) {
    let name = stack.name.as_str();
    let key = cluster_stack_tag(name);
    let known_tagged = |cluster: &str| {
        seen.tagged_clusters
            .as_ref()
            .is_some_and(|tagged| tagged.contains_key(cluster))
    };
    // Per cluster: where the group of its first claim starts (the tag is shown before
    // it), and its TagResource.
    let mut tags: BTreeMap<String, (usize, Change)> = BTreeMap::new();
    for index in start..plan.changes.len() {
        let change = &plan.changes[index];
        let (
            Resource::EcsService { cluster, .. },
            Operation::Ecs(EcsOperation::TagService { arn, tags: written }),
        ) = (&change.resource, &change.operation)
        else {
            continue;
        };
        if change.stack != name
            || written.get(STACK_TAG).map(String::as_str) != Some(name)
            || known_tagged(cluster)
        {
            continue;
        }
        let cluster = cluster.clone();
        let reason = change.reason;
        let (_, tag) = tags.entry(cluster.clone()).or_insert_with(|| {
            let group_start = (start..index)
                .find(|&i| plan.changes[i].group == change.group)
                .unwrap_or(index);
            let arn = cluster_arn(arn, &cluster);
            (
                group_start,
                tag_cluster(name, &seen.region, &cluster, arn, &key),
            )
        });
        // A sleep's claim: the tag goes with it where only schedule-driven changes are
        // applied (the `offhours` Lambda).
        if SCHEDULE_REASONS.contains(&reason) {
            tag.reason = reason;
        }
        plan.changes[index].after = Some(tag.group.clone());
    }
    let covered: BTreeSet<String> = tags.keys().cloned().collect();
    let mut firsts: Vec<(usize, Change)> = tags.into_values().collect();
    // From the back, so the indexes still to come stay right.
    firsts.sort_by_key(|(index, _)| std::cmp::Reverse(*index));
    for (index, change) in firsts {
        plan.changes.insert(index, change);
    }
    if seen.tagged_clusters.is_none() {
        return;
    }
    let mut earlier: BTreeMap<&str, String> = BTreeMap::new();
    for service in &stack.services {
        if service.management != Management::Full
            || known_tagged(&service.cluster)
            || covered.contains(&service.cluster)
        {
            continue;
        }
        let key = crate::observed::ServiceKey::new(&service.cluster, &service.name);
        if let Some(ServiceState::Found(found)) = seen.services.get(&key) {
            if found.tags.get(STACK_TAG).map(String::as_str) == Some(name) {
                earlier
                    .entry(service.cluster.as_str())
                    .or_insert_with(|| cluster_arn(&found.arn, &service.cluster));
            }
        }
    }
    for (cluster, arn) in earlier {
        plan.changes
            .push(tag_cluster(name, &seen.region, cluster, arn, &key));
    }
}

/// Removes the stack's tag from the clusters it no longer names once none of its services
/// is left there. Only with the clusters read and listed: never on what was not seen.
pub(super) fn plan_cluster_release(stack: &Stack, seen: &ObservedStack, plan: &mut Plan) {
    let (Some(tagged), Some(listed)) = (&seen.tagged_clusters, &seen.listed) else {
        return;
    };
    if stack.services.is_empty() && !stack.prune.allow_empty {
        // Emptied: nothing is released (`release.rs`), so nothing is known to be gone.
        return;
    }
    let name = stack.name.as_str();
    let named: BTreeSet<&str> = stack.services.iter().map(|s| s.cluster.as_str()).collect();
    let key = cluster_stack_tag(name);
    for (cluster, arn) in tagged {
        let holds_ours = seen.undeclared.iter().any(|(service, found)| {
            service.cluster == *cluster
                && found.tags.get(STACK_TAG).map(String::as_str) == Some(name)
        });
        if named.contains(cluster.as_str()) || !listed.contains_key(cluster) || holds_ours {
            continue;
        }
        plan.changes.push(Change {
            stack: name.to_owned(),
            resource: Resource::EcsCluster {
                region: seen.region.clone(),
                cluster: cluster.clone(),
            },
            reason: Reason::Released,
            summary: format!(
                "release the cluster: no service of stack {name} is left in it (remove {key})"
            ),
            diff: vec![FieldDiff::new(
                format!("tags.{key}"),
                CLUSTER_STACK_TAG_VALUE,
                serde_json::Value::Null,
            )],
            operation: Operation::Ecs(EcsOperation::UntagCluster {
                arn: arn.clone(),
                keys: vec![key.clone()],
            }),
            group: cluster_group(&seen.region, cluster),
            after: None,
        });
    }
}

/// The TagResource of the stack's cluster tag, in the cluster's own group.
fn tag_cluster(stack: &str, region: &str, cluster: &str, arn: String, key: &str) -> Change {
    Change {
        stack: stack.to_owned(),
        resource: Resource::EcsCluster {
            region: region.to_owned(),
            cluster: cluster.to_owned(),
        },
        reason: Reason::Adopted,
        summary: format!("record on the cluster that stack {stack} manages services in it ({key})"),
        diff: vec![FieldDiff::new(
            format!("tags.{key}"),
            serde_json::Value::Null,
            CLUSTER_STACK_TAG_VALUE,
        )],
        operation: Operation::Ecs(EcsOperation::TagCluster {
            arn,
            tags: BTreeMap::from([(key.to_owned(), CLUSTER_STACK_TAG_VALUE.to_owned())]),
        }),
        group: cluster_group(region, cluster),
        after: None,
    }
}

/// The cluster's ARN from one of its services' (`arn:…:service/<cluster>/<name>`): same
/// partition, region and account.
pub(super) fn cluster_arn(service_arn: &str, cluster: &str) -> String {
    let prefix = match service_arn.split_once(":service/") {
        Some((prefix, _)) => prefix.to_owned(),
        None => service_arn
            .splitn(6, ':')
            .take(5)
            .collect::<Vec<_>>()
            .join(":"),
    };
    format!("{prefix}:cluster/{cluster}")
}
