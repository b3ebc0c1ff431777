//! Step-scaling policies wired to the alarm that runs them: the policy's ARN in the
//! alarm's `AlarmActions`, next to the `notify` topics.
//!
//! Where the ARN comes from:
//! - a policy that exists: `PolicyARN` as DescribeScalingPolicies reported it (AWS keeps
//!   it when PutScalingPolicy updates the policy in place);
//! - a policy created in this pass: its ARN holds a UUID AWS makes up, so it cannot be
//!   planned. The alarm's action is planned as a placeholder, `scaling-policy:service/
//!   <cluster>/<service>/<policy>`, the alarm's change joins the service's apply group
//!   (after the PutScalingPolicy) and the applier asks DescribeScalingPolicies for the ARN
//!   just before PutMetricAlarm. Nothing lives in memory between the two calls: after a
//!   crash between them the next pass finds the policy with its ARN and plans the alarm
//!   with it; if the policy's put fails, the alarm's change is skipped with it and
//!   retried next pass.
//!
//! Only this stack's policies are wired: the service's autoscaling must be this stack's
//! (tagged, claimed or adopted in this pass). For a policy whose state was not read
//! (target read failed, service paused) or that is not this stack's, the alarm keeps
//! whatever ARN of that policy it already has: nothing is written for it either way.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{Management, Service, Stack};

use super::change::{service_group, Plan, Resource};
use super::ownership::{not_owned, owner, Owner};
use super::tags::STACK_TAG;
use crate::observed::alerting::Alerting;
use crate::observed::{ObserveScope, ObservedStack, ServiceKey, ServiceState, TargetObservation};

/// How an alarm action names a policy created in the same pass (resolved when applied).
pub const PENDING_POLICY_PREFIX: &str = "scaling-policy:";

/// The step-scaling policies that name one alarm.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct AlarmPolicies {
    /// Every declared policy naming the alarm, as placeholders: what the alarm's marker
    /// digest covers (the same in the pass that creates a policy and afterwards).
    pub declared: BTreeSet<String>,
    /// The actions to send: ARNs, or placeholders of policies created in this pass.
    pub actions: BTreeSet<String>,
    /// The apply group of a service whose policy is created in this pass: the alarm's
    /// change runs after it.
    pub group: Option<String>,
}

/// The placeholder action of a policy created in this pass.
pub fn pending_policy_action(cluster: &str, service: &str, policy: &str) -> String {
    format!("{PENDING_POLICY_PREFIX}service/{cluster}/{service}/{policy}")
}

/// (Application Auto Scaling resource id, policy name) of a placeholder action.
/// Cluster and service names cannot hold `/`; a policy name may, so it is the rest.
pub fn parse_pending_policy(action: &str) -> Option<(String, String)> {
    let rest = action.strip_prefix(PENDING_POLICY_PREFIX)?;
    let mut parts = rest.splitn(4, '/');
    let (kind, cluster, service, policy) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if kind != "service" || cluster.is_empty() || service.is_empty() || policy.is_empty() {
        return None;
    }
    Some((format!("service/{cluster}/{service}"), policy.to_owned()))
}

/// How every ARN of this policy ends (`…:scalingPolicy:<uuid>:resource/ecs/service/c/s:
/// policyName/<name>`): how an alarm's existing action is recognised as this policy's.
fn arn_suffix(cluster: &str, service: &str, policy: &str) -> String {
    format!(":resource/ecs/service/{cluster}/{service}:policyName/{policy}")
}

