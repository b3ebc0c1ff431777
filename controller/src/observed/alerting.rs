//! CloudWatch alarms and SNS topics as seen, in the shape the planner compares: the
//! desired side is turned into the same types (`plan::alarms`), so a diff is field by field.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// One stack's alarms and topics, as far as its reads reached. `None` in `ObservedStack`
/// means they were not read (failure), and nothing is planned for them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alerting {
    /// Alarms found under the stack's name prefixes (declared ones and possibly others).
    pub alarms: BTreeMap<String, ObservedAlarm>,
    /// Declared topics that exist, and undeclared prune candidates with their tags read.
    pub topics: BTreeMap<String, ObservedTopic>,
    /// `arn:<partition>:sns:<region>:<account>:` when some ARN of the region told the
    /// account; topic names resolve to ARNs with it.
    pub topic_arn_prefix: Option<String>,
    /// Filled by `mooring run` only (empty otherwise): the alarms with this stack's marker
    /// that its previous pass left in place. One of them missing now was deleted outside
    /// mooring: the evidence a hand-deleted alarm's marker took with it.
    pub left_in_place_last_pass: BTreeSet<String>,
}

/// An alarm as DescribeAlarms reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm {
    pub arn: String,
    pub spec: AlarmSpec,
    /// The marker mooring appends to the description: (stack, digest of the spec it put).
    pub marker: Option<Marker>,
    /// Read only where an ownership decision needs them; `None`: not read.
    pub tags: Option<BTreeMap<String, String>>,
    /// CloudWatch's verdict (OK, ALARM, INSUFFICIENT_DATA), from the same DescribeAlarms
    /// answer. Shown by the status page and `mooring status`; the planner never reads it
    /// (an alarm's state is CloudWatch's to keep, not a setting).
    pub state: Option<AlarmState>,
}

/// An alarm's state as DescribeAlarms reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmState {
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub stack: String,
    pub digest: String,
}

impl Marker {
    const OPEN: &'static str = "[mooring:stack=";

    /// The description as sent: the declared one, then the marker.
    pub fn append_to(&self, description: Option<&str>) -> String {
        let marker = format!("{}{} {}]", Self::OPEN, self.stack, self.digest);
        match description {
            Some(text) if !text.is_empty() => format!("{text} {marker}"),
            _ => marker,
        }
    }

    /// Splits a description into the declared part and the marker, if it ends with one.
    pub fn split(description: &str) -> (Option<String>, Option<Marker>) {
        let Some(start) = description.rfind(Self::OPEN) else {
            return (non_empty(description), None);
        };
        let inside = description[start + Self::OPEN.len()..].strip_suffix(']');
        let marker = inside.and_then(|inside| {
            let (stack, digest) = inside.split_once(' ')?;
            Some(Marker {
                stack: stack.to_owned(),
                digest: digest.to_owned(),
            })
        });
        match marker {
            Some(marker) => (non_empty(description[..start].trim_end()), Some(marker)),
            None => (non_empty(description), None),
        }
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Every field of an alarm mooring manages. Metric alarms fill `namespace`..`unit`,
/// metric-math alarms `metrics` and `expression`, composite alarms `rule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    pub dimensions: BTreeMap<String, String>,
    /// A simple statistic or an extended one (`p99`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Metric-math: the metrics by id.
    pub metrics: BTreeMap<String, MathMetric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation_periods: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
    /// Composite alarms: the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
}

impl AlarmSpec {
    pub fn is_composite(&self) -> bool {
        self.rule.is_some()
    }
}

/// One metric of a metric-math alarm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MathMetric {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub statistic: String,
}

/// An SNS topic with its subscriptions.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTopic {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub settings: TopicSettings,
    /// `None` for topics read only to decide a prune (their subscriptions go with them).
    pub subscriptions: Option<Vec<ObservedSubscription>>,
}

/// The topic attributes mooring manages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_policy: Option<Value>,
}

/// `{}` as a filter policy filters nothing: SNS treats it as no policy, so mooring does too
/// (on both sides of a comparison, or a removal would be planned again every pass).
pub fn is_empty_filter_policy(policy: &Value) -> bool {
    policy.as_object().is_some_and(serde_json::Map::is_empty)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservedSubscription {
    /// `None` while the subscription waits for confirmation (SNS reports no ARN then).
    #[serde(skip)]
    pub arn: Option<String>,
    pub protocol: String,
    pub endpoint: String,
    pub settings: SubscriptionSettings,
}

/// The subscription attributes mooring manages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_policy: Option<Value>,
    pub raw_message_delivery: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_round_trips_through_the_description() {
        let marker = Marker {
            stack: "saas".into(),
            digest: "0123abcd".into(),
        };
        let text = marker.append_to(Some("CPU above 80 %"));
        assert_eq!(text, "CPU above 80 % [mooring:stack=saas 0123abcd]");
        assert_eq!(
            Marker::split(&text),
            (Some("CPU above 80 %".into()), Some(marker.clone()))
        );
        assert_eq!(Marker::split(&marker.append_to(None)), (None, Some(marker)));
        assert_eq!(Marker::split("by hand"), (Some("by hand".into()), None));
    }
}
