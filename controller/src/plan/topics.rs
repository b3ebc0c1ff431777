//! SNS topics and their subscriptions (which belong to their topic).
//!
//! Ownership: the `mooring:stack` tag on the topic. `mooring:digest` on the topic records
//! the spec (attributes, tags, subscriptions) last applied in full: a difference while it
//! equals the desired digest is drift (DriftCorrected), otherwise Created / Updated /
//! Pruned. A subscription waiting for confirmation is reported on every pass
//! (SubscriptionPendingConfirmation) and never subscribed again.

use std::collections::BTreeMap;

use desired_state::{Management, Stack, Topic};
use serde::Serialize;
use serde_json::Value;

use super::alarms::{spec_digest, PruneBudget};
use super::diff::field_diffs;
use super::{Change, EventType, FieldDiff, Notice, Operation, Plan, Reason, Resource, STACK_TAG};
use crate::observed::alerting::{
    is_empty_filter_policy, Alerting, ObservedSubscription, ObservedTopic, SubscriptionSettings,
    TopicSettings,
};
use crate::observed::ObservedStack;
use crate::redact;

/// On a topic: 16 hex digits of the digest of the topic spec last applied in full.
pub const TOPIC_DIGEST_TAG: &str = "mooring:digest";

/// SNS calls. `topic_arn: None`: the topic is created earlier in the same group, its ARN
/// is looked up when applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum TopicOperation {
    #[serde(rename_all = "camelCase")]
    CreateTopic {
        settings: TopicSettings,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename_all = "camelCase")]
    SetTopicAttribute {
        arn: String,
        attribute: String,
        value: String,
    },
    #[serde(rename_all = "camelCase")]
    TagTopic {
        topic_arn: Option<String>,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename_all = "camelCase")]
    DeleteTopic { arn: String },
    #[serde(rename_all = "camelCase")]
    Subscribe {
        topic_arn: Option<String>,
        settings: SubscriptionSettings,
    },
    #[serde(rename_all = "camelCase")]
    SetSubscriptionAttribute {
        #[serde(serialize_with = "crate::redact::serialize_subscription_arn")]
        arn: String,
        attribute: String,
        value: String,
    },
    #[serde(rename_all = "camelCase")]
    Unsubscribe {
        #[serde(serialize_with = "crate::redact::serialize_subscription_arn")]
        arn: String,
    },
}

pub(super) fn topic_group(region: &str, topic: &str) -> String {
    format!("topic:{region}:{topic}")
}

fn desired_settings(topic: &Topic) -> TopicSettings {
    TopicSettings {
        display_name: topic.display_name.clone().filter(|d| !d.is_empty()),
        kms_master_key_id: topic.kms_key_id.clone(),
        delivery_policy: topic.delivery_policy.clone(),
    }
}

fn desired_subscriptions(topic: &Topic) -> Vec<ObservedSubscription> {
    topic
        .subscriptions
        .iter()
        .map(|s| ObservedSubscription {
            arn: None,
            protocol: s.protocol.as_str().to_owned(),
            endpoint: s.endpoint.clone(),
            settings: SubscriptionSettings {
                filter_policy: s
                    .filter_policy
                    .clone()
                    .filter(|p| !is_empty_filter_policy(p)),
                raw_message_delivery: s.raw_message_delivery,
            },
        })
        .collect()
}

/// What the digest covers.
#[derive(Serialize)]
struct TopicShape<'a> {
    settings: &'a TopicSettings,
    tags: &'a BTreeMap<String, String>,
    subscriptions: &'a [ObservedSubscription],
}

/// One planned call, before it becomes a Change (full) or a Notice (observe).
struct Step {
    resource: Resource,
    kind: Kind,
    summary: String,
    diff: Vec<FieldDiff>,
    operation: TopicOperation,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Adopt,
    Create,
    Update,
    Prune,
    /// Bookkeeping (the digest tag): takes the reason of the group's first step.
    Record,
}

