//! CloudWatch alarms: create, update in place, adopt, prune, and the prune budget that
//! alarms and topics share.
//!
//! Ownership is the `mooring:stack` tag. So that a converged pass reads no tags, mooring
//! also ends every description it writes with a marker, `[mooring:stack=<stack> <digest>]`,
//! the digest being that of the alarm spec it put: an alarm with this stack's marker is
//! treated as this stack's for updates, and the marker's digest is the evidence
//! `evidence.rs` decides the reason by: equal to the desired one, a difference is drift
//! (DriftCorrected); otherwise the desired state changed (DesiredChanged). Deleting always
//! needs the tag as well: a marker alone never prunes.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{Alarm, AlarmCondition, Management, Stack};

use super::alarm_policies::{AlarmPolicies, PENDING_POLICY_PREFIX};
use super::change::{alarm_group, topic_group, AlarmOperation, Change, Operation, Plan, Resource};
use super::diff::{field_diffs, summarize};
use super::digest::short_digest;
use super::evidence::{evidence, Action, Evidence};
use super::ownership::{
    drift_detected, not_owned, observe_only, owner, ownership, Owner, Ownership, Subject,
};
use super::prune::PruneBudget;
use super::tags::STACK_TAG;
use crate::events::{FieldDiff, Reason};
use crate::observed::alerting::{AlarmSpec, Alerting, Marker, MathMetric, ObservedAlarm};
use crate::observed::ObservedStack;

/// The ARN of a notify target: ARNs as written; topic names by the observed topic, else
/// the region's ARN prefix; else the bare name (resolved when applied, after the topic's
/// creation in the same group).
pub(super) fn topic_arn(alerting: &Alerting, target: &str) -> String {
    if target.starts_with("arn:") {
        return target.to_owned();
    }
    if let Some(topic) = alerting.topics.get(target) {
        return topic.arn.clone();
    }
    match &alerting.topic_arn_prefix {
        Some(prefix) => format!("{prefix}{target}"),
        None => target.to_owned(),
    }
}

fn actions(alerting: &Alerting, targets: &[String]) -> Vec<String> {
    let arns: BTreeSet<String> = targets.iter().map(|t| topic_arn(alerting, t)).collect();
    arns.into_iter().collect()
}

/// The digest in an alarm's marker. It covers the alarm as declared (notify targets as
/// written, step-scaling policies naming it as placeholders, not as resolved): a topic
/// name resolves to a bare name in the pass that creates the topic and to its ARN
/// afterwards (a policy likewise), and the marker must not differ between the two. An
/// alarm no policy names keeps the digest it had before policies were wired.
pub(super) fn declared_digest(alarm: &Alarm, policies: Option<&AlarmPolicies>) -> String {
    let mut spec = desired_spec(alarm, &Alerting::default(), None);
    if let Some(policies) = policies {
        spec.alarm_actions = merged(&spec.alarm_actions, &policies.declared);
    }
    short_digest(&spec)
}

/// Topic ARNs and policy actions in one sorted list, as the observer sorts them.
fn merged(topics: &[String], policies: &BTreeSet<String>) -> Vec<String> {
    let all: BTreeSet<&String> = topics.iter().chain(policies).collect();
    all.into_iter().cloned().collect()
}

/// The declared alarm in the shape DescribeAlarms reports it: its ALARM actions are the
/// `notify` topics and the step-scaling policies that name it.
pub(super) fn desired_spec(
    alarm: &Alarm,
    alerting: &Alerting,
    policies: Option<&AlarmPolicies>,
) -> AlarmSpec {
    let topics = actions(alerting, &alarm.notify);
    let alarm_actions = match policies {
        Some(policies) => merged(&topics, &policies.actions),
        None => topics,
    };
    let mut spec = AlarmSpec {
        description: alarm.description.clone().filter(|d| !d.is_empty()),
        alarm_actions,
        ok_actions: actions(alerting, &alarm.ok_notify),
        insufficient_data_actions: actions(alerting, &alarm.insufficient_data_notify),
        ..AlarmSpec::default()
    };
    let evaluation = match &alarm.condition {
        AlarmCondition::Metric { metric, evaluation } => {
            spec.namespace = Some(metric.namespace.clone());
            spec.metric = Some(metric.metric.clone());
            spec.dimensions = metric.dimensions.clone();
            spec.statistic = Some(metric.statistic.as_str().to_owned());
            spec.unit = alarm.unit.clone();
            evaluation
        }
        AlarmCondition::MetricMath {
            metrics,
            expression,
            evaluation,
        } => {
            spec.metrics = metrics
                .iter()
                .map(|(id, query)| {
                    let metric = MathMetric {
                        namespace: query.namespace.clone(),
                        metric: query.metric.clone(),
                        dimensions: query.dimensions.clone(),
                        statistic: query.statistic.as_str().to_owned(),
                    };
                    (id.clone(), metric)
                })
                .collect();
            spec.expression = Some(expression.clone());
            evaluation
        }
        AlarmCondition::Composite { rule, .. } => {
            spec.rule = Some(rule.clone());
            return spec;
        }
    };
    spec.period = u32::try_from(evaluation.period.as_secs()).ok();
    spec.evaluation_periods = Some(evaluation.evaluation_periods);
    spec.datapoints_to_alarm = Some(evaluation.datapoints_to_alarm);
    spec.threshold = Some(evaluation.threshold);
    spec.comparison = Some(evaluation.comparison.as_aws_str().to_owned());
    spec.treat_missing_data = Some(evaluation.treat_missing_data.as_aws_str().to_owned());
    spec
}

