//! The body of a declared dashboard, as mooring puts it: the format's widgets rendered as
//! CloudWatch dashboard JSON, the `generated: true` dashboard built from what the stack
//! declares, the marker widget that records ownership, and the normal form bodies are
//! compared in. Pure: the same stack, region and account give the same JSON, byte for
//! byte (objects are serde_json's sorted maps, lists follow the file).

use std::collections::BTreeSet;

use desired_state::{AlarmCondition, Dashboard, DashboardContent, Stack, Widget, WidgetKind};
use desired_state::{Management, WidgetMetric};
use serde_json::{json, Map, Value};

use crate::observed::alerting::Marker;

/// What starts the marker in the last widget's markdown: `[mooring:stack=<stack> <digest>]`,
/// spelled as in an alarm's description, so that one pattern finds both.
const MARKER: &str = "[mooring:stack=";
/// CloudWatch's alarm status widget shows at most 100 alarms.
const ALARMS_PER_WIDGET: usize = 100;
/// Five minutes: CloudWatch's default period, and what the generated graphs use.
const PERIOD: u32 = 300;

/// Stands for the account id in alarm ARNs planned before any ARN told it (a fresh
/// region without services): the applier asks STS and fills it in before PutDashboard.
pub(crate) const ACCOUNT_PLACEHOLDER: &str = "<account>";

/// Where the dashboard's metrics and alarms live: the stack's region, and the alarm ARN
/// prefix (`arn:<partition>:cloudwatch:<region>:<account>:alarm:`).
pub(super) struct Place<'a> {
    pub region: &'a str,
    pub alarm_arn_prefix: &'a str,
}

/// The body declared for `dashboard`, in normal form and without the marker.
pub(super) fn declared_body(stack: &Stack, dashboard: &Dashboard, place: &Place) -> Value {
    let widgets = match &dashboard.content {
        DashboardContent::Body(body) => return normalize(body),
        DashboardContent::Widgets(widgets) => widgets.clone(),
        DashboardContent::Generated => generated_widgets(stack),
    };
    let rendered: Vec<Value> = widgets.iter().map(|widget| render(widget, place)).collect();
    normalize(&json!({ "widgets": rendered }))
}

/// The widgets of a generated dashboard, from the stack's services and alarms: the status
/// of its alarms first (what someone opening it wants to know), then per service (file
/// order) CPU and memory and the running task count, then per load balancer and per RDS
/// instance its alarms name (sorted) their usual graphs.
pub(super) fn generated_widgets(stack: &Stack) -> Vec<Widget> {
    let mut widgets = Vec::new();
    let mut alarms: Vec<&str> = stack
        .all_alarms()
        .filter(|(_, alarm)| alarm.management != Management::Paused)
        .map(|(name, _)| name)
        .collect();
    alarms.sort_unstable();
    for chunk in alarms.chunks(ALARMS_PER_WIDGET) {
        widgets.push(sized(
            WidgetKind::Alarms {
                title: Some(format!("Alarms of {}", stack.name)),
                alarms: chunk.iter().map(|a| (*a).to_owned()).collect(),
            },
            24,
            6,
        ));
    }
    for service in &stack.services {
        let dimensions = [
            ("ClusterName", service.cluster.as_str()),
            ("ServiceName", service.name.as_str()),
        ];
        let id = format!("{}/{}", service.cluster, service.name);
        widgets.push(graph(
            format!("{id}: CPU and memory (%)"),
            "Average",
            vec![
                metric("AWS/ECS", "CPUUtilization", &dimensions, None),
                metric("AWS/ECS", "MemoryUtilization", &dimensions, None),
            ],
        ));
        widgets.push(graph(
            format!("{id}: running tasks"),
            "Average",
            vec![metric(
                "ECS/ContainerInsights",
                "RunningTaskCount",
                &dimensions,
                None,
            )],
        ));
    }
    for balancer in dimension_values(stack, "LoadBalancer") {
        let dimensions = [("LoadBalancer", balancer.as_str())];
        widgets.push(graph(
            format!("{balancer}: requests and target 5xx"),
            "Sum",
            vec![
                metric("AWS/ApplicationELB", "RequestCount", &dimensions, None),
                metric(
                    "AWS/ApplicationELB",
                    "HTTPCode_Target_5XX_Count",
                    &dimensions,
                    None,
                ),
            ],
        ));
        widgets.push(graph(
            format!("{balancer}: target response time (s)"),
            "Average",
            vec![
                metric(
                    "AWS/ApplicationELB",
                    "TargetResponseTime",
                    &dimensions,
                    None,
                ),
                metric(
                    "AWS/ApplicationELB",
                    "TargetResponseTime",
                    &dimensions,
                    Some("p99"),
                ),
            ],
        ));
    }
    for instance in dimension_values(stack, "DBInstanceIdentifier") {
        let dimensions = [("DBInstanceIdentifier", instance.as_str())];
        widgets.push(graph(
            format!("{instance}: CPU (%)"),
            "Average",
            vec![metric("AWS/RDS", "CPUUtilization", &dimensions, None)],
        ));
        widgets.push(graph(
            format!("{instance}: connections"),
            "Average",
            vec![metric("AWS/RDS", "DatabaseConnections", &dimensions, None)],
        ));
    }
    widgets
}

/// The values the stack's alarms give dimension `name` (metric and metric-math alarms).
fn dimension_values(stack: &Stack, name: &str) -> BTreeSet<String> {
    stack
        .all_alarms()
        .flat_map(|(_, alarm)| match &alarm.condition {
            AlarmCondition::Metric { metric, .. } => vec![metric],
            AlarmCondition::MetricMath { metrics, .. } => metrics.values().collect(),
            AlarmCondition::Composite { .. } => Vec::new(),
        })
        .filter_map(|query| query.dimensions.get(name).cloned())
        .collect()
}

