//! CloudWatch alarms: DescribeAlarms by name prefix (pages of 100, metric and composite
//! alarms), tags, PutMetricAlarm / PutCompositeAlarm, DeleteAlarms. Our own types in and
//! out (`observed::alerting`); SDK errors become `AlarmsError`.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, CompositeAlarm, Dimension, Metric, MetricAlarm, MetricDataQuery,
    MetricStat, StandardUnit, StateValue, Statistic, Tag,
};
use aws_sdk_cloudwatch::Client;

use crate::observed::alerting::{AlarmSpec, AlarmState, Marker, MathMetric, ObservedAlarm};

/// DescribeAlarms returns at most 100 alarms a page.
const PAGE: i32 = 100;
/// The query id of a metric-math alarm's expression. A declared metric id could in
/// principle be spelled the same; ending in `_` makes that unlikely (not impossible).
pub const EXPRESSION_ID: &str = "expression_";

#[derive(Debug, thiserror::Error)]
pub enum AlarmsError {
    #[error("describing CloudWatch alarms with name prefix `{prefix}` failed")]
    Describe {
        prefix: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("listing the tags of CloudWatch alarm {arn} failed")]
    ListTags {
        arn: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("tagging CloudWatch alarm {arn} failed")]
    Tag {
        arn: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("putting CloudWatch alarm {name} failed")]
    Put {
        name: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
    #[error("deleting CloudWatch alarm {name} failed")]
    Delete {
        name: String,
        #[source]
        source: aws_sdk_cloudwatch::Error,
    },
}

/// Every alarm (metric and composite) whose name starts with `prefix` (`""`: all of the
/// region's), by name. Stops on a repeated page token, in case an emulator loops.
pub async fn describe_by_prefix(
    client: &Client,
    prefix: &str,
) -> Result<BTreeMap<String, ObservedAlarm>, AlarmsError> {
    let mut alarms = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = client
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .max_records(PAGE)
            .set_next_token(token.clone());
        if !prefix.is_empty() {
            request = request.alarm_name_prefix(prefix);
        }
        let page = request.send().await.map_err(|e| AlarmsError::Describe {
            prefix: prefix.to_owned(),
            source: e.into(),
        })?;
        for alarm in page.metric_alarms() {
            if let Some((name, found)) = metric_alarm(alarm) {
                alarms.insert(name, found);
            }
        }
        for alarm in page.composite_alarms() {
            if let Some((name, found)) = composite_alarm(alarm) {
                alarms.insert(name, found);
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => break,
        }
    }
    Ok(alarms)
}

fn dimensions_of(dimensions: &[Dimension]) -> BTreeMap<String, String> {
    dimensions
        .iter()
        .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
        .collect()
}

fn sorted(actions: &[String]) -> Vec<String> {
    let mut actions = actions.to_vec();
    actions.sort();
    actions
}

fn metric_alarm(alarm: &MetricAlarm) -> Option<(String, ObservedAlarm)> {
    let name = alarm.alarm_name()?.to_owned();
    let (description, marker) = Marker::split(alarm.alarm_description().unwrap_or_default());
    let mut spec = AlarmSpec {
        description,
        namespace: alarm.namespace().map(str::to_owned),
        metric: alarm.metric_name().map(str::to_owned),
        dimensions: dimensions_of(alarm.dimensions()),
        statistic: alarm
            .extended_statistic()
            .map(str::to_owned)
            .or_else(|| alarm.statistic().map(|s| s.as_str().to_owned())),
        unit: alarm.unit().map(|u| u.as_str().to_owned()),
        period: alarm.period().and_then(|p| u32::try_from(p).ok()),
        evaluation_periods: alarm
            .evaluation_periods()
            .and_then(|p| u32::try_from(p).ok()),
        // Absent means "all evaluated periods", which is how mooring writes it.
        datapoints_to_alarm: alarm
            .datapoints_to_alarm()
            .or(alarm.evaluation_periods())
            .and_then(|p| u32::try_from(p).ok()),
        threshold: alarm.threshold(),
        comparison: alarm.comparison_operator().map(|c| c.as_str().to_owned()),
        treat_missing_data: Some(alarm.treat_missing_data().unwrap_or("missing").to_owned()),
        alarm_actions: sorted(alarm.alarm_actions()),
        ok_actions: sorted(alarm.ok_actions()),
        insufficient_data_actions: sorted(alarm.insufficient_data_actions()),
        ..AlarmSpec::default()
    };
    for query in alarm.metrics() {
        let Some(id) = query.id() else { continue };
        if let Some(expression) = query.expression() {
            spec.expression = Some(expression.to_owned());
        } else if let Some(stat) = query.metric_stat() {
            let metric = stat.metric();
            spec.period = spec
                .period
                .or_else(|| stat.period().and_then(|p| u32::try_from(p).ok()));
            spec.metrics.insert(
                id.to_owned(),
                MathMetric {
                    namespace: metric
                        .and_then(Metric::namespace)
                        .unwrap_or_default()
                        .to_owned(),
                    metric: metric
                        .and_then(Metric::metric_name)
                        .unwrap_or_default()
                        .to_owned(),
                    dimensions: dimensions_of(metric.map(Metric::dimensions).unwrap_or_default()),
                    statistic: stat.stat().unwrap_or_default().to_owned(),
                },
            );
        }
    }
    let arn = alarm.alarm_arn().unwrap_or_default().to_owned();
    Some((
        name,
        ObservedAlarm {
            arn,
            spec,
            marker,
            tags: None,
            state: alarm_state(
                alarm.state_value().map(StateValue::as_str),
                alarm.state_reason(),
                alarm.state_updated_timestamp(),
            ),
        },
    ))
}

/// The state fields metric and composite alarms share.
fn alarm_state(
    value: Option<&str>,
    reason: Option<&str>,
    since: Option<&aws_smithy_types::DateTime>,
) -> Option<AlarmState> {
    Some(AlarmState {
        value: value?.to_owned(),
        reason: reason.map(str::to_owned),
        since: since.and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
    })
}

fn composite_alarm(alarm: &CompositeAlarm) -> Option<(String, ObservedAlarm)> {
    let name = alarm.alarm_name()?.to_owned();
    let (description, marker) = Marker::split(alarm.alarm_description().unwrap_or_default());
    let spec = AlarmSpec {
        description,
        rule: alarm.alarm_rule().map(str::to_owned),
        alarm_actions: sorted(alarm.alarm_actions()),
        ok_actions: sorted(alarm.ok_actions()),
        insufficient_data_actions: sorted(alarm.insufficient_data_actions()),
        ..AlarmSpec::default()
    };
    let arn = alarm.alarm_arn().unwrap_or_default().to_owned();
    Some((
        name,
        ObservedAlarm {
            arn,
            spec,
            marker,
            tags: None,
            state: alarm_state(
                alarm.state_value().map(StateValue::as_str),
                alarm.state_reason(),
                alarm.state_updated_timestamp(),
            ),
        },
    ))
}

pub async fn list_tags(
    client: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, AlarmsError> {
    let output = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AlarmsError::ListTags {
            arn: arn.to_owned(),
            source: e.into(),
        })?;
    Ok(output
        .tags()
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value()?.to_owned())))
        .collect())
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

