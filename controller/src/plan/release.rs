//! Services that left the desired state: released, or reported.
//!
//! A full pass lists the clusters a stack names (`observe/listing.rs`); a service there
//! that the stack does not declare but that is tagged `mooring:stack=<this stack>` was
//! mooring's and is handed back, in one apply group (reason Released):
//!
//! 1. its autoscaling, when mooring's (`mooring:autoscaling-hash` on the service says
//!    mooring applied it): its policies and scheduled actions deleted (mooring created
//!    them for this service only), then the scalable target unfrozen at the range
//!    recorded when it went to sleep (`mooring:wake-range`; without one, the wake count
//!    as both bounds) with all scaling resumed;
//! 2. its count back to the recorded wake count (`mooring:wake-count`) when a sleep is
//!    recorded, as a wake does;
//! 3. every `mooring:` tag removed, last: until then the stack tag lets the next pass
//!    (after a crash, a failed call) find the service and finish, and every step before
//!    is planned only while it still differs, so a rerun repeats nothing.
//!
//! A service tagged by a stack that no loaded file declares is that stack's leftover:
//! a Warning naming `mooring release` (nothing changes). A service tagged by another
//! loaded stack is that stack's business. Nothing here runs for a stack that is not
//! loaded: an empty or missing desired state releases nothing.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::Stack;

use super::change::{
    service_group, AutoscalingOperation, EcsOperation, Notice, Operation, Plan, Resource,
};
use super::diff::field_diffs;
use super::tags::{AUTOSCALING_HASH_TAG, STACK_TAG, WAKE_COUNT_TAG, WAKE_RANGE_TAG};
use crate::events::{FieldDiff, Reason};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, SuspendedState,
};
use crate::observed::{ObservedService, ObservedStack, ServiceKey, TargetObservation};

/// The prefix of every tag mooring writes on a service.
const MOORING_TAG_PREFIX: &str = "mooring:";

/// Releases this stack's undeclared services and warns about leftovers of stacks not in
/// `declared` (every stack of the loaded desired state).
pub(super) fn plan_undeclared(
    stack: &Stack,
    seen: &ObservedStack,
    declared: &BTreeSet<&str>,
    plan: &mut Plan,
) {
    // Leftovers are reported in the clusters the stack's services are in: a stack that
    // declares none (the one `mooring release` plans) reads clusters only to release.
    let clusters: BTreeSet<&str> = stack.services.iter().map(|s| s.cluster.as_str()).collect();
    // A stack emptied of services releases nothing unless its owner said so
    // (`prune.allowEmpty`, as `mooring release` does), as its alarms are not pruned.
    let releases = !stack.services.is_empty() || stack.prune.allow_empty;
    let stack = stack.name.as_str();
    let mut leftovers: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for (key, found) in &seen.undeclared {
        match found.tags.get(STACK_TAG).map(String::as_str) {
            // This stack's (declared, so never a leftover below): released unless emptied.
            Some(owner) if owner == stack && releases => {
                plan_release(stack, &seen.region, key, found, plan)
            }
            Some(owner) if !declared.contains(owner) && clusters.contains(key.cluster.as_str()) => {
                leftovers
                    .entry(owner)
                    .or_default()
                    .entry(key.cluster.as_str())
                    .or_default()
                    .push(key.name.as_str())
            }
            // Another loaded stack's, or only bookkeeping tags without an owner (nothing
            // says whose it is): left alone.
            _ => {}
        }
    }
    for (owner, clusters) in leftovers {
        for (cluster, names) in clusters {
            let command = release_command(owner, &seen.region, cluster);
            for name in names {
                plan.notices.push(Notice::warning(
                    stack,
                    Some(Resource::ecs_service(&seen.region, cluster, name)),
                    Reason::NotOwned,
                    format!(
                        "the service is tagged {STACK_TAG}={owner}, a stack no loaded desired state declares: it stays as that stack left it (possibly asleep). To hand it back, run `{command}`"
                    ),
                ));
            }
        }
    }
}

/// The command that releases `stack`'s services of one cluster.
fn release_command(stack: &str, region: &str, cluster: &str) -> String {
    format!("mooring release {stack} --region {region} --cluster {cluster}")
}

