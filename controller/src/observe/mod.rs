//! Observe: one batched read of everything the desired state names. ECS services
//! (DescribeServices, 10 a call, tags included) and their scalable targets (50 a call,
//! then the region's policies and scheduled actions, see `aws::autoscaling`) are read
//! concurrently, then the clusters and listings beside the alarms and topics (`alerting`)
//! and the settings of the clusters stacks declare (`container_insights`).
//!
//! A schedule-only pass (`ObserveScope::ScheduleOnly`: the `offhours` Lambda,
//! `--schedule-only`) reads the services and the targets' own settings and nothing else:
//! sleep and wake change only those, and at N = 1,000 services with 3,000 alarms the rest
//! is a multi-MB DescribeAlarms answer and dozens of reads every few minutes.

pub(crate) mod alerting;
mod clusters;
mod container_insights;
mod dashboards;
pub(crate) mod lambda_permissions;
mod listing;

use self::listing::ListingError;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use desired_state::{DesiredState, Management};
use futures::stream::{self, StreamExt};

use crate::aws::autoscaling::{self, AutoscalingError};
use crate::aws::ecs::{self, EcsError};
use crate::aws::{Clients, NoRegion};
use crate::observed::autoscaling::{ecs_resource_id, ScalableTarget};
pub use crate::observed::ObserveScope;
use crate::observed::{
    account_of_arn, Observed, ObservedStack, ServiceKey, ServiceState, TargetObservation,
};

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
    #[error("observing the alarms and topics of stack {stack} failed")]
    Alerting {
        stack: String,
        #[source]
        source: self::alerting::AlertingReadError,
    },
    #[error("observing the dashboards of stack {stack} failed")]
    Dashboards {
        stack: String,
        #[source]
        source: crate::aws::dashboards::DashboardsError,
    },
    /// One read covers every stack of a region; each stack gets its own error.
    #[error("observing the clusters tagged for stack {stack} in {region} failed")]
    Clusters {
        stack: String,
        region: String,
        #[source]
        source: Arc<EcsError>,
    },
    /// One read per function covers every stack that names it; each gets its own error.
    #[error("observing the Lambda function policies of stack {stack} failed")]
    LambdaPolicy {
        stack: String,
        #[source]
        source: Arc<crate::aws::lambda::LambdaError>,
    },
    /// One read covers every stack of a region; each stack gets its own error.
    #[error("observing the settings of the clusters stack {stack} declares in {region} failed")]
    ClusterSettings {
        stack: String,
        region: String,
        #[source]
        source: Arc<crate::aws::clusters::ClusterError>,
    },
    /// One read covers every stack of a region; each stack gets its own error.
    #[error("observing the scalable targets of stack {stack} in {region} failed")]
    Autoscaling {
        stack: String,
        region: String,
        #[source]
        source: Arc<AutoscalingError>,
    },
}

impl ObserveError {
    /// The stack whose resources were not observed.
    pub fn stack(&self) -> &str {
        match self {
            ObserveError::Region { stack, .. }
            | ObserveError::Ecs { stack, .. }
            | ObserveError::Autoscaling { stack, .. }
            | ObserveError::Clusters { stack, .. }
            | ObserveError::ClusterSettings { stack, .. }
            | ObserveError::Alerting { stack, .. }
            | ObserveError::Dashboards { stack, .. }
            | ObserveError::LambdaPolicy { stack, .. } => stack,
        }
    }
}

