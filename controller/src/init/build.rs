//! PURE: what `mooring init` read (`account.rs`) → the document it writes
//! (`document.rs`). The decisions live here and in the files it calls: which alarms
//! (`select.rs`) and under which service, which defaults are dropped (against the
//! format's own defaults, docs/desired-state.md "Defaults summary"), what needs
//! `adopt: true`, what is withheld (secrets) or left out (and why); one alarm in
//! `alarm_doc.rs`. `emit.rs` only spells the result.

use std::collections::BTreeMap;

use super::account::{Account, Options};
use super::alarm_doc::{alarm_doc, expressible};
use super::document::*;
use super::select::{
    is_target_tracking_alarm, selected_alarms, stack_of, step_policy_arns, watched_service,
};
use crate::observed::alerting::{ObservedAlarm, ObservedSubscription, ObservedTopic};
use crate::observed::autoscaling::{ScalingPolicy, TrackedMetric};
use crate::observed::{ObservedService, ServiceKey, TargetObservation};
use crate::plan::STACK_TAG;

fn management(options: &Options, ours: bool) -> Management {
    match (ours, options.observe) {
        (true, _) => Management::Owned,
        (false, true) => Management::Observe(None),
        (false, false) => Management::Adopt,
    }
}

/// The account as the document init writes.
pub fn build(account: &Account, options: &Options) -> Document {
    let mut left_out = LeftOut {
        target_tracking_alarms: account
            .alarms
            .iter()
            .filter(|(name, alarm)| {
                is_target_tracking_alarm(name, &alarm.spec)
                    && watched_service(&alarm.spec, &account.services).is_some()
            })
            .count(),
        missing_topics: options
            .topics
            .iter()
            .filter(|t| !account.topic_arns.contains_key(*t))
            .cloned()
            .collect(),
        ..LeftOut::default()
    };

    // Services: another stack's are left out.
    let services: BTreeMap<ServiceKey, &ObservedService> = account
        .services
        .iter()
        .filter(|(_, service)| match service.tags.get(STACK_TAG) {
            Some(other) if *other != options.stack => {
                left_out
                    .other_stacks
                    .entry(other.clone())
                    .or_default()
                    .services += 1;
                false
            }
            _ => true,
        })
        .map(|(key, service)| (key.clone(), service))
        .collect();
    let kept_services: BTreeMap<ServiceKey, ObservedService> = services
        .iter()
        .map(|(k, s)| (k.clone(), (*s).clone()))
        .collect();
    let policies = step_policy_arns(&kept_services);

    // Topics: another stack's are left out (alarms name them by ARN).
    let mut topics = BTreeMap::new();
    for (name, topic) in &account.topics {
        match topic.tags.get(STACK_TAG) {
            Some(other) if *other != options.stack => {
                left_out
                    .other_stacks
                    .entry(other.clone())
                    .or_default()
                    .topics += 1;
            }
            tag => {
                let ours = tag.is_some();
                topics.insert(name.clone(), topic_doc(topic, management(options, ours)));
            }
        }
    }

    // Alarms: selected, not another stack's, expressible; composites only over written ones.
    let selected = selected_alarms(
        &Account {
            services: kept_services.clone(),
            ..account.clone()
        },
        options,
    );
    // Alarms of a written service that are left out, said under that service.
    let mut left_here: BTreeMap<ServiceKey, Vec<String>> = BTreeMap::new();
    for (name, alarm) in &account.alarms {
        if is_target_tracking_alarm(name, &alarm.spec) {
            if let Some(key) = watched_service(&alarm.spec, &kept_services) {
                left_here.entry(key.clone()).or_default().push(format!(
                    "left out: alarm {name}, made by Application Auto Scaling for a target-tracking policy"
                ));
            }
        }
    }
    let mut written: BTreeMap<String, &ObservedAlarm> = BTreeMap::new();
    for name in &selected {
        let Some(alarm) = account.alarms.get(name) else {
            continue;
        };
        let owner = stack_of(
            alarm.marker.as_ref().map(|m| m.stack.as_str()),
            alarm.tags.as_ref(),
        );
        match owner {
            Some(other) if other != options.stack => {
                if let Some(key) = watched_service(&alarm.spec, &kept_services) {
                    left_here
                        .entry(key.clone())
                        .or_default()
                        .push(format!("left out: alarm {name} of stack `{other}`"));
                }
                left_out.other_stacks.entry(other).or_default().alarms += 1;
            }
            _ if !expressible(&alarm.spec) => left_out.unsupported_alarms.push(name.clone()),
            _ => {
                written.insert(name.clone(), alarm);
            }
        }
    }
    // A composite naming an alarm that is not written cannot validate.
    loop {
        let dangling: Vec<String> = written
            .iter()
            .filter(|(_, alarm)| {
                alarm.spec.rule.as_deref().is_some_and(|rule| {
                    desired_state::model::rule_alarms(rule)
                        .unwrap_or_default()
                        .iter()
                        .any(|n| !written.contains_key(n))
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if dangling.is_empty() {
            break;
        }
        for name in dangling {
            written.remove(&name);
            left_out.unsupported_alarms.push(name);
        }
    }
    left_out.unsupported_alarms.sort();

    // Which step policy each written alarm runs (the first alarm naming a policy links it).
    let mut step_alarms: BTreeMap<(ServiceKey, String), String> = BTreeMap::new();
    for (name, alarm) in &written {
        for action in &alarm.spec.alarm_actions {
            if let Some(policy) = policies.get(action) {
                step_alarms
                    .entry(policy.clone())
                    .or_insert_with(|| name.clone());
            }
        }
    }

    let mut service_docs: Vec<ServiceDoc> = services
        .iter()
        .map(|(key, service)| {
            let mut doc = service_doc(key, service, &step_alarms, options);
            doc.left_out = left_here.remove(key).unwrap_or_default();
            doc
        })
        .collect();
    let mut stack_alarms = BTreeMap::new();
    for (name, alarm) in &written {
        let ours = alarm
            .marker
            .as_ref()
            .is_some_and(|m| m.stack == options.stack)
            || alarm.tags.as_ref().and_then(|t| t.get(STACK_TAG)) == Some(&options.stack);
        let home = if alarm.spec.is_composite() || !alarm.spec.metrics.is_empty() {
            None
        } else {
            watched_service(&alarm.spec, &kept_services).cloned()
        };
        let doc = alarm_doc(
            name,
            alarm,
            home.as_ref(),
            account,
            &topics,
            &policies,
            &step_alarms,
            management(options, ours),
        );
        match home.and_then(|key| {
            service_docs
                .iter_mut()
                .find(|s| s.cluster == key.cluster && s.name == key.name)
        }) {
            Some(service) => {
                service.alarms.insert(name.clone(), doc);
            }
            None => {
                stack_alarms.insert(name.clone(), doc);
            }
        }
    }
    service_docs.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));

    Document {
        stack: options.stack.clone(),
        region: account.region.clone(),
        account: account.account.clone(),
        topics,
        services: service_docs,
        alarms: stack_alarms,
        left_out,
    }
}

/// A tracked metric the format can write: predefined, or one customized metric (metric
/// math reads as a customized metric without a name).
fn trackable(metric: &TrackedMetric) -> bool {
    match metric {
        TrackedMetric::Predefined {
            predefined_metric_type,
            ..
        } => !predefined_metric_type.is_empty(),
        TrackedMetric::Customized {
            namespace,
            metric_name,
            statistic,
            ..
        } => {
            !namespace.is_empty()
                && !metric_name.is_empty()
                && desired_state::Statistic::parse(statistic).is_ok()
        }
    }
}

fn service_doc(
    key: &ServiceKey,
    service: &ObservedService,
    step_alarms: &BTreeMap<(ServiceKey, String), String>,
    options: &Options,
) -> ServiceDoc {
    let ours = service.tags.get(STACK_TAG) == Some(&options.stack);
    let autoscaling = match &service.scalable_target {
        TargetObservation::Registered(target) => {
            let mut doc = AutoscalingDoc {
                min: target.min,
                max: target.max,
                suspended: [
                    (
                        target.suspended.dynamic_scaling_in_suspended,
                        "dynamicScalingIn",
                    ),
                    (
                        target.suspended.dynamic_scaling_out_suspended,
                        "dynamicScalingOut",
                    ),
                    (
                        target.suspended.scheduled_scaling_suspended,
                        "scheduledScaling",
                    ),
                ]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect(),
                target_tracking: BTreeMap::new(),
                step_scaling: BTreeMap::new(),
                scheduled_actions: BTreeMap::new(),
                comments: Vec::new(),
            };
            for (name, policy) in &target.policies {
                match policy {
                    ScalingPolicy::TargetTracking(policy) if trackable(&policy.metric) => {
                        doc.target_tracking.insert(name.clone(), policy.clone());
                    }
                    ScalingPolicy::TargetTracking(_) => doc.comments.push(format!(
                        "left out: target-tracking policy `{name}` tracks metric math, which the format cannot write"
                    )),
                    ScalingPolicy::StepScaling(policy) => {
                        let alarm = step_alarms.get(&(key.clone(), name.clone())).cloned();
                        doc.step_scaling.insert(
                            name.clone(),
                            StepDoc {
                                adjustment_type: Some(policy.adjustment_type.clone())
                                    .filter(|t| t != "ChangeInCapacity" && !t.is_empty()),
                                cooldown: policy.cooldown,
                                metric_aggregation_type: Some(
                                    policy.metric_aggregation_type.clone(),
                                )
                                .filter(|t| t != "Average" && !t.is_empty()),
                                min_adjustment_magnitude: policy.min_adjustment_magnitude,
                                steps: policy.steps.clone(),
                                alarm,
                            },
                        );
                    }
                    ScalingPolicy::Other { policy_type } => doc.comments.push(format!(
                        "left out: {policy_type} policy `{name}`, a type the format cannot write"
                    )),
                }
            }
            for (name, action) in &target.scheduled_actions {
                let zone: Option<chrono_tz::Tz> = action.timezone.parse().ok();
                let local = |instant: Option<chrono::DateTime<chrono::Utc>>| {
                    instant.map(|i| match zone {
                        Some(zone) => i
                            .with_timezone(&zone)
                            .naive_local()
                            .format("%Y-%m-%dT%H:%M:%S")
                            .to_string(),
                        None => i.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    })
                };
                doc.scheduled_actions.insert(
                    name.clone(),
                    ActionDoc {
                        schedule: action.schedule.clone(),
                        timezone: Some(action.timezone.clone()).filter(|z| z != "UTC"),
                        min: action.min,
                        max: action.max,
                        start: local(action.start),
                        end: local(action.end),
                    },
                );
            }
            Some(doc)
        }
        _ => None,
    };
    // A service needs adopting only for what hangs off it: its scalable target. A
    // policy the file cannot hold would be deleted by a full apply: only watch it.
    let management = match (&autoscaling, ours) {
        (Some(doc), _) if !doc.comments.is_empty() => Management::Observe(Some(
            "observe: a full apply deletes the scaling policies the file does not declare\n(see above); remove this line once they may go".into(),
        )),
        (Some(_), false) => management(options, false),
        // `--observe` watches every service not yet the stack's, its count included.
        (None, false) if options.observe => Management::Observe(None),
        _ => Management::Owned,
    };
    ServiceDoc {
        cluster: key.cluster.clone(),
        name: key.name.clone(),
        desired_count: autoscaling.is_none().then_some(service.desired_count),
        autoscaling,
        alarms: BTreeMap::new(),
        management,
        left_out: Vec::new(),
    }
}

fn topic_doc(topic: &ObservedTopic, management: Management) -> TopicDoc {
    let mut withheld = false;
    // Sorted, as SNS promises no order: a second init of the same topic writes the same
    // lines.
    let mut found: Vec<&ObservedSubscription> = topic.subscriptions.iter().flatten().collect();
    found.sort_by(|a, b| (&a.protocol, &a.endpoint).cmp(&(&b.protocol, &b.endpoint)));
    let subscriptions = found
        .into_iter()
        .map(|s| {
            let shown = crate::redact::endpoint(&s.endpoint);
            const MANAGED: [&str; 7] = [
                "email",
                "email-json",
                "http",
                "https",
                "sqs",
                "lambda",
                "sms",
            ];
            if !MANAGED.contains(&s.protocol.as_str()) {
                withheld = true;
                SubscriptionDoc::Unmanaged {
                    protocol: s.protocol.clone(),
                    shown: shown.into_owned(),
                }
            } else if shown != s.endpoint {
                withheld = true;
                SubscriptionDoc::Withheld {
                    protocol: s.protocol.clone(),
                    shown: shown.into_owned(),
                }
            } else {
                SubscriptionDoc::Written(s.clone())
            }
        })
        .collect();
    let management = if withheld {
        // A full apply unsubscribes what the file does not list: only watch the topic
        // until the withheld endpoints are filled in.
        Management::Observe(Some(
            "observe: a subscription below is withheld, and an apply in full would unsubscribe it.\nFill in its endpoint, then remove this line (and add `adopt: true` if the topic\nis not yet this stack's).".into(),
        ))
    } else {
        management
    };
    TopicDoc {
        settings: topic.settings.clone(),
        tags: topic
            .tags
            .iter()
            .filter(|(k, _)| !k.starts_with("mooring:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        subscriptions,
        management,
    }
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
