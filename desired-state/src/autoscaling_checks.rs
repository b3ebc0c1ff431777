//! Pass-2 checks of a service's `autoscaling`: the range, target-tracking and step-scaling
//! policies, scheduled actions.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::alarm_checks::{check_metric, duration_at, ServiceScope};
use crate::autoscaling::{
    AdjustmentType, Autoscaling, PredefinedMetric, ScheduledAction, Step, StepScaling, Suspended,
    TargetTracking, TrackedMetric,
};
use crate::raw::{RawAutoscaling, RawScheduledAction, RawStepScaling, RawTargetTracking};
use crate::report::{count, Report};
use crate::schedule::{check_aws_schedule, parse_timezone};
use crate::span::At;

pub fn check_autoscaling(
    report: &mut Report<'_>,
    raw: &At<RawAutoscaling>,
    service: ServiceScope<'_>,
    stack_tz: Option<Tz>,
) -> Option<Autoscaling> {
    let errors_before = report.count();
    let scaling = &raw.value;
    let min = count(report, &scaling.min, "autoscaling min");
    let max = count(report, &scaling.max, "autoscaling max");
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            report.error(
                scaling.min.loc,
                format!(
                    "autoscaling min ({min}) is greater than max ({max}): expected 0 <= min <= max"
                ),
            );
        }
    }
    let mut target_tracking = BTreeMap::new();
    for (name, policy) in scaling.target_tracking.iter() {
        if let Some(policy) = check_target_tracking(report, name, policy, service) {
            target_tracking.insert(name.value.clone(), policy);
        }
    }
    let mut step_scaling = BTreeMap::new();
    for (name, policy) in scaling.step_scaling.iter() {
        if let Some(policy) = check_step_scaling(report, name, policy) {
            step_scaling.insert(name.value.clone(), policy);
        }
    }
    let mut scheduled_actions = BTreeMap::new();
    for (name, action) in scaling.scheduled_actions.iter() {
        if let Some(action) = check_scheduled_action(report, name, action, stack_tz) {
            scheduled_actions.insert(name.value.clone(), action);
        }
    }
    for name in scaling
        .target_tracking
        .iter()
        .map(|(n, _)| n)
        .chain(scaling.step_scaling.iter().map(|(n, _)| n))
        .chain(scaling.scheduled_actions.iter().map(|(n, _)| n))
    {
        check_policy_name(report, name);
    }
    for (name, _) in scaling.step_scaling.iter() {
        if scaling
            .target_tracking
            .iter()
            .any(|(other, _)| other.value == name.value)
        {
            report.error(name.loc, format!(
                "duplicate policy name `{}`: target-tracking and step-scaling policies of a service share one namespace",
                name.value
            ));
        }
    }
    if report.count() != errors_before {
        return None;
    }
    Some(Autoscaling {
        min: min?,
        max: max?,
        target_tracking,
        step_scaling,
        scheduled_actions,
        suspended: Suspended {
            dynamic_scaling_in: scaling.suspended.dynamic_scaling_in,
            dynamic_scaling_out: scaling.suspended.dynamic_scaling_out,
            scheduled_scaling: scaling.suspended.scheduled_scaling,
        },
    })
}

fn check_policy_name(report: &mut Report<'_>, name: &At<String>) {
    let text = &name.value;
    let valid = !text.is_empty()
        && text.len() <= 255
        && text
            .chars()
            .all(|c| c.is_ascii_graphic() && c != ':' && c != '/');
    if !valid {
        report.error(
            name.loc,
            format!(
            "invalid name `{}`: expected 1 to 255 printable characters without spaces, `:` or `/`",
            text.escape_debug()
        ),
        );
    }
}

