//! Pass-2 checks of `spec.dashboards`: one way of declaring each dashboard, known widget
//! kinds with the fields their kind takes, metrics with a namespace, alarm widgets naming
//! the stack's own alarms, and a `body` that is a JSON object. Every problem is reported
//! with its position; nothing of a dashboard with an error is kept.

use std::collections::BTreeSet;

use crate::alarm::Statistic;
use crate::alarm_checks::duration_at;
use crate::dashboards::{
    Dashboard, DashboardContent, RawDashboard, RawWidget, RawWidgetMetric, Widget, WidgetKind,
    WidgetMetric,
};
use crate::report::Report;
use crate::span::At;

const KINDS: [&str; 3] = ["metric", "alarms", "text"];
/// How mooring's ownership marker starts (the controller appends it to every body it
/// puts, and leaves text widgets carrying it out of every comparison).
const MARKER: &str = "[mooring:stack=";
/// CloudWatch's default graph statistic and period (five minutes).
const DEFAULT_STAT: &str = "Average";
const DEFAULT_PERIOD: u32 = 300;

/// Checks one dashboard; `alarms` are the names of the alarms the stack declares.
pub fn check_dashboard(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawDashboard,
    alarms: &BTreeSet<&str>,
) -> Option<Dashboard> {
    let errors_before = report.count();
    let dashboard = &name.value;
    let valid_name = !dashboard.is_empty()
        && dashboard.len() <= 255
        && dashboard
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_name {
        report.error(
            name.loc,
            format!(
                "invalid dashboard name `{}`: expected 1 to 255 letters, digits, `-` or `_`",
                dashboard.escape_debug()
            ),
        );
    }
    let generated = raw.generated.as_ref().filter(|g| g.value);
    let content = match (generated, &raw.widgets, &raw.body) {
        (Some(_), None, None) => Some(DashboardContent::Generated),
        (None, Some(widgets), None) => {
            if widgets.value.is_empty() {
                report.error(widgets.loc, format!("dashboard `{dashboard}` has an empty `widgets` list: expected at least one widget"));
            }
            let checked: Vec<Option<Widget>> = widgets
                .value
                .iter()
                .map(|widget| check_widget(report, dashboard, widget, alarms))
                .collect();
            checked
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(DashboardContent::Widgets)
        }
        (None, None, Some(body)) => check_body(report, dashboard, body).map(DashboardContent::Body),
        (None, None, None) => {
            report.error(name.loc, format!(
                "dashboard `{dashboard}` says nothing to show: give `widgets`, `body` (dashboard JSON) or `generated: true`"
            ));
            None
        }
        _ => {
            report.error(name.loc, format!(
                "dashboard `{dashboard}` is declared more than one way: give only one of `widgets`, `body` or `generated: true`"
            ));
            None
        }
    };
    let content = content?;
    (report.count() == errors_before).then_some(Dashboard {
        content,
        management: raw.management,
        adopt: raw.adopt,
    })
}

/// A body must be a JSON object: as YAML, or as a string holding JSON text.
fn check_body(
    report: &mut Report<'_>,
    dashboard: &str,
    body: &At<serde_json::Value>,
) -> Option<serde_json::Value> {
    let value = match &body.value {
        serde_json::Value::String(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value,
            Err(err) => {
                report.error(
                    body.loc,
                    format!("dashboard `{dashboard}`: `body` is not valid JSON ({err})"),
                );
                return None;
            }
        },
        other => other.clone(),
    };
    if value.to_string().contains(MARKER) {
        report.error(body.loc, format!(
            "dashboard `{dashboard}`: `body` contains `{MARKER}…]`, mooring's own ownership marker: remove it (mooring adds it)"
        ));
        return None;
    }
    if !value.is_object() {
        let found = match &value {
            serde_json::Value::Array(_) => "a list",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Null => "nothing",
            serde_json::Value::Object(_) => "an object",
        };
        report.error(body.loc, format!(
            "dashboard `{dashboard}`: `body` must be a JSON object (a mapping with `widgets`), found {found}"
        ));
        return None;
    }
    Some(value)
}

