//! Which alarms and topics belong in the file init writes, before their ownership is
//! known (`discover.rs` reads tags and topics for exactly these); `build.rs` then leaves
//! out another stack's.

use std::collections::{BTreeMap, BTreeSet};

use super::account::{Account, Options};
use crate::observed::alerting::AlarmSpec;
use crate::observed::autoscaling::ScalingPolicy;
use crate::observed::{ObservedService, ServiceKey, TargetObservation};
use crate::plan::STACK_TAG;

/// The alarm Application Auto Scaling creates (and deletes) with a target-tracking
/// policy: named `TargetTracking-<resource id>-AlarmHigh-<uuid>` (or `AlarmLow`), its
/// action the policy.
pub fn is_target_tracking_alarm(name: &str, spec: &AlarmSpec) -> bool {
    name.starts_with("TargetTracking-")
        && spec
            .alarm_actions
            .iter()
            .any(|action| action.contains(":scalingPolicy:"))
}

/// The service an alarm watches through its ECS dimensions, if it is one of `services`.
pub(super) fn watched_service<'a>(
    spec: &AlarmSpec,
    services: &'a BTreeMap<ServiceKey, ObservedService>,
) -> Option<&'a ServiceKey> {
    let of = |dimensions: &BTreeMap<String, String>| {
        let key = ServiceKey::new(
            dimensions.get("ClusterName")?.as_str(),
            dimensions.get("ServiceName")?.as_str(),
        );
        services.get_key_value(&key).map(|(key, _)| key)
    };
    of(&spec.dimensions).or_else(|| spec.metrics.values().find_map(|m| of(&m.dimensions)))
}

/// Step-scaling policy ARN → (service, policy name), for the services read.
pub(super) fn step_policy_arns(
    services: &BTreeMap<ServiceKey, ObservedService>,
) -> BTreeMap<String, (ServiceKey, String)> {
    let mut arns = BTreeMap::new();
    for (key, service) in services {
        if let TargetObservation::Registered(target) = &service.scalable_target {
            for (name, arn) in &target.policy_arns {
                if matches!(
                    target.policies.get(name),
                    Some(ScalingPolicy::StepScaling(_))
                ) {
                    arns.insert(arn.clone(), (key.clone(), name.clone()));
                }
            }
        }
    }
    arns
}

/// The alarms that belong in the file, before ownership is known: those that watch a
/// service read (by dimension), run one of its step policies, or start with the
/// prefix, and the composite alarms over them (with every alarm their rule names).
/// Application Auto Scaling's target-tracking alarms never. Tags are read for these.
pub fn selected_alarms(account: &Account, options: &Options) -> BTreeSet<String> {
    let policies = step_policy_arns(&account.services);
    let mut selected = BTreeSet::new();
    for (name, alarm) in &account.alarms {
        if is_target_tracking_alarm(name, &alarm.spec) {
            continue;
        }
        let ours = alarm
            .marker
            .as_ref()
            .is_some_and(|m| m.stack == options.stack);
        let by_prefix = options
            .alarm_prefix
            .as_deref()
            .is_some_and(|prefix| name.starts_with(prefix));
        let runs_policy = alarm
            .spec
            .alarm_actions
            .iter()
            .any(|a| policies.contains_key(a));
        if ours
            || by_prefix
            || runs_policy
            || (!alarm.spec.is_composite()
                && watched_service(&alarm.spec, &account.services).is_some())
        {
            selected.insert(name.clone());
        }
    }
    // Composite alarms over selected ones, and what they name (to a fixed point: a
    // composite may name a composite).
    loop {
        let mut added = false;
        for (name, alarm) in &account.alarms {
            let Some(rule) = &alarm.spec.rule else {
                continue;
            };
            let names = desired_state::model::rule_alarms(rule).unwrap_or_default();
            let wanted = selected.contains(name) || names.iter().any(|n| selected.contains(n));
            if !wanted {
                continue;
            }
            for named in names.iter().chain(std::iter::once(name)) {
                if account.alarms.contains_key(named) && selected.insert(named.clone()) {
                    added = true;
                }
            }
        }
        if !added {
            return selected;
        }
    }
}

/// The topic names to read in full: those the selected alarms notify (in this region),
/// those asked for with `--topic`, and those tagged for this stack (an apply of a file
/// without them would delete them).
pub fn wanted_topics(account: &Account, options: &Options) -> BTreeSet<String> {
    let by_arn: BTreeMap<&str, &str> = account
        .topic_arns
        .iter()
        .map(|(name, arn)| (arn.as_str(), name.as_str()))
        .collect();
    let mut wanted: BTreeSet<String> = options
        .topics
        .iter()
        .filter(|t| account.topic_arns.contains_key(*t))
        .cloned()
        .chain(
            account
                .topic_stacks
                .iter()
                .filter(|(_, stack)| **stack == options.stack)
                .map(|(name, _)| name.clone()),
        )
        .collect();
    for name in selected_alarms(account, options) {
        let Some(alarm) = account.alarms.get(&name) else {
            continue;
        };
        let spec = &alarm.spec;
        for action in spec
            .alarm_actions
            .iter()
            .chain(&spec.ok_actions)
            .chain(&spec.insufficient_data_actions)
        {
            if let Some(topic) = by_arn.get(action.as_str()) {
                wanted.insert((*topic).to_owned());
            }
        }
    }
    wanted
}

/// The stack an alarm or topic belongs to, by its marker or `mooring:stack` tag.
pub(super) fn stack_of(
    marker: Option<&str>,
    tags: Option<&BTreeMap<String, String>>,
) -> Option<String> {
    marker
        .map(str::to_owned)
        .or_else(|| tags.and_then(|t| t.get(STACK_TAG)).cloned())
}
