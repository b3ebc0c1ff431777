//! Pass-1 types: exactly what a file may say, as serde reads it, with positions kept.
//!
//! Values whose meaning needs checking (durations, time zones, windows, counts, names) stay
//! loosely typed here so that pass 2 can report every problem at once with its position;
//! only closed vocabularies (protocols, predefined metrics, comparisons) are enums, so that
//! editors can complete them from the JSON Schema. Doc comments become schema descriptions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::model::{
    AdjustmentType, Comparison, EventKind, Management, MetricAggregation, PredefinedMetric,
    Protocol, TreatMissingData,
};
use crate::span::{At, NamedMap};

pub use crate::raw_scalar::{RawAccountId, RawDuration};

/// A mooring desired-state document: one stack of ECS services, their scaling, off-hours
/// schedules, CloudWatch alarms and SNS topics.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "mooring Stack")]
#[schemars(rename = "Stack")]
pub struct RawStack {
    /// The format version. Always `mooring/v1`.
    // Checked before the strict parse (see `parse::check_header_field`); kept here so that
    // the schema lists it and `deny_unknown_fields` accepts it.
    #[allow(dead_code)]
    #[schemars(extend("const" = "mooring/v1"))]
    pub api_version: At<String>,
    /// The document kind. Always `Stack`.
    #[allow(dead_code)]
    #[schemars(extend("const" = "Stack"))]
    pub kind: At<String>,
    /// Identifies the stack.
    pub metadata: RawMetadata,
    /// What the stack should look like.
    pub spec: RawSpec,
}

/// Stack metadata.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Metadata")]
pub struct RawMetadata {
    /// Stack name, DNS-label-like (lowercase letters, digits and `-`, at most 63 characters).
    /// Everything mooring creates is tagged `mooring:stack=<name>`; it only ever prunes what
    /// carries its own stack's tag. Unique across all loaded files.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: At<String>,
    /// Free text for people; mooring ignores it.
    #[allow(dead_code)]
    #[serde(default)]
    pub description: Option<String>,
}

/// The desired state of the stack.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Spec")]
pub struct RawSpec {
    /// Optional guard: the 12-digit AWS account id, as a quoted string. mooring refuses to
    /// touch any other account.
    #[serde(default)]
    pub account: Option<At<RawAccountId>>,
    /// AWS region, e.g. `us-east-1`. When absent, the usual AWS configuration decides.
    #[serde(default)]
    pub region: Option<At<String>>,
    /// Default IANA time zone (e.g. `Europe/Berlin`) for schedules and scheduled actions
    /// that name none. Default: `UTC`.
    #[serde(default)]
    pub timezone: Option<At<String>>,
    /// Named off-hours schedules that services refer to with `offHours.schedule`.
    #[serde(default)]
    pub schedules: NamedMap<RawSchedule>,
    /// SNS topics, by topic name (names are account-wide in AWS).
    #[serde(default)]
    pub topics: NamedMap<RawTopic>,
    /// ECS services whose count, scaling, off-hours and alarms mooring manages.
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub services: Vec<At<RawService>>,
    /// CloudWatch alarms not tied to one service (ALB, RDS, metric math, composite), by alarm
    /// name (names are account-wide in AWS).
    #[serde(default)]
    pub alarms: NamedMap<RawAlarm>,
    /// CloudWatch dashboards, by dashboard name (names are account-wide in AWS).
    #[serde(default)]
    pub dashboards: NamedMap<crate::dashboards::RawDashboard>,
    /// Where mooring's events go besides the JSON lines on stdout: an SNS topic (Warnings by
    /// default, identical repeats folded into one) and CloudWatch metrics (namespace
    /// `Mooring`). Absent: stdout only.
    #[serde(default)]
    pub events: Option<At<RawEvents>>,
    /// Prune safety for alarms and topics: how many owned resources one pass may delete,
    /// and whether a desired state without any alarm or topic may delete them all.
    #[serde(default)]
    pub prune: Option<At<RawPrune>>,
    /// Settings of ECS clusters that mooring keeps in place, by cluster name (today
    /// Container Insights). mooring never creates or deletes clusters; a cluster need not
    /// hold any service of the stack.
    #[serde(default)]
    pub clusters: NamedMap<RawCluster>,
}

