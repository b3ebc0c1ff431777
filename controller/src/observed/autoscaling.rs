//! Application Auto Scaling as mooring sees it: one scalable target per ECS service with its
//! policies and scheduled actions. The same types describe what was observed and what is
//! sent, so the planner compares like with like and the applier sends exactly what was
//! compared. Field names follow the AWS API; durations are whole seconds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Application Auto Scaling's id of an ECS service's scalable target.
pub fn ecs_resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// What was learnt about a service's scalable target.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TargetObservation {
    /// Not read (the read failed, or the observer was not asked): plan nothing that
    /// depends on it, including `desiredCount` corrections.
    #[default]
    Unknown,
    /// No scalable target is registered for the service.
    Absent,
    Registered(Box<ScalableTarget>),
}

/// A scalable target (`ecs:service:DesiredCount`) with everything that hangs off it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalableTarget {
    pub min: u32,
    pub max: u32,
    pub suspended: SuspendedState,
    /// By policy name. Empty, and not read, in a schedule-only observation
    /// (`ObservedStack::scope`).
    pub policies: BTreeMap<String, ScalingPolicy>,
    /// By action name. Empty, and not read, in a schedule-only observation.
    pub scheduled_actions: BTreeMap<String, ScheduledAction>,
    /// `PolicyARN` by policy name, as DescribeScalingPolicies reports it: what an alarm
    /// names to run a step-scaling policy (`plan::alarm_policies`). Not part of the
    /// compared shape or the recorded digest (AWS makes it up; it is never sent).
    #[serde(skip)]
    pub policy_arns: BTreeMap<String, String>,
}

/// `SuspendedState`; AWS reports all three false when nothing is suspended, and an
/// absent state is read the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedState {
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "policyType")]
pub enum ScalingPolicy {
    #[serde(rename = "TargetTrackingScaling")]
    TargetTracking(TargetTrackingPolicy),
    #[serde(rename = "StepScaling")]
    StepScaling(StepScalingPolicy),
    /// A policy type mooring does not manage (e.g. PredictiveScaling), kept by name so
    /// that it can be pruned but never compared field by field.
    Other { policy_type: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetTrackingPolicy {
    pub metric: TrackedMetric,
    pub target_value: f64,
    /// Seconds; `None` when not set (AWS then applies its default).
    pub scale_in_cooldown: Option<u32>,
    pub scale_out_cooldown: Option<u32>,
    pub disable_scale_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TrackedMetric {
    #[serde(rename_all = "camelCase")]
    Predefined {
        predefined_metric_type: String,
        resource_label: Option<String>,
    },
    /// `CustomizedMetricSpecification` with one metric (no metric math).
    #[serde(rename_all = "camelCase")]
    Customized {
        namespace: String,
        metric_name: String,
        dimensions: BTreeMap<String, String>,
        statistic: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepScalingPolicy {
    pub adjustment_type: String,
    /// Seconds.
    pub cooldown: Option<u32>,
    pub metric_aggregation_type: String,
    pub min_adjustment_magnitude: Option<i32>,
    /// Sorted by lower bound.
    pub steps: Vec<StepAdjustment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepAdjustment {
    /// Relative to the alarm threshold; `None` is minus infinity.
    pub lower_bound: Option<f64>,
    /// `None` is plus infinity.
    pub upper_bound: Option<f64>,
    pub scaling_adjustment: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledAction {
    /// `cron(...)`, `at(...)` or `rate(...)`, as written.
    pub schedule: String,
    /// IANA zone name; an action without one is read as `UTC`, as AWS does.
    pub timezone: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}
