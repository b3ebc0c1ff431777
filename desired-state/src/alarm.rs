//! CloudWatch alarms: metric alarms, metric-math alarms and composite alarms, as validated.
//! The pass-2 checks of one alarm are in `alarm_checks`; references between alarms and topics
//! in `references`, which sees the whole desired state.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::duration::Duration;
use crate::management::Management;

/// A validated alarm; the map key it is stored under is the CloudWatch alarm name.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    pub description: Option<String>,
    pub condition: AlarmCondition,
    /// Topic names of the desired state, or SNS topic ARNs or Lambda function ARNs
    /// (entries starting with `arn:`).
    pub notify: Vec<String>,
    /// Same form as `notify`, for the return to OK.
    pub ok_notify: Vec<String>,
    /// Same form as `notify`, for INSUFFICIENT_DATA.
    pub insufficient_data_notify: Vec<String>,
    /// A CloudWatch standard unit (metric alarms only).
    pub unit: Option<String>,
    pub management: Management,
    pub adopt: bool,
}

/// What the alarm watches.
#[derive(Clone, Debug, PartialEq)]
pub enum AlarmCondition {
    /// One metric compared with a threshold.
    Metric {
        metric: MetricQuery,
        evaluation: Evaluation,
    },
    /// A metric-math expression over several metrics (ids → metrics), e.g. `100 * m1 / m2`.
    MetricMath {
        metrics: BTreeMap<String, MetricQuery>,
        expression: String,
        evaluation: Evaluation,
    },
    /// A rule over other alarms, e.g. `ALARM(api-5xx) OR ALARM(api-latency)`.
    Composite {
        rule: String,
        /// The alarm names the rule refers to (validated to exist in the desired state).
        alarms: Vec<String>,
    },
}

/// A CloudWatch metric with its statistic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricQuery {
    pub namespace: String,
    /// The CloudWatch metric name.
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub statistic: Statistic,
}

/// How the metric (or expression) is evaluated against the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// 10 s, 30 s or a multiple of 60 s.
    pub period: Duration,
    pub evaluation_periods: u32,
    /// Defaults to `evaluation_periods`.
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    pub treat_missing_data: TreatMissingData,
}

/// CloudWatch's standard units (`StandardUnit`).
pub const STANDARD_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Kept under the name the public API was announced with.
pub type Threshold = Evaluation;

/// A CloudWatch statistic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
    /// An extended statistic such as `p99` or `tm90`, sent as `ExtendedStatistic`.
    Extended(String),
}

impl Statistic {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Average => "Average",
            Self::Sum => "Sum",
            Self::Minimum => "Minimum",
            Self::Maximum => "Maximum",
            Self::SampleCount => "SampleCount",
            Self::Extended(name) => name,
        }
    }

    /// `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount`, or `p`/`tm`/`wm`/`tc`/`ts`
    /// followed by a percentage such as `p99` or `p99.9`.
    pub fn parse(text: &str) -> Result<Self, String> {
        const SIMPLE: [&str; 5] = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"];
        let simple = match text {
            "Average" => Some(Self::Average),
            "Sum" => Some(Self::Sum),
            "Minimum" => Some(Self::Minimum),
            "Maximum" => Some(Self::Maximum),
            "SampleCount" => Some(Self::SampleCount),
            _ => None,
        };
        if let Some(statistic) = simple {
            return Ok(statistic);
        }
        let percent = ["p", "tm", "wm", "tc", "ts"]
            .iter()
            .find_map(|prefix| text.strip_prefix(prefix))
            .and_then(|rest| {
                rest.parse::<f64>()
                    .ok()
                    .filter(|_| !rest.starts_with(['+', '-']))
            });
        match percent {
            Some(value) if (0.0..=100.0).contains(&value) => Ok(Self::Extended(text.to_owned())),
            _ => {
                // Percentiles are case-sensitive in CloudWatch: `P95` is refused there too.
                let lowercase = text.to_lowercase();
                let hint = (lowercase != text && Self::parse(&lowercase).is_ok())
                    .then(|| format!(", did you mean `{lowercase}`? (percentiles are lowercase)"));
                let hint = hint
                    .or_else(|| {
                        crate::parse::closest(text, SIMPLE)
                            .map(|name| format!(", did you mean `{name}`?"))
                    })
                    .unwrap_or_else(|| {
                        ": expected Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99".to_owned()
                    });
                Err(format!("unknown statistic `{text}`{hint}"))
            }
        }
    }
}

