//! Apply: runs the planned changes with bounded concurrency. Changes of one group (one
//! service and what hangs off it) run in plan order; groups run concurrently. One
//! failing resource never stops the others; every change gets an outcome.

pub(crate) mod alerting;

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::autoscaling::{self, AutoscalingError};
use crate::aws::ecs::{self, EcsError};
use crate::aws::{error_chain, Clients};
use crate::observed::autoscaling::ecs_resource_id;
use crate::observed::ServiceKey;
use crate::plan::{AutoscalingOperation, Change, EcsOperation, Operation, Resource};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Ecs(#[from] EcsError),
    #[error(transparent)]
    Autoscaling(#[from] AutoscalingError),
    #[error(transparent)]
    Alerting(#[from] self::alerting::AlertingApplyError),
    /// A planner bug: an operation paired with a resource it does not apply to.
    #[error("{resource}: operation {operation} does not apply to this kind of resource")]
    Mismatch { resource: String, operation: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub change: Change,
    /// `None` when the change was made; otherwise what failed, with AWS's message.
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// Executes `changes`, at most `concurrency` groups in flight. Outcomes come back in
/// the order of `changes`, whatever order the calls finished in. Groups that other
/// changes wait for (`Change::after`: a cluster's tag before its services' claims) run
/// first, as a wave of their own.
pub async fn apply(clients: &Clients, changes: Vec<Change>, concurrency: usize) -> Vec<Outcome> {
    let mut groups: BTreeMap<String, Vec<(usize, Change)>> = BTreeMap::new();
    let mut awaited: BTreeSet<String> = BTreeSet::new();
    for (index, change) in changes.into_iter().enumerate() {
        awaited.extend(change.after.clone());
        groups
            .entry(change.group.clone())
            .or_default()
            .push((index, change));
    }
    let (first, rest): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|(name, _)| awaited.contains(name));
    let none_failed = BTreeSet::new();
    let mut outcomes = apply_wave(clients, first, &none_failed, concurrency).await;
    let failed: BTreeSet<String> = outcomes
        .iter()
        .filter(|(_, outcome)| !outcome.succeeded())
        .map(|(_, outcome)| outcome.change.group.clone())
        .collect();
    outcomes.extend(apply_wave(clients, rest, &failed, concurrency).await);
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// Runs `groups` concurrently; `failed` names the groups of an earlier wave that did not
/// succeed in full.
async fn apply_wave(
    clients: &Clients,
    groups: Vec<(String, Vec<(usize, Change)>)>,
    failed: &BTreeSet<String>,
    concurrency: usize,
) -> Vec<(usize, Outcome)> {
    stream::iter(groups)
        .map(|(_, group)| apply_group(clients, group, failed))
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn apply_group(
    clients: &Clients,
    group: Vec<(usize, Change)>,
    failed_groups: &BTreeSet<String>,
) -> Vec<(usize, Outcome)> {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut failed: Option<String> = None;
    for (index, change) in group {
        let waited_for = change
            .after
            .as_ref()
            .filter(|after| failed_groups.contains(*after));
        let error = match (&failed, waited_for) {
            // Later changes of a group depend on the earlier ones (a tag before the
            // scale-down it protects): never run them out of order.
            (Some(first), _) => Some(format!(
                "skipped: an earlier change of this resource failed ({first})"
            )),
            (None, Some(after)) => Some(format!(
                "skipped: a change it depends on failed (group {after})"
            )),
            // An SDK error may quote what was sent (an endpoint URL): shown redacted.
            (None, None) => execute(clients, &change)
                .await
                .err()
                .map(|e| crate::redact::urls_in(&error_chain(&e)).into_owned()),
        };
        match &error {
            Some(error) => {
                tracing::warn!(resource = %change.resource, %error, "change failed");
                failed.get_or_insert_with(|| change.summary.clone());
            }
            None => {
                tracing::info!(resource = %change.resource, summary = %change.summary, "change applied")
            }
        }
        outcomes.push((index, Outcome { change, error }));
    }
    outcomes
}

async fn execute(clients: &Clients, change: &Change) -> Result<(), ApplyError> {
    use AutoscalingOperation as Aas;
    if let Some(result) =
        self::alerting::execute(clients, &change.resource, &change.operation).await
    {
        return Ok(result?);
    }
    match (&change.resource, &change.operation) {
        (
            Resource::EcsCluster { region, cluster },
            Operation::Ecs(EcsOperation::TagCluster { arn, tags }),
        ) => {
            let client = clients.ecs(region).await;
            ecs::tag_cluster(&client, cluster, arn, tags).await?;
        }
        (
            Resource::EcsCluster { region, cluster },
            Operation::Ecs(EcsOperation::UntagCluster { arn, keys }),
        ) => {
            let client = clients.ecs(region).await;
            ecs::untag_cluster(&client, cluster, arn, keys).await?;
        }
        (
            Resource::EcsService {
                region,
                cluster,
                service,
            },
            Operation::Ecs(operation),
        ) => {
            let client = clients.ecs(region).await;
            let key = ServiceKey::new(cluster, service);
            match operation {
                EcsOperation::SetDesiredCount { count } => {
                    ecs::set_desired_count(&client, &key, *count).await?;
                }
                EcsOperation::TagService { arn, tags } => {
                    ecs::tag_service(&client, &key, arn, tags).await?;
                }
                EcsOperation::UntagService { arn, keys } => {
                    ecs::untag_service(&client, &key, arn, keys).await?;
                }
                EcsOperation::TagCluster { .. } | EcsOperation::UntagCluster { .. } => {
                    return Err(ApplyError::Mismatch {
                        resource: change.resource.to_string(),
                        operation: format!("{operation:?}"),
                    })
                }
            }
        }
        (
            Resource::ScalableTarget {
                region,
                cluster,
                service,
            },
            Operation::Autoscaling(Aas::RegisterScalableTarget {
                min,
                max,
                suspended,
            }),
        ) => {
            let client = clients.autoscaling(region).await;
            let id = ecs_resource_id(cluster, service);
            autoscaling::register_target(&client, &id, *min, *max, *suspended).await?;
        }
        (
            Resource::ScalableTarget {
                region,
                cluster,
                service,
            },
            Operation::Autoscaling(Aas::DeregisterScalableTarget),
        ) => {
            let client = clients.autoscaling(region).await;
            autoscaling::deregister_target(&client, &ecs_resource_id(cluster, service)).await?;
        }
        (
            Resource::ScalingPolicy {
                region,
                cluster,
                service,
                policy: name,
            },
            Operation::Autoscaling(
                operation @ (Aas::PutScalingPolicy { .. } | Aas::DeleteScalingPolicy),
            ),
        ) => {
            let client = clients.autoscaling(region).await;
            let id = ecs_resource_id(cluster, service);
            match operation {
                Aas::PutScalingPolicy { policy } => {
                    autoscaling::put_policy(&client, &id, name, policy).await?;
                }
                _ => autoscaling::delete_policy(&client, &id, name).await?,
            }
        }
        (
            Resource::ScheduledAction {
                region,
                cluster,
                service,
                action: name,
            },
            Operation::Autoscaling(
                operation @ (Aas::PutScheduledAction { .. } | Aas::DeleteScheduledAction),
            ),
        ) => {
            let client = clients.autoscaling(region).await;
            let id = ecs_resource_id(cluster, service);
            match operation {
                Aas::PutScheduledAction { action } => {
                    autoscaling::put_scheduled_action(&client, &id, name, action).await?;
                }
                _ => autoscaling::delete_scheduled_action(&client, &id, name).await?,
            }
        }
        (resource, operation) => {
            return Err(ApplyError::Mismatch {
                resource: resource.to_string(),
                operation: format!("{operation:?}"),
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Reason;

    fn change_for_tests(
        resource: Resource,
        operation: EcsOperation,
        group: &str,
        after: Option<&str>,
    ) -> Change {
        Change {
            stack: "shop".into(),
            resource,
            reason: Reason::Adopted,
            summary: "tag".into(),
            diff: Vec::new(),
            operation: Operation::Ecs(operation),
            group: group.to_owned(),
            after: after.map(str::to_owned),
        }
    }

    /// Clients without credentials: every call fails before it is sent.
    fn failing_clients() -> Clients {
        Clients::from_sdk_config(
            aws_config::SdkConfig::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .build(),
        )
    }

    #[tokio::test]
    async fn a_claim_is_skipped_when_the_cluster_tag_it_waits_for_failed() {
        let cluster_group = "cluster:us-east-1:shop".to_owned();
        let tag_cluster = change_for_tests(
            Resource::EcsCluster {
                region: "us-east-1".into(),
                cluster: "shop".into(),
            },
            EcsOperation::TagCluster {
                arn: "arn:aws:ecs:us-east-1:123456789012:cluster/shop".into(),
                tags: BTreeMap::from([("mooring:stack:shop".into(), "managed".into())]),
            },
            &cluster_group,
            None,
        );
        let service = |name: &str, after: Option<&str>| {
            change_for_tests(
                Resource::ecs_service("us-east-1", "shop", name),
                EcsOperation::TagService {
                    arn: format!("arn:aws:ecs:us-east-1:123456789012:service/shop/{name}"),
                    tags: BTreeMap::from([("mooring:stack".into(), "shop".into())]),
                },
                &format!("us-east-1/shop/{name}"),
                after,
            )
        };
        // Plan order puts the claim first: the applier still runs the awaited group first.
        let changes = vec![
            service("web", Some(&cluster_group)),
            tag_cluster,
            service("api", None),
        ];
        let outcomes = apply(&failing_clients(), changes, 8).await;
        assert_eq!(outcomes.len(), 3);
        assert_eq!(outcomes[0].change.reason, Reason::Adopted);
        let errors: Vec<String> = outcomes
            .iter()
            .map(|o| o.error.clone().unwrap_or_default())
            .collect();
        assert!(
            errors[0].starts_with("skipped: a change it depends on failed (group cluster:"),
            "{errors:?}"
        );
        for attempted in [&errors[1], &errors[2]] {
            assert!(
                !attempted.is_empty() && !attempted.starts_with("skipped"),
                "{errors:?}"
            );
        }
    }
}
