//! The status document's vocabulary: every type `/status` serialises. Nothing here
//! decides anything (`build.rs` and `sync.rs` do).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sync::SyncState;
use super::timeline::ScheduleTimeline;
use crate::events::Event;
use crate::observed::alerting::AlarmState;

/// The JSON document's `version`: raised only when a field changes meaning or goes.
pub const VERSION: u32 = 1;

/// Events the document carries (newest first): the page shows them with their diffs.
pub const RECENT_EVENTS: usize = 50;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDocument {
    pub version: u32,
    /// Where the desired state comes from: a path, or an `s3://` URL.
    pub source: String,
    /// The revision of the desired state being applied (`--revision`, the git commit).
    pub revision: Option<String>,
    /// A desired state was loaded (`false` until the first valid one).
    pub loaded: bool,
    /// Passes run since the process started (1 for `mooring status`).
    pub passes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_pass: Option<LastPass>,
    /// The end of the last pass in which nothing failed.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Why the last new desired state was refused, while the previous one is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    pub stacks: Vec<StackStatus>,
    /// The latest events, newest first (at most `RECENT_EVENTS`).
    pub events: Vec<Event>,
}

/// The last pass: when it ended, how long it took, what it cost.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastPass {
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    /// Whether the pass applied its plan (`mooring run`) or only read (`mooring status`).
    pub applied: bool,
    /// AWS requests the pass made, retries included.
    pub aws_calls: u64,
    /// Of those, requests that changed managed resources.
    pub mutating_calls: u64,
    /// Failed reads plus failed changes.
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackStatus {
    pub name: String,
    pub source: PathBuf,
    pub region: Option<String>,
    /// Resources by sync state (states with none are left out).
    pub counts: BTreeMap<SyncState, usize>,
    /// What the last pass said about the stack as a whole: a read that failed, an account
    /// the guard refused, a prune cap reached, throttling.
    pub notes: Vec<Event>,
    pub resources: Vec<ResourceStatus>,
    /// A week of each schedule the stack's services use (for the page; not in the JSON,
    /// which has each service's phase and next transition).
    #[serde(skip)]
    pub timelines: Vec<ScheduleTimeline>,
}

/// One resource: what is declared, what was seen, and whether they agree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStatus {
    /// The resource as events name it (`ecs-service web/api`, `alarm api-cpu`): the key
    /// that joins a row to its events.
    pub id: String,
    pub kind: ResourceKind,
    /// Its name without the kind (`web/api`, `api-cpu`).
    pub name: String,
    /// `full`, `observe` or `paused`; absent for what the stack does not declare (a
    /// released service, a pruned alarm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<&'static str>,
    pub state: SyncState,
    /// Why it is in that state, when the last pass said something about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Declared and observed values of its kind.
    #[serde(flatten)]
    pub detail: Detail,
    /// The latest event about it (kept across quiet passes by `mooring run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<Event>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    Service,
    ScalableTarget,
    ScalingPolicy,
    ScheduledAction,
    Alarm,
    Topic,
    Subscription,
    Cluster,
    Dashboard,
    LambdaPermission,
}

impl ResourceKind {
    /// The kind of an event's object (`ecs-service …`), with the name after the kind.
    pub fn of_object(object: &str) -> Option<(Self, &str)> {
        let (prefix, name) = object.split_once(' ')?;
        let kind = match prefix {
            "ecs-service" => Self::Service,
            "scalable-target" => Self::ScalableTarget,
            "scaling-policy" => Self::ScalingPolicy,
            "scheduled-action" => Self::ScheduledAction,
            "alarm" => Self::Alarm,
            "topic" => Self::Topic,
            "subscription" => Self::Subscription,
            "ecs-cluster" => Self::Cluster,
            "dashboard" => Self::Dashboard,
            "lambda-permission" => Self::LambdaPermission,
            _ => return None,
        };
        Some((kind, name))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::ScalableTarget => "scalable target",
            Self::ScalingPolicy => "scaling policy",
            Self::ScheduledAction => "scheduled action",
            Self::Alarm => "alarm",
            Self::Topic => "topic",
            Self::Subscription => "subscription",
            Self::Cluster => "cluster",
            Self::Dashboard => "dashboard",
            Self::LambdaPermission => "lambda permission",
        }
    }
}

/// Each kind's declared and observed values, under a key named for the kind
/// (`"service": {…}`). `None` observed values: not seen (missing, or not read).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Detail {
    Service(ServiceDetail),
    ScalableTarget(TargetDetail),
    ScalingPolicy(PolicyDetail),
    ScheduledAction(ScheduledActionDetail),
    Alarm(AlarmDetail),
    Topic(TopicDetail),
    Subscription(SubscriptionDetail),
    Cluster(ClusterDetail),
    Dashboard(DashboardDetail),
    /// Something only the pass's events told of (a released service, a pruned alarm).
    Other {},
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDetail {
    /// `desiredCount` in the file (absent under autoscaling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_count: Option<u32>,
    /// The autoscaling range in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_range: Option<Range>,
    /// ECS's `desiredCount`, `runningCount` and `pendingCount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_hours: Option<OffHoursStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub min: u32,
    pub max: u32,
}

/// Where a scheduled service stands.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OffHoursStatus {
    pub schedule: String,
    pub timezone: String,
    /// The count while asleep.
    pub sleep_count: u32,
    /// `asleep` while mooring's sleep is recorded on the service, else `awake`.
    pub phase: Phase,
    /// When the recorded sleep began (`mooring:asleep-since`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// What the schedule (with its override tags) wants now.
    pub scheduled: Phase,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_transition: Option<NextTransition>,
    /// An active `mooring:awake-until` / `mooring:asleep-until` override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awake_until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asleep_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    Awake,
    Asleep,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextTransition {
    pub at: DateTime<Utc>,
    pub to: Phase,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetDetail {
    pub declared: Range,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Range>,
    /// Any scaling activity suspended on the target (mooring suspends all while asleep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDetail {
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: &'static str,
    /// The declared target value of a target-tracking policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    pub found: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledActionDetail {
    pub schedule: String,
    pub found: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmDetail {
    /// CloudWatch's state of the alarm, when it exists and was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_state: Option<AlarmState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    pub found: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub declared_subscriptions: usize,
    pub found: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDetail {
    pub topic: String,
    pub protocol: String,
    /// Redacted: credentials in a URL are never shown.
    pub endpoint: String,
    /// SNS waits for the endpoint to confirm (an email link, an HTTP handshake).
    pub pending_confirmation: Option<bool>,
    pub found: Option<bool>,
}

/// A cluster the stack declares settings for (`spec.clusters`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDetail {
    /// `containerInsights` in the file, and as ECS reports it.
    pub declared_container_insights: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_insights: Option<String>,
    pub found: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardDetail {
    /// `generated: true` in the file.
    pub generated: bool,
    pub found: Option<bool>,
}

impl StatusDocument {
    /// Resources of every stack in a state other than InSync (and Paused).
    pub fn needing_attention(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.resources)
            .filter(|r| r.state.needs_attention())
            .count()
    }
}
