//! Application Auto Scaling adapter for ECS services: scalable targets, scaling policies and
//! scheduled actions in, `observed::autoscaling` types out; and the calls that change them.
//!
//! Read budget for N declared services in one region, T of them with a target, P ECS
//! policies and S ECS scheduled actions in the whole region:
//!
//! - DescribeScalableTargets: ceil(N / 50) calls (50 resource ids per call).
//! - DescribeScalingPolicies and DescribeScheduledActions take one ResourceId per call, so
//!   filtering by resource would cost at least T calls each. Paging the whole `ecs` namespace
//!   (50 per page) and keeping the declared ids costs max(1, ceil(P / 50)) and
//!   max(1, ceil(S / 50)). That is smaller whenever the region holds fewer than 50 policies
//!   (actions) per declared target, i.e. in every account we know of, so the namespace is
//!   paged. Both are skipped when T = 0: without a target there are no policies, and in a
//!   schedule-only pass (sleep and wake only change the target itself).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_applicationautoscaling::error::BuildError;
use aws_sdk_applicationautoscaling::types as sdk;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, StepAdjustment, StepScalingPolicy,
    SuspendedState, TargetTrackingPolicy, TrackedMetric,
};

/// DescribeScalableTargets accepts at most this many resource ids per call.
pub const TARGETS_PER_CALL: usize = 50;
/// The largest page DescribeScalingPolicies and DescribeScheduledActions return.
pub const PAGE_SIZE: i32 = 50;
/// A bound on pages per read, so that an endpoint that keeps answering with a next
/// token (moto's DescribeScalableTargets does, past 100 targets) cannot loop forever.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum AutoscalingError {
    #[error("describing scalable targets {resource_ids} failed")]
    DescribeTargets {
        /// The first id of the batch and how many more.
        resource_ids: String,
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("describing the ecs namespace's scaling policies failed")]
    DescribePolicies {
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("describing the ecs namespace's scheduled actions failed")]
    DescribeScheduledActions {
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("{operation} for {resource_id} failed")]
    Call {
        operation: &'static str,
        /// The scalable target's id, with `/policy` or `/action` appended when it concerns one.
        resource_id: String,
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("building the {operation} request for {resource_id} failed")]
    Build {
        operation: &'static str,
        resource_id: String,
        #[source]
        source: BuildError,
    },
    #[error("scaling policy {policy} of {resource_id} not found: it was to be created earlier in this pass, so its ARN could not be given to the alarm that runs it")]
    PolicyNotFound { resource_id: String, policy: String },
    #[error("paging {operation} did not end after {MAX_PAGES} pages")]
    EndlessPaging { operation: &'static str },
}

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

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

fn to_smithy(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(time.timestamp())
}

/// Registers the target or updates min, max and suspended state in place. All three
/// suspension flags are always sent, so one turned on by hand is turned off again.
pub async fn register_target(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    min: u32,
    max: u32,
    suspended: SuspendedState,
) -> Result<(), AutoscalingError> {
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .min_capacity(to_i32(min))
        .max_capacity(to_i32(max))
        .suspended_state(
            sdk::SuspendedState::builder()
                .dynamic_scaling_in_suspended(suspended.dynamic_scaling_in_suspended)
                .dynamic_scaling_out_suspended(suspended.dynamic_scaling_out_suspended)
                .scheduled_scaling_suspended(suspended.scheduled_scaling_suspended)
                .build(),
        )
        .send()
        .await
        .map_err(|e| call_failed("RegisterScalableTarget", resource_id.to_owned(), e))?;
    Ok(())
}

/// Deregistering a target makes AWS delete its policies and scheduled actions too.
pub async fn deregister_target(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
) -> Result<(), AutoscalingError> {
    client
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .send()
        .await
        .map_err(|e| call_failed("DeregisterScalableTarget", resource_id.to_owned(), e))?;
    Ok(())
}

pub async fn put_policy(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
    policy: &ScalingPolicy,
) -> Result<(), AutoscalingError> {
    let id = format!("{resource_id}/{name}");
    let build_failed = |source| AutoscalingError::Build {
        operation: "PutScalingPolicy",
        resource_id: id.clone(),
        source,
    };
    let request = client
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .policy_name(name);
    let request = match policy {
        ScalingPolicy::TargetTracking(policy) => request
            .policy_type(sdk::PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                target_tracking_config(policy).map_err(build_failed)?,
            ),
        ScalingPolicy::StepScaling(policy) => request
            .policy_type(sdk::PolicyType::StepScaling)
            .step_scaling_policy_configuration(step_config(policy).map_err(build_failed)?),
        // The planner never puts a policy of a type it does not manage.
        ScalingPolicy::Other { policy_type } => {
            request.policy_type(sdk::PolicyType::from(policy_type.as_str()))
        }
    };
    request
        .send()
        .await
        .map_err(|e| call_failed("PutScalingPolicy", id.clone(), e))?;
    Ok(())
}

