//! ECS adapter: DescribeServices with tags and ListServices (observe), UpdateService (apply
//! `desiredCount`), TagResource / UntagResource (ownership and bookkeeping tags on services
//! and clusters), ListClusters and DescribeClusters with tags (the clusters a stack tagged).

use std::collections::BTreeMap;

use aws_sdk_ecs::error::SdkError;
use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::operation::list_services::ListServicesError;
use aws_sdk_ecs::types::{ClusterField, ServiceField, Tag};

use crate::observed::{ObservedService, ServiceKey, ServiceState, TargetObservation};

/// DescribeServices accepts at most this many services per call.
pub const DESCRIBE_BATCH: usize = 10;
/// ListServices returns at most this many services per page.
const LIST_PAGE: i32 = 100;
/// A bound on ListServices pages (500,000 services): a token that never ends is an error.
const LIST_MAX_PAGES: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    #[error("describing services in cluster {cluster} failed")]
    Describe {
        cluster: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("listing services in cluster {cluster} failed")]
    List {
        cluster: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("listing services in cluster {cluster} did not end after {LIST_MAX_PAGES} pages")]
    EndlessListing { cluster: String },
    #[error("updating desiredCount of service {service} failed")]
    UpdateDesiredCount {
        service: ServiceKey,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("tagging service {service} failed")]
    Tag {
        service: ServiceKey,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("listing the clusters of the region failed")]
    ListClusters {
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("listing the clusters of the region did not end after {LIST_MAX_PAGES} pages")]
    EndlessClusterListing,
    #[error("describing clusters failed")]
    DescribeClusters {
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("tagging cluster {cluster} failed")]
    TagCluster {
        cluster: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("untagging cluster {cluster} failed")]
    UntagCluster {
        cluster: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("untagging service {service} failed")]
    Untag {
        service: ServiceKey,
        #[source]
        source: aws_sdk_ecs::Error,
    },
}

/// Observes the named services of one cluster, `DESCRIBE_BATCH` at a time.
/// Every name asked for gets an entry: found, or missing with ECS's reason.
pub async fn describe_services(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    names: &[String],
) -> Result<Vec<(ServiceKey, ServiceState)>, EcsError> {
    let mut states = Vec::with_capacity(names.len());
    for batch in names.chunks(DESCRIBE_BATCH) {
        let response = client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            // Tags come with the same call: ownership costs no extra read.
            .include(ServiceField::Tags)
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), DescribeServicesError::ClusterNotFoundException(_)) =>
            {
                // A missing cluster means every service in it is missing, not that
                // observation failed.
                states.extend(batch.iter().map(|name| {
                    let why = format!("cluster {cluster} not found");
                    (
                        ServiceKey::new(cluster, name),
                        ServiceState::Missing { why },
                    )
                }));
                continue;
            }
            Err(e) => {
                return Err(EcsError::Describe {
                    cluster: cluster.to_owned(),
                    source: e.into(),
                })
            }
        };
        for name in batch {
            let key = ServiceKey::new(cluster, name);
            let found = output.services().iter().find(|s| {
                s.service_name() == Some(name.as_str())
                    || s.service_arn()
                        .is_some_and(|arn| arn.ends_with(&format!("/{name}")))
            });
            let state = match found {
                Some(s) if s.status() != Some("INACTIVE") => ServiceState::Found(ObservedService {
                    arn: s.service_arn().unwrap_or_default().to_owned(),
                    desired_count: non_negative(s.desired_count()),
                    running_count: non_negative(s.running_count()),
                    pending_count: non_negative(s.pending_count()),
                    status: s.status().unwrap_or("UNKNOWN").to_owned(),
                    tags: s
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect(),
                    // Filled in by the Application Auto Scaling read.
                    scalable_target: TargetObservation::Unknown,
                }),
                Some(_) => ServiceState::Missing {
                    why: "service is INACTIVE (deleted)".into(),
                },
                None => {
                    let reason = output
                        .failures()
                        .iter()
                        .find(|f| {
                            f.arn().is_some_and(|arn| {
                                arn.ends_with(&format!("/{name}")) || arn == name
                            })
                        })
                        .and_then(|f| f.reason())
                        .unwrap_or("MISSING");
                    ServiceState::Missing {
                        why: format!("ECS says {reason}"),
                    }
                }
            };
            states.push((key, state));
        }
    }
    Ok(states)
}

/// The names of every service of one cluster (ListServices, paged by 100); a cluster that
/// does not exist has none.
pub async fn list_services(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
) -> Result<Vec<String>, EcsError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..LIST_MAX_PAGES {
        let response = client
            .list_services()
            .cluster(cluster)
            .max_results(LIST_PAGE)
            .set_next_token(token.clone())
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), ListServicesError::ClusterNotFoundException(_)) =>
            {
                return Ok(names);
            }
            Err(e) => {
                return Err(EcsError::List {
                    cluster: cluster.to_owned(),
                    source: e.into(),
                })
            }
        };
        // ARNs: `arn:…:service/<cluster>/<name>` (or the old `service/<name>`).
        names.extend(
            output
                .service_arns()
                .iter()
                .filter_map(|arn| arn.rsplit('/').next())
                .map(str::to_owned),
        );
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => return Ok(names),
        }
    }
    Err(EcsError::EndlessListing {
        cluster: cluster.to_owned(),
    })
}

