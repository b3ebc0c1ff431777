//! Apply: runs the planned changes with bounded concurrency. Changes of one group (one
//! service and what hangs off it) run in plan order; groups run concurrently. One
//! failing resource never stops the others; every change gets an outcome.

pub(crate) mod alerting;
mod container_insights;
mod dashboards;
mod lambda_permissions;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::time::Instant;

use crate::aws::autoscaling::{self, AutoscalingError};
use crate::aws::ecs::{self, EcsError};
use crate::aws::throttling::is_throttled;
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
    #[error(transparent)]
    Clusters(#[from] crate::aws::clusters::ClusterError),
    #[error(transparent)]
    Dashboards(#[from] self::dashboards::DashboardApplyError),
    #[error(transparent)]
    Lambda(#[from] crate::aws::lambda::LambdaError),
    /// A planner bug: an operation paired with a resource it does not apply to.
    #[error("{resource}: operation {operation} does not apply to this kind of resource")]
    Mismatch { resource: String, operation: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Shared with the pass's plan.
    pub change: Arc<Change>,
    /// `None` when the change was made; otherwise what failed, with AWS's message.
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// The changes of one apply group, each with its index in the plan (outcomes come back
/// in plan order).
type Group = Vec<(usize, Arc<Change>)>;

/// Executes `changes`, at most `concurrency` groups in flight. Outcomes come back in
/// the order of `changes`, whatever order the calls finished in. Groups that other
/// changes wait for (`Change::after`: a cluster's tag before its services' claims) run
/// first, as a wave of their own.
///
/// A change AWS still throttled after the SDK's retries puts the rest of its group back:
/// it is tried again later in its wave, from that change on (the earlier ones are done
/// and not repeated), with a growing pause between rounds, while a round can still start
/// before `retry_until`. After that its outcome says it was throttled and left for the
/// next pass: never done.
pub async fn apply(
    clients: &Clients,
    changes: Vec<Arc<Change>>,
    concurrency: usize,
    retry_until: Instant,
) -> Vec<Outcome> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
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
    let mut outcomes = apply_wave(clients, first, &none_failed, concurrency, retry_until).await;
    let failed: BTreeSet<String> = outcomes
        .iter()
        .filter(|(_, outcome)| !outcome.succeeded())
        .map(|(_, outcome)| outcome.change.group.clone())
        .collect();
    outcomes.extend(apply_wave(clients, rest, &failed, concurrency, retry_until).await);
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// Runs `groups` concurrently, then the throttled ones again (see `apply`); `failed`
/// names the groups of an earlier wave that did not succeed in full.
async fn apply_wave(
    clients: &Clients,
    groups: Vec<(String, Group)>,
    failed: &BTreeSet<String>,
    concurrency: usize,
    retry_until: Instant,
) -> Vec<(usize, Outcome)> {
    let mut pending: Vec<Group> = groups.into_iter().map(|(_, group)| group).collect();
    let mut outcomes: Vec<(usize, Outcome)> = Vec::new();
    let mut round: u32 = 0;
    while !pending.is_empty() {
        let results: Vec<GroupResult> = stream::iter(std::mem::take(&mut pending))
            .map(|group| apply_group(clients, group, failed))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let mut throttled = Vec::new();
        for result in results {
            outcomes.extend(result.done);
            if let Some(rest) = result.throttled {
                throttled.push(rest);
            }
        }
        if throttled.is_empty() {
            break;
        }
        round += 1;
        let pause = THROTTLED_PAUSE * 2u32.pow(round.min(4) - 1);
        if Instant::now() + pause >= retry_until {
            outcomes.extend(throttled.into_iter().flat_map(left_for_next_pass));
            break;
        }
        tracing::info!(
            groups = throttled.len(),
            pause_ms = pause.as_millis(),
            "AWS throttled changes past the SDK's retries: trying them again later in the pass"
        );
        tokio::time::sleep(pause).await;
        pending = throttled.into_iter().map(|rest| rest.changes).collect();
    }
    outcomes
}

/// The first pause before throttled changes are tried again; it doubles with each round
/// up to 8× (the SDK has already backed off for several seconds by then).
const THROTTLED_PAUSE: Duration = Duration::from_secs(2);

/// What one run of a group did: the outcomes of the changes that ran, and, when AWS
/// throttled one past the SDK's retries, that change and the rest of the group.
struct GroupResult {
    done: Vec<(usize, Outcome)>,
    throttled: Option<Throttled>,
}

struct Throttled {
    /// The throttled change first, then the ones after it.
    changes: Group,
    error: String,
}

/// Outcomes for a throttled group the pass has no time left for.
fn left_for_next_pass(rest: Throttled) -> Vec<(usize, Outcome)> {
    let mut changes = rest.changes.into_iter();
    let Some((index, first)) = changes.next() else {
        return Vec::new();
    };
    let message = format!(
        "throttled by AWS and left for the next pass (no time left in this one): {}",
        rest.error
    );
    tracing::warn!(resource = %first.resource, error = %message, "change failed");
    let summary = first.summary.clone();
    let mut outcomes = vec![(
        index,
        Outcome {
            change: first,
            error: Some(message),
        },
    )];
    outcomes.extend(changes.map(|(index, change)| {
        (
            index,
            Outcome {
                change,
                error: Some(format!(
                    "skipped: an earlier change of this resource failed ({summary})"
                )),
            },
        )
    }));
    outcomes
}

async fn apply_group(
    clients: &Clients,
    group: Group,
    failed_groups: &BTreeSet<String>,
) -> GroupResult {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut failed: Option<String> = None;
    let mut changes = group.into_iter();
    while let Some((index, change)) = changes.next() {
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
            (None, None) => match execute(clients, &change).await {
                Ok(()) => None,
                Err(e) if is_throttled(&e) => {
                    // An SDK error may quote what was sent (an endpoint URL): redacted.
                    let error = crate::redact::urls_in(&error_chain(&e)).into_owned();
                    tracing::debug!(resource = %change.resource, %error, "throttled past the SDK's retries");
                    let mut rest = vec![(index, change)];
                    rest.extend(changes);
                    return GroupResult {
                        done: outcomes,
                        throttled: Some(Throttled {
                            changes: rest,
                            error,
                        }),
                    };
                }
                // An SDK error may quote what was sent (an endpoint URL): shown redacted.
                Err(e) => Some(crate::redact::urls_in(&error_chain(&e)).into_owned()),
            },
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
    GroupResult {
        done: outcomes,
        throttled: None,
    }
}

async fn execute(clients: &Clients, change: &Change) -> Result<(), ApplyError> {
    use AutoscalingOperation as Aas;
    if let Some(result) =
        self::alerting::execute(clients, &change.resource, &change.operation).await
    {
        return Ok(result?);
    }
    if let Some(result) =
        self::dashboards::execute(clients, &change.resource, &change.operation).await
    {
        return Ok(result?);
    }
    if let Some(result) = self::container_insights::execute(clients, change).await {
        return Ok(result?);
    }
    if let Some(result) =
        self::lambda_permissions::execute(clients, &change.resource, &change.operation).await
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
                EcsOperation::TagCluster { .. }
                | EcsOperation::UntagCluster { .. }
                | EcsOperation::SetContainerInsights { .. } => {
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
mod tests;
