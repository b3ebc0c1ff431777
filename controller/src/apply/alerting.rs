//! Applying alarm and topic changes (see `plan::alarms`, `plan::topics`).

use std::collections::BTreeMap;

use crate::aws::alarms::{self, AlarmsError};
use crate::aws::autoscaling::{self, AutoscalingError};
use crate::aws::topics::{self, TopicsError};
use crate::aws::Clients;
use crate::observed::alerting::AlarmSpec;
use crate::plan::{parse_pending_policy, AlarmOperation, Operation, Resource, TopicOperation};

#[derive(Debug, thiserror::Error)]
pub enum AlertingApplyError {
    #[error(transparent)]
    Alarms(#[from] AlarmsError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Autoscaling(#[from] AutoscalingError),
}

/// Runs one alarm or topic change; `None` when the pair is not an alerting change.
pub async fn execute(
    clients: &Clients,
    resource: &Resource,
    operation: &Operation,
) -> Option<Result<(), AlertingApplyError>> {
    let result = match (resource, operation) {
        (Resource::Alarm { region, name }, Operation::Alarm(operation)) => {
            alarm(clients, region, name, operation).await
        }
        (Resource::Topic { region, name }, Operation::Topic(operation)) => {
            topic(clients, region, name, operation).await
        }
        (
            Resource::Subscription {
                region,
                topic,
                protocol,
                endpoint,
            },
            Operation::Topic(operation),
        ) => subscription(clients, region, topic, protocol, endpoint, operation).await,
        _ => return None,
    };
    Some(result)
}

async fn alarm(
    clients: &Clients,
    region: &str,
    name: &str,
    operation: &AlarmOperation,
) -> Result<(), AlertingApplyError> {
    let client = clients.cloudwatch(region).await;
    match operation {
        AlarmOperation::PutAlarm {
            spec,
            description,
            tags,
        } => {
            let spec = resolve_actions(clients, region, spec).await?;
            alarms::put(&client, name, &spec, description, tags).await?;
        }
        AlarmOperation::TagAlarm { arn, tags } => alarms::tag(&client, arn, tags).await?,
        AlarmOperation::DeleteAlarm => alarms::delete(&client, name).await?,
    }
    Ok(())
}

/// Actions planned without their ARN become ARNs: step-scaling policies created earlier
/// in this pass (their apply group) by DescribeScalingPolicies, topic names (the topic
/// was created in this pass) by ListTopics.
async fn resolve_actions(
    clients: &Clients,
    region: &str,
    spec: &AlarmSpec,
) -> Result<AlarmSpec, AlertingApplyError> {
    let mut spec = spec.clone();
    let mut resolved: BTreeMap<String, String> = BTreeMap::new();
    for actions in [
        &mut spec.alarm_actions,
        &mut spec.ok_actions,
        &mut spec.insufficient_data_actions,
    ] {
        for action in actions.iter_mut().filter(|a| !a.starts_with("arn:")) {
            if !resolved.contains_key(action.as_str()) {
                let arn = match parse_pending_policy(action) {
                    Some((resource_id, policy)) => {
                        let client = clients.autoscaling(region).await;
                        autoscaling::policy_arn(&client, &resource_id, &policy).await?
                    }
                    None => {
                        let sns = clients.sns(region).await;
                        topics::resolve_topic_arn(&sns, region, action).await?
                    }
                };
                resolved.insert(action.clone(), arn);
            }
            if let Some(arn) = resolved.get(action.as_str()) {
                *action = arn.clone();
            }
        }
    }
    Ok(spec)
}

async fn topic_arn(
    client: &aws_sdk_sns::Client,
    region: &str,
    name: &str,
    known: Option<&String>,
) -> Result<String, TopicsError> {
    match known {
        Some(arn) => Ok(arn.clone()),
        None => topics::resolve_topic_arn(client, region, name).await,
    }
}

async fn topic(
    clients: &Clients,
    region: &str,
    name: &str,
    operation: &TopicOperation,
) -> Result<(), AlertingApplyError> {
    let client = clients.sns(region).await;
    match operation {
        TopicOperation::CreateTopic { settings, tags } => {
            topics::create_topic(&client, name, settings, tags).await?;
        }
        TopicOperation::SetTopicAttribute {
            arn,
            attribute,
            value,
        } => topics::set_topic_attribute(&client, arn, attribute, value).await?,
        TopicOperation::TagTopic {
            topic_arn: arn,
            tags,
        } => {
            let arn = topic_arn(&client, region, name, arn.as_ref()).await?;
            topics::tag_topic(&client, &arn, tags).await?;
        }
        TopicOperation::DeleteTopic { arn } => topics::delete_topic(&client, arn).await?,
        other => {
            return Err(TopicsError::NotFound {
                name: format!("{name} (operation {other:?} does not apply to a topic)"),
            }
            .into())
        }
    }
    Ok(())
}

async fn subscription(
    clients: &Clients,
    region: &str,
    topic: &str,
    protocol: &str,
    endpoint: &str,
    operation: &TopicOperation,
) -> Result<(), AlertingApplyError> {
    let client = clients.sns(region).await;
    match operation {
        TopicOperation::Subscribe {
            topic_arn: arn,
            settings,
        } => {
            let arn = topic_arn(&client, region, topic, arn.as_ref()).await?;
            topics::subscribe(&client, &arn, protocol, endpoint, settings).await?;
        }
        TopicOperation::SetSubscriptionAttribute {
            arn,
            attribute,
            value,
        } => topics::set_subscription_attribute(&client, arn, attribute, value).await?,
        TopicOperation::Unsubscribe { arn } => topics::unsubscribe(&client, arn).await?,
        other => {
            return Err(TopicsError::NotFound {
                name: format!("{topic} (operation {other:?} does not apply to a subscription)"),
            }
            .into())
        }
    }
    Ok(())
}
