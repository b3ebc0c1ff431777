//! CloudWatch dashboards: the pass-1 types of `spec.dashboards` and the validated model.
//!
//! A dashboard is declared in one of three ways: `widgets` in the format's own small
//! vocabulary (metric graphs, alarm status, text), `body` (dashboard JSON as CloudWatch
//! takes it, for anything the vocabulary lacks) or `generated: true` (built by the
//! controller from what the stack declares). The model keeps the declaration, not JSON:
//! alarm widgets need alarm ARNs (account and region), which only an observation tells,
//! so the body is rendered by the planner (`controller/src/plan/dashboard_body.rs`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::management::Management;
use crate::raw::RawDuration;
use crate::span::At;

/// A CloudWatch dashboard. Give exactly one of `widgets`, `body` or `generated: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Dashboard")]
pub struct RawDashboard {
    /// Build the dashboard from what the stack declares: per service CPU and memory
    /// utilisation and running task count, load balancer requests, 5xx and response time
    /// where the stack's alarms name a `LoadBalancer`, RDS CPU and connections where they
    /// name a `DBInstanceIdentifier`, and the status of the stack's alarms.
    #[serde(default)]
    pub generated: Option<At<bool>>,
    /// Widgets, in order (CloudWatch lays them out left to right, top to bottom).
    #[serde(default)]
    pub widgets: Option<At<Vec<At<RawWidget>>>>,
    /// The dashboard body as CloudWatch takes it (a mapping with `widgets`), written as
    /// YAML or as a string of JSON (e.g. pasted from the console's "View source").
    #[serde(default)]
    pub body: Option<At<serde_json::Value>>,
    /// `full` (default): mooring creates, corrects and prunes it; `observe`: drift is only
    /// reported; `paused`: mooring leaves it alone.
    #[serde(default)]
    pub management: Management,
    /// Take over a dashboard of this name that exists without mooring's marker. Default:
    /// false.
    #[serde(default)]
    pub adopt: bool,
}

/// One widget of a declared dashboard; `type` says which fields apply.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Widget")]
pub struct RawWidget {
    /// `metric` (a graph of one or more metrics), `alarms` (the status of alarms) or
    /// `text` (markdown).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["metric", "alarms", "text"]))]
    pub kind: At<String>,
    /// The widget's title (metric and alarms widgets).
    #[serde(default)]
    pub title: Option<At<String>>,
    /// Metric widgets: the metrics graphed.
    #[serde(default)]
    pub metrics: Option<At<Vec<At<RawWidgetMetric>>>>,
    /// Metric widgets: the statistic of every metric that names none. Default: `Average`.
    #[serde(default)]
    pub stat: Option<At<String>>,
    /// Metric widgets: the length of one data point, a multiple of `60s`. Default: `300s`.
    #[serde(default)]
    pub period: Option<At<RawDuration>>,
    /// Alarms widgets: names of alarms the stack declares.
    #[serde(default)]
    pub alarms: Option<At<Vec<At<String>>>>,
    /// Text widgets: the markdown shown.
    #[serde(default)]
    pub markdown: Option<At<String>>,
    /// Width in grid columns, 1 to 24. Default: 6.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub width: Option<At<i64>>,
    /// Height in grid rows, 1 to 1000. Default: 6.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub height: Option<At<i64>>,
}

/// One metric of a metric widget.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "WidgetMetric")]
pub struct RawWidgetMetric {
    /// CloudWatch namespace, e.g. `AWS/ECS`. Required.
    #[serde(default)]
    pub namespace: Option<At<String>>,
    /// Metric name, e.g. `CPUUtilization`. Required.
    #[serde(default)]
    pub metric: Option<At<String>>,
    /// Metric dimensions, e.g. `{ ClusterName: portfolio-dev, ServiceName: backend }`.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// The statistic of this metric. Default: the widget's `stat`.
    #[serde(default)]
    pub stat: Option<At<String>>,
    /// The legend label. Default: CloudWatch's.
    #[serde(default)]
    pub label: Option<String>,
}

/// A dashboard of a stack; the map key in `Stack::dashboards` is its name.
#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    pub content: DashboardContent,
    pub management: Management,
    pub adopt: bool,
}

/// What the dashboard shows.
#[derive(Clone, Debug, PartialEq)]
pub enum DashboardContent {
    /// Built from the stack's services and alarms by the controller.
    Generated,
    /// In the format's vocabulary, in order.
    Widgets(Vec<Widget>),
    /// Dashboard JSON as written (a JSON object).
    Body(serde_json::Value),
}

/// One widget with its size (`None`: CloudWatch's default, 6 × 6).
#[derive(Clone, Debug, PartialEq)]
pub struct Widget {
    pub kind: WidgetKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WidgetKind {
    Metric {
        title: Option<String>,
        /// Seconds, a multiple of 60.
        period: u32,
        /// The statistic of metrics that name none.
        stat: String,
        metrics: Vec<WidgetMetric>,
    },
    Alarms {
        title: Option<String>,
        /// Names of alarms the stack declares (checked).
        alarms: Vec<String>,
    },
    Text {
        markdown: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct WidgetMetric {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub stat: Option<String>,
    pub label: Option<String>,
}
