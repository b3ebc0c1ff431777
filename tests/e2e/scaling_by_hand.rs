//! Application Auto Scaling as a person in the console (or another tool) changes it, and
//! reads of what is there, for the autoscaling end-to-end tests.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalingPolicy,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};

use crate::fixtures::*;

pub const REGION: &str = "us-east-1";

pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// (min, max) of the service's scalable target, if one is registered.
pub async fn target_of(region: &str, cluster: &str, service: &str) -> Option<(i32, i32)> {
    let id = resource_id(cluster, service);
    let output = autoscaling(region)
        .await
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing target {id}: {e:?}"));
    output
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == id)
        .map(|t| (t.min_capacity(), t.max_capacity()))
}

/// The service's scaling policies as Application Auto Scaling has them.
pub async fn scaling_policies(region: &str, cluster: &str, service: &str) -> Vec<ScalingPolicy> {
    let id = resource_id(cluster, service);
    let output = autoscaling(region)
        .await
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing policies of {id}: {e:?}"));
    output
        .scaling_policies()
        .iter()
        // moto matches ResourceId as a substring; keep the exact id only.
        .filter(|p| p.resource_id() == id)
        .cloned()
        .collect()
}

/// Policy name → target value (0 for non-target-tracking policies).
pub async fn policies_of(region: &str, cluster: &str, service: &str) -> BTreeMap<String, f64> {
    scaling_policies(region, cluster, service)
        .await
        .iter()
        .map(|p| {
            let target = p
                .target_tracking_scaling_policy_configuration()
                .map_or(0.0, |c| c.target_value());
            (p.policy_name().to_owned(), target)
        })
        .collect()
}

pub async fn actions_of(region: &str, cluster: &str, service: &str) -> Vec<String> {
    let id = resource_id(cluster, service);
    let output = autoscaling(region)
        .await
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing actions of {id}: {e:?}"));
    output
        .scheduled_actions()
        .iter()
        .map(|a| a.scheduled_action_name().to_owned())
        .collect()
}

/// Someone registers (or edits) a scalable target in the console.
pub async fn register_by_hand(cluster: &str, service: &str, min: i32, max: i32) {
    autoscaling(REGION)
        .await
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .unwrap_or_else(|e| panic!("registering {cluster}/{service}: {e:?}"));
}

pub async fn put_cpu_policy_by_hand(cluster: &str, service: &str, name: &str, target: f64) {
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(target)
        .predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    autoscaling(REGION)
        .await
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .policy_name(name)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting policy {name}: {e:?}"));
}

pub async fn delete_policy_by_hand(cluster: &str, service: &str, name: &str) {
    autoscaling(REGION)
        .await
        .delete_scaling_policy()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .policy_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting policy {name}: {e:?}"));
}

pub async fn delete_action_by_hand(cluster: &str, service: &str, name: &str) {
    autoscaling(REGION)
        .await
        .delete_scheduled_action()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .scheduled_action_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting action {name}: {e:?}"));
}

/// Every ECS scaling policy or scheduled action in a region (the namespace-wide count
/// that bounds mooring's paged reads).
pub async fn namespace_size(region: &str) -> (usize, usize) {
    let client = autoscaling(region).await;
    let mut policies = 0;
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .max_results(50)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        policies += page.scaling_policies().len();
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    let actions = client
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .scheduled_actions()
        .len();
    (policies, actions)
}
