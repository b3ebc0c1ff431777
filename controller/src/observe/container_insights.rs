//! The clusters stacks declare settings for (`spec.clusters`), full passes only: per
//! region, one DescribeClusters with settings and tags per 100 declared clusters, shared
//! by every stack of the region. A paused cluster is not read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use desired_state::{DesiredState, Management};
use futures::stream::{self, StreamExt};

use crate::aws::clusters::{self, ClusterError};
use crate::aws::Clients;
use crate::observed::account_of_arn;
use crate::observed::clusters::ClusterState;

/// What the reads found, by region (cluster name → state), before it is recorded.
pub(super) type ClusterReads = Vec<(
    String,
    Result<Vec<(String, ClusterState)>, Arc<ClusterError>>,
)>;

/// Reads the declared clusters of every region that `regions` (stack → region) covers.
pub(super) async fn read_clusters(
    desired: &DesiredState,
    regions: &BTreeMap<String, String>,
    clients: &Clients,
    concurrency: usize,
) -> ClusterReads {
    let mut by_region: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for stack in &desired.stacks {
        let Some(region) = regions.get(&stack.name) else {
            continue;
        };
        for (name, cluster) in &stack.clusters {
            if cluster.management != Management::Paused {
                by_region
                    .entry(region.as_str())
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    stream::iter(by_region)
        .map(|(region, names)| async move {
            let client = clients.ecs(region).await;
            let names: Vec<String> = names.into_iter().collect();
            let result = clusters::describe_cluster_settings(&client, &names)
                .await
                .map_err(Arc::new);
            (region.to_owned(), result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Gives each stack the clusters it declares (not paused); returns (stack, region,
/// error) for each stack whose region's read failed (its clusters stay unread).
pub(super) fn record_clusters(
    desired: &DesiredState,
    reads: ClusterReads,
    observed: &mut crate::observed::Observed,
) -> Vec<(String, String, Arc<ClusterError>)> {
    let mut failures = Vec::new();
    for (region, result) in reads {
        for stack in &desired.stacks {
            let Some(seen) = observed.stacks.get_mut(&stack.name) else {
                continue;
            };
            let declared: Vec<&String> = stack
                .clusters
                .iter()
                .filter(|(_, c)| c.management != Management::Paused)
                .map(|(name, _)| name)
                .collect();
            if seen.region != region || declared.is_empty() {
                continue;
            }
            match &result {
                Ok(states) => {
                    for (name, state) in states {
                        if !declared.contains(&name) {
                            continue;
                        }
                        // A stack of clusters only has no service ARN to tell its account:
                        // the planner's account check reads it from here then.
                        if let (None, ClusterState::Found(found)) = (&seen.account, state) {
                            seen.account = account_of_arn(&found.arn).map(str::to_owned);
                        }
                        seen.clusters.insert(name.clone(), state.clone());
                    }
                }
                Err(error) => {
                    failures.push((stack.name.clone(), region.clone(), Arc::clone(error)));
                }
            }
        }
    }
    failures
}