fn check_target_tracking(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawTargetTracking,
    service: ServiceScope<'_>,
) -> Option<TargetTracking> {
    let policy = &name.value;
    let metric = match (&raw.metric, &raw.custom_metric) {
        (Some(metric), None) => {
            match (metric.value, &raw.resource_label) {
                (PredefinedMetric::AlbRequestCountPerTarget, None) => {
                    report.error(metric.loc, format!(
                        "target-tracking policy `{policy}` uses ALBRequestCountPerTarget but has no `resourceLabel` (app/<alb>/<id>/targetgroup/<tg>/<id>)"
                    ));
                }
                (PredefinedMetric::AlbRequestCountPerTarget, Some(label))
                    if !label.value.starts_with("app/")
                        || !label.value.contains("/targetgroup/") =>
                {
                    report.error(label.loc, format!(
                        "invalid resourceLabel `{}`: expected app/<alb-name>/<alb-id>/targetgroup/<tg-name>/<tg-id>",
                        label.value
                    ));
                }
                (PredefinedMetric::AlbRequestCountPerTarget, Some(_)) => {}
                (_, Some(label)) => report.error(
                    label.loc,
                    format!(
                    "`resourceLabel` only applies to ALBRequestCountPerTarget (policy `{policy}`)"
                ),
                ),
                (_, None) => {}
            }
            Some(TrackedMetric::Predefined {
                metric: metric.value,
                resource_label: raw.resource_label.as_ref().map(|l| l.value.clone()),
            })
        }
        (None, Some(custom)) => {
            check_metric(report, &custom.value, Some(service)).map(TrackedMetric::Custom)
        }
        (None, None) => {
            report.error(name.loc, format!(
                "target-tracking policy `{policy}` has no metric: give `metric` (e.g. ECSServiceAverageCPUUtilization) or `customMetric`"
            ));
            None
        }
        (Some(metric), Some(_)) => {
            report.error(
                metric.loc,
                format!(
                "target-tracking policy `{policy}` has both `metric` and `customMetric`: give one"
            ),
            );
            None
        }
    };
    let target = if raw.target.value.is_finite() && raw.target.value > 0.0 {
        Some(raw.target.value)
    } else {
        report.error(
            raw.target.loc,
            format!(
                "target of policy `{policy}` must be a number greater than 0, found {}",
                raw.target.value
            ),
        );
        None
    };
    let scale_in = raw
        .scale_in_cooldown
        .as_ref()
        .map(|d| duration_at(report, d));
    let scale_out = raw
        .scale_out_cooldown
        .as_ref()
        .map(|d| duration_at(report, d));
    Some(TargetTracking {
        metric: metric?,
        target: target?,
        scale_in_cooldown: scale_in.map(|d| d.ok_or(())).transpose().ok()?,
        scale_out_cooldown: scale_out.map(|d| d.ok_or(())).transpose().ok()?,
        disable_scale_in: raw.disable_scale_in,
    })
}

