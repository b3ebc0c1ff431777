//! SNS topics and subscriptions as mooring manages them: reads (ListTopics, attributes,
//! tags, subscriptions) and writes (create, attributes, tags, delete, subscribe,
//! unsubscribe). The events sink's publishing stays in `aws::sns`.

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;
use aws_sdk_sns::Client;
use serde_json::Value;

use crate::observed::alerting::{
    ObservedSubscription, ObservedTopic, SubscriptionSettings, TopicSettings,
};

/// What SNS reports instead of an ARN for a subscription that is not confirmed yet.
const PENDING: &str = "PendingConfirmation";

#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error("SNS {operation} on {resource} failed")]
    Call {
        operation: &'static str,
        resource: String,
        #[source]
        source: Box<aws_sdk_sns::Error>,
    },
    #[error("building tag {key} for SNS topic {topic} failed")]
    BuildTag {
        topic: String,
        key: String,
        #[source]
        source: aws_sdk_sns::error::BuildError,
    },
    #[error("SNS topic {name} does not exist")]
    NotFound { name: String },
}

fn call_failed<'a>(
    operation: &'static str,
    resource: &'a str,
) -> impl FnOnce(aws_sdk_sns::Error) -> TopicsError + 'a {
    move |source| TopicsError::Call {
        operation,
        resource: resource.to_owned(),
        source: Box::new(source),
    }
}

/// Topic name → ARN of every topic of the region (ListTopics, 100 a page).
pub async fn list_topics(
    client: &Client,
    region: &str,
) -> Result<BTreeMap<String, String>, TopicsError> {
    let mut topics = BTreeMap::new();
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| call_failed("ListTopics", region)(e.into()))?;
        for arn in page.topics().iter().filter_map(|t| t.topic_arn()) {
            if let Some((_, name)) = arn.rsplit_once(':') {
                topics.insert(name.to_owned(), arn.to_owned());
            }
        }
    }
    Ok(topics)
}

pub async fn list_tags(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, TopicsError> {
    let output = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| call_failed("ListTagsForResource", arn)(e.into()))?;
    Ok(output
        .tags()
        .iter()
        .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
        .collect())
}

/// A JSON document attribute: absent, empty and unparsable all read as "none".
fn json_attribute(text: Option<&String>) -> Option<Value> {
    text.filter(|t| !t.is_empty())
        .and_then(|t| serde_json::from_str(t).ok())
}

/// The topic's attributes, tags and (with `with_subscriptions`) its subscriptions with
/// their attributes.
pub async fn describe_topic(
    client: &Client,
    arn: &str,
    with_subscriptions: bool,
) -> Result<ObservedTopic, TopicsError> {
    let tags = list_tags(client, arn).await?;
    let output = client
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| call_failed("GetTopicAttributes", arn)(e.into()))?;
    let attributes = output.attributes().cloned().unwrap_or_default();
    let text = |name: &str| attributes.get(name).filter(|v| !v.is_empty()).cloned();
    let settings = TopicSettings {
        display_name: text("DisplayName"),
        kms_master_key_id: text("KmsMasterKeyId"),
        delivery_policy: json_attribute(attributes.get("DeliveryPolicy")),
    };
    let subscriptions = if with_subscriptions {
        Some(subscriptions(client, arn).await?)
    } else {
        None
    };
    Ok(ObservedTopic {
        arn: arn.to_owned(),
        tags,
        settings,
        subscriptions,
    })
}

async fn subscriptions(
    client: &Client,
    topic_arn: &str,
) -> Result<Vec<ObservedSubscription>, TopicsError> {
    let mut found = Vec::new();
    let mut pages = client
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| call_failed("ListSubscriptionsByTopic", topic_arn)(e.into()))?;
        for subscription in page.subscriptions() {
            let arn = subscription
                .subscription_arn()
                .filter(|arn| *arn != PENDING && arn.starts_with("arn:"))
                .map(str::to_owned);
            found.push(ObservedSubscription {
                arn,
                protocol: subscription.protocol().unwrap_or_default().to_owned(),
                endpoint: subscription.endpoint().unwrap_or_default().to_owned(),
                settings: SubscriptionSettings::default(),
            });
        }
    }
    // Filter policy and raw delivery are only in the subscription's own attributes.
    for subscription in &mut found {
        let Some(arn) = &subscription.arn else {
            continue;
        };
        let output = client
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(|e| call_failed("GetSubscriptionAttributes", arn)(e.into()))?;
        let attributes = output.attributes().cloned().unwrap_or_default();
        subscription.settings = SubscriptionSettings {
            // `{}` filters nothing, and is what removing a policy leaves on some
            // implementations (moto): the same as no policy.
            filter_policy: json_attribute(attributes.get("FilterPolicy"))
                .filter(|p| !crate::observed::alerting::is_empty_filter_policy(p)),
            raw_message_delivery: attributes
                .get("RawMessageDelivery")
                .is_some_and(|v| v == "true"),
        };
    }
    Ok(found)
}

