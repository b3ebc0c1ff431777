//! SNS topics and their subscriptions (which belong to their topic).
//!
//! Ownership: the `mooring:stack` tag on the topic. `mooring:digest` on the topic records
//! the spec (attributes, tags, subscriptions) last applied in full; `evidence.rs` turns it
//! into the reason: a difference while it equals the desired digest is drift
//! (DriftCorrected), otherwise DesiredChanged / Created / Pruned (Updated without a record). A subscription waiting for confirmation is reported on every pass
//! (SubscriptionPendingConfirmation) and never subscribed again.

use std::collections::BTreeMap;

use desired_state::{Management, Stack, Topic};
use serde::Serialize;
use serde_json::Value;

use super::change::{topic_group, Change, Notice, Operation, Plan, Resource, TopicOperation};
use super::diff::field_diffs;
use super::digest::short_digest;
use super::evidence::{self, Action, Evidence};
use super::ownership::{
    emit, not_owned, observe_only, owner, ownership, Owner, Ownership, Step, StepKind, Subject,
};
use super::prune::PruneBudget;
use super::tags::{STACK_TAG, TOPIC_DIGEST_TAG};
use crate::events::{FieldDiff, Reason};
use crate::observed::alerting::{
    is_empty_filter_policy, Alerting, ObservedSubscription, ObservedTopic, SubscriptionSettings,
    TopicSettings,
};
use crate::observed::ObservedStack;
use crate::redact;

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
            !stack.topics.contains_key(*name)
                && owner(&stack.name, found.tags.get(STACK_TAG).map(String::as_str))
                    == Owner::ThisStack
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
                after: None,
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
    let digest = short_digest(&TopicShape {
        settings: &settings,
        tags: &topic.tags,
        subscriptions: &subscriptions,
    });
    let found = alerting.topics.get(name);
    let mut steps = Vec::new();
    let mut evidence = Evidence::Unknown;
    let arn = match found {
        None => {
            let mut tags = topic.tags.clone();
            tags.insert(STACK_TAG.to_owned(), stack.name.clone());
            steps.push(Step {
                resource: topic_resource.clone(),
                kind: StepKind::Create,
                // Its digest tag went with it, if it ever existed: nothing tells.
                summary: format!(
                    "create topic {name} ({})",
                    Evidence::Unknown.explain(Action::Create)
                ),
                diff: field_diffs(None::<&TopicSettings>, Some(&settings)),
                operation: Operation::Topic(TopicOperation::CreateTopic {
                    settings: settings.clone(),
                    tags,
                }),
            });
            None
        }
        Some(found) => {
            if topic.management == Management::Full {
                let tag = found.tags.get(STACK_TAG).map(String::as_str);
                match ownership(&stack.name, Subject::Topic, tag, topic.adopt) {
                    Ownership::Ours => {}
                    Ownership::Adopt => steps.push(Step {
                        resource: topic_resource.clone(),
                        kind: StepKind::Adopt,
                        summary: format!("adopt topic {name} for stack {}", stack.name),
                        diff: vec![FieldDiff::new(
                            format!("tags.{STACK_TAG}"),
                            Value::Null,
                            stack.name.clone(),
                        )],
                        operation: Operation::Topic(TopicOperation::TagTopic {
                            topic_arn: Some(found.arn.clone()),
                            tags: BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]),
                        }),
                    }),
                    Ownership::NotOwned(message) => {
                        plan.notices
                            .push(not_owned(&stack.name, topic_resource, message));
                        return;
                    }
                }
            }
            let recorded = found.tags.get(TOPIC_DIGEST_TAG).map(String::as_str);
            evidence = evidence::evidence(recorded, &digest);
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
                kind: StepKind::Create,
                summary: format!("subscribe {} {} to topic {name}", wanted.protocol, redact::endpoint(&wanted.endpoint)),
                diff: field_diffs(None, Some(&shown(wanted))),
                operation: Operation::Topic(TopicOperation::Subscribe {
                    topic_arn: arn.clone(),
                    settings: wanted.settings.clone(),
                }),
            }),
            Some(ObservedSubscription { arn: None, .. }) => plan.notices.push(Notice::warning(
                &stack.name,
                Some(resource),
                Reason::SubscriptionPendingConfirmation,
                format!("{} {} has not confirmed its subscription to topic {name} yet; it receives nothing until it does (mooring does not subscribe it again)", wanted.protocol, redact::endpoint(&wanted.endpoint)),
            )),
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
                kind: StepKind::Prune,
                summary: format!(
                    "unsubscribe {} {} from topic {name}",
                    extra.protocol,
                    redact::endpoint(&extra.endpoint)
                ),
                diff: field_diffs(Some(&shown(extra)), None),
                operation: Operation::Topic(TopicOperation::Unsubscribe {
                    arn: sub_arn.clone(),
                }),
            });
        }
    }
    let recorded = found.and_then(|f| f.tags.get(TOPIC_DIGEST_TAG)) == Some(&digest);
    if topic.management == Management::Full && !recorded {
        // The digest is written last, with the reason of the group's first step.
        let first = steps
            .first()
            .map(|s| s.kind.reason(&evidence))
            .unwrap_or(Reason::Updated);
        steps.push(Step {
            resource: topic_resource.clone(),
            kind: StepKind::Record(first),
            summary: format!("record the applied spec of topic {name} ({TOPIC_DIGEST_TAG})"),
            diff: vec![FieldDiff::new(
                format!("tags.{TOPIC_DIGEST_TAG}"),
                found.and_then(|f| f.tags.get(TOPIC_DIGEST_TAG).cloned()),
                digest.clone(),
            )],
            operation: Operation::Topic(TopicOperation::TagTopic {
                topic_arn: arn,
                tags: BTreeMap::from([(TOPIC_DIGEST_TAG.to_owned(), digest)]),
            }),
        });
    }
    emit(
        steps,
        topic.management,
        &evidence,
        (&stack.name, &topic_group(&seen.region, name)),
        |summary| observe_only(&format!("would {summary}")),
        plan,
    );
}

