//! Pass-2 checks of one alarm (any kind), and of the metrics and durations that alarms and
//! scaling policies share.

use std::collections::{BTreeMap, BTreeSet};

use crate::alarm::{rule_alarms, Alarm, AlarmCondition, Evaluation, MetricQuery, Statistic};
use crate::duration::Duration;
use crate::raw::{RawAlarm, RawDuration, RawMetric};
use crate::report::Report;
use crate::span::At;

/// The ECS service an alarm belongs to, for its default namespace and dimensions.
#[derive(Clone, Copy)]
pub struct ServiceScope<'a> {
    pub cluster: &'a str,
    pub name: &'a str,
}

/// Namespaces whose metrics are per service, where `ClusterName`/`ServiceName` are filled in.
const SERVICE_NAMESPACES: [&str; 2] = ["AWS/ECS", "ECS/ContainerInsights"];

/// Checks one alarm; `None` when it had errors (all of them reported).
pub fn check_alarm(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawAlarm,
    service: Option<ServiceScope<'_>>,
) -> Option<Alarm> {
    let errors_before = report.count();
    check_alarm_name(report, name);
    let alarm = &name.value;
    let is_composite = raw.rule.is_some();
    let is_math = raw.metrics.is_some() || raw.expression.is_some();
    let is_metric = raw.metric.is_some();
    let condition = match (is_metric, is_math, is_composite) {
        (true, false, false) => check_metric_alarm(report, name, raw, service),
        (false, true, false) => check_math_alarm(report, name, raw, service),
        (false, false, true) => check_composite_alarm(report, name, raw),
        (false, false, false) => {
            report.error(name.loc, format!(
                "alarm `{alarm}` says nothing to watch: give `metric` (a metric alarm), `metrics` and `expression` (a metric-math alarm) or `rule` (a composite alarm)"
            ));
            None
        }
        _ => {
            report.error(name.loc, format!(
                "alarm `{alarm}` mixes alarm kinds: give only one of `metric` (a metric alarm), `metrics` + `expression` (a metric-math alarm) or `rule` (a composite alarm)"
            ));
            None
        }
    };
    if let Some(unit) = &raw.unit {
        if !crate::alarm::STANDARD_UNITS.contains(&unit.value.as_str()) {
            let hint = crate::parse::closest(&unit.value, crate::alarm::STANDARD_UNITS)
                .map(|name| format!(", did you mean `{name}`?"))
                .unwrap_or_else(|| {
                    ": expected a CloudWatch standard unit such as Percent, Seconds or Count"
                        .to_owned()
                });
            report.error(unit.loc, format!("unknown unit `{}`{hint}", unit.value));
        }
        if raw.metric.is_none() {
            report.error(
                unit.loc,
                format!(
                    "alarm `{alarm}`: `unit` applies to metric alarms only (those with `metric`)"
                ),
            );
        }
    }
    for target in raw
        .notify
        .iter()
        .chain(&raw.ok_notify)
        .chain(&raw.insufficient_data_notify)
    {
        if target.value.trim().is_empty() {
            report.error(
                target.loc,
                format!("alarm `{alarm}` has an empty entry in `notify`: expected a topic name"),
            );
        }
    }
    let condition = condition?;
    (report.count() == errors_before).then(|| Alarm {
        description: raw.description.clone(),
        condition,
        notify: raw.notify.iter().map(|t| t.value.clone()).collect(),
        ok_notify: raw.ok_notify.iter().map(|t| t.value.clone()).collect(),
        insufficient_data_notify: raw
            .insufficient_data_notify
            .iter()
            .map(|t| t.value.clone())
            .collect(),
        unit: raw.unit.as_ref().map(|u| u.value.clone()),
        management: raw.management,
        adopt: raw.adopt,
    })
}

fn check_alarm_name(report: &mut Report<'_>, name: &At<String>) {
    let text = &name.value;
    if text.is_empty() || text.chars().count() > 255 || text.chars().any(char::is_control) {
        report.error(
            name.loc,
            format!(
                "invalid alarm name `{}`: expected 1 to 255 printable characters",
                text.escape_debug()
            ),
        );
    }
}

