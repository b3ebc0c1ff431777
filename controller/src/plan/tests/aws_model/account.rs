//! The modelled account's state: what the property tests' AWS holds, and how its ARNs
//! are made. The behaviour (`apply`, `observe`) is in mod.rs, scaling.rs and alerting.rs.

use std::collections::BTreeMap;

use crate::observed::alerting::{ObservedSubscription, TopicSettings};
use crate::observed::autoscaling::ScalableTarget;
use crate::observed::ServiceKey;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// How this account's AWS behaves where real AWS and the emulator differ.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// AWS reports a cooldown it applied by default (300 s) for a policy sent without one.
    pub fills_default_cooldowns: bool,
    /// Registering a target whose range excludes the current count moves the count into it.
    pub clamps_count_on_register: bool,
    /// Email and http(s) subscriptions wait for confirmation (no ARN) instead of moto's
    /// instant confirmation.
    pub email_needs_confirmation: bool,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub desired_count: u32,
    pub tags: BTreeMap<String, String>,
    pub target: Option<ScalableTarget>,
    /// The target cannot be read (a failed DescribeScalableTargets).
    pub target_unreadable: bool,
}

#[derive(Debug, Clone)]
pub struct Alarm {
    pub spec: crate::observed::alerting::AlarmSpec,
    /// The full description as stored (declared text plus mooring's marker, if any).
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub settings: TopicSettings,
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<ObservedSubscription>,
}

/// One region of one account, as AWS holds it.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub behaviour: Behaviour,
    /// Keyed by (cluster, name); absent services do not exist.
    pub services: BTreeMap<ServiceKey, Service>,
    pub alarms: BTreeMap<String, Alarm>,
    pub topics: BTreeMap<String, Topic>,
    /// Dashboard bodies by name (dashboards take no tags).
    pub dashboards: BTreeMap<String, serde_json::Value>,
    /// The tags of ECS clusters, by cluster name (a cluster exists for every name used).
    pub cluster_tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Container Insights by cluster name; absent: the cluster reports no setting. The
    /// cluster `generate::GONE_CLUSTER` does not exist.
    pub cluster_insights: BTreeMap<String, String>,
    /// Counts subscription ARNs, so every subscription gets its own.
    pub next_id: u64,
    /// Lambda functions that exist, by ARN, with their policy statements.
    pub functions: BTreeMap<String, Vec<crate::observed::lambda::PermissionStatement>>,
}

/// Tags as a map, for the drift generators.
pub fn alerting_tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn service_arn(key: &ServiceKey) -> String {
    format!(
        "arn:aws:ecs:{REGION}:{ACCOUNT}:service/{}/{}",
        key.cluster, key.name
    )
}

pub fn cluster_arn(cluster: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}")
}

pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

/// A step-scaling policy's ARN: `id` stands in for the UUID AWS makes up.
pub fn policy_arn(id: u64, cluster: &str, service: &str, policy: &str) -> String {
    format!("arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:{id:08x}-0000-4000-8000-000000000000:resource/ecs/service/{cluster}/{service}:policyName/{policy}")
}

pub fn alarm_arn(name: &str) -> String {
    format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}")
}
