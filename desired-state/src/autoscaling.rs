//! Application Auto Scaling, as validated: the scalable target (min/max), target-tracking and
//! step-scaling policies, scheduled actions. Their pass-2 checks are in `autoscaling_checks`,
//! so that the model, which re-exports these types, does not depend on pass 2.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::alarm::MetricQuery;
use crate::duration::Duration;

/// A validated scalable target with its policies.
#[derive(Clone, Debug, PartialEq)]
pub struct Autoscaling {
    pub min: u32,
    pub max: u32,
    /// By policy name.
    pub target_tracking: BTreeMap<String, TargetTracking>,
    /// By policy name.
    pub step_scaling: BTreeMap<String, StepScaling>,
    /// By action name.
    pub scheduled_actions: BTreeMap<String, ScheduledAction>,
    /// Scaling activities suspended on the target (none by default).
    pub suspended: Suspended,
}

/// Application Auto Scaling's `SuspendedState`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Suspended {
    pub dynamic_scaling_in: bool,
    pub dynamic_scaling_out: bool,
    pub scheduled_scaling: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetTracking {
    pub metric: TrackedMetric,
    pub target: f64,
    pub scale_in_cooldown: Option<Duration>,
    pub scale_out_cooldown: Option<Duration>,
    pub disable_scale_in: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrackedMetric {
    Predefined {
        metric: PredefinedMetric,
        /// Only for `ALBRequestCountPerTarget`.
        resource_label: Option<String>,
    },
    Custom(MetricQuery),
}

/// Application Auto Scaling's predefined metrics for ECS services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PredefinedMetric {
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    EcsServiceAverageCpuUtilization,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    EcsServiceAverageMemoryUtilization,
    #[serde(rename = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

impl PredefinedMetric {
    /// The `PredefinedMetricType` value.
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::EcsServiceAverageCpuUtilization => "ECSServiceAverageCPUUtilization",
            Self::EcsServiceAverageMemoryUtilization => "ECSServiceAverageMemoryUtilization",
            Self::AlbRequestCountPerTarget => "ALBRequestCountPerTarget",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    pub adjustment_type: AdjustmentType,
    pub cooldown: Option<Duration>,
    pub metric_aggregation_type: MetricAggregation,
    pub min_adjustment_magnitude: Option<i32>,
    /// Sorted by lower bound; no overlaps, no gaps.
    pub steps: Vec<Step>,
    /// The alarm whose ALARM state runs the policy (validated to exist).
    pub alarm: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Relative to the alarm threshold; `None` is minus infinity.
    pub lower: Option<f64>,
    /// Relative to the alarm threshold; `None` is plus infinity.
    pub upper: Option<f64>,
    pub adjustment: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, JsonSchema)]
pub enum AdjustmentType {
    #[default]
    ChangeInCapacity,
    PercentChangeInCapacity,
    ExactCapacity,
}

impl AdjustmentType {
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::ChangeInCapacity => "ChangeInCapacity",
            Self::PercentChangeInCapacity => "PercentChangeInCapacity",
            Self::ExactCapacity => "ExactCapacity",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, JsonSchema)]
pub enum MetricAggregation {
    #[default]
    Average,
    Minimum,
    Maximum,
}

impl MetricAggregation {
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Self::Average => "Average",
            Self::Minimum => "Minimum",
            Self::Maximum => "Maximum",
        }
    }
}

/// A scheduled action. `schedule` is the AWS expression exactly as written.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    /// `cron(...)`, `at(...)` or `rate(...)`, checked.
    pub schedule: String,
    /// The action's zone, else the stack's, else UTC.
    pub timezone: Tz,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
}

/// The schedule expression of a scheduled action (kept as a string; see `ScheduledAction`).
pub type ScalingSchedule = String;