fn check_widget(
    report: &mut Report<'_>,
    dashboard: &str,
    raw: &At<RawWidget>,
    alarms: &BTreeSet<&str>,
) -> Option<Widget> {
    let errors_before = report.count();
    let widget = &raw.value;
    let kind = widget.kind.value.as_str();
    if !KINDS.contains(&kind) {
        report.error(
            widget.kind.loc,
            format!(
                "unknown widget kind `{kind}` in dashboard `{dashboard}`{}",
                crate::parse::suggestion(kind, &KINDS)
            ),
        );
        return None;
    }
    // Fields another kind takes are refused, so that a misplaced one is not silently lost.
    let fields: [(&str, bool, &[&str]); 6] = [
        ("title", widget.title.is_some(), &["metric", "alarms"]),
        ("metrics", widget.metrics.is_some(), &["metric"]),
        ("stat", widget.stat.is_some(), &["metric"]),
        ("period", widget.period.is_some(), &["metric"]),
        ("alarms", widget.alarms.is_some(), &["alarms"]),
        ("markdown", widget.markdown.is_some(), &["text"]),
    ];
    for (field, present, kinds) in fields {
        if present && !kinds.contains(&kind) {
            report.error(
                raw.loc,
                format!("dashboard `{dashboard}`: `{field}` does not apply to a `{kind}` widget"),
            );
        }
    }
    let width = size(report, widget.width.as_ref(), "width", 24);
    let height = size(report, widget.height.as_ref(), "height", 1000);
    let title = widget.title.as_ref().map(|t| t.value.clone());
    let kind = match kind {
        "metric" => check_metric_widget(report, dashboard, raw, title),
        "alarms" => {
            let names = match &widget.alarms {
                Some(list) if !list.value.is_empty() => &list.value,
                Some(list) => {
                    report.error(list.loc, format!("dashboard `{dashboard}`: an `alarms` widget with an empty `alarms` list: expected alarm names"));
                    return None;
                }
                None => {
                    report.error(raw.loc, format!("dashboard `{dashboard}`: an `alarms` widget needs `alarms`, the names of alarms this stack declares"));
                    return None;
                }
            };
            for alarm in names {
                if !alarms.contains(alarm.value.as_str()) {
                    let known: Vec<&str> = alarms.iter().copied().collect();
                    report.error(alarm.loc, format!(
                        "unknown alarm `{}` in dashboard `{dashboard}`: an alarms widget lists alarms this stack declares{}",
                        alarm.value,
                        crate::parse::suggestion(&alarm.value, &known)
                    ));
                }
            }
            Some(WidgetKind::Alarms {
                title,
                alarms: names.iter().map(|a| a.value.clone()).collect(),
            })
        }
        _ => match &widget.markdown {
            Some(markdown) if markdown.value.contains(MARKER) => {
                report.error(markdown.loc, format!(
                    "dashboard `{dashboard}`: `markdown` contains `{MARKER}…]`, mooring's own ownership marker: remove it (mooring adds it)"
                ));
                None
            }
            Some(markdown) => Some(WidgetKind::Text {
                markdown: markdown.value.clone(),
            }),
            None => {
                report.error(
                    raw.loc,
                    format!("dashboard `{dashboard}`: a `text` widget needs `markdown`"),
                );
                None
            }
        },
    };
    let kind = kind?;
    (report.count() == errors_before).then_some(Widget {
        kind,
        width,
        height,
    })
}

fn check_metric_widget(
    report: &mut Report<'_>,
    dashboard: &str,
    raw: &At<RawWidget>,
    title: Option<String>,
) -> Option<WidgetKind> {
    let widget = &raw.value;
    let stat = match &widget.stat {
        Some(stat) => statistic(report, stat)?,
        None => DEFAULT_STAT.to_owned(),
    };
    let period = match &widget.period {
        Some(period) => {
            let seconds = duration_at(report, period)?.as_secs();
            match u32::try_from(seconds) {
                Ok(s) if s > 0 && (s % 60 == 0 || [1, 5, 10, 30].contains(&s)) => s,
                _ => {
                    report.error(period.loc, format!(
                        "dashboard `{dashboard}`: invalid period of {seconds}s: expected 1s, 5s, 10s, 30s or a multiple of 60s"
                    ));
                    return None;
                }
            }
        }
        None => DEFAULT_PERIOD,
    };
    let metrics = match &widget.metrics {
        Some(list) if !list.value.is_empty() => &list.value,
        Some(list) => {
            report.error(list.loc, format!("dashboard `{dashboard}`: a `metric` widget with an empty `metrics` list: expected at least one metric"));
            return None;
        }
        None => {
            report.error(raw.loc, format!("dashboard `{dashboard}`: a `metric` widget needs `metrics`, each with `namespace` and `metric`"));
            return None;
        }
    };
    let checked: Vec<Option<WidgetMetric>> = metrics
        .iter()
        .map(|metric| check_widget_metric(report, dashboard, metric))
        .collect();
    let metrics = checked.into_iter().collect::<Option<Vec<_>>>()?;
    Some(WidgetKind::Metric {
        title,
        period,
        stat,
        metrics,
    })
}

fn check_widget_metric(
    report: &mut Report<'_>,
    dashboard: &str,
    raw: &At<RawWidgetMetric>,
) -> Option<WidgetMetric> {
    let metric = &raw.value;
    let mut text = |value: &Option<At<String>>, field: &str| match value {
        Some(v) if !v.value.trim().is_empty() => Some(v.value.clone()),
        Some(v) => {
            report.error(
                v.loc,
                format!("dashboard `{dashboard}`: empty `{field}` in a widget metric"),
            );
            None
        }
        None => {
            let example = if field == "namespace" {
                "e.g. `namespace: AWS/ECS`"
            } else {
                "e.g. `metric: CPUUtilization`"
            };
            report.error(
                raw.loc,
                format!(
                "dashboard `{dashboard}`: a widget metric has no `{field}`: expected one, {example}"
            ),
            );
            None
        }
    };
    let namespace = text(&metric.namespace, "namespace");
    let name = text(&metric.metric, "metric");
    let stat = match &metric.stat {
        Some(stat) => Some(statistic(report, stat)?),
        None => None,
    };
    Some(WidgetMetric {
        namespace: namespace?,
        metric: name?,
        dimensions: metric.dimensions.clone(),
        stat,
        label: metric.label.clone(),
    })
}

fn statistic(report: &mut Report<'_>, stat: &At<String>) -> Option<String> {
    match Statistic::parse(&stat.value) {
        Ok(parsed) => Some(parsed.as_str().to_owned()),
        Err(err) => {
            report.error(stat.loc, err);
            None
        }
    }
}

fn size(report: &mut Report<'_>, value: Option<&At<i64>>, field: &str, max: u32) -> Option<u32> {
    let value = value?;
    match u32::try_from(value.value) {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            report.error(
                value.loc,
                format!(
                    "invalid widget {field} {}: expected 1 to {max}",
                    value.value
                ),
            );
            None
        }
    }
}