/// A subscription as diffs show it: the endpoint redacted (`redact`). The digest and
/// the comparisons use the full value.
fn shown(subscription: &ObservedSubscription) -> ObservedSubscription {
    ObservedSubscription {
        endpoint: redact::endpoint(&subscription.endpoint).into_owned(),
        ..subscription.clone()
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
            kind: StepKind::Update,
            summary: format!("set topic attribute {attribute}"),
            diff: vec![FieldDiff::new(field, have, want)],
            operation: Operation::Topic(TopicOperation::SetTopicAttribute {
                arn: found.arn.clone(),
                attribute: attribute.to_owned(),
                value,
            }),
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
            kind: StepKind::Update,
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
            operation: Operation::Topic(TopicOperation::TagTopic {
                topic_arn: Some(found.arn.clone()),
                tags: missing,
            }),
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
            kind: StepKind::Update,
            summary: "set the subscription's filter policy".into(),
            diff: vec![FieldDiff::new(
                "filterPolicy",
                have.filter_policy.clone(),
                want.filter_policy.clone(),
            )],
            operation: Operation::Topic(TopicOperation::SetSubscriptionAttribute {
                arn: arn.to_owned(),
                attribute: "FilterPolicy".into(),
                // An empty policy document removes the filter.
                value: want
                    .filter_policy
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_else(|| "{}".into()),
            }),
        });
    }
    if have.raw_message_delivery != want.raw_message_delivery {
        steps.push(Step {
            resource: resource.clone(),
            kind: StepKind::Update,
            summary: "set the subscription's raw message delivery".into(),
            diff: vec![FieldDiff::new(
                "rawMessageDelivery",
                have.raw_message_delivery,
                want.raw_message_delivery,
            )],
            operation: Operation::Topic(TopicOperation::SetSubscriptionAttribute {
                arn: arn.to_owned(),
                attribute: "RawMessageDelivery".into(),
                value: want.raw_message_delivery.to_string(),
            }),
        });
    }
}