/// Settings of one ECS cluster. The cluster is not mooring's: declaring a setting is the
/// choice to have mooring set it (and put it back when it is changed by hand).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Cluster")]
pub struct RawCluster {
    /// CloudWatch Container Insights: `enabled` (cluster and service metrics), `enhanced`
    /// (also task and container metrics; costs more) or `disabled`.
    #[schemars(extend("enum" = ["enabled", "enhanced", "disabled"]))]
    pub container_insights: At<String>,
    /// `full` (default): set it; `observe`: report a difference only; `paused`: leave
    /// the cluster alone.
    #[serde(default)]
    pub management: Management,
}

/// Prune safety.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Prune")]
pub struct RawPrune {
    /// Deletions one pass may make (alarms and topics together); the rest waits for the
    /// next pass and a PruneBlocked warning says so. Default: 10.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub max_deletions_per_pass: Option<At<i64>>,
    /// A stack that declares no alarm and no topic deletes nothing it owns unless this is
    /// true (a file that went empty by mistake must not wipe the alerting). Default: false.
    #[serde(default)]
    pub allow_empty: bool,
}

/// The event sinks of a stack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Events")]
pub struct RawEvents {
    /// The SNS topic that receives events: a topic name declared under `topics` (in any
    /// loaded file) or the ARN of a topic managed elsewhere. Absent: nothing goes to SNS.
    #[serde(default)]
    pub topic: Option<At<String>>,
    /// Which event types go to the topic. Default: `[Warning]`.
    #[serde(default)]
    pub types: Option<At<Vec<EventKind>>>,
    /// Identical events (same stack, reason, object and message) within this window are
    /// published once; the repeats are counted and published as one summary when the window
    /// closes. Default: `1h`.
    #[serde(default)]
    pub fold_window: Option<At<RawDuration>>,
    /// Publish CloudWatch metrics in namespace `Mooring` after each apply pass (changes by
    /// reason, failures, warnings, pass duration; dimension `Stack`). Default: true.
    #[serde(default)]
    pub metrics: Option<bool>,
}

/// An off-hours schedule: when services are awake, in a time zone, with holidays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Schedule")]
pub struct RawSchedule {
    /// IANA time zone of the windows and cron expressions. Default: the stack's `timezone`,
    /// else `UTC`.
    #[serde(default)]
    pub timezone: Option<At<String>>,
    /// Windows when services are awake; asleep at all other times. Each is
    /// `DAYS HH:MM-HH:MM`, e.g. `Mon-Fri 07:00-20:00`, `Mon,Wed,Fri 08:00-18:00`,
    /// `Sat 10:00-14:00`, `Fri 22:00-02:00` (overnight: ends the next day) or just `Sat`
    /// (the whole day).
    #[serde(default)]
    pub awake: Option<Vec<At<String>>>,
    /// Windows when services are asleep; awake at all other times. Same grammar as `awake`.
    #[serde(default)]
    pub asleep: Option<Vec<At<String>>>,
    /// Dates when services sleep all day, in the schedule's time zone: `YYYY-MM-DD` for one
    /// date, `MM-DD` for every year (e.g. `12-25`).
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub holidays: Vec<At<String>>,
    /// A temporary override that ends by itself: services are `state` until `until`, then
    /// the schedule decides again. For one-offs without a pull request, tag the service
    /// `mooring:awake-until=<RFC 3339>` or `mooring:asleep-until=<RFC 3339>` instead.
    #[serde(default, rename = "override")]
    pub temporary_override: Option<At<RawOverride>>,
    /// Five-field crontab expression (`minute hour day-of-month month day-of-week`, e.g.
    /// `0 20 * * Mon-Fri`) at which services go to sleep. Used together with `wakeAt`
    /// instead of windows: the state is whichever of the two fired last.
    #[serde(default)]
    pub sleep_at: Option<At<String>>,
    /// Five-field crontab expression at which services wake up (see `sleepAt`).
    #[serde(default)]
    pub wake_at: Option<At<String>>,
}

/// A state forced until an instant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Override")]
pub struct RawOverride {
    /// `awake` or `asleep`.
    pub state: At<RawWakeState>,
    /// RFC 3339 instant with an offset, e.g. `2026-03-02T22:00:00+01:00`, when the
    /// override ends.
    pub until: At<String>,
}

/// Awake or asleep.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "WakeState")]
pub enum RawWakeState {
    Awake,
    Asleep,
}