pub async fn tag(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), AlarmsError> {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(sdk_tags(tags)))
        .send()
        .await
        .map_err(|e| AlarmsError::Tag {
            arn: arn.to_owned(),
            source: e.into(),
        })?;
    Ok(())
}

fn sdk_dimensions(dimensions: &BTreeMap<String, String>) -> Vec<Dimension> {
    dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect()
}

const SIMPLE_STATISTICS: [&str; 5] = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

/// PutMetricAlarm or PutCompositeAlarm: creates the alarm or replaces every field of it.
/// `description` already carries the marker; `tags` are sent only on creation (AWS
/// ignores them on updates).
pub async fn put(
    client: &Client,
    name: &str,
    spec: &AlarmSpec,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), AlarmsError> {
    let failed = |e: aws_sdk_cloudwatch::Error| AlarmsError::Put {
        name: name.to_owned(),
        source: e,
    };
    if let Some(rule) = &spec.rule {
        client
            .put_composite_alarm()
            .alarm_name(name)
            .alarm_description(description)
            .alarm_rule(rule)
            .set_alarm_actions(Some(spec.alarm_actions.clone()))
            .set_ok_actions(Some(spec.ok_actions.clone()))
            .set_insufficient_data_actions(Some(spec.insufficient_data_actions.clone()))
            .set_tags((!tags.is_empty()).then(|| sdk_tags(tags)))
            .send()
            .await
            .map_err(|e| failed(e.into()))?;
        return Ok(());
    }
    let period = spec.period.map(|p| i32::try_from(p).unwrap_or(i32::MAX));
    let mut request = client
        .put_metric_alarm()
        .alarm_name(name)
        .alarm_description(description)
        .set_evaluation_periods(
            spec.evaluation_periods
                .map(|p| i32::try_from(p).unwrap_or(i32::MAX)),
        )
        .set_datapoints_to_alarm(
            spec.datapoints_to_alarm
                .map(|p| i32::try_from(p).unwrap_or(i32::MAX)),
        )
        .set_threshold(spec.threshold)
        .set_comparison_operator(spec.comparison.as_deref().map(ComparisonOperator::from))
        .set_treat_missing_data(spec.treat_missing_data.clone())
        .set_alarm_actions(Some(spec.alarm_actions.clone()))
        .set_ok_actions(Some(spec.ok_actions.clone()))
        .set_insufficient_data_actions(Some(spec.insufficient_data_actions.clone()))
        .set_tags((!tags.is_empty()).then(|| sdk_tags(tags)));
    if spec.metrics.is_empty() {
        request = request
            .set_namespace(spec.namespace.clone())
            .set_metric_name(spec.metric.clone())
            .set_dimensions(Some(sdk_dimensions(&spec.dimensions)))
            .set_period(period)
            .set_unit(spec.unit.as_deref().map(StandardUnit::from));
        request = match spec.statistic.as_deref() {
            Some(simple) if SIMPLE_STATISTICS.contains(&simple) => {
                request.statistic(Statistic::from(simple))
            }
            Some(extended) => request.extended_statistic(extended),
            None => request,
        };
    } else {
        let mut queries: Vec<MetricDataQuery> = spec
            .metrics
            .iter()
            .map(|(id, metric)| {
                let stat = MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(&metric.namespace)
                            .metric_name(&metric.metric)
                            .set_dimensions(Some(sdk_dimensions(&metric.dimensions)))
                            .build(),
                    )
                    .set_period(period)
                    .stat(&metric.statistic)
                    .build();
                MetricDataQuery::builder()
                    .id(id)
                    .metric_stat(stat)
                    .return_data(false)
                    .build()
            })
            .collect();
        queries.push(
            MetricDataQuery::builder()
                .id(EXPRESSION_ID)
                .set_expression(spec.expression.clone())
                .return_data(true)
                .build(),
        );
        request = request.set_metrics(Some(queries));
    }
    request.send().await.map_err(|e| failed(e.into()))?;
    Ok(())
}

pub async fn delete(client: &Client, name: &str) -> Result<(), AlarmsError> {
    client
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|e| AlarmsError::Delete {
            name: name.to_owned(),
            source: e.into(),
        })?;
    Ok(())
}