fn check_metric_alarm(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawAlarm,
    service: Option<ServiceScope<'_>>,
) -> Option<AlarmCondition> {
    let alarm = &name.value;
    let namespace = match (&raw.namespace, service) {
        (Some(ns), _) => Some(ns.value.clone()),
        (None, Some(_)) => Some("AWS/ECS".to_owned()),
        (None, None) => {
            report.error(name.loc, format!(
                "alarm `{alarm}` is missing `namespace` (e.g. `AWS/RDS`): only alarms under a service default to `AWS/ECS`"
            ));
            None
        }
    };
    let statistic = required(report, name, "statistic", raw.statistic.as_ref())
        .and_then(|s| parse_at(report, s, |t: &String| Statistic::parse(t)));
    let metric = raw
        .metric
        .as_ref()
        .map(|m| m.value.clone())
        .filter(|m| !m.is_empty());
    if metric.is_none() {
        if let Some(m) = &raw.metric {
            report.error(
                m.loc,
                format!("alarm `{alarm}` has an empty `metric`: expected a metric name"),
            );
        }
    }
    let mut dimensions = raw.dimensions.clone().unwrap_or_default();
    let evaluation = check_evaluation(report, name, raw);
    let namespace = namespace?;
    if let Some(scope) = service {
        if SERVICE_NAMESPACES.contains(&namespace.as_str()) {
            dimensions
                .entry("ClusterName".to_owned())
                .or_insert_with(|| scope.cluster.to_owned());
            dimensions
                .entry("ServiceName".to_owned())
                .or_insert_with(|| scope.name.to_owned());
        }
    }
    Some(AlarmCondition::Metric {
        metric: MetricQuery {
            namespace,
            metric: metric?,
            dimensions,
            statistic: statistic?,
        },
        evaluation: evaluation?,
    })
}

fn check_math_alarm(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawAlarm,
    service: Option<ServiceScope<'_>>,
) -> Option<AlarmCondition> {
    let alarm = &name.value;
    for (field, loc) in [
        ("namespace", raw.namespace.as_ref().map(|v| v.loc)),
        ("statistic", raw.statistic.as_ref().map(|v| v.loc)),
        ("dimensions", raw.dimensions.as_ref().map(|_| name.loc)),
    ] {
        if let Some(loc) = loc {
            report.error(loc, format!(
                "`{field}` does not apply to metric-math alarm `{alarm}`: put it on each metric under `metrics`"
            ));
        }
    }
    let expression = required(report, name, "expression", raw.expression.as_ref());
    let Some(metrics) = raw.metrics.as_ref() else {
        report.error(name.loc, format!(
            "metric-math alarm `{alarm}` is missing `metrics`: the metrics its expression uses, by id (e.g. `m1`)"
        ));
        return None;
    };
    if metrics.value.is_empty() {
        report.error(
            metrics.loc,
            format!("metric-math alarm `{alarm}` has no `metrics`: expected at least one"),
        );
    }
    let mut queries = BTreeMap::new();
    for (id, metric) in metrics.value.iter() {
        if !is_metric_id(&id.value) {
            report.error(id.loc, format!(
                "invalid metric id `{}`: expected a lowercase letter followed by letters, digits or `_` (e.g. `m1`)",
                id.value
            ));
        }
        if let Some(query) = check_metric(report, metric, service) {
            queries.insert(id.value.clone(), query);
        }
    }
    if let Some(expression) = expression {
        let used = expression_ids(&expression.value);
        if used.is_empty() {
            report.error(
                expression.loc,
                format!(
                    "expression `{}` of alarm `{alarm}` uses none of its metrics",
                    expression.value
                ),
            );
        }
        for id in used {
            if !metrics.value.iter().any(|(key, _)| key.value == id) {
                let known: Vec<&str> = metrics
                    .value
                    .iter()
                    .map(|(k, _)| k.value.as_str())
                    .collect();
                report.error(
                    expression.loc,
                    format!(
                    "expression of alarm `{alarm}` uses `{id}`, which is not one of its metrics{}",
                    crate::parse::suggestion(&id, &known)
                ),
                );
            }
        }
    }
    let evaluation = check_evaluation(report, name, raw);
    Some(AlarmCondition::MetricMath {
        metrics: queries,
        expression: expression?.value.clone(),
        evaluation: evaluation?,
    })
}

