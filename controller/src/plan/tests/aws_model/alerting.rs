//! CloudWatch alarms and SNS topics on the model account.

use serde_json::Value;

use super::account::{topic_arn, Account, Alarm, Topic};
use crate::observed::alerting::{Marker, ObservedSubscription, SubscriptionSettings};
use crate::observed::ServiceKey;
use crate::plan::parse_pending_policy;
use crate::plan::{AlarmOperation, Resource, TopicOperation};

pub(super) fn apply_alarm(
    account: &mut Account,
    resource: &Resource,
    op: &AlarmOperation,
) -> Result<(), String> {
    let Resource::Alarm { name, .. } = resource else {
        panic!("alarm operation on {resource}");
    };
    match op {
        AlarmOperation::PutAlarm {
            spec,
            description,
            tags,
        } => {
            let mut stored = (**spec).clone();
            // What the applier does before the call: topic names whose ARN was unknown
            // when planning are looked up (ListTopics), step-scaling policies
            // (DescribeScalingPolicies); the topic or policy was created earlier in the
            // same apply group.
            for actions in [
                &mut stored.alarm_actions,
                &mut stored.ok_actions,
                &mut stored.insufficient_data_actions,
            ] {
                for action in actions.iter_mut().filter(|a| !a.starts_with("arn:")) {
                    if let Some((resource_id, policy)) = parse_pending_policy(action) {
                        *action = policy_arn(account, &resource_id, &policy).ok_or_else(|| {
                            format!("{resource}: no scaling policy {resource_id}/{policy}")
                        })?;
                        continue;
                    }
                    if !account.topics.contains_key(action.as_str()) {
                        return Err(format!("{resource}: no topic named {action}"));
                    }
                    *action = topic_arn(action);
                }
                actions.sort();
                actions.dedup();
            }
            stored.description = Marker::split(description).0;
            match account.alarms.get_mut(name) {
                // PutMetricAlarm on an existing alarm: tags are ignored.
                Some(existing) => {
                    existing.spec = stored;
                    existing.description = Some(description.clone());
                }
                None => {
                    account.alarms.insert(
                        name.clone(),
                        Alarm {
                            spec: stored,
                            description: Some(description.clone()),
                            tags: tags.clone(),
                        },
                    );
                }
            }
        }
        AlarmOperation::TagAlarm { tags, .. } => {
            let alarm = account
                .alarms
                .get_mut(name)
                .unwrap_or_else(|| panic!("{resource}: ResourceNotFound"));
            alarm
                .tags
                .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        AlarmOperation::DeleteAlarm => {
            assert!(
                account.alarms.remove(name).is_some(),
                "{resource}: deleting an alarm that does not exist"
            );
        }
    }
    Ok(())
}

/// DescribeScalingPolicies for one policy on the model.
fn policy_arn(account: &Account, resource_id: &str, policy: &str) -> Option<String> {
    let (cluster, service) = resource_id.strip_prefix("service/")?.split_once('/')?;
    let target = account
        .services
        .get(&ServiceKey::new(cluster, service))?
        .target
        .as_ref()?;
    target.policies.get(policy)?;
    target.policy_arns.get(policy).cloned()
}

pub(super) fn apply_topic(account: &mut Account, resource: &Resource, op: &TopicOperation) {
    let (name, subscription) = match resource {
        Resource::Topic { name, .. } => (name.clone(), None),
        Resource::Subscription {
            topic,
            protocol,
            endpoint,
            ..
        } => (topic.clone(), Some((protocol.clone(), endpoint.clone()))),
        other => panic!("topic operation on {other}"),
    };
    match op {
        // CreateTopic of an existing name returns it (as on moto; AWS also does when the
        // attributes match).
        TopicOperation::CreateTopic { settings, tags } => {
            account.topics.entry(name).or_insert_with(|| Topic {
                settings: settings.clone(),
                tags: tags.clone(),
                subscriptions: Vec::new(),
            });
        }
        TopicOperation::SetTopicAttribute {
            attribute, value, ..
        } => {
            let topic = topic(account, &name, resource);
            let text = (!value.is_empty()).then(|| value.clone());
            match attribute.as_str() {
                "DisplayName" => topic.settings.display_name = text,
                "KmsMasterKeyId" => topic.settings.kms_master_key_id = text,
                "DeliveryPolicy" => {
                    topic.settings.delivery_policy =
                        text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
                }
                other => panic!("{resource}: unknown attribute {other}"),
            }
        }
        TopicOperation::TagTopic { tags, .. } => {
            topic(account, &name, resource)
                .tags
                .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        TopicOperation::DeleteTopic { .. } => {
            assert!(
                account.topics.remove(&name).is_some(),
                "{resource}: deleting a topic that does not exist"
            );
        }
        TopicOperation::Subscribe { settings, .. } => {
            let Some((protocol, endpoint)) = subscription else {
                panic!("Subscribe on {resource}");
            };
            account.next_id += 1;
            let pending = account.behaviour.email_needs_confirmation
                && matches!(protocol.as_str(), "email" | "email-json" | "http" | "https");
            let arn = (!pending).then(|| format!("{}:{}", topic_arn(&name), account.next_id));
            let topic = topic(account, &name, resource);
            assert!(
                !topic
                    .subscriptions
                    .iter()
                    .any(|s| s.protocol == protocol && s.endpoint == endpoint),
                "{resource}: subscribed twice"
            );
            topic.subscriptions.push(ObservedSubscription {
                arn,
                protocol,
                endpoint,
                settings: SubscriptionSettings {
                    filter_policy: settings
                        .filter_policy
                        .clone()
                        .filter(|p| !is_empty_policy(p)),
                    raw_message_delivery: settings.raw_message_delivery,
                },
            });
        }
        TopicOperation::SetSubscriptionAttribute {
            arn,
            attribute,
            value,
        } => {
            let found = subscription_by_arn(account, arn, resource);
            match attribute.as_str() {
                // `{}` (or nothing) removes the filter policy.
                "FilterPolicy" => {
                    found.settings.filter_policy = serde_json::from_str::<Value>(value)
                        .ok()
                        .filter(|p| !is_empty_policy(p));
                }
                "RawMessageDelivery" => found.settings.raw_message_delivery = value == "true",
                other => panic!("{resource}: unknown attribute {other}"),
            }
        }
        TopicOperation::Unsubscribe { arn } => {
            let topic = topic(account, &name, resource);
            let before = topic.subscriptions.len();
            topic
                .subscriptions
                .retain(|s| s.arn.as_deref() != Some(arn));
            assert!(
                topic.subscriptions.len() < before,
                "{resource}: no subscription {arn}"
            );
        }
    }
}

fn is_empty_policy(policy: &Value) -> bool {
    crate::observed::alerting::is_empty_filter_policy(policy)
}

fn topic<'a>(account: &'a mut Account, name: &str, resource: &Resource) -> &'a mut Topic {
    account
        .topics
        .get_mut(name)
        .unwrap_or_else(|| panic!("{resource}: NotFound (topic {name})"))
}

fn subscription_by_arn<'a>(
    account: &'a mut Account,
    arn: &str,
    resource: &Resource,
) -> &'a mut ObservedSubscription {
    account
        .topics
        .values_mut()
        .flat_map(|t| t.subscriptions.iter_mut())
        .find(|s| s.arn.as_deref() == Some(arn))
        .unwrap_or_else(|| panic!("{resource}: NotFound (subscription {arn})"))
}