/// An SNS topic and its subscriptions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Topic")]
pub struct RawTopic {
    /// The topic's display name (used as the sender name of SMS and email notifications).
    #[serde(default)]
    pub display_name: Option<String>,
    /// KMS key (id, alias or ARN) for server-side encryption, e.g. `alias/aws/sns`.
    #[serde(default)]
    pub kms_key_id: Option<At<String>>,
    /// The topic's delivery policy (HTTP/S retries), as the JSON document SNS takes.
    #[serde(default)]
    pub delivery_policy: Option<serde_json::Value>,
    /// Tags besides `mooring:stack` (which mooring sets itself).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Subscriptions mooring keeps on the topic.
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub subscriptions: Vec<At<RawSubscription>>,
    /// `full` (default): mooring creates, corrects and prunes it; `observe`: drift is only
    /// reported; `paused`: mooring leaves it alone.
    #[serde(default)]
    pub management: Management,
    /// Take over a topic of this name that exists without mooring's stack tag. Default: false.
    #[serde(default)]
    pub adopt: bool,
}

/// One subscription of an SNS topic.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Subscription")]
pub struct RawSubscription {
    /// Delivery protocol.
    pub protocol: At<Protocol>,
    /// Where to deliver: an email address (email, email-json), a URL (http, https), an ARN
    /// (sqs, lambda) or an E.164 phone number such as `+14155550100` (sms).
    pub endpoint: At<String>,
    /// Only messages whose attributes match this SNS filter policy are delivered.
    #[serde(default)]
    pub filter_policy: Option<serde_json::Value>,
    /// Deliver the message as published, without the SNS JSON envelope (sqs, http, https).
    #[serde(default)]
    pub raw_message_delivery: bool,
    /// Accept a plain `http` subscription (notifications travel unencrypted and can be read
    /// or forged on the way). Without it, `protocol: http` is refused: use `https`. Only
    /// valid next to `protocol: http`.
    #[serde(default)]
    pub allow_insecure_http: Option<At<bool>>,
}

/// An ECS service. mooring never creates or deletes services; it manages their count,
/// scaling, off-hours and alarms.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Service")]
pub struct RawService {
    /// ECS cluster name.
    pub cluster: At<String>,
    /// ECS service name.
    pub name: At<String>,
    /// Task count while awake. Without `autoscaling` mooring owns the count and restores it
    /// when it drifts; with `autoscaling` it must lie in [min, max] and is used on wake-up.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub desired_count: Option<At<i64>>,
    /// Application Auto Scaling for the service.
    #[serde(default)]
    pub autoscaling: Option<At<RawAutoscaling>>,
    /// Scale the service down while its schedule says it is asleep.
    #[serde(default)]
    pub off_hours: Option<At<RawOffHours>>,
    /// CloudWatch alarms on this service, by alarm name. `ClusterName` and `ServiceName`
    /// dimensions are filled in for the `AWS/ECS` and `ECS/ContainerInsights` namespaces;
    /// the namespace defaults to `AWS/ECS`.
    #[serde(default)]
    pub alarms: NamedMap<RawAlarm>,
    /// `full` (default), `observe` (report drift only) or `paused` (leave alone).
    #[serde(default)]
    pub management: Management,
    /// Take over the service's scaling resources that exist without mooring's tag. Default: false.
    #[serde(default)]
    pub adopt: bool,
}

/// Off-hours for one service.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "OffHours")]
pub struct RawOffHours {
    /// Name of a schedule under `spec.schedules` of the same stack.
    pub schedule: At<String>,
    /// Task count while asleep. Default: 0.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub desired_count: Option<At<i64>>,
}

/// Application Auto Scaling: the scalable target and its policies.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Autoscaling")]
pub struct RawAutoscaling {
    /// Minimum task count (0 or more).
    #[serde(deserialize_with = "crate::number::at")]
    pub min: At<i64>,
    /// Maximum task count (at least `min`).
    #[serde(deserialize_with = "crate::number::at")]
    pub max: At<i64>,
    /// Target-tracking policies, by policy name.
    #[serde(default)]
    pub target_tracking: NamedMap<RawTargetTracking>,
    /// Step-scaling policies, by policy name.
    #[serde(default)]
    pub step_scaling: NamedMap<RawStepScaling>,
    /// Scheduled actions that change min/max at given times, by action name.
    #[serde(default)]
    pub scheduled_actions: NamedMap<RawScheduledAction>,
    /// Scaling activities to suspend (all run by default).
    #[serde(default)]
    pub suspended: RawSuspended,
}