/// A metric under `metrics` of a metric-math alarm, or a target-tracking `customMetric`.
pub fn check_metric(
    report: &mut Report<'_>,
    raw: &RawMetric,
    service: Option<ServiceScope<'_>>,
) -> Option<MetricQuery> {
    for (field, value) in [("namespace", &raw.namespace), ("metric", &raw.metric)] {
        if value.value.trim().is_empty() {
            report.error(value.loc, format!("empty `{field}`: expected a name"));
        }
    }
    let statistic = parse_at(report, &raw.statistic, |t: &String| Statistic::parse(t))?;
    let mut dimensions = raw.dimensions.clone();
    if let Some(scope) = service {
        if SERVICE_NAMESPACES.contains(&raw.namespace.value.as_str()) && dimensions.is_empty() {
            dimensions.insert("ClusterName".to_owned(), scope.cluster.to_owned());
            dimensions.insert("ServiceName".to_owned(), scope.name.to_owned());
        }
    }
    Some(MetricQuery {
        namespace: raw.namespace.value.clone(),
        metric: raw.metric.value.clone(),
        dimensions,
        statistic,
    })
}

fn check_composite_alarm(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawAlarm,
) -> Option<AlarmCondition> {
    let alarm = &name.value;
    let misplaced = [
        ("namespace", raw.namespace.as_ref().map(|v| v.loc)),
        ("statistic", raw.statistic.as_ref().map(|v| v.loc)),
        ("dimensions", raw.dimensions.as_ref().map(|_| name.loc)),
        ("period", raw.period.as_ref().map(|v| v.loc)),
        (
            "evaluationPeriods",
            raw.evaluation_periods.as_ref().map(|v| v.loc),
        ),
        (
            "datapointsToAlarm",
            raw.datapoints_to_alarm.as_ref().map(|v| v.loc),
        ),
        ("threshold", raw.threshold.as_ref().map(|v| v.loc)),
        ("comparison", raw.comparison.as_ref().map(|v| v.loc)),
        (
            "treatMissingData",
            raw.treat_missing_data.as_ref().map(|_| name.loc),
        ),
    ];
    for (field, loc) in misplaced {
        if let Some(loc) = loc {
            report.error(
                loc,
                format!(
                "`{field}` does not apply to composite alarm `{alarm}`: its state comes from `rule`"
            ),
            );
        }
    }
    let rule = raw.rule.as_ref()?;
    match rule_alarms(&rule.value) {
        Ok(alarms) => Some(AlarmCondition::Composite {
            rule: rule.value.clone(),
            alarms,
        }),
        Err(err) => {
            report.error(
                rule.loc,
                format!("invalid rule of composite alarm `{alarm}`: {err}"),
            );
            None
        }
    }
}