fn sdk_tags(topic: &str, tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, TopicsError> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|source| TopicsError::BuildTag {
                    topic: topic.to_owned(),
                    key: key.clone(),
                    source,
                })
        })
        .collect()
}

/// Attribute name → value as SNS takes them; `None` values clear the attribute.
pub fn topic_attributes(settings: &TopicSettings) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            "DisplayName",
            settings.display_name.clone().unwrap_or_default(),
        ),
        (
            "KmsMasterKeyId",
            settings.kms_master_key_id.clone().unwrap_or_default(),
        ),
        (
            "DeliveryPolicy",
            settings
                .delivery_policy
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
        ),
    ])
}

/// CreateTopic with its attributes and tags; returns the ARN.
pub async fn create_topic(
    client: &Client,
    name: &str,
    settings: &TopicSettings,
    tags: &BTreeMap<String, String>,
) -> Result<String, TopicsError> {
    let mut request = client
        .create_topic()
        .name(name)
        .set_tags(Some(sdk_tags(name, tags)?));
    for (attribute, value) in topic_attributes(settings) {
        if !value.is_empty() {
            request = request.attributes(attribute, value);
        }
    }
    let output = request
        .send()
        .await
        .map_err(|e| call_failed("CreateTopic", name)(e.into()))?;
    Ok(output.topic_arn().unwrap_or_default().to_owned())
}

pub async fn set_topic_attribute(
    client: &Client,
    arn: &str,
    attribute: &str,
    value: &str,
) -> Result<(), TopicsError> {
    client
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name(attribute)
        .attribute_value(value)
        .send()
        .await
        .map_err(|e| call_failed("SetTopicAttributes", arn)(e.into()))?;
    Ok(())
}

pub async fn tag_topic(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), TopicsError> {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(sdk_tags(arn, tags)?))
        .send()
        .await
        .map_err(|e| call_failed("TagResource", arn)(e.into()))?;
    Ok(())
}

pub async fn delete_topic(client: &Client, arn: &str) -> Result<(), TopicsError> {
    client
        .delete_topic()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| call_failed("DeleteTopic", arn)(e.into()))?;
    Ok(())
}

/// Subscription attributes as SNS takes them (only the ones set).
pub fn subscription_attributes(settings: &SubscriptionSettings) -> BTreeMap<&'static str, String> {
    let mut attributes = BTreeMap::new();
    if let Some(policy) = &settings.filter_policy {
        attributes.insert("FilterPolicy", policy.to_string());
    }
    if settings.raw_message_delivery {
        attributes.insert("RawMessageDelivery", "true".to_owned());
    }
    attributes
}

pub async fn subscribe(
    client: &Client,
    topic_arn: &str,
    protocol: &str,
    endpoint: &str,
    settings: &SubscriptionSettings,
) -> Result<(), TopicsError> {
    let mut request = client
        .subscribe()
        .topic_arn(topic_arn)
        .protocol(protocol)
        .endpoint(endpoint)
        .return_subscription_arn(true);
    for (attribute, value) in subscription_attributes(settings) {
        request = request.attributes(attribute, value);
    }
    request
        .send()
        .await
        .map_err(|e| call_failed("Subscribe", topic_arn)(e.into()))?;
    Ok(())
}

pub async fn set_subscription_attribute(
    client: &Client,
    arn: &str,
    attribute: &str,
    value: &str,
) -> Result<(), TopicsError> {
    client
        .set_subscription_attributes()
        .subscription_arn(arn)
        .attribute_name(attribute)
        .attribute_value(value)
        .send()
        .await
        .map_err(|e| {
            call_failed(
                "SetSubscriptionAttributes",
                &crate::redact::subscription_arn(arn),
            )(e.into())
        })?;
    Ok(())
}

pub async fn unsubscribe(client: &Client, arn: &str) -> Result<(), TopicsError> {
    client
        .unsubscribe()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|e| call_failed("Unsubscribe", &crate::redact::subscription_arn(arn))(e.into()))?;
    Ok(())
}

/// The ARN of topic `name`, for changes planned before the topic existed.
pub async fn resolve_topic_arn(
    client: &Client,
    region: &str,
    name: &str,
) -> Result<String, TopicsError> {
    let topics = list_topics(client, region).await?;
    topics
        .get(name)
        .cloned()
        .ok_or_else(|| TopicsError::NotFound {
            name: name.to_owned(),
        })
}
