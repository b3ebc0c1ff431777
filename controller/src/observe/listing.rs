//! The services of a stack's clusters (those it names, and those tagged for it,
//! `clusters.rs`) that it does not declare (full passes only): what
//! release and the foreign-stack warning need. Per cluster, ListServices (100 a page);
//! DescribeServices with tags for the names the stack does not declare (10 a call); only
//! those carrying a `mooring:` tag are kept. The scalable targets (with policies and
//! scheduled actions) are then read for the ones tagged as this stack's, to unfreeze
//! them: one more round of Application Auto Scaling reads, only while something is being
//! released.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use desired_state::DesiredState;
use futures::stream::{self, StreamExt};

use crate::aws::autoscaling::{self, AutoscalingError};
use crate::aws::ecs::{self, EcsError};
use crate::aws::Clients;
use crate::observed::autoscaling::ecs_resource_id;
use crate::observed::{Observed, ObservedService, ServiceKey, ServiceState, TargetObservation};
use crate::plan::STACK_TAG;

/// The prefix of every tag mooring writes.
const MOORING_TAG_PREFIX: &str = "mooring:";

type ClusterListing = (Vec<String>, Vec<(ServiceKey, ObservedService)>);

/// A listing read that failed, by stack (`observe` turns it into its `ObserveError`).
pub(super) enum ListingError {
    Ecs {
        stack: String,
        source: EcsError,
    },
    Autoscaling {
        stack: String,
        region: String,
        source: Arc<AutoscalingError>,
    },
}

/// Fills `undeclared` and `listed` of every observed stack; the reads that failed are
/// returned, and a stack with one leaves `listed` at `None` (nothing is released blind).
pub(super) async fn observe_undeclared(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
    extra_clusters: &BTreeMap<String, Vec<String>>,
    observed: &mut Observed,
) -> Vec<ListingError> {
    // (stack, region, cluster, names the stack declares there, paused ones included).
    let mut reads: Vec<(String, String, String, BTreeSet<String>)> = Vec::new();
    for stack in &desired.stacks {
        let Some(seen) = observed.stacks.get(&stack.name) else {
            continue;
        };
        let mut by_cluster: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for service in &stack.services {
            by_cluster
                .entry(service.cluster.clone())
                .or_default()
                .insert(service.name.clone());
        }
        for cluster in extra_clusters.get(&stack.name).into_iter().flatten() {
            by_cluster.entry(cluster.clone()).or_default();
        }
        // Clusters the stack no longer names but tagged for it: its last service there
        // may have left the desired state.
        // A stack emptied of services releases nothing unless its owner said so
        // (`prune.allowEmpty`, as `mooring release` does): an emptied file is more often
        // a mistake than a decision.
        let releases = !stack.services.is_empty() || stack.prune.allow_empty;
        for cluster in seen
            .tagged_clusters
            .iter()
            .filter(|_| releases)
            .flat_map(|tagged| tagged.keys())
        {
            by_cluster.entry(cluster.clone()).or_default();
        }
        for (cluster, declared) in by_cluster {
            reads.push((stack.name.clone(), seen.region.clone(), cluster, declared));
        }
    }
    let results = stream::iter(reads)
        .map(|(stack, region, cluster, declared)| async move {
            let client = clients.ecs(&region).await;
            let result = list_cluster(&client, &cluster, &declared).await;
            (stack, cluster, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;

    let mut failures = Vec::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    for (stack, cluster, result) in results {
        let Some(seen) = observed.stacks.get_mut(&stack) else {
            continue;
        };
        match result {
            Ok((names, found)) => {
                seen.listed
                    .get_or_insert_with(BTreeMap::new)
                    .insert(cluster, names);
                seen.undeclared.extend(found);
            }
            Err(source) => {
                failed.insert(stack.clone());
                failures.push(ListingError::Ecs { stack, source });
            }
        }
    }
    for stack in &failed {
        if let Some(seen) = observed.stacks.get_mut(stack) {
            seen.listed = None;
            seen.undeclared.clear();
        }
    }
    failures.extend(read_targets(clients, concurrency, observed).await);
    failures
}

/// Lists one cluster and describes the services `declared` does not name; keeps those
/// with a `mooring:` tag.
async fn list_cluster(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    declared: &BTreeSet<String>,
) -> Result<ClusterListing, EcsError> {
    let names = ecs::list_services(client, cluster).await?;
    let undeclared: Vec<String> = names
        .iter()
        .filter(|name| !declared.contains(*name))
        .cloned()
        .collect();
    let found = if undeclared.is_empty() {
        Vec::new()
    } else {
        ecs::describe_services(client, cluster, &undeclared).await?
    };
    let tagged = found
        .into_iter()
        .filter_map(|(key, state)| match state {
            ServiceState::Found(service)
                if service
                    .tags
                    .keys()
                    .any(|k| k.starts_with(MOORING_TAG_PREFIX)) =>
            {
                Some((key, service))
            }
            _ => None,
        })
        .collect();
    Ok((names, tagged))
}

/// The scalable targets of the undeclared services tagged as their stack's, by region.
async fn read_targets(
    clients: &Clients,
    concurrency: usize,
    observed: &mut Observed,
) -> Vec<ListingError> {
    let mut by_region: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for (name, seen) in &observed.stacks {
        for (key, service) in &seen.undeclared {
            if service.tags.get(STACK_TAG) == Some(name) {
                let entry = by_region.entry(seen.region.clone()).or_default();
                entry.0.insert(name.clone());
                entry.1.insert(ecs_resource_id(&key.cluster, &key.name));
            }
        }
    }
    let results = stream::iter(by_region)
        .map(|(region, (stacks, ids))| async move {
            let client = clients.autoscaling(&region).await;
            let ids: Vec<String> = ids.into_iter().collect();
            let result = autoscaling::observe_targets(&client, &ids, concurrency, true).await;
            (region, stacks, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut failures = Vec::new();
    for (region, stacks, result) in results {
        match result {
            Ok(targets) => {
                for (name, seen) in observed.stacks.iter_mut() {
                    if seen.region != region {
                        continue;
                    }
                    for (key, service) in seen.undeclared.iter_mut() {
                        if service.tags.get(STACK_TAG) != Some(name) {
                            continue;
                        }
                        service.scalable_target = match targets
                            .get(&ecs_resource_id(&key.cluster, &key.name))
                        {
                            Some(target) => TargetObservation::Registered(Box::new(target.clone())),
                            None => TargetObservation::Absent,
                        };
                    }
                }
            }
            Err(error) => {
                // Targets stay `Unknown`: the release of those services waits.
                let source = Arc::new(error);
                failures.extend(stacks.into_iter().map(|stack| ListingError::Autoscaling {
                    stack,
                    region: region.clone(),
                    source: Arc::clone(&source),
                }));
            }
        }
    }
    failures
}