fn check_evaluation(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawAlarm,
) -> Option<Evaluation> {
    let alarm = &name.value;
    let period = required(report, name, "period", raw.period.as_ref())
        .and_then(|p| parse_at(report, p, parse_duration))
        .and_then(|p| {
            let secs = p.as_secs();
            if secs == 10 || secs == 30 || (secs > 0 && secs % 60 == 0) {
                Some(p)
            } else {
                let loc = raw.period.as_ref().map_or(name.loc, |p| p.loc);
                report.error(
                    loc,
                    format!(
                    "period of alarm `{alarm}` is {secs}s: expected 10s, 30s or a multiple of 60s"
                ),
                );
                None
            }
        });
    let evaluation_periods = required(
        report,
        name,
        "evaluationPeriods",
        raw.evaluation_periods.as_ref(),
    )
    .and_then(|n| positive(report, n, "evaluationPeriods"));
    let datapoints = match &raw.datapoints_to_alarm {
        Some(n) => positive(report, n, "datapointsToAlarm").and_then(|d| match evaluation_periods {
            Some(e) if d > e => {
                report.error(n.loc, format!(
                    "datapointsToAlarm of alarm `{alarm}` is {d}, more than its evaluationPeriods ({e})"
                ));
                None
            }
            _ => Some(d),
        }),
        None => evaluation_periods,
    };
    let threshold = required(report, name, "threshold", raw.threshold.as_ref()).and_then(|t| {
        if t.value.is_finite() {
            Some(t.value)
        } else {
            report.error(
                t.loc,
                format!("threshold of alarm `{alarm}` must be a finite number"),
            );
            None
        }
    });
    let comparison = required(report, name, "comparison", raw.comparison.as_ref()).map(|c| c.value);
    Some(Evaluation {
        period: period?,
        evaluation_periods: evaluation_periods?,
        datapoints_to_alarm: datapoints?,
        threshold: threshold?,
        comparison: comparison?,
        treat_missing_data: raw.treat_missing_data.unwrap_or_default(),
    })
}

fn required<'a, T>(
    report: &mut Report<'_>,
    name: &At<String>,
    field: &str,
    value: Option<&'a At<T>>,
) -> Option<&'a At<T>> {
    if value.is_none() {
        report.error(
            name.loc,
            format!("alarm `{}` is missing `{field}`", name.value),
        );
    }
    value
}

fn positive(report: &mut Report<'_>, value: &At<i64>, field: &str) -> Option<u32> {
    match u32::try_from(value.value) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            report.error(
                value.loc,
                format!("`{field}` must be at least 1, found {}", value.value),
            );
            None
        }
    }
}

fn parse_at<T, R>(
    report: &mut Report<'_>,
    value: &At<T>,
    parse: impl Fn(&T) -> Result<R, String>,
) -> Option<R> {
    match parse(&value.value) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            report.error(value.loc, err);
            None
        }
    }
}

/// Reads a duration as written (`60s`); a bare number asks for a unit.
pub fn parse_duration(raw: &RawDuration) -> Result<Duration, String> {
    match raw {
        RawDuration::Text(text) => Duration::parse(text),
        RawDuration::Number(number) => Err(format!(
            "duration `{number}` needs a unit: write `{number}s` for seconds, or use `m`, `h`, `d`"
        )),
    }
}

pub fn duration_at(report: &mut Report<'_>, value: &At<RawDuration>) -> Option<Duration> {
    parse_at(report, value, parse_duration)
}

fn is_metric_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Identifiers in a metric-math expression that refer to metric ids: words starting with a
/// lowercase letter (functions such as `SUM` or `FILL` are uppercase), outside quotes.
fn expression_ids(expression: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut in_quote = false;
    let mut word = String::new();
    for c in expression.chars().chain(std::iter::once(' ')) {
        if c == '"' || c == '\'' {
            in_quote = !in_quote;
            word.clear();
            continue;
        }
        if in_quote {
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if word.starts_with(|c: char| c.is_ascii_lowercase()) {
                ids.insert(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    ids
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn expression_identifiers() {
        let ids: Vec<_> = expression_ids("100 * m1 / FILL(m2, 0)")
            .into_iter()
            .collect();
        assert_eq!(ids, vec!["m1", "m2"]);
        assert!(expression_ids("SEARCH('{AWS/ECS} m1', 'Sum', 60)").is_empty());
    }

    #[test]
    fn bare_durations_ask_for_a_unit() {
        let err = parse_duration(&RawDuration::Number("60".into())).unwrap_err();
        assert_eq!(
            err,
            "duration `60` needs a unit: write `60s` for seconds, or use `m`, `h`, `d`"
        );
    }
}
