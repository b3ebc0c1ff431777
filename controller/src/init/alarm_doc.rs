//! One alarm as init writes it: dimensions and namespace the format fills in under a
//! service dropped, defaults dropped, actions as topic names (or ARNs with a comment
//! why), a step policy's ARN left to its `alarm:` link, and `management: observe` when an
//! action is one the format cannot name.

use std::collections::BTreeMap;

use super::account::Account;
use super::document::{AlarmDoc, Management, TopicDoc};
use crate::observed::alerting::{AlarmSpec, ObservedAlarm};
use crate::observed::ServiceKey;
use crate::plan::STACK_TAG;

/// Namespaces whose alarms under a service get `ClusterName`/`ServiceName` filled in
/// (desired-state's `alarm_checks`).
const SERVICE_NAMESPACES: [&str; 2] = ["AWS/ECS", "ECS/ContainerInsights"];
/// The namespace a service alarm has when it writes none.
const SERVICE_DEFAULT_NAMESPACE: &str = "AWS/ECS";

/// Whether the format can say what the alarm does: a statistic, period and comparison it
/// knows (not anomaly detection's band comparisons), a standard unit.
pub(super) fn expressible(spec: &AlarmSpec) -> bool {
    if spec.is_composite() {
        return desired_state::model::rule_alarms(spec.rule.as_deref().unwrap_or("")).is_ok();
    }
    let statistic_ok = |s: &str| desired_state::Statistic::parse(s).is_ok();
    let metric_ok = if spec.metrics.is_empty() {
        spec.namespace.is_some()
            && spec.metric.is_some()
            && spec.statistic.as_deref().is_some_and(statistic_ok)
    } else {
        spec.expression.is_some() && spec.metrics.values().all(|m| statistic_ok(&m.statistic))
    };
    metric_ok
        // The format's periods: 10 s, 30 s or whole minutes (not high resolution's 1 s, 5 s).
        && spec
            .period
            .is_some_and(|p| p == 10 || p == 30 || (p > 0 && p % 60 == 0))
        && spec.evaluation_periods.is_some()
        && spec.threshold.is_some()
        && spec.comparison.as_deref().and_then(comparison).is_some()
        && spec
            .unit
            .as_deref()
            .is_none_or(|u| desired_state::STANDARD_UNITS.contains(&u))
}

/// CloudWatch's comparison operator as the format's type.
pub fn comparison(aws: &str) -> Option<desired_state::Comparison> {
    use desired_state::Comparison as C;
    Some(match aws {
        "GreaterThanThreshold" => C::GreaterThanThreshold,
        "GreaterThanOrEqualToThreshold" => C::GreaterThanOrEqualToThreshold,
        "LessThanThreshold" => C::LessThanThreshold,
        "LessThanOrEqualToThreshold" => C::LessThanOrEqualToThreshold,
        _ => return None,
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn alarm_doc(
    name: &str,
    alarm: &ObservedAlarm,
    home: Option<&ServiceKey>,
    account: &Account,
    topics: &BTreeMap<String, TopicDoc>,
    policies: &BTreeMap<String, (ServiceKey, String)>,
    step_alarms: &BTreeMap<(ServiceKey, String), String>,
    management: Management,
) -> AlarmDoc {
    let mut spec = alarm.spec.clone();
    let mut comments = Vec::new();
    if let Some(home) = home {
        let namespace = spec.namespace.as_deref().unwrap_or_default();
        if SERVICE_NAMESPACES.contains(&namespace) {
            // Filled in by the format under a service.
            if spec.dimensions.get("ClusterName") == Some(&home.cluster)
                && spec.dimensions.get("ServiceName") == Some(&home.name)
            {
                spec.dimensions.remove("ClusterName");
                spec.dimensions.remove("ServiceName");
            }
        }
        if namespace == SERVICE_DEFAULT_NAMESPACE {
            spec.namespace = None;
        }
    }
    if spec.datapoints_to_alarm == spec.evaluation_periods {
        spec.datapoints_to_alarm = None;
    }
    if spec.treat_missing_data.as_deref() == Some("missing") {
        spec.treat_missing_data = None;
    }
    let mut unwritable = Vec::new();
    let mut targets = |actions: &[String], alarm_state: bool| -> Vec<String> {
        let mut written = Vec::new();
        for action in actions {
            if alarm_state {
                if let Some(policy) = policies.get(action) {
                    if step_alarms.get(policy).map(String::as_str) == Some(name) {
                        // Written as `alarm:` on the step-scaling policy.
                        continue;
                    }
                }
            }
            match topic_name(action, account) {
                Some(topic) if topics.contains_key(&topic) => written.push(topic),
                _ if is_sns_arn(action) => {
                    comments.push(format!("{action}: {}", outside_why(action, account)));
                    written.push(action.clone());
                }
                // A Lambda alert target of this region (and account, when known): the
                // format names it as it is (mooring keeps its invoke permission).
                _ if desired_state::FunctionArn::parse(action).is_some_and(|f| {
                    f.region == account.region
                        && account.account.as_ref().is_none_or(|a| *a == f.account)
                }) =>
                {
                    written.push(action.clone());
                }
                _ => unwritable.push(action.clone()),
            }
        }
        written.sort();
        written.dedup();
        written
    };
    let notify = targets(&spec.alarm_actions, true);
    let ok_notify = targets(&spec.ok_actions, false);
    let insufficient_data_notify = targets(&spec.insufficient_data_actions, false);
    let management = if unwritable.is_empty() {
        management
    } else {
        // The format names only SNS topics and step policies it declares; a full apply
        // would drop any other action, so the alarm is only watched.
        Management::Observe(Some(format!(
            "observe: its actions include {}\n(not an SNS topic or a step-scaling policy of this file), which an apply in full\nwould remove; remove this line once you no longer need them",
            unwritable.join(", ")
        )))
    };
    AlarmDoc {
        spec,
        notify,
        ok_notify,
        insufficient_data_notify,
        management,
        comments,
    }
}

fn is_sns_arn(action: &str) -> bool {
    let parts: Vec<&str> = action.split(':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns"
}

/// The name of the topic an action names, when it is a topic of this region.
fn topic_name(action: &str, account: &Account) -> Option<String> {
    account
        .topic_arns
        .iter()
        .find(|(_, arn)| *arn == action)
        .map(|(name, _)| name.clone())
}

/// Why an SNS action is written as an ARN.
fn outside_why(action: &str, account: &Account) -> String {
    match topic_name(action, account)
        .and_then(|name| account.topics.get(&name))
        .and_then(|topic| topic.tags.get(STACK_TAG))
    {
        Some(stack) => format!("a topic of stack `{stack}`, not written here"),
        None if topic_name(action, account).is_some() => {
            "a topic not written here (add it with --topic to manage it)".into()
        }
        None => "a topic outside this region or account, or one that does not exist".into(),
    }
}