/// Which scaling activities of the scalable target are suspended. Default: none.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Suspended")]
pub struct RawSuspended {
    /// No scale-in by target-tracking and step-scaling policies. Default: false.
    #[serde(default)]
    pub dynamic_scaling_in: bool,
    /// No scale-out by target-tracking and step-scaling policies. Default: false.
    #[serde(default)]
    pub dynamic_scaling_out: bool,
    /// Scheduled actions do not run. Default: false.
    #[serde(default)]
    pub scheduled_scaling: bool,
}

/// A target-tracking policy: keep a metric near a target value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "TargetTracking")]
pub struct RawTargetTracking {
    /// A predefined metric. Give either `metric` or `customMetric`.
    #[serde(default)]
    pub metric: Option<At<PredefinedMetric>>,
    /// For `ALBRequestCountPerTarget`: `app/<alb-name>/<alb-id>/targetgroup/<tg-name>/<tg-id>`.
    #[serde(default)]
    pub resource_label: Option<At<String>>,
    /// A CloudWatch metric of your own. Give either `metric` or `customMetric`.
    #[serde(default)]
    pub custom_metric: Option<At<RawMetric>>,
    /// The value to keep the metric at (e.g. 70 for 70 % CPU).
    #[serde(deserialize_with = "crate::number::at")]
    pub target: At<f64>,
    /// Minimum time between scale-in activities, e.g. `300s`.
    #[serde(default)]
    pub scale_in_cooldown: Option<At<RawDuration>>,
    /// Minimum time between scale-out activities, e.g. `60s`.
    #[serde(default)]
    pub scale_out_cooldown: Option<At<RawDuration>>,
    /// Never scale in through this policy. Default: false.
    #[serde(default)]
    pub disable_scale_in: bool,
}

/// A CloudWatch metric: namespace, name, dimensions and statistic.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Metric")]
pub struct RawMetric {
    /// CloudWatch namespace, e.g. `AWS/ApplicationELB`.
    pub namespace: At<String>,
    /// Metric name, e.g. `HTTPCode_Target_5XX_Count`.
    pub metric: At<String>,
    /// Metric dimensions, e.g. `{ LoadBalancer: app/my-alb/0123456789abcdef }`.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount` or a percentile such as `p99`.
    pub statistic: At<String>,
}

/// A step-scaling policy, run when the alarm named in `alarm` goes into ALARM.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "StepScaling")]
pub struct RawStepScaling {
    /// How `adjustment` is read. Default: `ChangeInCapacity`.
    #[serde(default)]
    pub adjustment_type: AdjustmentType,
    /// Minimum time between scaling activities, e.g. `60s`.
    #[serde(default)]
    pub cooldown: Option<At<RawDuration>>,
    /// How the alarm's data points are aggregated. Default: `Average`.
    #[serde(default)]
    pub metric_aggregation_type: Option<MetricAggregation>,
    /// With `PercentChangeInCapacity`: the smallest change in tasks.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub min_adjustment_magnitude: Option<At<i64>>,
    /// Steps, with bounds relative to the alarm threshold; they must not overlap or leave gaps.
    pub steps: At<Vec<At<RawStep>>>,
    /// Name of the alarm (declared in the desired state) whose ALARM state runs this policy.
    #[serde(default)]
    pub alarm: Option<At<String>>,
}

/// One step of a step-scaling policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Step")]
pub struct RawStep {
    /// Lower bound (inclusive), relative to the alarm threshold. Absent: minus infinity.
    #[serde(default, deserialize_with = "crate::number::optional")]
    pub lower: Option<f64>,
    /// Upper bound (exclusive), relative to the alarm threshold. Absent: plus infinity.
    #[serde(default, deserialize_with = "crate::number::optional")]
    pub upper: Option<f64>,
    /// Change applied in this step (tasks, percent, or exact capacity per `adjustmentType`).
    #[serde(deserialize_with = "crate::number::plain")]
    pub adjustment: i64,
}

