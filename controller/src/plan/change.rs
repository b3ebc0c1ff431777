//! The planner's vocabulary: a `Plan` of `Change`s and `Notice`s, the `Resource`s they
//! name, the `Operation`s the applier runs, and the apply groups that order them. Every
//! planner builds these; nothing here decides anything.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::events::{EventType, FieldDiff, Reason};
use crate::observed::alerting::{AlarmSpec, SubscriptionSettings, TopicSettings};
use crate::observed::autoscaling::{ScalingPolicy, ScheduledAction, SuspendedState};

/// Everything one pass would do, plus what it noticed but will not change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub notices: Vec<Notice>,
}

/// A plan once it leaves the planner: its changes shared with the outcomes that apply
/// them, so a pass of 1,000 services holds each change once, not once for the report's
/// plan and again for its outcomes (docs/benchmarks.md, "What bounds peak memory").
/// Serialised exactly like `Plan`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SharedPlan {
    pub changes: Vec<Arc<Change>>,
    pub notices: Vec<Notice>,
}

impl From<Plan> for SharedPlan {
    fn from(plan: Plan) -> Self {
        Self {
            changes: plan.changes.into_iter().map(Arc::new).collect(),
            notices: plan.notices,
        }
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// An AWS resource mooring manages, named the way people know it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Resource {
    /// An ECS cluster: only its `mooring:stack:<stack>` tags are mooring's
    /// (`plan/cluster_tags.rs`).
    #[serde(rename_all = "camelCase")]
    EcsCluster { region: String, cluster: String },
    #[serde(rename_all = "camelCase")]
    EcsService {
        region: String,
        cluster: String,
        service: String,
    },
    /// The Application Auto Scaling target of an ECS service.
    #[serde(rename_all = "camelCase")]
    ScalableTarget {
        region: String,
        cluster: String,
        service: String,
    },
    #[serde(rename_all = "camelCase")]
    ScalingPolicy {
        region: String,
        cluster: String,
        service: String,
        policy: String,
    },
    #[serde(rename_all = "camelCase")]
    ScheduledAction {
        region: String,
        cluster: String,
        service: String,
        action: String,
    },
    /// A CloudWatch alarm (metric, metric-math or composite).
    #[serde(rename_all = "camelCase")]
    Alarm { region: String, name: String },
    #[serde(rename_all = "camelCase")]
    Topic { region: String, name: String },
    /// A CloudWatch dashboard (global in AWS; `region` is the stack's, whose metrics it shows).
    #[serde(rename_all = "camelCase")]
    Dashboard { region: String, name: String },
    /// A subscription of a topic, named by protocol and endpoint.
    #[serde(rename_all = "camelCase")]
    Subscription {
        region: String,
        topic: String,
        protocol: String,
        /// The full endpoint (the applier subscribes it); shown redacted (`redact`).
        #[serde(serialize_with = "crate::redact::serialize_endpoint")]
        endpoint: String,
    },
    /// One statement of a Lambda function's resource policy, the one mooring keeps for an
    /// alert target (`plan/lambda_permissions.rs`). `function` is the ARN as written.
    #[serde(rename_all = "camelCase")]
    LambdaPermission {
        region: String,
        function: String,
        statement_id: String,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::EcsCluster { cluster, .. } => write!(f, "ecs-cluster {cluster}"),
            Resource::EcsService {
                cluster, service, ..
            } => write!(f, "ecs-service {cluster}/{service}"),
            Resource::ScalableTarget {
                cluster, service, ..
            } => write!(f, "scalable-target {cluster}/{service}"),
            Resource::ScalingPolicy {
                cluster,
                service,
                policy,
                ..
            } => write!(f, "scaling-policy {cluster}/{service}/{policy}"),
            Resource::ScheduledAction {
                cluster,
                service,
                action,
                ..
            } => write!(f, "scheduled-action {cluster}/{service}/{action}"),
            Resource::Alarm { name, .. } => write!(f, "alarm {name}"),
            Resource::Topic { name, .. } => write!(f, "topic {name}"),
            Resource::Dashboard { name, .. } => write!(f, "dashboard {name}"),
            Resource::Subscription {
                topic,
                protocol,
                endpoint,
                ..
            } => write!(
                f,
                "subscription {topic}/{protocol}:{}",
                crate::redact::endpoint(endpoint)
            ),
            Resource::LambdaPermission {
                function,
                statement_id,
                ..
            } => {
                // The name (and alias) people know; the ARN's other parts are the stack's.
                let name = function
                    .split_once(":function:")
                    .map_or(function.as_str(), |(_, n)| n);
                write!(f, "lambda-permission {name}/{statement_id}")
            }
        }
    }
}