/// The policies of this stack that name each alarm, by alarm name. A policy naming an
/// alarm of another stack is reported (NotOwned) and not wired.
pub(super) fn policies_by_alarm(
    stack: &Stack,
    seen: &ObservedStack,
    alerting: &Alerting,
    plan: &mut Plan,
) -> BTreeMap<String, AlarmPolicies> {
    let own_alarms: BTreeSet<&str> = stack.all_alarms().map(|(name, _)| name).collect();
    let mut wired: BTreeMap<String, AlarmPolicies> = BTreeMap::new();
    for service in &stack.services {
        let Some(autoscaling) = &service.autoscaling else {
            continue;
        };
        for (policy, step) in &autoscaling.step_scaling {
            let Some(alarm) = &step.alarm else {
                continue;
            };
            if !own_alarms.contains(alarm.as_str()) {
                let resource = Resource::ScalingPolicy {
                    region: seen.region.clone(),
                    cluster: service.cluster.clone(),
                    service: service.name.clone(),
                    policy: policy.clone(),
                };
                plan.notices.push(not_owned(&stack.name, resource, format!("alarm `{alarm}` is declared in another stack, and an alarm's actions are its own stack's: the policy is not wired to it; declare the alarm in this stack")));
                continue;
            }
            let entry = wired.entry(alarm.clone()).or_default();
            entry.declared.insert(pending_policy_action(
                &service.cluster,
                &service.name,
                policy,
            ));
            match policy_action(stack, seen, service, policy) {
                Wiring::Arn(arn) => {
                    entry.actions.insert(arn);
                }
                Wiring::Pending => {
                    entry.actions.insert(pending_policy_action(
                        &service.cluster,
                        &service.name,
                        policy,
                    ));
                    entry.group =
                        Some(service_group(&seen.region, &service.cluster, &service.name));
                }
                Wiring::Keep => {
                    let suffix = arn_suffix(&service.cluster, &service.name, policy);
                    let kept = alerting
                        .alarms
                        .get(alarm)
                        .into_iter()
                        .flat_map(|found| &found.spec.alarm_actions)
                        .filter(|action| action.ends_with(&suffix));
                    entry.actions.extend(kept.cloned());
                }
            }
        }
    }
    wired
}

enum Wiring {
    /// The policy exists and is this stack's.
    Arn(String),
    /// The autoscaling planner creates the policy in this pass.
    Pending,
    /// Not read, or not this stack's: the alarm keeps what it has for it.
    Keep,
}

/// What the autoscaling planner will create in this pass, or owns already: the same
/// ownership rule (`ownership.rs`) applied to the same observation as `resolve.rs`.
/// Resolving the service again here would repeat its warnings.
fn policy_action(stack: &Stack, seen: &ObservedStack, service: &Service, policy: &str) -> Wiring {
    let key = ServiceKey::new(&service.cluster, &service.name);
    let Some(ServiceState::Found(found)) = seen.services.get(&key) else {
        return Wiring::Keep;
    };
    if service.management == Management::Paused || seen.scope != ObserveScope::Everything {
        return Wiring::Keep;
    }
    let full = service.management == Management::Full;
    let owner = owner(&stack.name, found.tags.get(STACK_TAG).map(String::as_str));
    match &found.scalable_target {
        TargetObservation::Unknown => Wiring::Keep,
        // Claimed and created in this pass.
        TargetObservation::Absent if full && !matches!(owner, Owner::OtherStack(_)) => {
            Wiring::Pending
        }
        TargetObservation::Absent => Wiring::Keep,
        TargetObservation::Registered(target) => {
            let ours = match owner {
                Owner::ThisStack => true,
                Owner::OtherStack(_) => false,
                Owner::Nobody => full && service.adopt,
            };
            if !ours {
                return Wiring::Keep;
            }
            match target.policy_arns.get(policy) {
                Some(arn) if target.policies.contains_key(policy) => Wiring::Arn(arn.clone()),
                _ if full => Wiring::Pending,
                _ => Wiring::Keep,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_names_the_policy_it_waits_for() {
        let action = pending_policy_action("c", "api", "burst/out");
        assert_eq!(action, "scaling-policy:service/c/api/burst/out");
        assert_eq!(
            parse_pending_policy(&action),
            Some(("service/c/api".to_owned(), "burst/out".to_owned()))
        );
        assert_eq!(parse_pending_policy("arn:aws:sns:us-east-1:1:t"), None);
        assert_eq!(parse_pending_policy("scaling-policy:service/c/api"), None);
    }
}