fn sized(kind: WidgetKind, width: u32, height: u32) -> Widget {
    Widget {
        kind,
        width: Some(width),
        height: Some(height),
    }
}

fn graph(title: String, stat: &str, metrics: Vec<WidgetMetric>) -> Widget {
    sized(
        WidgetKind::Metric {
            title: Some(title),
            period: PERIOD,
            stat: stat.to_owned(),
            metrics,
        },
        12,
        6,
    )
}

fn metric(
    namespace: &str,
    name: &str,
    dimensions: &[(&str, &str)],
    stat: Option<&str>,
) -> WidgetMetric {
    WidgetMetric {
        namespace: namespace.to_owned(),
        metric: name.to_owned(),
        dimensions: dimensions
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        stat: stat.map(str::to_owned),
        label: None,
    }
}

/// One widget as CloudWatch's dashboard body takes it. Width and height are always
/// written (6 × 6 when not declared), so that nothing CloudWatch fills in reads as drift.
fn render(widget: &Widget, place: &Place) -> Value {
    let (kind, properties) = match &widget.kind {
        WidgetKind::Metric {
            title,
            period,
            stat,
            metrics,
        } => {
            let metrics: Vec<Value> = metrics.iter().map(metric_row).collect();
            let mut properties = json!({
                "metrics": metrics,
                "period": period,
                "region": place.region,
                "stat": stat,
                "view": "timeSeries",
            });
            if let Some(title) = title {
                properties["title"] = json!(title);
            }
            ("metric", properties)
        }
        WidgetKind::Alarms { title, alarms } => {
            let prefix = place.alarm_arn_prefix;
            let arns: Vec<String> = alarms.iter().map(|a| format!("{prefix}{a}")).collect();
            let mut properties = json!({ "alarms": arns });
            if let Some(title) = title {
                properties["title"] = json!(title);
            }
            ("alarm", properties)
        }
        WidgetKind::Text { markdown } => ("text", json!({ "markdown": markdown })),
    };
    json!({
        "type": kind,
        "width": widget.width.unwrap_or(6),
        "height": widget.height.unwrap_or(6),
        "properties": properties,
    })
}

/// `[namespace, metric, dim, value, …, {stat, label}]`, the row form of a graph's metric.
fn metric_row(metric: &WidgetMetric) -> Value {
    let mut row = vec![json!(metric.namespace), json!(metric.metric)];
    for (name, value) in &metric.dimensions {
        row.push(json!(name));
        row.push(json!(value));
    }
    let mut options = Map::new();
    if let Some(stat) = &metric.stat {
        options.insert("stat".into(), json!(stat));
    }
    if let Some(label) = &metric.label {
        options.insert("label".into(), json!(label));
    }
    if !options.is_empty() {
        row.push(Value::Object(options));
    }
    Value::Array(row)
}

/// The normal form bodies are compared in: every number that is whole becomes an integer
/// (CloudWatch, the console and a person's YAML write `6`, `6.0` or `6e0` for one width),
/// others stay floats. Object key order never matters (serde_json's maps are sorted).
pub(super) fn normalize(value: &Value) -> Value {
    match value {
        Value::Number(number) => {
            if number.is_i64() || number.is_u64() {
                return value.clone();
            }
            match number.as_f64() {
                // Exact: a whole float below 2^53 converts without loss.
                #[allow(clippy::cast_possible_truncation)]
                Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                    json!(f as i64)
                }
                _ => value.clone(),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), normalize(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `body` with the marker widget appended: a one-row text widget across the dashboard. A
/// text widget because dashboards take no tags and CloudWatch refuses unknown keys in a
/// body; it is valid content, and it tells whoever edits the dashboard in the console
/// that mooring keeps it.
pub(super) fn with_marker(body: &Value, marker: &Marker) -> Value {
    let mut body = body.clone();
    let text = format!(
        "Kept by mooring: edits made here are put back. {MARKER}{} {}]",
        marker.stack, marker.digest
    );
    let widget = json!({
        "type": "text",
        "width": 24,
        "height": 1,
        "properties": { "markdown": text },
    });
    if let Some(Value::Array(widgets)) = body.get_mut("widgets") {
        widgets.push(widget);
    } else if let Value::Object(map) = &mut body {
        map.insert("widgets".into(), json!([widget]));
    }
    body
}

/// A body as read, split into the body without marker widgets (normal form) and the
/// marker of the last one. Every text widget carrying a marker is left out of the
/// comparison, so a copied marker does not show as a difference either.
pub(super) fn split_marker(body: &Value) -> (Value, Option<Marker>) {
    let mut body = normalize(body);
    let mut marker = None;
    if let Some(Value::Array(widgets)) = body.get_mut("widgets") {
        widgets.retain(|widget| match marker_of(widget) {
            Some(found) => {
                marker = Some(found);
                false
            }
            None => true,
        });
    }
    (body, marker)
}

fn marker_of(widget: &Value) -> Option<Marker> {
    if widget.get("type")?.as_str()? != "text" {
        return None;
    }
    let markdown = widget.get("properties")?.get("markdown")?.as_str()?;
    let rest = &markdown[markdown.find(MARKER)? + MARKER.len()..];
    let mut words = rest.split_whitespace();
    let stack = words.next()?;
    let digest = words.next()?.split(']').next()?;
    Some(Marker {
        stack: stack.to_owned(),
        digest: digest.to_owned(),
    })
}

#[cfg(test)]
#[path = "dashboard_body_tests.rs"]
mod tests;