fn target_tracking_config(
    policy: &TargetTrackingPolicy,
) -> Result<sdk::TargetTrackingScalingPolicyConfiguration, BuildError> {
    let mut config = sdk::TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(policy.target_value)
        .set_scale_in_cooldown(policy.scale_in_cooldown.map(to_i32))
        .set_scale_out_cooldown(policy.scale_out_cooldown.map(to_i32))
        .disable_scale_in(policy.disable_scale_in);
    config = match &policy.metric {
        TrackedMetric::Predefined {
            predefined_metric_type,
            resource_label,
        } => config.predefined_metric_specification(
            sdk::PredefinedMetricSpecification::builder()
                .predefined_metric_type(sdk::MetricType::from(predefined_metric_type.as_str()))
                .set_resource_label(resource_label.clone())
                .build()?,
        ),
        TrackedMetric::Customized {
            namespace,
            metric_name,
            dimensions,
            statistic,
        } => {
            let dimensions = dimensions
                .iter()
                .map(|(name, value)| {
                    sdk::MetricDimension::builder()
                        .name(name)
                        .value(value)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            config.customized_metric_specification(
                sdk::CustomizedMetricSpecification::builder()
                    .namespace(namespace)
                    .metric_name(metric_name)
                    .set_dimensions(Some(dimensions))
                    .statistic(sdk::MetricStatistic::from(statistic.as_str()))
                    .build(),
            )
        }
    };
    config.build()
}

fn step_config(
    policy: &StepScalingPolicy,
) -> Result<sdk::StepScalingPolicyConfiguration, BuildError> {
    let steps = policy
        .steps
        .iter()
        .map(|s| {
            sdk::StepAdjustment::builder()
                .set_metric_interval_lower_bound(s.lower_bound)
                .set_metric_interval_upper_bound(s.upper_bound)
                .scaling_adjustment(s.scaling_adjustment)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::StepScalingPolicyConfiguration::builder()
        .adjustment_type(sdk::AdjustmentType::from(policy.adjustment_type.as_str()))
        .set_cooldown(policy.cooldown.map(to_i32))
        .metric_aggregation_type(sdk::MetricAggregationType::from(
            policy.metric_aggregation_type.as_str(),
        ))
        .set_min_adjustment_magnitude(policy.min_adjustment_magnitude)
        .set_step_adjustments(Some(steps))
        .build())
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

pub async fn delete_policy(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
) -> Result<(), AutoscalingError> {
    client
        .delete_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .policy_name(name)
        .send()
        .await
        .map_err(|e| call_failed("DeleteScalingPolicy", format!("{resource_id}/{name}"), e))?;
    Ok(())
}

pub async fn put_scheduled_action(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
    action: &ScheduledAction,
) -> Result<(), AutoscalingError> {
    client
        .put_scheduled_action()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .scheduled_action_name(name)
        .schedule(&action.schedule)
        .timezone(&action.timezone)
        .set_start_time(action.start.map(to_smithy))
        .set_end_time(action.end.map(to_smithy))
        .scalable_target_action(
            sdk::ScalableTargetAction::builder()
                .set_min_capacity(action.min.map(to_i32))
                .set_max_capacity(action.max.map(to_i32))
                .build(),
        )
        .send()
        .await
        .map_err(|e| call_failed("PutScheduledAction", format!("{resource_id}/{name}"), e))?;
    Ok(())
}

pub async fn delete_scheduled_action(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
) -> Result<(), AutoscalingError> {
    client
        .delete_scheduled_action()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .scheduled_action_name(name)
        .send()
        .await
        .map_err(|e| call_failed("DeleteScheduledAction", format!("{resource_id}/{name}"), e))?;
    Ok(())
}

fn call_failed<E>(operation: &'static str, resource_id: String, error: E) -> AutoscalingError
where
    E: Into<aws_sdk_applicationautoscaling::Error>,
{
    AutoscalingError::Call {
        operation,
        resource_id,
        source: error.into(),
    }
}

/// Counts are validated well below i32::MAX; saturate rather than wrap if one is not.
fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Capacities are i32 on the wire and never negative in practice.
fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