fn check_step_scaling(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawStepScaling,
) -> Option<StepScaling> {
    let policy = &name.value;
    let errors_before = report.count();
    let cooldown = raw.cooldown.as_ref().map(|d| duration_at(report, d));
    if raw.steps.value.is_empty() {
        report.error(
            raw.steps.loc,
            format!("step-scaling policy `{policy}` has no steps"),
        );
    }
    let mut steps = Vec::new();
    for step in &raw.steps.value {
        let s = &step.value;
        if let (Some(lower), Some(upper)) = (s.lower, s.upper) {
            if lower >= upper {
                report.error(
                    step.loc,
                    format!("step lower bound {lower} is not below its upper bound {upper}"),
                );
            }
        }
        let adjustment = match i32::try_from(s.adjustment) {
            Ok(a) if raw.adjustment_type != AdjustmentType::ExactCapacity || a >= 0 => Some(a),
            _ => {
                report.error(
                    step.loc,
                    format!("step adjustment {} is out of range", s.adjustment),
                );
                None
            }
        };
        if let Some(adjustment) = adjustment {
            steps.push((
                step.loc,
                Step {
                    lower: s.lower,
                    upper: s.upper,
                    adjustment,
                },
            ));
        }
    }
    steps.sort_by(|a, b| {
        let key = |s: &Step| s.lower.unwrap_or(f64::NEG_INFINITY);
        key(&a.1).total_cmp(&key(&b.1))
    });
    for pair in steps.windows(2) {
        let (prev, next) = (&pair[0].1, &pair[1].1);
        match (prev.upper, next.lower) {
            (Some(upper), Some(lower)) if upper == lower => {}
            (Some(upper), Some(lower)) if upper > lower => {
                report.error(pair[1].0, format!("steps of policy `{policy}` overlap: {lower} is below the previous upper bound {upper}"));
            }
            (upper, lower) => {
                report.error(pair[1].0, format!(
                    "steps of policy `{policy}` leave a gap or overlap: the previous step ends at {} and this one starts at {}; AWS needs adjacent steps",
                    upper.map_or("+infinity".to_owned(), |u| u.to_string()),
                    lower.map_or("-infinity".to_owned(), |l| l.to_string())
                ));
            }
        }
    }
    let magnitude = match &raw.min_adjustment_magnitude {
        Some(m) => match i32::try_from(m.value) {
            Ok(v) if v >= 1 && raw.adjustment_type == AdjustmentType::PercentChangeInCapacity => {
                Some(v)
            }
            Ok(v) if v >= 1 => {
                report.error(m.loc, "`minAdjustmentMagnitude` only applies with `adjustmentType: PercentChangeInCapacity`");
                Some(v)
            }
            _ => {
                report.error(
                    m.loc,
                    format!(
                        "`minAdjustmentMagnitude` must be at least 1, found {}",
                        m.value
                    ),
                );
                None
            }
        },
        None => None,
    };
    if report.count() != errors_before {
        return None;
    }
    Some(StepScaling {
        adjustment_type: raw.adjustment_type,
        cooldown: cooldown.flatten(),
        metric_aggregation_type: raw.metric_aggregation_type.unwrap_or_default(),
        min_adjustment_magnitude: magnitude,
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        alarm: raw.alarm.as_ref().map(|a| a.value.clone()),
    })
}

fn check_scheduled_action(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawScheduledAction,
    stack_tz: Option<Tz>,
) -> Option<ScheduledAction> {
    let action = &name.value;
    let errors_before = report.count();
    if let Err(err) = check_aws_schedule(raw.schedule.value.trim()) {
        report.error(raw.schedule.loc, err);
    }
    let timezone = match &raw.timezone {
        Some(tz) => parse_timezone(&tz.value)
            .map_err(|err| report.error(tz.loc, err))
            .ok(),
        None => Some(stack_tz.unwrap_or(chrono_tz::UTC)),
    };
    let min = raw
        .min
        .as_ref()
        .and_then(|m| count(report, m, "scheduled action min"));
    let max = raw
        .max
        .as_ref()
        .and_then(|m| count(report, m, "scheduled action max"));
    if raw.min.is_none() && raw.max.is_none() {
        report.error(
            name.loc,
            format!("scheduled action `{action}` sets neither `min` nor `max`"),
        );
    }
    if let (Some(min), Some(max), Some(at)) = (min, max, &raw.min) {
        if min > max {
            report.error(
                at.loc,
                format!("scheduled action `{action}`: min ({min}) is greater than max ({max}): expected min <= max"),
            );
        }
    }
    let mut time = |value: &Option<At<String>>, field: &str| {
        value.as_ref().and_then(|v| {
            NaiveDateTime::parse_from_str(v.value.trim(), "%Y-%m-%dT%H:%M:%S")
                .map_err(|_| {
                    report.error(
                        v.loc,
                        format!(
                            "invalid `{field}` `{}`: expected yyyy-mm-ddThh:mm:ss",
                            v.value
                        ),
                    )
                })
                .ok()
        })
    };
    let start = time(&raw.start, "start");
    let end = time(&raw.end, "end");
    if let (Some(start), Some(end), Some(at)) = (start, end, &raw.end) {
        if end <= start {
            report.error(
                at.loc,
                format!("scheduled action `{action}` ends before it starts"),
            );
        }
    }
    if report.count() != errors_before {
        return None;
    }
    Some(ScheduledAction {
        schedule: raw.schedule.value.trim().to_owned(),
        timezone: timezone?,
        min,
        max,
        start,
        end,
    })
}