pub(super) fn plan_topics(
    stack: &Stack,
    seen: &ObservedStack,
    alerting: &Alerting,
    budget: &mut PruneBudget,
    plan: &mut Plan,
) {
    for (name, topic) in &stack.topics {
        if topic.management != Management::Paused {
            plan_topic(stack, seen, alerting, name, topic, plan);
        }
    }
    // Prunes: undeclared topics under the stack's prefixes that carry its tag.
    let owned: Vec<(&String, &ObservedTopic)> = alerting
        .topics
        .iter()
        .filter(|(name, found)| {
            !stack.topics.contains_key(*name) && found.tags.get(STACK_TAG) == Some(&stack.name)
        })
        .collect();
    if stack.topics.is_empty() && !stack.prune.allow_empty {
        budget.keep("topic", owned.iter().map(|(n, _)| (*n).clone()).collect());
        return;
    }
    for (name, found) in owned {
        if budget.take(name) {
            plan.changes.push(Change {
                stack: stack.name.clone(),
                resource: Resource::Topic {
                    region: seen.region.clone(),
                    name: name.clone(),
                },
                reason: Reason::Pruned,
                summary: format!(
                    "delete topic {name} and its subscriptions (it left the desired state)"
                ),
                diff: vec![FieldDiff::new("arn", found.arn.clone(), Value::Null)],
                operation: Operation::Topic(TopicOperation::DeleteTopic {
                    arn: found.arn.clone(),
                }),
                group: topic_group(&seen.region, name),
            });
        }
    }
}

