//! The desired state's autoscaling in the shape AWS reports it, and the digest of that
//! shape recorded on the service after a full apply.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use desired_state::Autoscaling;

use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy, TrackedMetric,
};
use crate::plan::digest::full_digest;

/// The digest recorded in `mooring:autoscaling-hash` (all of SHA-256: a tag has room).
pub(in crate::plan) fn spec_digest(target: &ScalableTarget) -> String {
    full_digest(target)
}

/// The desired state's autoscaling in the shape AWS reports it.
pub(in crate::plan) fn desired_target(autoscaling: &Autoscaling) -> ScalableTarget {
    let mut policies = BTreeMap::new();
    for (name, policy) in &autoscaling.target_tracking {
        let metric = match &policy.metric {
            desired_state::TrackedMetric::Predefined {
                metric,
                resource_label,
            } => TrackedMetric::Predefined {
                predefined_metric_type: metric.as_aws_str().to_owned(),
                resource_label: resource_label.clone(),
            },
            desired_state::TrackedMetric::Custom(query) => TrackedMetric::Customized {
                namespace: query.namespace.clone(),
                metric_name: query.metric.clone(),
                dimensions: query.dimensions.clone(),
                statistic: query.statistic.as_str().to_owned(),
            },
        };
        policies.insert(
            name.clone(),
            ScalingPolicy::TargetTracking(TargetTrackingPolicy {
                metric,
                target_value: policy.target,
                scale_in_cooldown: policy.scale_in_cooldown.map(seconds),
                scale_out_cooldown: policy.scale_out_cooldown.map(seconds),
                disable_scale_in: policy.disable_scale_in,
            }),
        );
    }
    for (name, policy) in &autoscaling.step_scaling {
        policies.insert(
            name.clone(),
            ScalingPolicy::StepScaling(StepScalingPolicy {
                adjustment_type: policy.adjustment_type.as_aws_str().to_owned(),
                cooldown: policy.cooldown.map(seconds),
                metric_aggregation_type: policy.metric_aggregation_type.as_aws_str().to_owned(),
                min_adjustment_magnitude: policy.min_adjustment_magnitude,
                steps: policy
                    .steps
                    .iter()
                    .map(|s| StepAdjustment {
                        lower_bound: s.lower,
                        upper_bound: s.upper,
                        scaling_adjustment: s.adjustment,
                    })
                    .collect(),
            }),
        );
    }
    let scheduled_actions = autoscaling
        .scheduled_actions
        .iter()
        .map(|(name, action)| {
            let instant =
                |local: Option<NaiveDateTime>| local.map(|l| local_to_utc(action.timezone, l));
            (
                name.clone(),
                ScheduledAction {
                    schedule: action.schedule.clone(),
                    timezone: action.timezone.name().to_owned(),
                    min: action.min,
                    max: action.max,
                    start: instant(action.start),
                    end: instant(action.end),
                },
            )
        })
        .collect();
    ScalableTarget {
        min: autoscaling.min,
        max: autoscaling.max,
        suspended: SuspendedState {
            dynamic_scaling_in_suspended: autoscaling.suspended.dynamic_scaling_in,
            dynamic_scaling_out_suspended: autoscaling.suspended.dynamic_scaling_out,
            scheduled_scaling_suspended: autoscaling.suspended.scheduled_scaling,
        },
        policies,
        scheduled_actions,
        policy_arns: BTreeMap::new(),
    }
}

fn seconds(duration: desired_state::Duration) -> u32 {
    u32::try_from(duration.as_secs()).unwrap_or(u32::MAX)
}

/// `start`/`end` are written in the action's zone; AWS takes instants. A time in a
/// skipped hour means the first instant after the gap (docs/architecture.md, "Off-hours"), a repeated hour its
/// first occurrence.
fn local_to_utc(zone: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // A gap is at most a few hours; step forward a minute at a time past it.
    for _ in 0..(24 * 60) {
        if let Some(instant) = zone.from_local_datetime(&probe).earliest() {
            return instant.with_timezone(&Utc);
        }
        probe += chrono::Duration::minutes(1);
    }
    local.and_utc()
}
