//! The account before a pass: services as a deploy pipeline left them, and drift by hand
//! (counts, tags, targets, policies, alarms, topics, subscriptions, unreadable targets,
//! deleted services), drawn from the same `Choices` as the desired states.

use std::collections::BTreeMap;

use super::generate::{Choices, CLUSTER, INSIGHTS, STACK, TOPICS};
use super::{alerting_tags, topic_arn, Account, Alarm, Behaviour, Service, Topic};
use crate::observed::alerting::{
    AlarmSpec, ObservedSubscription, SubscriptionSettings, TopicSettings,
};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, TargetTrackingPolicy, TrackedMetric,
};
use crate::observed::ServiceKey;
use crate::plan::tags::{
    ASLEEP_SINCE_TAG, ASLEEP_UNTIL_TAG, AUTOSCALING_HASH_TAG, AWAKE_UNTIL_TAG,
    CONTAINER_INSIGHTS_TAG, SLEEP_INTERRUPTIONS_TAG, STACK_TAG, TOPIC_DIGEST_TAG, WAKE_COUNT_TAG,
};

/// The services as the deploy pipeline left them: most exist, at some count.
pub(in crate::plan) fn initial_account(c: &mut Choices) -> Account {
    let mut account = Account {
        behaviour: Behaviour {
            fills_default_cooldowns: c.chance(50),
            clamps_count_on_register: c.chance(50),
            email_needs_confirmation: c.chance(50),
        },
        ..Account::default()
    };
    for index in 0..3 {
        if c.chance(10) {
            continue;
        }
        let mut tags = BTreeMap::new();
        if c.chance(10) {
            tags.insert(STACK_TAG.to_owned(), "other".to_owned());
        }
        account.services.insert(
            ServiceKey::new(CLUSTER, format!("s{index}")),
            Service {
                desired_count: c.range(0, 6),
                tags,
                target: None,
                target_unreadable: false,
            },
        );
    }
    // Last, so that the choices above draw the same accounts as before clusters existed.
    if c.chance(50) {
        account
            .cluster_insights
            .insert(CLUSTER.to_owned(), c.select(&INSIGHTS).to_owned());
    }
    // The alert targets' function, deployed with the app (or not yet).
    if c.chance(80) {
        account
            .functions
            .insert(super::lambda::FUNCTION.to_owned(), Vec::new());
    }
    account
}

/// Dashboards changed by hand: deleted, a widget resized, made again unmarked or with
/// another stack's marker, or an old one of this stack's left behind.
fn dashboard_drift(c: &mut Choices, account: &mut Account) {
    for _ in 0..c.pick(3) {
        let name = c.select(&["prop-d0", "prop-d1", "prop-old-d"]).to_owned();
        let marked = |stack: &str| serde_json::json!({"widgets": [{"type": "text", "properties": {"markdown": format!("[mooring:stack={stack} 0123456789abcdef]")}}]});
        match c.pick(5) {
            0 => {
                account.dashboards.remove(&name);
            }
            1 => {
                let first = account
                    .dashboards
                    .get_mut(&name)
                    .and_then(|body| body.get_mut("widgets"))
                    .and_then(|widgets| widgets.get_mut(0))
                    .and_then(serde_json::Value::as_object_mut);
                if let Some(widget) = first {
                    widget.insert("width".into(), serde_json::json!(c.range(1, 24)));
                }
            }
            2 => {
                account
                    .dashboards
                    .insert(name, serde_json::json!({"widgets": []}));
            }
            3 => {
                account.dashboards.insert(name, marked("other"));
            }
            _ => {
                account.dashboards.insert(name, marked(STACK));
            }
        }
    }
}

