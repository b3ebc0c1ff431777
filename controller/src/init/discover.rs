//! The reads of `mooring init`, through the adapters in `aws/` (SDK types stay there):
//! the clusters named (they must exist), their services with tags, the services'
//! scalable targets with policies and scheduled actions, every alarm of the region
//! (one paged DescribeAlarms), the tags of the alarms `select::selected_alarms`
//! picks, the topic list with every topic's tags, and the topics `select::wanted_topics` names in full.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::account::{Account, Options};
use super::select::{selected_alarms, wanted_topics};
use crate::aws::alarms::{self, AlarmsError};
use crate::aws::autoscaling::{observe_targets, AutoscalingError};
use crate::aws::ecs::{self, EcsError};
use crate::aws::topics::{self, TopicsError};
use crate::aws::Clients;
use crate::observed::autoscaling::ecs_resource_id;
use crate::observed::{account_of_arn, ServiceState, TargetObservation};

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{} not found in region {region}", clusters_named(.clusters))]
    ClustersNotFound {
        clusters: Vec<String>,
        region: String,
    },
    #[error("reading ECS in region {region} failed")]
    Ecs {
        region: String,
        #[source]
        source: EcsError,
    },
    #[error("reading Application Auto Scaling in region {region} failed")]
    Autoscaling {
        region: String,
        #[source]
        source: AutoscalingError,
    },
    #[error("reading CloudWatch alarms in region {region} failed")]
    Alarms {
        region: String,
        #[source]
        source: AlarmsError,
    },
    #[error("reading SNS topics in region {region} failed")]
    Topics {
        region: String,
        #[source]
        source: TopicsError,
    },
}

fn clusters_named(clusters: &[String]) -> String {
    match clusters {
        [one] => format!("ECS cluster {one}"),
        many => format!("ECS clusters {}", many.join(", ")),
    }
}

/// Reads what init writes about `clusters` in `region`.
pub async fn discover(
    clients: &Clients,
    region: &str,
    clusters: &[String],
    options: &Options,
    concurrency: usize,
) -> Result<Account, DiscoverError> {
    let ecs_failed = |source| DiscoverError::Ecs {
        region: region.to_owned(),
        source,
    };
    let ecs_client = clients.ecs(region).await;
    let missing = ecs::missing_clusters(&ecs_client, clusters)
        .await
        .map_err(ecs_failed)?;
    if !missing.is_empty() {
        return Err(DiscoverError::ClustersNotFound {
            clusters: missing,
            region: region.to_owned(),
        });
    }
    let mut account = Account {
        region: region.to_owned(),
        ..Account::default()
    };
    for cluster in clusters {
        let names = ecs::list_services(&ecs_client, cluster)
            .await
            .map_err(ecs_failed)?;
        for (key, state) in ecs::describe_services(&ecs_client, cluster, &names)
            .await
            .map_err(ecs_failed)?
        {
            if let ServiceState::Found(service) = state {
                if service.status == "ACTIVE" {
                    account.services.insert(key, service);
                }
            }
        }
    }
    let resource_ids: Vec<String> = account
        .services
        .keys()
        .map(|key| ecs_resource_id(&key.cluster, &key.name))
        .collect();
    let mut targets = observe_targets(
        &clients.autoscaling(region).await,
        &resource_ids,
        concurrency,
        true,
    )
    .await
    .map_err(|source| DiscoverError::Autoscaling {
        region: region.to_owned(),
        source,
    })?;
    for (key, service) in &mut account.services {
        service.scalable_target = match targets.remove(&ecs_resource_id(&key.cluster, &key.name)) {
            Some(target) => TargetObservation::Registered(Box::new(target)),
            None => TargetObservation::Absent,
        };
    }

    let alarms_failed = |source| DiscoverError::Alarms {
        region: region.to_owned(),
        source,
    };
    let topics_failed = |source| DiscoverError::Topics {
        region: region.to_owned(),
        source,
    };
    let cloudwatch = clients.cloudwatch(region).await;
    let sns = clients.sns(region).await;
    account.alarms = alarms::describe_by_prefix(&cloudwatch, "")
        .await
        .map_err(alarms_failed)?;
    account.topic_arns = topics::list_topics(&sns, region)
        .await
        .map_err(topics_failed)?;

    let topic_tags: Vec<(String, BTreeMap<String, String>)> =
        stream::iter(account.topic_arns.clone())
            .map(|(name, arn)| {
                let client = &sns;
                async move { topics::list_tags(client, &arn).await.map(|t| (name, t)) }
            })
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await
            .map_err(topics_failed)?;
    account.topic_stacks = topic_tags
        .into_iter()
        .filter_map(|(name, tags)| Some((name, tags.get(crate::plan::STACK_TAG)?.clone())))
        .collect();

    // Tags decide ownership of the selected alarms that lack this stack's marker.
    let wanted_tags: Vec<(String, String)> = selected_alarms(&account, options)
        .into_iter()
        .filter_map(|name| {
            let alarm = account.alarms.get(&name)?;
            let ours = alarm
                .marker
                .as_ref()
                .is_some_and(|m| m.stack == options.stack);
            (!ours).then(|| (name, alarm.arn.clone()))
        })
        .collect();
    let tags: Vec<(String, BTreeMap<String, String>)> = stream::iter(wanted_tags)
        .map(|(name, arn)| {
            let client = &cloudwatch;
            async move { alarms::list_tags(client, &arn).await.map(|t| (name, t)) }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
        .map_err(alarms_failed)?;
    for (name, read) in tags {
        if let Some(alarm) = account.alarms.get_mut(&name) {
            alarm.tags = Some(read);
        }
    }

    let wanted: Vec<(String, String)> = wanted_topics(&account, options)
        .into_iter()
        .filter_map(|name| {
            let arn = account.topic_arns.get(&name)?.clone();
            Some((name, arn))
        })
        .collect();
    let read: Vec<(String, crate::observed::alerting::ObservedTopic)> = stream::iter(wanted)
        .map(|(name, arn)| {
            let client = &sns;
            async move {
                topics::describe_topic(client, &arn, true)
                    .await
                    .map(|t| (name, t))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
        .map_err(topics_failed)?;
    account.topics = read.into_iter().collect();

    account.account = account
        .services
        .values()
        .map(|s| s.arn.as_str())
        .chain(account.topic_arns.values().map(String::as_str))
        .chain(account.alarms.values().map(|a| a.arn.as_str()))
        .find_map(|arn| account_of_arn(arn).map(str::to_owned));
    Ok(account)
}
