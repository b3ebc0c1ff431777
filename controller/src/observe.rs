//! Observe: one batched read of everything the desired state names.

use std::collections::BTreeMap;

use desired_state::{DesiredState, Management};
use futures::stream::{self, StreamExt};

use crate::aws::ecs::{self, EcsError};
use crate::aws::{Clients, NoRegion};
use crate::observed::{account_of_arn, Observed, ObservedStack, ServiceState};

/// A read that failed. The resources it covered are left out of `Observed`, so the
/// planner plans nothing for them (never act on what was not seen).
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("observing stack {stack} failed")]
    Region {
        stack: String,
        #[source]
        source: NoRegion,
    },
    #[error("observing stack {stack} failed")]
    Ecs {
        stack: String,
        #[source]
        source: EcsError,
    },
}

impl ObserveError {
    /// The stack whose resources were not observed.
    pub fn stack(&self) -> &str {
        match self {
            ObserveError::Region { stack, .. } | ObserveError::Ecs { stack, .. } => stack,
        }
    }
}

/// Reads every declared service, one DescribeServices call per cluster and batch of
/// ten, at most `concurrency` calls in flight.
pub async fn observe(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
) -> (Observed, Vec<ObserveError>) {
    let mut observed = Observed::default();
    let mut failures = Vec::new();
    // (stack, region, cluster) → declared service names.
    let mut reads: Vec<(String, String, String, Vec<String>)> = Vec::new();
    for stack in &desired.stacks {
        let region = match clients.resolve_region(stack.region.as_deref()) {
            Ok(region) => region,
            Err(source) => {
                failures.push(ObserveError::Region {
                    stack: stack.name.clone(),
                    source,
                });
                continue;
            }
        };
        let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for service in &stack.services {
            // Paused resources are skipped entirely, reads included.
            if service.management != Management::Paused {
                by_cluster
                    .entry(service.cluster.as_str())
                    .or_default()
                    .push(service.name.clone());
            }
        }
        for (cluster, names) in by_cluster {
            reads.push((
                stack.name.clone(),
                region.clone(),
                cluster.to_owned(),
                names,
            ));
        }
        observed.stacks.insert(
            stack.name.clone(),
            ObservedStack {
                region,
                ..ObservedStack::default()
            },
        );
    }

    let results = stream::iter(reads)
        .map(|(stack, region, cluster, names)| async move {
            let client = clients.ecs(&region).await;
            let result = ecs::describe_services(&client, &cluster, &names).await;
            (stack, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;

    for (stack, result) in results {
        match result {
            Ok(states) => {
                if let Some(seen) = observed.stacks.get_mut(&stack) {
                    for (key, state) in states {
                        if let ServiceState::Found(found) = &state {
                            if seen.account.is_none() {
                                seen.account = account_of_arn(&found.arn).map(str::to_owned);
                            }
                        }
                        seen.services.insert(key, state);
                    }
                }
            }
            Err(source) => failures.push(ObserveError::Ecs { stack, source }),
        }
    }
    (observed, failures)
}
