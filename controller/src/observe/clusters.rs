//! The clusters that carry a stack's cluster tag (`mooring:stack:<stack>`), full passes
//! of stacks that declare services (or `prune.allowEmpty`) only: per region, ListClusters (100 a page) and DescribeClusters with tags (100 a
//! call), so two calls for up to 100 clusters, shared by every stack of the region. The
//! listing (`listing.rs`) then reads those clusters too, so a cluster whose last service
//! of the stack left the desired state is still released.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use desired_state::DesiredState;
use futures::stream::{self, StreamExt};

use crate::aws::ecs::{self, EcsError};
use crate::aws::Clients;
use crate::observed::Observed;
use crate::plan::cluster_stack_tag;

/// Fills `tagged_clusters` of every observed stack; a region whose read failed leaves its
/// stacks at `None` and returns one error per stack.
pub(super) async fn observe_tagged_clusters(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
    observed: &mut Observed,
) -> Vec<(String, String, Arc<EcsError>)> {
    // Only stacks that can claim or release services need them: one without services
    // (alarms and topics only) releases nothing unless `prune.allowEmpty` says so.
    let readers: BTreeSet<&str> = desired
        .stacks
        .iter()
        .filter(|s| !s.services.is_empty() || s.prune.allow_empty)
        .map(|s| s.name.as_str())
        .collect();
    let regions: BTreeSet<String> = observed
        .stacks
        .iter()
        .filter(|(name, _)| readers.contains(name.as_str()))
        .map(|(_, s)| s.region.clone())
        .collect();
    let results = stream::iter(regions)
        .map(|region| async move {
            let client = clients.ecs(&region).await;
            let result = ecs::clusters_with_tags(&client).await.map_err(Arc::new);
            (region, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut failures = Vec::new();
    for (region, result) in results {
        for (name, seen) in observed.stacks.iter_mut() {
            if seen.region != region || !readers.contains(name.as_str()) {
                continue;
            }
            match &result {
                Ok(clusters) => {
                    let key = cluster_stack_tag(name);
                    let tagged: BTreeMap<String, String> = clusters
                        .iter()
                        .filter(|(_, (_, tags))| tags.contains_key(&key))
                        .map(|(cluster, (arn, _))| (cluster.clone(), arn.clone()))
                        .collect();
                    seen.tagged_clusters = Some(tagged);
                }
                Err(error) => failures.push((name.clone(), region.clone(), Arc::clone(error))),
            }
        }
    }
    failures
}