/// What the applier calls to make a change happen, one variant family per AWS service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Operation {
    Ecs(EcsOperation),
    Autoscaling(AutoscalingOperation),
    Alarm(AlarmOperation),
    Topic(TopicOperation),
    Dashboard(DashboardOperation),
    Lambda(LambdaOperation),
}

/// Lambda calls on the statement the change's resource names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum LambdaOperation {
    /// AddPermission: `principal` may invoke the function from `source_arn`.
    #[serde(rename_all = "camelCase")]
    AddPermission {
        principal: String,
        source_arn: String,
    },
    RemovePermission,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum EcsOperation {
    /// UpdateService with only `desiredCount` set.
    #[serde(rename_all = "camelCase")]
    SetDesiredCount { count: u32 },
    /// TagResource on the service (its other tags are kept).
    #[serde(rename_all = "camelCase")]
    TagService {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// UntagResource on the service.
    #[serde(rename_all = "camelCase")]
    UntagService { arn: String, keys: Vec<String> },
    /// TagResource on the cluster (its other tags are kept).
    #[serde(rename_all = "camelCase")]
    TagCluster {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    /// UntagResource on the cluster.
    #[serde(rename_all = "camelCase")]
    UntagCluster { arn: String, keys: Vec<String> },
    /// UpdateCluster with only the `containerInsights` setting (`enabled`, `enhanced`,
    /// `disabled`).
    #[serde(rename_all = "camelCase")]
    SetContainerInsights { value: String },
}

/// Application Auto Scaling calls; the target, policy or action is named by the
/// change's `resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum AutoscalingOperation {
    /// RegisterScalableTarget: creates the target or updates it in place.
    #[serde(rename_all = "camelCase")]
    RegisterScalableTarget {
        min: u32,
        max: u32,
        suspended: SuspendedState,
    },
    DeregisterScalableTarget,
    PutScalingPolicy {
        policy: ScalingPolicy,
    },
    DeleteScalingPolicy,
    PutScheduledAction {
        action: ScheduledAction,
    },
    DeleteScheduledAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub stack: String,
    pub resource: Resource,
    /// The event reason once applied (DesiredChanged, DriftCorrected, Created, Updated,
    /// Pruned, Adopted, ...; `plan/evidence.rs` decides between the first two).
    pub reason: Reason,
    /// What the change does, as a verb phrase: "set desiredCount to 2".
    pub summary: String,
    pub diff: Vec<FieldDiff>,
    pub operation: Operation,
    /// Changes with the same group are applied one after another, in plan order, and
    /// the rest of a group is skipped when one fails (e.g. ownership tag before the
    /// scalable target it covers). Different groups run concurrently.
    pub group: String,
    /// Another group this change waits for: the applier runs every group named here
    /// before the groups that name it, and skips this change (and the rest of its group)
    /// unless that group succeeded in full. A cluster's stack tag, one per cluster and
    /// pass, before the claims it makes findable (`cluster_tags.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Something the pass noticed and will not change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub stack: String,
    pub resource: Option<Resource>,
    pub kind: EventType,
    pub reason: Reason,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
}

/// CloudWatch calls; the alarm is named by the change's resource.
// The variants are named as they are printed (`"op": "putAlarm"`): renaming them would
// change the JSON output.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum AlarmOperation {
    /// PutMetricAlarm (or PutCompositeAlarm): every field, the description with the
    /// marker; `tags` only when creating. Actions that are not ARNs are resolved when
    /// applied: `scaling-policy:…` placeholders are step-scaling policies created in this
    /// pass (`alarm_policies`), anything else a topic name whose ARN was unknown when
    /// planning.
    #[serde(rename_all = "camelCase")]
    PutAlarm {
        spec: Box<AlarmSpec>,
        description: String,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        tags: BTreeMap<String, String>,
    },
    /// TagResource (adoption).
    #[serde(rename_all = "camelCase")]
    TagAlarm {
        arn: String,
        tags: BTreeMap<String, String>,
    },
    DeleteAlarm,
}

