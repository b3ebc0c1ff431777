//! Reads: scalable targets, then (unless a schedule-only pass) the namespace's policies and
//! scheduled actions, as `observed::autoscaling` types; and one policy's ARN.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_applicationautoscaling::types as sdk;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::calls::{
    call_failed, non_negative, to_chrono, AutoscalingError, MAX_PAGES, PAGE_SIZE, TARGETS_PER_CALL,
};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy, TrackedMetric,
};

/// The scalable targets of `resource_ids` (ECS `service/cluster/name`), with their
/// policies and scheduled actions unless `with_policies` is false (a schedule-only pass:
/// the targets' own settings only). Ids without a target are absent from the map.
pub async fn observe_targets(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_ids: &[String],
    concurrency: usize,
    with_policies: bool,
) -> Result<BTreeMap<String, ScalableTarget>, AutoscalingError> {
    let batches: Vec<Vec<(String, ScalableTarget)>> =
        stream::iter(resource_ids.chunks(TARGETS_PER_CALL))
            .map(|batch| describe_targets(client, batch))
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
    let mut targets: BTreeMap<String, ScalableTarget> = batches.into_iter().flatten().collect();
    if targets.is_empty() || !with_policies {
        return Ok(targets);
    }
    let keep: BTreeSet<String> = targets.keys().cloned().collect();
    let (policies, actions) = futures::try_join!(
        describe_policies(client, &keep),
        describe_scheduled_actions(client, &keep),
    )?;
    for (resource_id, name, policy, arn) in policies {
        if let Some(target) = targets.get_mut(&resource_id) {
            target.policy_arns.insert(name.clone(), arn);
            target.policies.insert(name, policy);
        }
    }
    for (resource_id, name, action) in actions {
        if let Some(target) = targets.get_mut(&resource_id) {
            target.scheduled_actions.insert(name, action);
        }
    }
    Ok(targets)
}

async fn describe_targets(
    client: &aws_sdk_applicationautoscaling::Client,
    batch: &[String],
) -> Result<Vec<(String, ScalableTarget)>, AutoscalingError> {
    let wanted: BTreeSet<&str> = batch.iter().map(String::as_str).collect();
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let output = client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_resource_ids(Some(batch.to_vec()))
            .max_results(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AutoscalingError::DescribeTargets {
                resource_ids: describe_batch(batch),
                source: e.into(),
            })?;
        for target in output.scalable_targets() {
            if wanted.contains(target.resource_id()) {
                found.push((target.resource_id().to_owned(), observed_target(target)));
            }
        }
        match output.next_token() {
            // A batch of 50 ids has at most 50 targets (one dimension): one page. A
            // repeated token would mean the endpoint is not paging at all.
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => return Ok(found),
        }
    }
    Err(AutoscalingError::EndlessPaging {
        operation: "DescribeScalableTargets",
    })
}

fn describe_batch(batch: &[String]) -> String {
    match batch {
        [] => "(none)".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

fn observed_target(target: &sdk::ScalableTarget) -> ScalableTarget {
    let suspended = target
        .suspended_state()
        .map_or_else(SuspendedState::default, |s| SuspendedState {
            dynamic_scaling_in_suspended: s.dynamic_scaling_in_suspended().unwrap_or(false),
            dynamic_scaling_out_suspended: s.dynamic_scaling_out_suspended().unwrap_or(false),
            scheduled_scaling_suspended: s.scheduled_scaling_suspended().unwrap_or(false),
        });
    ScalableTarget {
        min: non_negative(target.min_capacity()),
        max: non_negative(target.max_capacity()),
        suspended,
        policies: BTreeMap::new(),
        scheduled_actions: BTreeMap::new(),
        policy_arns: BTreeMap::new(),
    }
}

/// Every ECS scaling policy of the region, paged, kept when its target is in `keep`.
async fn describe_policies(
    client: &aws_sdk_applicationautoscaling::Client,
    keep: &BTreeSet<String>,
) -> Result<Vec<(String, String, ScalingPolicy, String)>, AutoscalingError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let output = client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .max_results(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AutoscalingError::DescribePolicies { source: e.into() })?;
        for policy in output.scaling_policies() {
            if policy.scalable_dimension() == &ScalableDimension::EcsServiceDesiredCount
                && keep.contains(policy.resource_id())
            {
                found.push((
                    policy.resource_id().to_owned(),
                    policy.policy_name().to_owned(),
                    observed_policy(policy),
                    policy.policy_arn().to_owned(),
                ));
            }
        }
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => return Ok(found),
        }
    }
    Err(AutoscalingError::EndlessPaging {
        operation: "DescribeScalingPolicies",
    })
}