fn plan_topic(
    stack: &Stack,
    seen: &ObservedStack,
    alerting: &Alerting,
    name: &str,
    topic: &Topic,
    plan: &mut Plan,
) {
    let topic_resource = Resource::Topic {
        region: seen.region.clone(),
        name: name.to_owned(),
    };
    let settings = desired_settings(topic);
    let subscriptions = desired_subscriptions(topic);
    let digest = spec_digest(&TopicShape {
        settings: &settings,
        tags: &topic.tags,
        subscriptions: &subscriptions,
    });
    let found = alerting.topics.get(name);
    let notice = |reason: Reason, message: String| Notice {
        stack: stack.name.clone(),
        resource: Some(topic_resource.clone()),
        kind: EventType::Warning,
        reason,
        message,
        diff: Vec::new(),
    };
    let mut steps = Vec::new();
    let mut recorded = false;
    let arn = match found {
        None => {
            let mut tags = topic.tags.clone();
            tags.insert(STACK_TAG.to_owned(), stack.name.clone());
            steps.push(Step {
                resource: topic_resource.clone(),
                kind: Kind::Create,
                summary: format!("create topic {name}"),
                diff: field_diffs(None::<&TopicSettings>, Some(&settings)),
                operation: TopicOperation::CreateTopic {
                    settings: settings.clone(),
                    tags,
                },
            });
            None
        }
        Some(found) => {
            let owner = found.tags.get(STACK_TAG);
            if topic.management == Management::Full {
                match owner {
                    Some(owner) if *owner == stack.name => {}
                    Some(owner) => {
                        plan.notices.push(notice(Reason::NotOwned, format!("the topic is tagged {STACK_TAG}={owner}: it belongs to stack {owner} and is left alone")));
                        return;
                    }
                    None if topic.adopt => steps.push(Step {
                        resource: topic_resource.clone(),
                        kind: Kind::Adopt,
                        summary: format!("adopt topic {name} for stack {}", stack.name),
                        diff: vec![FieldDiff::new(
                            format!("tags.{STACK_TAG}"),
                            Value::Null,
                            stack.name.clone(),
                        )],
                        operation: TopicOperation::TagTopic {
                            topic_arn: Some(found.arn.clone()),
                            tags: BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]),
                        },
                    }),
                    None => {
                        plan.notices.push(notice(Reason::NotOwned, "the topic exists without mooring's tag; set adopt: true to take it over".into()));
                        return;
                    }
                }
            }
            recorded = found.tags.get(TOPIC_DIGEST_TAG) == Some(&digest);
            topic_updates(&topic_resource, found, &settings, &topic.tags, &mut steps);
            Some(found.arn.clone())
        }
    };
    let observed_subscriptions = found
        .and_then(|f| f.subscriptions.clone())
        .unwrap_or_default();
    for wanted in &subscriptions {
        let resource = Resource::Subscription {
            region: seen.region.clone(),
            topic: name.to_owned(),
            protocol: wanted.protocol.clone(),
            endpoint: wanted.endpoint.clone(),
        };
        let existing = observed_subscriptions
            .iter()
            .find(|s| s.protocol == wanted.protocol && s.endpoint == wanted.endpoint);
        match existing {
            None => steps.push(Step {
                resource,
                kind: Kind::Create,
                summary: format!("subscribe {} {} to topic {name}", wanted.protocol, redact::endpoint(&wanted.endpoint)),
                diff: field_diffs(None, Some(&shown(wanted))),
                operation: TopicOperation::Subscribe {
                    topic_arn: arn.clone(),
                    settings: wanted.settings.clone(),
                },
            }),
            Some(ObservedSubscription { arn: None, .. }) => plan.notices.push(Notice {
                resource: Some(resource),
                ..notice(
                    Reason::SubscriptionPendingConfirmation,
                    format!("{} {} has not confirmed its subscription to topic {name} yet; it receives nothing until it does (mooring does not subscribe it again)", wanted.protocol, redact::endpoint(&wanted.endpoint)),
                )
            }),
            Some(ObservedSubscription { arn: Some(sub_arn), settings: have, .. }) => {
                subscription_updates(&resource, sub_arn, have, &wanted.settings, &mut steps);
            }
        }
    }
    for extra in &observed_subscriptions {
        let declared = subscriptions
            .iter()
            .any(|s| s.protocol == extra.protocol && s.endpoint == extra.endpoint);
        if let (false, Some(sub_arn)) = (declared, &extra.arn) {
            steps.push(Step {
                resource: Resource::Subscription {
                    region: seen.region.clone(),
                    topic: name.to_owned(),
                    protocol: extra.protocol.clone(),
                    endpoint: extra.endpoint.clone(),
                },
                kind: Kind::Prune,
                summary: format!(
                    "unsubscribe {} {} from topic {name}",
                    extra.protocol,
                    redact::endpoint(&extra.endpoint)
                ),
                diff: field_diffs(Some(&shown(extra)), None),
                operation: TopicOperation::Unsubscribe {
                    arn: sub_arn.clone(),
                },
            });
        }
    }
    match topic.management {
        Management::Paused => {}
        Management::Observe => {
            for step in steps.into_iter().filter(|s| s.kind != Kind::Adopt) {
                plan.notices.push(Notice {
                    resource: Some(step.resource),
                    diff: step.diff,
                    ..notice(
                        Reason::DriftDetected,
                        format!(
                            "would {}; management is `observe`, so it is only reported",
                            step.summary
                        ),
                    )
                });
            }
        }
        Management::Full => {
            if !recorded {
                steps.push(Step {
                    resource: topic_resource.clone(),
                    kind: Kind::Record,
                    summary: format!(
                        "record the applied spec of topic {name} ({TOPIC_DIGEST_TAG})"
                    ),
                    diff: vec![FieldDiff::new(
                        format!("tags.{TOPIC_DIGEST_TAG}"),
                        found.and_then(|f| f.tags.get(TOPIC_DIGEST_TAG).cloned()),
                        digest.clone(),
                    )],
                    operation: TopicOperation::TagTopic {
                        topic_arn: arn,
                        tags: BTreeMap::from([(TOPIC_DIGEST_TAG.to_owned(), digest)]),
                    },
                });
            }
            let first = steps
                .first()
                .map(|s| reason(s.kind, recorded))
                .unwrap_or(Reason::Updated);
            for step in steps {
                let reason = match step.kind {
                    Kind::Record => first,
                    kind => reason(kind, recorded),
                };
                plan.changes.push(Change {
                    stack: stack.name.clone(),
                    resource: step.resource,
                    reason,
                    summary: step.summary,
                    diff: step.diff,
                    operation: Operation::Topic(step.operation),
                    group: topic_group(&seen.region, name),
                });
            }
        }
    }
}

