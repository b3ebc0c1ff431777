//! The document `mooring init` writes, as plain types: what `build.rs` decided (every
//! `None` a default left out, every comment a reason) and `emit.rs` spells.

use std::collections::BTreeMap;

use crate::observed::alerting::{AlarmSpec, ObservedSubscription, TopicSettings};
use crate::observed::autoscaling::{StepAdjustment, TargetTrackingPolicy};

/// How a resource is written: taken over on the first apply, already this stack's, or
/// only watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Management {
    /// Already tagged for this stack: nothing to write.
    Owned,
    /// Not tagged yet: `adopt: true`.
    Adopt,
    /// `management: observe`, with the comment that says why (none for `--observe`).
    Observe(Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub stack: String,
    pub region: String,
    pub account: Option<String>,
    pub topics: BTreeMap<String, TopicDoc>,
    /// Sorted by cluster, then name.
    pub services: Vec<ServiceDoc>,
    /// Alarms not tied to one service.
    pub alarms: BTreeMap<String, AlarmDoc>,
    pub left_out: LeftOut,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDoc {
    pub cluster: String,
    pub name: String,
    /// Written only without autoscaling (with it, the autoscaler owns the count).
    pub desired_count: Option<u32>,
    pub autoscaling: Option<AutoscalingDoc>,
    pub alarms: BTreeMap<String, AlarmDoc>,
    pub management: Management,
    /// Comments on the alarms of this service left out, so a reviewer sees them where
    /// they would be.
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutoscalingDoc {
    pub min: u32,
    pub max: u32,
    /// The `suspended` flags that are on (all default to off).
    pub suspended: Vec<&'static str>,
    pub target_tracking: BTreeMap<String, TargetTrackingPolicy>,
    pub step_scaling: BTreeMap<String, StepDoc>,
    pub scheduled_actions: BTreeMap<String, ActionDoc>,
    /// Comments on what could not be written (a policy type the format has no words for).
    pub comments: Vec<String>,
}

/// A step-scaling policy; `None` fields are the format's defaults and are not written.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDoc {
    pub adjustment_type: Option<String>,
    pub cooldown: Option<u32>,
    pub metric_aggregation_type: Option<String>,
    pub min_adjustment_magnitude: Option<i32>,
    pub steps: Vec<StepAdjustment>,
    /// The alarm whose ALARM actions run the policy.
    pub alarm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDoc {
    pub schedule: String,
    /// `None`: UTC, the default when the stack names no zone (init writes none).
    pub timezone: Option<String>,
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// Local time in the action's zone, `YYYY-MM-DDTHH:MM:SS`.
    pub start: Option<String>,
    pub end: Option<String>,
}

/// An alarm as written: `spec` holds only what is written (`None` is a default left
/// out; dimensions the format fills in removed), actions as topic names or ARNs.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDoc {
    pub spec: AlarmSpec,
    pub notify: Vec<String>,
    pub ok_notify: Vec<String>,
    pub insufficient_data_notify: Vec<String>,
    pub management: Management,
    /// Written above the alarm: why an action is an ARN, what was left out.
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicDoc {
    pub settings: TopicSettings,
    /// The user's tags (mooring's own left out).
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<SubscriptionDoc>,
    pub management: Management,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionDoc {
    Written(ObservedSubscription),
    /// The endpoint carries a secret: written as a comment with the secret masked.
    Withheld {
        protocol: String,
        shown: String,
    },
    /// A protocol the format does not manage (application, firehose): a comment.
    Unmanaged {
        protocol: String,
        shown: String,
    },
}

/// What was left out, counted for the summary on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Alarms Application Auto Scaling made for target-tracking policies.
    pub target_tracking_alarms: usize,
    /// Alarms, topics and services of other stacks, by stack.
    pub other_stacks: BTreeMap<String, OtherStack>,
    /// Alarms the format cannot express (anomaly detection, an unknown statistic), and
    /// composite alarms naming an alarm that is not written.
    pub unsupported_alarms: Vec<String>,
    /// `--topic` names that no topic of the region has.
    pub missing_topics: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherStack {
    pub services: usize,
    pub alarms: usize,
    pub topics: usize,
}
