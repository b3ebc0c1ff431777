//! What a pass saw of the ECS clusters a stack declares settings for (`spec.clusters`).

use std::collections::BTreeMap;

/// One declared cluster, read with DescribeClusters (settings and tags).
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterState {
    Found(ObservedCluster),
    /// The cluster does not exist (or is INACTIVE, i.e. deleted). `why` is what ECS said.
    Missing {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedCluster {
    pub arn: String,
    /// The `containerInsights` setting as ECS reports it (`enabled`, `enhanced`,
    /// `disabled`); `None` when the cluster reports no such setting.
    pub container_insights: Option<String>,
    /// The cluster's tags: `mooring:container-insights` records what mooring last set.
    pub tags: BTreeMap<String, String>,
}