/// SNS calls. `topic_arn: None`: the topic is created earlier in the same group, its ARN
/// is looked up when applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum TopicOperation {
    #[serde(rename_all = "camelCase")]
    CreateTopic {
        settings: TopicSettings,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename_all = "camelCase")]
    SetTopicAttribute {
        arn: String,
        attribute: String,
        value: String,
    },
    #[serde(rename_all = "camelCase")]
    TagTopic {
        topic_arn: Option<String>,
        tags: BTreeMap<String, String>,
    },
    #[serde(rename_all = "camelCase")]
    DeleteTopic { arn: String },
    #[serde(rename_all = "camelCase")]
    Subscribe {
        topic_arn: Option<String>,
        settings: SubscriptionSettings,
    },
    #[serde(rename_all = "camelCase")]
    SetSubscriptionAttribute {
        #[serde(serialize_with = "crate::redact::serialize_subscription_arn")]
        arn: String,
        attribute: String,
        value: String,
    },
    #[serde(rename_all = "camelCase")]
    Unsubscribe {
        #[serde(serialize_with = "crate::redact::serialize_subscription_arn")]
        arn: String,
    },
}

/// CloudWatch dashboard calls; the dashboard is named by the change's resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum DashboardOperation {
    /// PutDashboard with the whole body, mooring's marker widget last.
    #[serde(rename_all = "camelCase")]
    PutDashboard { body: String },
    /// DeleteDashboards of this one dashboard.
    DeleteDashboard,
}

/// Apply groups: changes with the same group run one after another, in plan order; groups
/// run concurrently. A service's changes (its tags, scalable target, policies, actions and
/// count) form one group, so that e.g. the wake count is written before anything scales
/// down.
pub(crate) fn service_group(region: &str, cluster: &str, service: &str) -> String {
    format!("{region}/{cluster}/{service}")
}

/// A cluster's own changes when no service's group carries them (a stack tag written
/// for services claimed before cluster tags existed, or removed once the stack left).
pub(crate) fn cluster_group(region: &str, cluster: &str) -> String {
    format!("cluster:{region}:{cluster}")
}

/// A cluster's Container Insights setting and its record: apart from `cluster_group`, which
/// claims wait for (`Change::after`), so a failed setting never holds a claim back.
pub(crate) fn container_insights_group(region: &str, cluster: &str) -> String {
    format!("container-insights:{region}:{cluster}")
}

/// A topic's changes, and those of alarms that wait for its creation.
pub(crate) fn topic_group(region: &str, topic: &str) -> String {
    format!("topic:{region}:{topic}")
}

/// The policy statements of one Lambda function: one after another, since concurrent
/// edits of one policy conflict (its revision changes with each).
pub(crate) fn lambda_group(region: &str, function: &str) -> String {
    format!("lambda:{region}:{function}")
}

/// An alarm that waits for nothing.
pub(crate) fn alarm_group(region: &str, alarm: &str) -> String {
    format!("alarm:{region}:{alarm}")
}

/// A dashboard's changes: it waits for nothing (alarm widgets name alarms by ARN, which
/// CloudWatch accepts before the alarm exists).
pub(crate) fn dashboard_group(region: &str, dashboard: &str) -> String {
    format!("dashboard:{region}:{dashboard}")
}

impl Resource {
    /// An ECS service, by region, cluster and name.
    pub(crate) fn ecs_service(region: &str, cluster: &str, service: &str) -> Self {
        Resource::EcsService {
            region: region.to_owned(),
            cluster: cluster.to_owned(),
            service: service.to_owned(),
        }
    }
}

impl Notice {
    /// A Warning about `resource` (`None`: about the whole stack).
    pub(crate) fn warning(
        stack: &str,
        resource: Option<Resource>,
        reason: Reason,
        message: String,
    ) -> Self {
        Notice {
            stack: stack.to_owned(),
            resource,
            kind: EventType::Warning,
            reason,
            message,
            diff: Vec::new(),
        }
    }
}