/// The ownership rule for an alarm: this stack's marker in its description is enough to
/// update it (so a converged pass reads no tags); otherwise its tags decide.
fn alarm_ownership(stack: &Stack, alarm: &Alarm, found: &ObservedAlarm) -> Ownership {
    if found.marker.as_ref().is_some_and(|m| m.stack == stack.name) {
        return Ownership::Ours;
    }
    match &found.tags {
        Some(tags) => ownership(
            &stack.name,
            Subject::Alarm,
            tags.get(STACK_TAG).map(String::as_str),
            alarm.adopt,
        ),
        None => Ownership::NotOwned(Subject::Alarm.tags_unread()),
    }
}

pub(super) fn plan_alarms(
    stack: &Stack,
    seen: &ObservedStack,
    alerting: &Alerting,
    policies: &BTreeMap<String, AlarmPolicies>,
    budget: &mut PruneBudget,
    plan: &mut Plan,
) {
    let resource = |name: &str| Resource::Alarm {
        region: seen.region.clone(),
        name: name.to_owned(),
    };
    let mut declared = BTreeSet::new();
    for (name, alarm) in stack.all_alarms() {
        declared.insert(name);
        if alarm.management == Management::Paused {
            continue;
        }
        let wired = policies.get(name);
        let desired = desired_spec(alarm, alerting, wired);
        let marker = Marker {
            stack: stack.name.clone(),
            digest: declared_digest(alarm, wired),
        };
        let found = alerting.alarms.get(name);
        let diff = field_diffs(found.map(|f| &f.spec), Some(&desired));
        let change = |reason: Reason, summary: String, diff, operation| Change {
            stack: stack.name.clone(),
            resource: resource(name),
            reason,
            summary,
            diff,
            operation: Operation::Alarm(operation),
            group: alarm_apply_group(&seen.region, name, &desired, wired),
            after: None,
        };
        let put = AlarmOperation::PutAlarm {
            spec: Box::new(desired.clone()),
            description: marker.append_to(desired.description.as_deref()),
            tags: BTreeMap::new(),
        };
        let Some(found) = found else {
            if alarm.management == Management::Observe {
                plan.notices.push(drift_detected(
                    &stack.name,
                    resource(name),
                    "the alarm does not exist; management is `observe`, so it is not created"
                        .into(),
                    diff,
                ));
                continue;
            }
            let AlarmOperation::PutAlarm {
                spec, description, ..
            } = put
            else {
                continue;
            };
            let tags = BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]);
            let kind = if spec.is_composite() {
                "composite alarm"
            } else {
                "alarm"
            };
            // Its marker went with it: only `mooring run`'s previous pass can tell.
            let evidence = if alerting.left_in_place_last_pass.contains(name) {
                Evidence::VanishedSincePreviousPass
            } else {
                Evidence::Unknown
            };
            plan.changes.push(change(
                evidence.reason(Action::Create),
                format!(
                    "create {kind} {name} ({})",
                    evidence.explain(Action::Create)
                ),
                diff,
                AlarmOperation::PutAlarm {
                    spec,
                    description,
                    tags,
                },
            ));
            continue;
        };
        if alarm.management == Management::Observe {
            if !diff.is_empty() {
                let message = observe_only("the alarm differs from the desired state");
                plan.notices
                    .push(drift_detected(&stack.name, resource(name), message, diff));
            }
            continue;
        }
        let marked = found.marker.as_ref() == Some(&marker);
        match alarm_ownership(stack, alarm, found) {
            Ownership::NotOwned(message) => {
                plan.notices
                    .push(not_owned(&stack.name, resource(name), message));
            }
            Ownership::Adopt => {
                let tags = BTreeMap::from([(STACK_TAG.to_owned(), stack.name.clone())]);
                let tag_diff = vec![FieldDiff::new(
                    format!("tags.{STACK_TAG}"),
                    serde_json::Value::Null,
                    stack.name.clone(),
                )];
                plan.changes.push(change(
                    Reason::Adopted,
                    format!("adopt alarm {name} for stack {}", stack.name),
                    tag_diff,
                    AlarmOperation::TagAlarm {
                        arn: found.arn.clone(),
                        tags,
                    },
                ));
                let summary = if diff.is_empty() {
                    format!("mark alarm {name} as this stack's")
                } else {
                    format!("update alarm {name}: {}", summarize(&diff))
                };
                plan.changes
                    .push(change(Reason::Adopted, summary, diff, put));
            }
            Ownership::Ours if diff.is_empty() && marked => {}
            Ownership::Ours => {
                let recorded = found
                    .marker
                    .as_ref()
                    .filter(|m| m.stack == stack.name)
                    .map(|m| m.digest.as_str());
                let evidence = evidence(recorded, &marker.digest);
                let summary = if diff.is_empty() {
                    format!("restore mooring's marker on alarm {name}")
                } else if evidence.is_drift() {
                    format!("correct alarm {name}: {}", summarize(&diff))
                } else {
                    format!("update alarm {name}: {}", summarize(&diff))
                };
                plan.changes.push(change(
                    evidence.reason(Action::Update),
                    evidence.annotate(Action::Update, &summary),
                    diff,
                    put,
                ));
            }
        }
    }
    plan_alarm_prunes(stack, seen, alerting, &declared, budget, plan);
}

