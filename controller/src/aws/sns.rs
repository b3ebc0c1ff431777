//! SNS adapter: finding a topic's ARN by name (ListTopics) and publishing to it (the
//! events sink). Our own types in and out; SDK errors become `SnsError`.

use aws_sdk_sns::error::SdkError;
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;

#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    #[error("listing SNS topics in region {region} failed")]
    ListTopics {
        region: String,
        #[source]
        source: aws_sdk_sns::Error,
    },
    #[error("SNS topic {topic_arn} does not exist")]
    TopicNotFound { topic_arn: String },
    #[error("publishing to SNS topic {topic_arn} failed")]
    Publish {
        topic_arn: String,
        #[source]
        source: aws_sdk_sns::Error,
    },
    #[error("building the message attribute {name} for SNS topic {topic_arn} failed")]
    Attribute {
        topic_arn: String,
        name: String,
        #[source]
        source: aws_sdk_sns::error::BuildError,
    },
}

/// One message for a topic: what people read (subject, body) and the attributes that
/// subscription filter policies can match.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    pub body: String,
    /// String attributes (name, value).
    pub attributes: Vec<(String, String)>,
}

/// The ARN of the topic called `name` in the client's region, or `None`. ListTopics has
/// no name filter: it pages through every topic (100 a page), stopping at the match.
pub async fn find_topic_arn(
    client: &aws_sdk_sns::Client,
    region: &str,
    name: &str,
) -> Result<Option<String>, SnsError> {
    let suffix = format!(":{name}");
    let mut pages = client.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| SnsError::ListTopics {
            region: region.to_owned(),
            source: e.into(),
        })?;
        // A topic ARN ends with `:<name>`; names cannot contain `:`, so the suffix is exact.
        let found = page
            .topics()
            .iter()
            .filter_map(|topic| topic.topic_arn())
            .find(|arn| arn.ends_with(&suffix));
        if let Some(arn) = found {
            return Ok(Some(arn.to_owned()));
        }
    }
    Ok(None)
}

pub async fn publish(
    client: &aws_sdk_sns::Client,
    topic_arn: &str,
    message: &Message,
) -> Result<(), SnsError> {
    let mut request = client
        .publish()
        .topic_arn(topic_arn)
        .subject(&message.subject)
        .message(&message.body);
    for (name, value) in &message.attributes {
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|source| SnsError::Attribute {
                topic_arn: topic_arn.to_owned(),
                name: name.clone(),
                source,
            })?;
        request = request.message_attributes(name, attribute);
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e)) if matches!(e.err(), PublishError::NotFoundException(_)) => {
            Err(SnsError::TopicNotFound {
                topic_arn: topic_arn.to_owned(),
            })
        }
        Err(e) => Err(SnsError::Publish {
            topic_arn: topic_arn.to_owned(),
            source: e.into(),
        }),
    }
}