/// Reads every declared service, one DescribeServices call per cluster and batch of
/// ten, and the scalable targets of all of them, at most `concurrency` calls in flight
/// per kind of read; with `ObserveScope::Everything` also the targets' policies and
/// scheduled actions and the stacks' alarms and topics, the clusters tagged for each stack
/// (`observe/clusters.rs`), and (`observe/listing.rs`) the undeclared services of each
/// stack's clusters, of the clusters tagged for it, and of `extra_clusters` (by stack
/// name: `mooring release` reads a stack that declares no service).
pub async fn observe(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
    scope: ObserveScope,
    extra_clusters: &BTreeMap<String, Vec<String>>,
) -> (Observed, Vec<ObserveError>) {
    let mut observed = Observed::default();
    let mut failures = Vec::new();
    // (stack, region, cluster) → declared service names.
    let mut reads: Vec<(String, String, String, Vec<String>)> = Vec::new();
    // region → stacks and resource ids whose scalable targets are read.
    let mut target_reads: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
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
        let region_reads = target_reads.entry(region.clone()).or_default();
        for (cluster, names) in &by_cluster {
            if !names.is_empty() {
                region_reads.0.insert(stack.name.clone());
            }
            region_reads
                .1
                .extend(names.iter().map(|name| ecs_resource_id(cluster, name)));
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
                scope,
                ..ObservedStack::default()
            },
        );
    }

    let service_reads = stream::iter(reads)
        .map(|(stack, region, cluster, names)| async move {
            let client = clients.ecs(&region).await;
            let result = ecs::describe_services(&client, &cluster, &names).await;
            (stack, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let with_policies = scope == ObserveScope::Everything;
    let scaling_reads = stream::iter(target_reads)
        .filter(|(_, (_, ids))| futures::future::ready(!ids.is_empty()))
        .map(|(region, (stacks, ids))| async move {
            let client = clients.autoscaling(&region).await;
            let ids: Vec<String> = ids.into_iter().collect();
            let result =
                autoscaling::observe_targets(&client, &ids, concurrency, with_policies).await;
            (region, stacks, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let (results, scaling) = futures::join!(service_reads, scaling_reads);

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
    for (region, stacks, result) in scaling {
        match result {
            Ok(targets) => record_targets(&mut observed, &region, &targets),
            Err(error) => {
                // Targets stay `Unknown`: nothing that depends on them is planned.
                let source = Arc::new(error);
                failures.extend(stacks.into_iter().map(|stack| ObserveError::Autoscaling {
                    stack,
                    region: region.clone(),
                    source: Arc::clone(&source),
                }));
            }
        }
    }
    if scope == ObserveScope::ScheduleOnly {
        // Clusters are not listed either: a service that left the desired state is
        // released by the next full pass (docs/architecture.md, "Release").
        // `alerting` stays `None` (not read): the planner plans nothing for alarms and
        // topics and says nothing about them.
        return (observed, failures);
    }
    // After the services: the account their ARNs told is used to resolve topic ARNs. The
    // alarm and topic reads need nothing else of `observed`, so they run while the
    // clusters and the listings are read (each a chain of calls of its own).
    let alerting_targets = self::alerting::targets(desired, &observed);
    let dashboard_targets = self::dashboards::targets(desired, &observed);
    let dashboard_reads =
        self::dashboards::read_dashboards(desired, clients, concurrency, dashboard_targets);
    let alerting_reads =
        self::alerting::read_alerting(desired, clients, concurrency, alerting_targets);
    let regions: BTreeMap<String, String> = observed
        .stacks
        .iter()
        .map(|(name, seen)| (name.clone(), seen.region.clone()))
        .collect();
    let settings_reads =
        self::container_insights::read_clusters(desired, &regions, clients, concurrency);
    let ecs_reads = async {
        // Before the listing: it reads the clusters found tagged for a stack too.
        let clusters =
            self::clusters::observe_tagged_clusters(desired, clients, concurrency, &mut observed)
                .await;
        let listing = self::listing::observe_undeclared(
            desired,
            clients,
            concurrency,
            extra_clusters,
            &mut observed,
        )
        .await;
        (clusters, listing)
    };
    let (alerting, (clusters, listing), settings, dashboards) =
        futures::join!(alerting_reads, ecs_reads, settings_reads, dashboard_reads);
    failures.extend(
        self::container_insights::record_clusters(desired, settings, &mut observed)
            .into_iter()
            .map(|(stack, region, source)| ObserveError::ClusterSettings {
                stack,
                region,
                source,
            }),
    );
    failures.extend(
        clusters
            .into_iter()
            .map(|(stack, region, source)| ObserveError::Clusters {
                stack,
                region,
                source,
            }),
    );
    failures.extend(listing.into_iter().map(|failure| match failure {
        ListingError::Ecs { stack, source } => ObserveError::Ecs { stack, source },
        ListingError::Autoscaling {
            stack,
            region,
            source,
        } => ObserveError::Autoscaling {
            stack,
            region,
            source,
        },
    }));
    failures.extend(
        self::alerting::record(&mut observed, alerting)
            .into_iter()
            .map(|(stack, source)| ObserveError::Alerting { stack, source }),
    );
    failures.extend(
        self::dashboards::record(&mut observed, dashboards)
            .into_iter()
            .map(|(stack, source)| ObserveError::Dashboards { stack, source }),
    );
    // After the alerting reads: the functions their topics and alarms still name count.
    let lambda_failures = self::lambda_permissions::observe_function_policies(
        desired,
        clients,
        concurrency,
        &mut observed,
    )
    .await;
    for (stacks, error) in lambda_failures {
        let source = Arc::new(error);
        failures.extend(stacks.into_iter().map(|stack| ObserveError::LambdaPolicy {
            stack,
            source: Arc::clone(&source),
        }));
    }
    (observed, failures)
}

/// Every found service of the region learns whether it has a scalable target.
fn record_targets(
    observed: &mut Observed,
    region: &str,
    targets: &BTreeMap<String, ScalableTarget>,
) {
    for stack in observed.stacks.values_mut().filter(|s| s.region == region) {
        for (ServiceKey { cluster, name }, state) in stack.services.iter_mut() {
            if let ServiceState::Found(found) = state {
                found.scalable_target = match targets.get(&ecs_resource_id(cluster, name)) {
                    Some(target) => TargetObservation::Registered(Box::new(target.clone())),
                    None => TargetObservation::Absent,
                };
            }
        }
    }
}