/// How the metric is compared with the threshold. Written `>`, `>=`, `<`, `<=` (or the AWS
/// names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Comparison {
    #[serde(rename = ">", alias = "GreaterThanThreshold")]
    GreaterThanThreshold,
    #[serde(rename = ">=", alias = "GreaterThanOrEqualToThreshold")]
    GreaterThanOrEqualToThreshold,
    #[serde(rename = "<", alias = "LessThanThreshold")]
    LessThanThreshold,
    #[serde(rename = "<=", alias = "LessThanOrEqualToThreshold")]
    LessThanOrEqualToThreshold,
}

// Written by hand: the derived schema would leave out the AWS-name aliases.
impl JsonSchema for Comparison {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Comparison")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How the metric is compared with the threshold: `>`, `>=`, `<`, `<=`, or the AWS names.",
            "type": "string",
            "enum": [">", ">=", "<", "<=", "GreaterThanThreshold", "GreaterThanOrEqualToThreshold",
                     "LessThanThreshold", "LessThanOrEqualToThreshold"]
        })
    }
}

impl Comparison {
    /// The CloudWatch `ComparisonOperator` value.
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::GreaterThanThreshold => "GreaterThanThreshold",
            Self::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Self::LessThanThreshold => "LessThanThreshold",
            Self::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }
}

/// How missing data points are treated (CloudWatch `TreatMissingData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    #[default]
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

impl TreatMissingData {
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::NotBreaching => "notBreaching",
            Self::Breaching => "breaching",
            Self::Ignore => "ignore",
        }
    }
}

/// The alarm names a composite rule refers to through `ALARM(..)`, `OK(..)` and
/// `INSUFFICIENT_DATA(..)`; checks that parentheses balance and each name is closed.
pub fn rule_alarms(rule: &str) -> Result<Vec<String>, String> {
    let mut depth = 0i32;
    let mut names = Vec::new();
    let mut rest = rule;
    let functions = ["ALARM(", "OK(", "INSUFFICIENT_DATA("];
    while !rest.is_empty() {
        if let Some(function) = functions.iter().find(|f| rest.starts_with(*f)) {
            let after = &rest[function.len()..];
            let close = after
                .find(')')
                .ok_or_else(|| format!("`{function}` is not closed with `)`"))?;
            let name = after[..close]
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            if name.is_empty() {
                return Err(format!("`{function})` names no alarm"));
            }
            names.push(name.to_owned());
            rest = &after[close + 1..];
            continue;
        }
        let mut chars = rest.chars();
        match chars.next() {
            Some('(') => depth += 1,
            Some(')') => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)`".to_owned());
                }
            }
            _ => {}
        }
        rest = chars.as_str();
    }
    if depth != 0 {
        return Err("unbalanced `(`".to_owned());
    }
    if names.is_empty() {
        return Err(
            "expected at least one `ALARM(name)`, `OK(name)` or `INSUFFICIENT_DATA(name)`"
                .to_owned(),
        );
    }
    Ok(names)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        assert_eq!(Statistic::parse("Average"), Ok(Statistic::Average));
        assert_eq!(
            Statistic::parse("p99.9"),
            Ok(Statistic::Extended("p99.9".into()))
        );
        assert!(Statistic::parse("Averge")
            .unwrap_err()
            .contains("did you mean `Average`"));
        assert!(Statistic::parse("p101").is_err());
        assert!(Statistic::parse("mean").is_err());
    }

    #[test]
    fn an_uppercase_percentile_suggests_the_lowercase_one() {
        assert_eq!(
            Statistic::parse("P95").unwrap_err(),
            "unknown statistic `P95`, did you mean `p95`? (percentiles are lowercase)"
        );
        assert!(Statistic::parse("TM90")
            .unwrap_err()
            .contains("did you mean `tm90`?"));
        assert!(Statistic::parse("AVERAGE")
            .unwrap_err()
            .contains("did you mean `Average`?"));
    }

    #[test]
    fn composite_rule_names() {
        assert_eq!(
            rule_alarms("ALARM(api-5xx) OR (ALARM(\"api-latency\") AND NOT OK(db))").unwrap(),
            vec!["api-5xx", "api-latency", "db"]
        );
        assert!(rule_alarms("ALARM(a").is_err());
        assert!(rule_alarms("(ALARM(a)").is_err());
        assert!(rule_alarms("TRUE").is_err());
    }
}
