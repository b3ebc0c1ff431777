//! Applies a cluster's Container Insights setting (UpdateCluster). Its record is a
//! TagCluster, applied with the cluster's other tags (`apply/mod.rs`).

use crate::aws::clusters::{self, ClusterError};
use crate::aws::Clients;
use crate::plan::{Change, EcsOperation, Operation, Resource};

/// `None` when the change is not a Container Insights setting.
pub(super) async fn execute(
    clients: &Clients,
    change: &Change,
) -> Option<Result<(), ClusterError>> {
    let (
        Resource::EcsCluster { region, cluster },
        Operation::Ecs(EcsOperation::SetContainerInsights { value }),
    ) = (&change.resource, &change.operation)
    else {
        return None;
    };
    let client = clients.ecs(region).await;
    Some(clusters::set_container_insights(&client, cluster, value).await)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::pacing::quotas::Quotas;

    /// UpdateCluster is paced by ECS's cluster-modify bucket (burst 20, refill 1/s): a
    /// pass setting many clusters waits for it instead of being throttled.
    #[test]
    fn update_cluster_draws_from_the_cluster_modify_bucket() {
        let quotas = Quotas::load(None).unwrap();
        let family = quotas.family_of("ecs", "UpdateCluster").unwrap();
        assert_eq!(family.family, "cluster-modify");
        assert_eq!((family.burst, family.refill), (20.0, 1.0));
    }
}