/// Undeclared alarms with this stack's marker and tag are deleted, within the budget.
fn plan_alarm_prunes(
    stack: &Stack,
    seen: &ObservedStack,
    alerting: &Alerting,
    declared: &BTreeSet<&str>,
    budget: &mut PruneBudget,
    plan: &mut Plan,
) {
    let candidates: Vec<(&String, &ObservedAlarm)> = alerting
        .alarms
        .iter()
        .filter(|(name, found)| {
            !declared.contains(name.as_str())
                && found.marker.as_ref().is_some_and(|m| m.stack == stack.name)
        })
        .collect();
    if declared.is_empty() && !stack.prune.allow_empty {
        budget.keep(
            "alarm",
            candidates.iter().map(|(n, _)| (*n).clone()).collect(),
        );
        return;
    }
    for (name, found) in candidates {
        let tag = found
            .tags
            .as_ref()
            .map(|tags| tags.get(STACK_TAG).map(String::as_str));
        match tag.map(|tag| owner(&stack.name, tag)) {
            // The marker can be copied by hand: only the tag allows a deletion.
            Some(Owner::ThisStack) => {
                if budget.take(name) {
                    plan.changes.push(Change {
                        stack: stack.name.clone(),
                        resource: Resource::Alarm {
                            region: seen.region.clone(),
                            name: name.clone(),
                        },
                        reason: Reason::Pruned,
                        summary: format!("delete alarm {name} (it left the desired state)"),
                        diff: field_diffs(Some(&found.spec), None::<&AlarmSpec>),
                        operation: Operation::Alarm(AlarmOperation::DeleteAlarm),
                        group: alarm_group(&seen.region, name),
                        after: None,
                    });
                }
            }
            Some(_) => {}
            // Tags not read this pass: beyond the cap of tag reads.
            None => budget.wait(name),
        }
    }
}

/// An alarm's changes run on their own, unless an action waits for a step-scaling policy
/// or a topic created in this pass (its ARN unknown when planning): then after that
/// policy's service changes, or that topic's. Both at once does not happen: a policy
/// needs its service found, and the service's ARN tells the topics' ARN prefix.
fn alarm_apply_group(
    region: &str,
    name: &str,
    spec: &AlarmSpec,
    policies: Option<&AlarmPolicies>,
) -> String {
    let pending_policy = spec
        .alarm_actions
        .iter()
        .any(|action| action.starts_with(PENDING_POLICY_PREFIX));
    if let Some(group) = policies.and_then(|p| p.group.as_ref()) {
        if pending_policy {
            return group.clone();
        }
    }
    let pending_topic = spec
        .alarm_actions
        .iter()
        .chain(&spec.ok_actions)
        .chain(&spec.insufficient_data_actions)
        .find(|action| !action.starts_with("arn:") && !action.starts_with(PENDING_POLICY_PREFIX));
    match pending_topic {
        Some(topic) => topic_group(region, topic),
        None => alarm_group(region, name),
    }
}