/// Someone (a person, a pipeline, another tool) changes things behind mooring's back.
pub(in crate::plan) fn drift(c: &mut Choices, account: &mut Account) {
    dashboard_drift(c, account);
    for _ in 0..c.pick(7) {
        let key = ServiceKey::new(CLUSTER, format!("s{}", c.pick(3)));
        let alarm = c
            .select(&["prop-a0", "prop-a1", "prop-s0-cpu", "prop-old"])
            .to_owned();
        let topic = c.select(&TOPICS).to_owned();
        match c.pick(16) {
            0 => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.desired_count = c.range(0, 6);
                }
            }
            1 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let tag = c.select(&[
                        STACK_TAG,
                        AUTOSCALING_HASH_TAG,
                        WAKE_COUNT_TAG,
                        ASLEEP_SINCE_TAG,
                        SLEEP_INTERRUPTIONS_TAG,
                    ]);
                    match c.pick(3) {
                        0 => {
                            s.tags.remove(tag);
                        }
                        1 => {
                            s.tags.insert(tag.to_owned(), "other".to_owned());
                        }
                        _ => {
                            s.tags.insert(tag.to_owned(), c.range(0, 4).to_string());
                        }
                    }
                }
            }
            2 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let min = c.range(0, 3);
                    let target = s.target.get_or_insert_with(ScalableTarget::default);
                    target.min = min;
                    target.max = min + c.range(0, 3);
                    target.suspended.dynamic_scaling_out_suspended = c.chance(30);
                }
            }
            3 => {
                if let Some(target) = account
                    .services
                    .get_mut(&key)
                    .and_then(|s| s.target.as_mut())
                {
                    if c.chance(50) {
                        target.policies.pop_first();
                    } else {
                        target.policies.insert(
                            "by-hand".into(),
                            ScalingPolicy::TargetTracking(TargetTrackingPolicy {
                                metric: TrackedMetric::Predefined {
                                    predefined_metric_type: "ECSServiceAverageCPUUtilization"
                                        .into(),
                                    resource_label: None,
                                },
                                target_value: 50.0,
                                scale_in_cooldown: None,
                                scale_out_cooldown: Some(30),
                                disable_scale_in: false,
                            }),
                        );
                        target.scheduled_actions.insert(
                            "by-hand".into(),
                            ScheduledAction {
                                schedule: "rate(1 hour)".into(),
                                timezone: "UTC".into(),
                                min: Some(1),
                                max: None,
                                start: None,
                                end: None,
                            },
                        );
                    }
                }
            }
            4 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let tag = c.select(&[AWAKE_UNTIL_TAG, ASLEEP_UNTIL_TAG]);
                    let value = c.select(&[
                        "2026-06-01T12:00:00Z",
                        "2099-01-01T00:00:00+01:00",
                        "tonight",
                    ]);
                    s.tags.insert(tag.to_owned(), value.to_owned());
                }
            }
            5 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.spec.threshold = Some(f64::from(c.range(1, 99)));
                    // Actions edited by hand: a step policy's ARN (or a topic's) dropped.
                    if c.chance(30) {
                        a.spec.alarm_actions.pop();
                    }
                }
            }
            6 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.description = Some(c.select(&["edited by hand", ""]).to_owned());
                    a.spec.description = a.description.clone().filter(|d| !d.is_empty());
                }
            }
            7 => {
                account.topics.remove(&topic);
            }
            8 => {
                account.next_id += 1;
                let arn = c
                    .chance(70)
                    .then(|| format!("{}:{}", topic_arn(&topic), account.next_id));
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.subscriptions.push(ObservedSubscription {
                        arn,
                        protocol: "email".into(),
                        endpoint: "someone@example.com".into(),
                        settings: SubscriptionSettings::default(),
                    });
                }
            }
            9 => {
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.settings.display_name = Some("by hand".into());
                    if let Some(s) = t.subscriptions.first_mut() {
                        s.settings.raw_message_delivery = !s.settings.raw_message_delivery;
                        s.settings.filter_policy = Some(serde_json::json!({ "team": ["x"] }));
                    }
                }
            }
            10 => {
                // Someone else's alarm or topic under a declared name, maybe tagged.
                let tags = match c.pick(3) {
                    0 => alerting_tags(&[(STACK_TAG, "other")]),
                    1 => alerting_tags(&[(STACK_TAG, STACK)]),
                    _ => BTreeMap::new(),
                };
                if c.chance(50) {
                    account.alarms.entry(alarm).or_insert_with(|| Alarm {
                        spec: AlarmSpec {
                            namespace: Some("AWS/RDS".into()),
                            metric: Some("CPUUtilization".into()),
                            threshold: Some(90.0),
                            ..Default::default()
                        },
                        description: None,
                        tags,
                    });
                } else {
                    account.topics.entry(topic).or_insert_with(|| Topic {
                        settings: TopicSettings::default(),
                        tags,
                        subscriptions: Vec::new(),
                    });
                }
            }
            11 => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.target_unreadable = true;
                }
            }
            12 => {
                account.services.remove(&key);
            }
            13 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.tags.remove(STACK_TAG);
                }
            }
            14 => {
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.tags.insert(TOPIC_DIGEST_TAG.to_owned(), "stale".into());
                    t.tags.remove("team");
                }
            }
            _ => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.target = None;
                }
            }
        }
    }
    // Container Insights switched in the console, or its record edited.
    if c.chance(20) {
        match c.pick(3) {
            0 => {
                account
                    .cluster_insights
                    .insert(CLUSTER.to_owned(), c.select(&INSIGHTS).to_owned());
            }
            1 => {
                account.cluster_insights.remove(CLUSTER);
            }
            _ => {
                let tags = account.cluster_tags.entry(CLUSTER.to_owned()).or_default();
                match c.select(&INSIGHTS) {
                    "disabled" => tags.remove(CONTAINER_INSIGHTS_TAG),
                    value => tags.insert(CONTAINER_INSIGHTS_TAG.to_owned(), value.to_owned()),
                };
            }
        }
    }
    // A statement of the function's policy removed in the console, or one added by hand.
    if let Some(statements) = account.functions.get_mut(super::lambda::FUNCTION) {
        match c.pick(4) {
            0 if !statements.is_empty() => {
                statements.remove(0);
            }
            1 => statements.push(crate::observed::lambda::PermissionStatement {
                sid: "by-hand".into(),
                principal: Some("sns.amazonaws.com".into()),
                source_arn: Some(topic_arn(TOPICS[0])),
            }),
            _ => {}
        }
    }
}
