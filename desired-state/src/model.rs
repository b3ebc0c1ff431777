//! The validated desired state: plain Rust types, no positions, every reference resolved
//! and every value checked. This is what the controller plans against.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;

/// The alarms a composite rule names (`mooring init` selects them with the rule).
pub use crate::alarm::rule_alarms;
pub use crate::alarm::STANDARD_UNITS;
pub use crate::alarm::{
    Alarm, AlarmCondition, Comparison, MetricQuery, Statistic, Threshold, TreatMissingData,
};
pub use crate::autoscaling::{
    AdjustmentType, Autoscaling, MetricAggregation, PredefinedMetric, ScalingSchedule,
    ScheduledAction, Step, StepScaling, Suspended, TargetTracking, TrackedMetric,
};
pub use crate::clusters::{Cluster, ContainerInsights};
pub use crate::duration::Duration;
pub use crate::management::Management;
pub use crate::schedule::{
    CronExpr, MonthDay, Override, Schedule, ScheduleRule, WakeState, Window,
};

/// Everything the loaded files declare, one `Stack` per file, in load order.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredState {
    pub stacks: Vec<Stack>,
    /// What validation warned about without refusing (`validate`, `plan` and `apply` print
    /// them; they do not change the exit code).
    pub warnings: crate::Diagnostics,
}

impl DesiredState {
    /// Every alarm of every stack (service alarms and stack-level alarms), by name.
    pub fn alarms(&self) -> impl Iterator<Item = (&str, &Alarm)> {
        self.stacks.iter().flat_map(|stack| stack.all_alarms())
    }
}

/// One `kind: Stack` document.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// `metadata.name`; what mooring creates is tagged `mooring:stack=<name>`.
    pub name: String,
    /// The file the stack came from.
    pub source: PathBuf,
    /// 12 digits, validated.
    pub account: Option<String>,
    pub region: Option<String>,
    /// The stack default time zone, as written; schedules and scheduled actions already
    /// carry their resolved zone.
    pub timezone: Option<chrono_tz::Tz>,
    pub schedules: BTreeMap<String, Schedule>,
    pub topics: BTreeMap<String, Topic>,
    /// In file order.
    pub services: Vec<Service>,
    /// Stack-level alarms (not tied to one service), by alarm name.
    pub alarms: BTreeMap<String, Alarm>,
    /// The stack's event sinks besides stdout; `None` when `spec.events` is absent.
    pub events: Option<Events>,
    /// Prune safety for alarms and topics.
    pub prune: Prune,
    /// `spec.clusters`: ECS cluster settings (Container Insights), by cluster name.
    pub clusters: BTreeMap<String, Cluster>,
}

/// `spec.prune`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prune {
    /// Alarms and topics one pass may delete; the rest waits (PruneBlocked).
    pub max_deletions_per_pass: u32,
    /// Whether a stack without any alarm or topic may delete the ones it owns.
    pub allow_empty: bool,
}

impl Default for Prune {
    /// Ten: enough for an ordinary rename of a few alarms, small enough that a mistake
    /// (a file half-deleted) costs little alerting before someone reads the warning.
    fn default() -> Self {
        Self {
            max_deletions_per_pass: 10,
            allow_empty: false,
        }
    }
}

impl Stack {
    /// Service alarms and stack-level alarms together, by alarm name.
    pub fn all_alarms(&self) -> impl Iterator<Item = (&str, &Alarm)> {
        self.services
            .iter()
            .flat_map(|service| {
                service
                    .alarms
                    .iter()
                    .map(|(name, alarm)| (name.as_str(), &**alarm))
            })
            .chain(
                self.alarms
                    .iter()
                    .map(|(name, alarm)| (name.as_str(), alarm)),
            )
    }
}

/// An ECS service that mooring manages (it never creates or deletes services).
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub cluster: String,
    pub name: String,
    /// Count while awake. Without autoscaling mooring owns `desiredCount`; with autoscaling it
    /// lies within [min, max] and is what a wake-up restores.
    pub desired_count: Option<u32>,
    pub autoscaling: Option<Autoscaling>,
    pub off_hours: Option<OffHours>,
    /// Alarms on this service, by alarm name, with `ClusterName`/`ServiceName` filled in.
    /// Boxed: a map node holds room for 11 entries and services have a handful of alarms,
    /// so inline alarms (about 260 bytes each) cost 3 KB a service (2 MB of `mooring
    /// run`'s resident set at 1,000 services, docs/benchmarks.md).
    pub alarms: BTreeMap<String, Box<Alarm>>,
    pub management: Management,
    pub adopt: bool,
}

/// Off-hours for one service.
#[derive(Clone, Debug, PartialEq)]
pub struct OffHours {
    /// Name of a schedule of the same stack (validated to exist).
    pub schedule: String,
    /// Count while asleep (default 0); never above autoscaling `max`.
    pub desired_count: u32,
}

/// An SNS topic; the map key in `Stack::topics` is the topic name.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub display_name: Option<String>,
    pub kms_key_id: Option<String>,
    /// The delivery policy document, as JSON.
    pub delivery_policy: Option<serde_json::Value>,
    /// Tags besides `mooring:stack`.
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<Subscription>,
    pub management: Management,
    pub adopt: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub protocol: Protocol,
    pub endpoint: String,
    pub filter_policy: Option<serde_json::Value>,
    pub raw_message_delivery: bool,
}

/// SNS subscription protocols mooring manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Email,
    EmailJson,
    Http,
    Https,
    Sqs,
    Lambda,
    Sms,
}

impl Protocol {
    /// The protocol name SNS uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::EmailJson => "email-json",
            Self::Http => "http",
            Self::Https => "https",
            Self::Sqs => "sqs",
            Self::Lambda => "lambda",
            Self::Sms => "sms",
        }
    }
}

/// `spec.events`: where events go besides stdout.
#[derive(Clone, Debug, PartialEq)]
pub struct Events {
    /// The SNS topic for events; `None`: nothing goes to SNS.
    pub topic: Option<TopicRef>,
    /// Event types sent to the topic (never empty).
    pub types: BTreeSet<EventKind>,
    /// Identical events within this window are published once, then summarised.
    pub fold_window: Duration,
    /// CloudWatch metrics in namespace `Mooring`.
    pub metrics: bool,
}

impl Events {
    /// One hour: long enough that a problem seen every pass (every few minutes) mails
    /// people about once an hour, short enough that it is not forgotten.
    pub const DEFAULT_FOLD_WINDOW: Duration = Duration(3600);
}

/// A topic as `spec.events.topic` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicRef {
    /// A topic declared under `topics` (of any loaded file); its ARN is looked up at run time.
    Name(String),
    /// A topic managed elsewhere.
    Arn(String),
}

/// Kubernetes' two event types, as `spec.events.types` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
pub enum EventKind {
    Normal,
    Warning,
}