/// A scheduled action: set min and/or max at given times.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "ScheduledAction")]
pub struct RawScheduledAction {
    /// AWS schedule expression: `cron(minutes hours day-of-month month day-of-week year)`,
    /// `at(yyyy-mm-ddThh:mm:ss)` or `rate(value unit)`.
    pub schedule: At<String>,
    /// IANA time zone for `cron` and `at`. Default: the stack's `timezone`, else `UTC`.
    #[serde(default)]
    pub timezone: Option<At<String>>,
    /// New minimum task count.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub min: Option<At<i64>>,
    /// New maximum task count.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub max: Option<At<i64>>,
    /// Not before this time (`yyyy-mm-ddThh:mm:ss`, in `timezone`).
    #[serde(default)]
    pub start: Option<At<String>>,
    /// Not after this time (`yyyy-mm-ddThh:mm:ss`, in `timezone`).
    #[serde(default)]
    pub end: Option<At<String>>,
}

/// A CloudWatch alarm. Three kinds, told apart by their fields: a metric alarm (`metric`),
/// a metric-math alarm (`metrics` + `expression`) and a composite alarm (`rule`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "Alarm")]
pub struct RawAlarm {
    /// Alarm description shown in the console and notifications.
    #[serde(default)]
    pub description: Option<String>,
    /// Metric alarm: CloudWatch namespace. Default under a service: `AWS/ECS`; required
    /// for stack-level metric alarms.
    #[serde(default)]
    pub namespace: Option<At<String>>,
    /// Metric alarm: the metric name, e.g. `CPUUtilization`.
    #[serde(default)]
    pub metric: Option<At<String>>,
    /// Metric alarm: dimensions, e.g. `{ DBInstanceIdentifier: portfolio-dev }`.
    #[serde(default)]
    pub dimensions: Option<BTreeMap<String, String>>,
    /// Metric alarm: `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount` or a percentile
    /// such as `p99`.
    #[serde(default)]
    pub statistic: Option<At<String>>,
    /// Metric-math alarm: the metrics the expression uses, by id (lowercase letter first,
    /// then letters, digits and `_`).
    #[serde(default)]
    pub metrics: Option<At<NamedMap<RawMetric>>>,
    /// Metric-math alarm: the expression compared with the threshold, e.g. `100 * m1 / m2`.
    #[serde(default)]
    pub expression: Option<At<String>>,
    /// Composite alarm: the alarm rule, e.g. `ALARM(api-5xx) OR ALARM(api-latency)`.
    #[serde(default)]
    pub rule: Option<At<String>>,
    /// Length of one evaluation period: `10s`, `30s` or a multiple of `60s`.
    #[serde(default)]
    pub period: Option<At<RawDuration>>,
    /// Number of periods evaluated (at least 1).
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub evaluation_periods: Option<At<i64>>,
    /// How many of the evaluated periods must breach (default: all of them).
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub datapoints_to_alarm: Option<At<i64>>,
    /// The value the metric is compared with.
    #[serde(default, deserialize_with = "crate::number::optional_at")]
    pub threshold: Option<At<f64>>,
    /// `>`, `>=`, `<` or `<=` (or the AWS names, e.g. `GreaterThanThreshold`).
    #[serde(default)]
    pub comparison: Option<At<Comparison>>,
    /// How missing data points count. Default: `missing`.
    #[serde(default)]
    pub treat_missing_data: Option<TreatMissingData>,
    /// Topics notified when the alarm goes into ALARM: topic names from the desired state,
    /// or SNS topic ARNs for topics managed elsewhere, or Lambda function ARNs of the
    /// stack's region and account (mooring allows the alarm to invoke the function).
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub notify: Vec<At<String>>,
    /// Topics notified when the alarm returns to OK (same form as `notify`).
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub ok_notify: Vec<At<String>>,
    /// Topics notified when the alarm goes to INSUFFICIENT_DATA (same form as `notify`).
    #[serde(default, deserialize_with = "crate::span::null_as_empty")]
    pub insufficient_data_notify: Vec<At<String>>,
    /// Metric alarm: the unit of the metric, e.g. `Percent` or `Seconds` (CloudWatch's
    /// standard units). Absent: any unit.
    #[serde(default)]
    pub unit: Option<At<String>>,
    /// `full` (default), `observe` (report drift only) or `paused` (leave alone).
    #[serde(default)]
    pub management: Management,
    /// Take over an alarm of this name that exists without mooring's tag. Default: false.
    #[serde(default)]
    pub adopt: bool,
}
