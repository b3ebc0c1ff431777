//! Writes: register and deregister targets, put and delete policies and scheduled actions.

use aws_sdk_applicationautoscaling::error::BuildError;
use aws_sdk_applicationautoscaling::types as sdk;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};

use super::calls::{call_failed, to_i32, to_smithy, AutoscalingError};
use crate::observed::autoscaling::{
    ScalingPolicy, ScheduledAction, StepScalingPolicy, SuspendedState, TargetTrackingPolicy,
    TrackedMetric,
};

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
