//! ECS cluster settings (Container Insights): DescribeClusters with settings and tags,
//! 100 clusters a call (observe), and UpdateCluster with `settings` (apply). UpdateCluster
//! rather than UpdateClusterSettings: both set it on AWS, and the emulator (moto 5.2.5)
//! implements only UpdateCluster. Both draw from ECS's cluster-modify bucket (burst 20,
//! refill 1/s: `controller/aws-quotas.json`), which the pacing applies to every call.

use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};

use crate::observed::clusters::{ClusterState, ObservedCluster};

/// DescribeClusters accepts at most this many clusters per call.
const DESCRIBE_BATCH: usize = 100;

/// The setting's name in ECS (`settings[].name`).
const CONTAINER_INSIGHTS: &str = "containerInsights";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("describing the settings of clusters {clusters} failed")]
    Describe {
        clusters: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
    #[error("setting containerInsights of cluster {cluster} failed")]
    UpdateSettings {
        cluster: String,
        #[source]
        source: aws_sdk_ecs::Error,
    },
}

/// Reads the named clusters with their settings and tags, `DESCRIBE_BATCH` a call. Every
/// name asked for gets an entry: found, or missing with ECS's reason.
pub async fn describe_cluster_settings(
    client: &aws_sdk_ecs::Client,
    names: &[String],
) -> Result<Vec<(String, ClusterState)>, ClusterError> {
    let mut states = Vec::with_capacity(names.len());
    for batch in names.chunks(DESCRIBE_BATCH) {
        let output = client
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .include(ClusterField::Settings)
            // The record of what mooring last set is a tag: no second read for it.
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(|e| ClusterError::Describe {
                clusters: batch.join(", "),
                source: e.into(),
            })?;
        for name in batch {
            let found = output.clusters().iter().find(|c| {
                c.cluster_name() == Some(name.as_str())
                    || c.cluster_arn()
                        .is_some_and(|arn| arn.ends_with(&format!("/{name}")))
            });
            let state = match found {
                Some(c) if c.status() != Some("INACTIVE") => ClusterState::Found(ObservedCluster {
                    arn: c.cluster_arn().unwrap_or_default().to_owned(),
                    container_insights: c
                        .settings()
                        .iter()
                        .find(|s| s.name().map(|n| n.as_str()) == Some(CONTAINER_INSIGHTS))
                        .and_then(|s| s.value())
                        .map(str::to_owned),
                    tags: c
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect(),
                }),
                Some(_) => ClusterState::Missing {
                    why: "cluster is INACTIVE (deleted)".into(),
                },
                None => {
                    let reason = output
                        .failures()
                        .iter()
                        .find(|f| {
                            f.arn().is_some_and(|arn| {
                                arn == name || arn.ends_with(&format!("/{name}"))
                            })
                        })
                        .and_then(|f| f.reason())
                        .unwrap_or("MISSING");
                    ClusterState::Missing {
                        why: format!("ECS says {reason}"),
                    }
                }
            };
            states.push((name.clone(), state));
        }
    }
    Ok(states)
}

/// Sets only the cluster's `containerInsights` (UpdateCluster `settings`); its
/// configuration and service-connect defaults are not sent, so they stay as they are.
pub async fn set_container_insights(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    value: &str,
) -> Result<(), ClusterError> {
    let setting = ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(value)
        .build();
    client
        .update_cluster()
        .cluster(cluster)
        .settings(setting)
        .send()
        .await
        .map_err(|e| ClusterError::UpdateSettings {
            cluster: cluster.to_owned(),
            source: e.into(),
        })?;
    Ok(())
}