/// The changes that hand one service back, in the order they must run.
pub(super) fn plan_release(
    stack: &str,
    region: &str,
    key: &ServiceKey,
    found: &ObservedService,
    plan: &mut Plan,
) {
    let target = match &found.scalable_target {
        // Not read (a failed read, reported by the pass): nothing is planned blind.
        TargetObservation::Unknown => return,
        TargetObservation::Absent => None,
        TargetObservation::Registered(target) => Some(target.as_ref()),
    };
    let release = Release {
        stack,
        region,
        key,
        found,
        group: service_group(region, &key.cluster, &key.name),
    };
    let wake_count = found
        .tags
        .get(WAKE_COUNT_TAG)
        .and_then(|v| v.parse::<u32>().ok());
    let mut range = None;
    // Only autoscaling mooring applied is touched: a target registered by someone else
    // on a service mooring managed the count of is theirs.
    if let Some(target) = target.filter(|_| found.tags.contains_key(AUTOSCALING_HASH_TAG)) {
        // Policies and actions go first: nothing scales the service by mooring's old
        // rules once scaling is resumed.
        release.prune_scaling(target, plan);
        range = Some(release.unfreeze(target, wake_count, plan));
    }
    if let Some(count) = wake_count {
        let count = range.map_or(count, |(min, max)| count.clamp(min, max));
        if found.desired_count != count {
            release.push(
                release.service_resource(),
                format!("set desiredCount to its wake count {count}"),
                vec![FieldDiff::new("desiredCount", found.desired_count, count)],
                Operation::Ecs(EcsOperation::SetDesiredCount { count }),
                plan,
            );
        }
    }
    let keys: Vec<String> = found
        .tags
        .keys()
        .filter(|k| k.starts_with(MOORING_TAG_PREFIX))
        .cloned()
        .collect();
    let diff = keys
        .iter()
        .filter_map(|key| {
            let before = found.tags.get(key)?;
            Some(FieldDiff::new(
                format!("tags.{key}"),
                before.clone(),
                serde_json::Value::Null,
            ))
        })
        .collect();
    release.push(
        release.service_resource(),
        format!(
            "release the service: it left stack {stack}'s desired state (remove {})",
            keys.join(", ")
        ),
        diff,
        Operation::Ecs(EcsOperation::UntagService {
            arn: found.arn.clone(),
            keys,
        }),
        plan,
    );
}

struct Release<'a> {
    stack: &'a str,
    region: &'a str,
    key: &'a ServiceKey,
    found: &'a ObservedService,
    group: String,
}

impl Release<'_> {
    fn service_resource(&self) -> Resource {
        Resource::ecs_service(self.region, &self.key.cluster, &self.key.name)
    }

    fn push(
        &self,
        resource: Resource,
        summary: String,
        diff: Vec<FieldDiff>,
        operation: Operation,
        plan: &mut Plan,
    ) {
        plan.changes.push(super::change::Change {
            stack: self.stack.to_owned(),
            resource,
            reason: Reason::Released,
            summary,
            diff,
            operation,
            group: self.group.clone(),
            after: None,
        });
    }

    /// The target back at the range it had before sleep, all scaling resumed; returns
    /// that range.
    fn unfreeze(
        &self,
        target: &ScalableTarget,
        wake_count: Option<u32>,
        plan: &mut Plan,
    ) -> (u32, u32) {
        let recorded = self
            .found
            .tags
            .get(WAKE_RANGE_TAG)
            .and_then(|v| parse_range(v));
        let (min, max) = match (recorded, wake_count) {
            (Some(range), _) => range,
            // Slept before the range was recorded: the wake count is the one size known
            // to be right for it.
            (None, Some(count)) if target.min == target.max => (count, count),
            _ => (target.min, target.max),
        };
        let suspended = SuspendedState::default();
        if (target.min, target.max, target.suspended) == (min, max, suspended) {
            return (min, max);
        }
        let mut diff = Vec::new();
        if target.min != min {
            diff.push(FieldDiff::new("min", target.min, min));
        }
        if target.max != max {
            diff.push(FieldDiff::new("max", target.max, max));
        }
        if target.suspended != suspended {
            diff.extend(field_diffs(Some(&target.suspended), Some(&suspended)));
        }
        self.push(
            Resource::ScalableTarget {
                region: self.region.to_owned(),
                cluster: self.key.cluster.clone(),
                service: self.key.name.clone(),
            },
            format!("unfreeze the scalable target (min {min}, max {max}, scaling resumed)"),
            diff,
            Operation::Autoscaling(AutoscalingOperation::RegisterScalableTarget {
                min,
                max,
                suspended,
            }),
            plan,
        );
        (min, max)
    }

    /// Policies and scheduled actions mooring created for this service only.
    fn prune_scaling(&self, target: &ScalableTarget, plan: &mut Plan) {
        for (name, policy) in &target.policies {
            self.push(
                Resource::ScalingPolicy {
                    region: self.region.to_owned(),
                    cluster: self.key.cluster.clone(),
                    service: self.key.name.clone(),
                    policy: name.clone(),
                },
                format!("delete scaling policy {name}"),
                field_diffs(Some(policy), None::<&ScalingPolicy>),
                Operation::Autoscaling(AutoscalingOperation::DeleteScalingPolicy),
                plan,
            );
        }
        for (name, action) in &target.scheduled_actions {
            self.push(
                Resource::ScheduledAction {
                    region: self.region.to_owned(),
                    cluster: self.key.cluster.clone(),
                    service: self.key.name.clone(),
                    action: name.clone(),
                },
                format!("delete scheduled action {name}"),
                field_diffs(Some(action), None::<&ScheduledAction>),
                Operation::Autoscaling(AutoscalingOperation::DeleteScheduledAction),
                plan,
            );
        }
    }
}

/// `mooring:wake-range` is `<min>-<max>`.
pub(super) fn parse_range(value: &str) -> Option<(u32, u32)> {
    let (min, max) = value.split_once('-')?;
    let (min, max) = (min.parse().ok()?, max.parse().ok()?);
    (min <= max).then_some((min, max))
}

pub(super) fn format_range(min: u32, max: u32) -> String {
    format!("{min}-{max}")
}
