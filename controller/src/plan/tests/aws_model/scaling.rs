//! ECS and Application Auto Scaling on the model account.

use super::account::{cluster_arn, policy_arn, Account, Service};
use crate::observed::autoscaling::{ScalableTarget, ScalingPolicy};
use crate::observed::ServiceKey;
use crate::plan::{AutoscalingOperation, EcsOperation, Resource};

fn service<'a>(account: &'a mut Account, resource: &Resource) -> &'a mut Service {
    let key = match resource {
        Resource::EcsService {
            cluster, service, ..
        }
        | Resource::ScalableTarget {
            cluster, service, ..
        }
        | Resource::ScalingPolicy {
            cluster, service, ..
        }
        | Resource::ScheduledAction {
            cluster, service, ..
        } => ServiceKey::new(cluster, service),
        other => panic!("not a service's resource: {other}"),
    };
    account.services.get_mut(&key).unwrap_or_else(|| {
        panic!("a change to {key}, which does not exist: ServiceNotFoundException")
    })
}

pub(super) fn apply_ecs(account: &mut Account, resource: &Resource, op: &EcsOperation) {
    if let Resource::EcsCluster { cluster, .. } = resource {
        let tags = account.cluster_tags.entry(cluster.clone()).or_default();
        match op {
            EcsOperation::TagCluster { arn, tags: new } => {
                assert_eq!(*arn, cluster_arn(cluster), "the cluster's ARN");
                tags.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            EcsOperation::UntagCluster { keys, .. } => {
                for key in keys {
                    tags.remove(key);
                }
            }
            EcsOperation::SetContainerInsights { value } => {
                assert_ne!(
                    cluster,
                    super::generate::GONE_CLUSTER,
                    "UpdateCluster on a cluster that does not exist: ClusterNotFoundException"
                );
                account
                    .cluster_insights
                    .insert(cluster.clone(), value.clone());
            }
            other => panic!("{resource}: not a cluster's operation: {other:?}"),
        }
        return;
    }
    let found = service(account, resource);
    match op {
        EcsOperation::SetDesiredCount { count } => found.desired_count = *count,
        EcsOperation::TagService { tags, .. } => {
            found
                .tags
                .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        EcsOperation::UntagService { keys, .. } => {
            for key in keys {
                found.tags.remove(key);
            }
        }
        other => panic!("{resource}: not a service's operation: {other:?}"),
    }
}

pub(super) fn apply_autoscaling(
    account: &mut Account,
    resource: &Resource,
    op: &AutoscalingOperation,
) {
    let behaviour = account.behaviour;
    // Any change may create a policy, which needs an id of its own.
    account.next_id += 1;
    let id = account.next_id;
    let found = service(account, resource);
    assert!(
        !found.target_unreadable,
        "{resource}: a change planned on a target that was not read"
    );
    match op {
        AutoscalingOperation::RegisterScalableTarget {
            min,
            max,
            suspended,
        } => {
            let target = found.target.get_or_insert_with(ScalableTarget::default);
            target.min = *min;
            target.max = *max;
            target.suspended = *suspended;
            if behaviour.clamps_count_on_register {
                found.desired_count = found.desired_count.clamp(*min, (*max).max(*min));
            }
        }
        // AWS deletes the target's policies and scheduled actions with it.
        AutoscalingOperation::DeregisterScalableTarget => {
            assert!(
                found.target.is_some(),
                "{resource}: no target to deregister"
            );
            found.target = None;
        }
        AutoscalingOperation::PutScalingPolicy { policy } => {
            let Resource::ScalingPolicy { policy: name, .. } = resource else {
                panic!("PutScalingPolicy on {resource}");
            };
            let target = found
                .target
                .as_mut()
                .unwrap_or_else(|| panic!("{resource}: ObjectNotFoundException (no target)"));
            let mut stored = policy.clone();
            if behaviour.fills_default_cooldowns {
                fill_default_cooldowns(&mut stored);
            }
            // A new policy gets a new ARN (a UUID in it); an update in place keeps it.
            if !target.policies.contains_key(name) || !target.policy_arns.contains_key(name) {
                let Resource::ScalingPolicy {
                    cluster, service, ..
                } = resource
                else {
                    panic!("PutScalingPolicy on {resource}");
                };
                let arn = policy_arn(id, cluster, service, name);
                target.policy_arns.insert(name.clone(), arn);
            }
            target.policies.insert(name.clone(), stored);
        }
        AutoscalingOperation::DeleteScalingPolicy => {
            let Resource::ScalingPolicy { policy: name, .. } = resource else {
                panic!("DeleteScalingPolicy on {resource}");
            };
            let removed = found.target.as_mut().and_then(|t| {
                t.policy_arns.remove(name);
                t.policies.remove(name)
            });
            assert!(removed.is_some(), "{resource}: ObjectNotFoundException");
        }
        AutoscalingOperation::PutScheduledAction { action } => {
            let Resource::ScheduledAction { action: name, .. } = resource else {
                panic!("PutScheduledAction on {resource}");
            };
            let target = found
                .target
                .as_mut()
                .unwrap_or_else(|| panic!("{resource}: ObjectNotFoundException (no target)"));
            target
                .scheduled_actions
                .insert(name.clone(), action.clone());
        }
        AutoscalingOperation::DeleteScheduledAction => {
            let Resource::ScheduledAction { action: name, .. } = resource else {
                panic!("DeleteScheduledAction on {resource}");
            };
            let removed = found
                .target
                .as_mut()
                .and_then(|t| t.scheduled_actions.remove(name));
            assert!(removed.is_some(), "{resource}: ObjectNotFoundException");
        }
    }
}

/// What AWS reports for a policy put without cooldowns.
fn fill_default_cooldowns(policy: &mut ScalingPolicy) {
    match policy {
        ScalingPolicy::TargetTracking(p) => {
            p.scale_in_cooldown.get_or_insert(300);
            p.scale_out_cooldown.get_or_insert(300);
        }
        ScalingPolicy::StepScaling(p) => {
            p.cooldown.get_or_insert(300);
        }
        ScalingPolicy::Other { .. } => {}
    }
}