/// Sets only `desiredCount`; task definition, network and deployment settings are the
/// deploy pipeline's and are left untouched.
pub async fn set_desired_count(
    client: &aws_sdk_ecs::Client,
    service: &ServiceKey,
    count: u32,
) -> Result<(), EcsError> {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    client
        .update_service()
        .cluster(&service.cluster)
        .service(&service.name)
        .desired_count(count)
        .send()
        .await
        .map_err(|e| EcsError::UpdateDesiredCount {
            service: service.clone(),
            source: e.into(),
        })?;
    Ok(())
}

/// Sets `tags` on a service, keeping its other tags. ECS tags by ARN, which the plan
/// carries from the observation.
pub async fn tag_service(
    client: &aws_sdk_ecs::Client,
    service: &ServiceKey,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), EcsError> {
    tag_arn(client, arn, tags)
        .await
        .map_err(|source| EcsError::Tag {
            service: service.clone(),
            source,
        })
}

pub async fn untag_service(
    client: &aws_sdk_ecs::Client,
    service: &ServiceKey,
    arn: &str,
    keys: &[String],
) -> Result<(), EcsError> {
    untag_arn(client, arn, keys)
        .await
        .map_err(|source| EcsError::Untag {
            service: service.clone(),
            source,
        })
}

/// DescribeClusters accepts at most this many clusters per call.
const DESCRIBE_CLUSTERS_BATCH: usize = 100;

/// Every cluster of the region with its tags, name → (ARN, tags): ListClusters (100 a
/// page), then DescribeClusters with tags (100 a call). Two calls for up to 100 clusters.
pub async fn clusters_with_tags(
    client: &aws_sdk_ecs::Client,
) -> Result<BTreeMap<String, (String, BTreeMap<String, String>)>, EcsError> {
    let mut arns: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut ended = false;
    for _ in 0..LIST_MAX_PAGES {
        let output = client
            .list_clusters()
            .max_results(LIST_PAGE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| EcsError::ListClusters { source: e.into() })?;
        arns.extend(output.cluster_arns().iter().cloned());
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => {
                ended = true;
                break;
            }
        }
    }
    if !ended {
        return Err(EcsError::EndlessClusterListing);
    }
    let mut clusters = BTreeMap::new();
    for batch in arns.chunks(DESCRIBE_CLUSTERS_BATCH) {
        let output = client
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(|e| EcsError::DescribeClusters { source: e.into() })?;
        for cluster in output.clusters() {
            let (Some(name), Some(arn)) = (cluster.cluster_name(), cluster.cluster_arn()) else {
                continue;
            };
            let tags = cluster
                .tags()
                .iter()
                .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value()?.to_owned())))
                .collect();
            clusters.insert(name.to_owned(), (arn.to_owned(), tags));
        }
    }
    Ok(clusters)
}

/// Sets `tags` on a cluster, keeping its other tags.
pub async fn tag_cluster(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), EcsError> {
    tag_arn(client, arn, tags)
        .await
        .map_err(|source| EcsError::TagCluster {
            cluster: cluster.to_owned(),
            source,
        })
}

pub async fn untag_cluster(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    arn: &str,
    keys: &[String],
) -> Result<(), EcsError> {
    untag_arn(client, arn, keys)
        .await
        .map_err(|source| EcsError::UntagCluster {
            cluster: cluster.to_owned(),
            source,
        })
}

/// TagResource on any ECS ARN (service or cluster); the callers name the resource in
/// their error.
async fn tag_arn(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), aws_sdk_ecs::Error> {
    let tags = tags
        .iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await?;
    Ok(())
}

/// UntagResource on any ECS ARN (service or cluster).
async fn untag_arn(
    client: &aws_sdk_ecs::Client,
    arn: &str,
    keys: &[String],
) -> Result<(), aws_sdk_ecs::Error> {
    client
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await?;
    Ok(())
}

/// ECS counts are i32 on the wire and never negative in practice.
fn non_negative(count: i32) -> u32 {
    u32::try_from(count).unwrap_or(0)
}

/// Of the clusters named, those that do not exist (DescribeClusters reports them as
/// failures, or as INACTIVE: deleted). `mooring init` refuses to read a cluster that is
/// not there rather than writing a file without its services.
pub async fn missing_clusters(
    client: &aws_sdk_ecs::Client,
    names: &[String],
) -> Result<Vec<String>, EcsError> {
    let mut missing = Vec::new();
    for batch in names.chunks(DESCRIBE_CLUSTERS_BATCH) {
        let output = client
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::DescribeClusters { source: e.into() })?;
        for name in batch {
            let active = output.clusters().iter().any(|c| {
                (c.cluster_name() == Some(name.as_str())
                    || c.cluster_arn()
                        .is_some_and(|a| a.ends_with(&format!("/{name}"))))
                    && c.status() != Some("INACTIVE")
            });
            if !active {
                missing.push(name.clone());
            }
        }
    }
    Ok(missing)
}