fn observed_policy(policy: &sdk::ScalingPolicy) -> ScalingPolicy {
    if let Some(config) = policy.target_tracking_scaling_policy_configuration() {
        let metric = match (
            config.predefined_metric_specification(),
            config.customized_metric_specification(),
        ) {
            (Some(predefined), _) => TrackedMetric::Predefined {
                predefined_metric_type: predefined.predefined_metric_type().as_str().to_owned(),
                resource_label: predefined.resource_label().map(str::to_owned),
            },
            // Metric math (`metrics`) is not declarable: it reads as an empty metric,
            // which differs from any declared one and is replaced.
            (None, Some(custom)) => TrackedMetric::Customized {
                namespace: custom.namespace().unwrap_or_default().to_owned(),
                metric_name: custom.metric_name().unwrap_or_default().to_owned(),
                dimensions: custom
                    .dimensions()
                    .iter()
                    .map(|d| (d.name().to_owned(), d.value().to_owned()))
                    .collect(),
                statistic: custom
                    .statistic()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            },
            (None, None) => TrackedMetric::Predefined {
                predefined_metric_type: String::new(),
                resource_label: None,
            },
        };
        return ScalingPolicy::TargetTracking(TargetTrackingPolicy {
            metric,
            target_value: config.target_value(),
            scale_in_cooldown: config
                .scale_in_cooldown()
                .and_then(|c| u32::try_from(c).ok()),
            scale_out_cooldown: config
                .scale_out_cooldown()
                .and_then(|c| u32::try_from(c).ok()),
            disable_scale_in: config.disable_scale_in().unwrap_or(false),
        });
    }
    if let Some(config) = policy.step_scaling_policy_configuration() {
        let mut steps: Vec<StepAdjustment> = config
            .step_adjustments()
            .iter()
            .map(|s| StepAdjustment {
                lower_bound: s.metric_interval_lower_bound(),
                upper_bound: s.metric_interval_upper_bound(),
                scaling_adjustment: s.scaling_adjustment(),
            })
            .collect();
        steps.sort_by(|a, b| {
            let lower = |s: &StepAdjustment| s.lower_bound.unwrap_or(f64::NEG_INFINITY);
            lower(a).total_cmp(&lower(b))
        });
        return ScalingPolicy::StepScaling(StepScalingPolicy {
            adjustment_type: config
                .adjustment_type()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
            cooldown: config.cooldown().and_then(|c| u32::try_from(c).ok()),
            // AWS's default aggregation.
            metric_aggregation_type: config
                .metric_aggregation_type()
                .map_or_else(|| "Average".to_owned(), |m| m.as_str().to_owned()),
            min_adjustment_magnitude: config.min_adjustment_magnitude(),
            steps,
        });
    }
    ScalingPolicy::Other {
        policy_type: policy.policy_type().as_str().to_owned(),
    }
}

/// Every ECS scheduled action of the region, paged, kept when its target is in `keep`.
async fn describe_scheduled_actions(
    client: &aws_sdk_applicationautoscaling::Client,
    keep: &BTreeSet<String>,
) -> Result<Vec<(String, String, ScheduledAction)>, AutoscalingError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let output = client
            .describe_scheduled_actions()
            .service_namespace(ServiceNamespace::Ecs)
            .max_results(PAGE_SIZE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AutoscalingError::DescribeScheduledActions { source: e.into() })?;
        for action in output.scheduled_actions() {
            let dimension_ok = action
                .scalable_dimension()
                .is_none_or(|d| d == &ScalableDimension::EcsServiceDesiredCount);
            if dimension_ok && keep.contains(action.resource_id()) {
                found.push((
                    action.resource_id().to_owned(),
                    action.scheduled_action_name().to_owned(),
                    observed_action(action),
                ));
            }
        }
        match output.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned());
            }
            _ => return Ok(found),
        }
    }
    Err(AutoscalingError::EndlessPaging {
        operation: "DescribeScheduledActions",
    })
}

fn observed_action(action: &sdk::ScheduledAction) -> ScheduledAction {
    let capacity = action.scalable_target_action();
    ScheduledAction {
        schedule: action.schedule().to_owned(),
        // AWS reads an absent zone as UTC.
        timezone: action.timezone().unwrap_or("UTC").to_owned(),
        min: capacity
            .and_then(|c| c.min_capacity())
            .and_then(|c| u32::try_from(c).ok()),
        max: capacity
            .and_then(|c| c.max_capacity())
            .and_then(|c| u32::try_from(c).ok()),
        start: action.start_time().and_then(to_chrono),
        end: action.end_time().and_then(to_chrono),
    }
}

/// The ARN of one scaling policy, for an alarm whose action is a policy created earlier
/// in the same pass (`plan::alarm_policies`). One DescribeScalingPolicies call: asked by
/// resource and name, then matched exactly (moto matches `ResourceId` as a substring and
/// ignores `PolicyNames`).
pub async fn policy_arn(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
) -> Result<String, AutoscalingError> {
    let output = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .policy_names(name)
        .send()
        .await
        .map_err(|e| {
            call_failed(
                "DescribeScalingPolicies",
                format!("{resource_id}/{name}"),
                e,
            )
        })?;
    output
        .scaling_policies()
        .iter()
        .find(|p| p.resource_id() == resource_id && p.policy_name() == name)
        .map(|p| p.policy_arn().to_owned())
        .ok_or_else(|| AutoscalingError::PolicyNotFound {
            resource_id: resource_id.to_owned(),
            policy: name.to_owned(),
        })
}