/// A subscription as diffs show it: the endpoint redacted (`redact`). The digest and
/// the comparisons use the full value.
fn shown(subscription: &ObservedSubscription) -> ObservedSubscription {
    ObservedSubscription {
        endpoint: redact::endpoint(&subscription.endpoint).into_owned(),
        ..subscription.clone()
    }
}

fn reason(kind: Kind, recorded: bool) -> Reason {
    match kind {
        Kind::Adopt => Reason::Adopted,
        _ if recorded => Reason::DriftCorrected,
        Kind::Create => Reason::Created,
        Kind::Update | Kind::Record => Reason::Updated,
        Kind::Prune => Reason::Pruned,
    }
}

/// SetTopicAttributes for each differing attribute, TagResource for missing user tags.
fn topic_updates(
    resource: &Resource,
    found: &ObservedTopic,
    wanted: &TopicSettings,
    tags: &BTreeMap<String, String>,
    steps: &mut Vec<Step>,
) {
    let attributes = [
        (
            "DisplayName",
            "displayName",
            found.settings.display_name.clone().map(Value::from),
            wanted.display_name.clone().map(Value::from),
        ),
        (
            "KmsMasterKeyId",
            "kmsMasterKeyId",
            found.settings.kms_master_key_id.clone().map(Value::from),
            wanted.kms_master_key_id.clone().map(Value::from),
        ),
        (
            "DeliveryPolicy",
            "deliveryPolicy",
            found.settings.delivery_policy.clone(),
            wanted.delivery_policy.clone(),
        ),
    ];
    for (attribute, field, have, want) in attributes {
        if have == want {
            continue;
        }
        let value = match &want {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        steps.push(Step {
            resource: resource.clone(),
            kind: Kind::Update,
            summary: format!("set topic attribute {attribute}"),
            diff: vec![FieldDiff::new(field, have, want)],
            operation: TopicOperation::SetTopicAttribute {
                arn: found.arn.clone(),
                attribute: attribute.to_owned(),
                value,
            },
        });
    }
    let missing: BTreeMap<String, String> = tags
        .iter()
        .filter(|(key, value)| found.tags.get(*key) != Some(value))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !missing.is_empty() {
        steps.push(Step {
            resource: resource.clone(),
            kind: Kind::Update,
            summary: "tag the topic".into(),
            diff: missing
                .iter()
                .map(|(key, value)| {
                    FieldDiff::new(
                        format!("tags.{key}"),
                        found.tags.get(key).cloned(),
                        value.clone(),
                    )
                })
                .collect(),
            operation: TopicOperation::TagTopic {
                topic_arn: Some(found.arn.clone()),
                tags: missing,
            },
        });
    }
}

fn subscription_updates(
    resource: &Resource,
    arn: &str,
    have: &SubscriptionSettings,
    want: &SubscriptionSettings,
    steps: &mut Vec<Step>,
) {
    if have.filter_policy != want.filter_policy {
        steps.push(Step {
            resource: resource.clone(),
            kind: Kind::Update,
            summary: "set the subscription's filter policy".into(),
            diff: vec![FieldDiff::new(
                "filterPolicy",
                have.filter_policy.clone(),
                want.filter_policy.clone(),
            )],
            operation: TopicOperation::SetSubscriptionAttribute {
                arn: arn.to_owned(),
                attribute: "FilterPolicy".into(),
                // An empty policy document removes the filter.
                value: want
                    .filter_policy
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_else(|| "{}".into()),
            },
        });
    }
    if have.raw_message_delivery != want.raw_message_delivery {
        steps.push(Step {
            resource: resource.clone(),
            kind: Kind::Update,
            summary: "set the subscription's raw message delivery".into(),
            diff: vec![FieldDiff::new(
                "rawMessageDelivery",
                have.raw_message_delivery,
                want.raw_message_delivery,
            )],
            operation: TopicOperation::SetSubscriptionAttribute {
                arn: arn.to_owned(),
                attribute: "RawMessageDelivery".into(),
                value: want.raw_message_delivery.to_string(),
            },
        });
    }
}
