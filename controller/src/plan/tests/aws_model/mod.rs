//! A pure model of what AWS does with each planned `Change`, for the planner's property
//! tests (`idempotence.rs`): an account as the truth, `apply` that runs one change on
//! it the way ECS, Application Auto Scaling, CloudWatch and SNS would, and `observe` that
//! reads it back the way `observe/mod.rs` / `observe/alerting.rs` do (which tags are read,
//! which topics are looked at). Test-only: it never talks to anything.

mod account;
mod alerting;
mod dashboards;
pub mod drift;
pub mod generate;
pub mod lambda;
mod scaling;

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{DesiredState, Management};

pub use self::account::{
    alarm_arn, alerting_tags, service_arn, topic_arn, Account, Alarm, Behaviour, Service, Topic,
    ACCOUNT, REGION,
};
use super::{Change, Operation};
use crate::observe::alerting::scan_prefixes;
use crate::observed::alerting::{Alerting, Marker, ObservedAlarm, ObservedTopic, TopicSettings};
use crate::observed::autoscaling::ScalableTarget;
use crate::observed::{
    ObserveScope, Observed, ObservedService, ObservedStack, ServiceKey, ServiceState,
    TargetObservation,
};

impl Account {
    /// Runs one change the way AWS would. A change that fails on AWS for a reason the
    /// desired state can cause (an alarm notifying a topic nobody creates) is an `Err`;
    /// one the planner must never plan (deleting what does not exist) panics.
    pub fn apply(&mut self, change: &Change) -> Result<(), String> {
        match &change.operation {
            Operation::Ecs(op) => scaling::apply_ecs(self, &change.resource, op),
            Operation::Autoscaling(op) => scaling::apply_autoscaling(self, &change.resource, op),
            Operation::Alarm(op) => return alerting::apply_alarm(self, &change.resource, op),
            Operation::Topic(op) => alerting::apply_topic(self, &change.resource, op),
            Operation::Dashboard(op) => dashboards::apply_dashboard(self, &change.resource, op),
            Operation::Lambda(op) => return lambda::apply(self, &change.resource, op),
        }
        Ok(())
    }

    /// What a pass of mooring would observe for `desired` (one stack per desired stack,
    /// all in `REGION`).
    pub fn observe(&self, desired: &DesiredState) -> Observed {
        self.observe_in(desired, ObserveScope::Everything)
    }

    /// `observe` limited to `scope`, as `observe/mod.rs` limits it: a schedule-only pass reads
    /// the targets without their policies and actions, and no alarms or topics.
    pub fn observe_in(&self, desired: &DesiredState, scope: ObserveScope) -> Observed {
        let everything = scope == ObserveScope::Everything;
        let mut observed = Observed::default();
        for stack in &desired.stacks {
            let mut seen = ObservedStack {
                region: REGION.to_owned(),
                account: None,
                scope,
                ..ObservedStack::default()
            };
            for service in &stack.services {
                let key = ServiceKey::new(&service.cluster, &service.name);
                if service.management == Management::Paused {
                    continue;
                }
                let state = match self.services.get(&key) {
                    None => ServiceState::Missing {
                        why: "MISSING".into(),
                    },
                    Some(found) => {
                        seen.account = Some(ACCOUNT.to_owned());
                        ServiceState::Found(ObservedService {
                            arn: service_arn(&key),
                            desired_count: found.desired_count,
                            running_count: found.desired_count,
                            pending_count: 0,
                            status: "ACTIVE".into(),
                            tags: found.tags.clone(),
                            scalable_target: match (&found.target, found.target_unreadable) {
                                (_, true) => TargetObservation::Unknown,
                                (None, false) => TargetObservation::Absent,
                                (Some(target), false) if everything => {
                                    // DescribeScalingPolicies reports an ARN per policy.
                                    let mut read = target.clone();
                                    read.policy_arns
                                        .retain(|name, _| target.policies.contains_key(name));
                                    TargetObservation::Registered(Box::new(read))
                                }
                                (Some(target), false) => {
                                    TargetObservation::Registered(Box::new(ScalableTarget {
                                        policies: BTreeMap::new(),
                                        scheduled_actions: BTreeMap::new(),
                                        policy_arns: BTreeMap::new(),
                                        ..target.clone()
                                    }))
                                }
                            },
                        })
                    }
                };
                seen.services.insert(key, state);
            }
            if everything {
                seen.alerting = self.observe_alerting(stack, seen.account.as_deref());
                seen.dashboards = dashboards::observe_dashboards(self, stack);
                lambda::observe(self, stack, &mut seen);
                let key = crate::plan::cluster_stack_tag(&stack.name);
                seen.tagged_clusters = Some(
                    self.cluster_tags
                        .iter()
                        .filter(|(_, tags)| tags.contains_key(&key))
                        .map(|(cluster, _)| (cluster.clone(), account::cluster_arn(cluster)))
                        .collect(),
                );
                seen.clusters = self.observe_clusters(stack);
            }
            observed.stacks.insert(stack.name.clone(), seen);
        }
        observed
    }

    /// DescribeClusters with settings and tags of the clusters `stack` declares (not
    /// paused), as `observe/container_insights.rs` reads them.
    fn observe_clusters(
        &self,
        stack: &desired_state::Stack,
    ) -> BTreeMap<String, crate::observed::clusters::ClusterState> {
        use crate::observed::clusters::{ClusterState, ObservedCluster};
        stack
            .clusters
            .iter()
            .filter(|(_, cluster)| cluster.management != Management::Paused)
            .map(|(name, _)| {
                let state = if name == generate::GONE_CLUSTER {
                    ClusterState::Missing {
                        why: "ECS says MISSING".into(),
                    }
                } else {
                    ClusterState::Found(ObservedCluster {
                        arn: account::cluster_arn(name),
                        container_insights: self.cluster_insights.get(name).cloned(),
                        tags: self.cluster_tags.get(name).cloned().unwrap_or_default(),
                    })
                };
                (name.clone(), state)
            })
            .collect()
    }

    /// The reads of `observe::alerting::read_stack`, on the model.
    fn observe_alerting(
        &self,
        stack: &desired_state::Stack,
        service_account: Option<&str>,
    ) -> Option<Alerting> {
        let declares_alerting = stack
            .all_alarms()
            .any(|(_, alarm)| alarm.management != Management::Paused)
            || stack
                .topics
                .values()
                .any(|t| t.management != Management::Paused);
        if !declares_alerting && !stack.services.is_empty() && !stack.prune.allow_empty {
            return None;
        }
        let prefixes = scan_prefixes(stack);
        let whole_region = prefixes.iter().any(String::is_empty);
        let declared: BTreeSet<&str> = stack.all_alarms().map(|(name, _)| name).collect();
        let empty_and_kept = declared.is_empty() && !stack.prune.allow_empty;
        let mut alerting = Alerting::default();
        let mut candidates = 0u32;
        for (name, alarm) in &self.alarms {
            if !prefixes.iter().any(|p| name.starts_with(p.as_str())) {
                continue;
            }
            let (_, marker) = Marker::split(alarm.description.as_deref().unwrap_or(""));
            let ours_by_marker = marker.as_ref().is_some_and(|m| m.stack == stack.name);
            let read_tags = if declared.contains(name.as_str()) {
                !ours_by_marker
            } else if ours_by_marker
                && !empty_and_kept
                && candidates < stack.prune.max_deletions_per_pass
            {
                candidates += 1;
                true
            } else {
                false
            };
            alerting.alarms.insert(
                name.clone(),
                ObservedAlarm {
                    arn: alarm_arn(name),
                    spec: alarm.spec.clone(),
                    marker,
                    tags: read_tags.then(|| alarm.tags.clone()),
                    state: None,
                },
            );
        }
        for (name, topic) in &self.topics {
            let declared_topic = stack.topics.get(name);
            let observed = match declared_topic {
                Some(t) if t.management == Management::Paused => continue,
                Some(_) => ObservedTopic {
                    arn: topic_arn(name),
                    tags: topic.tags.clone(),
                    settings: topic.settings.clone(),
                    subscriptions: Some(topic.subscriptions.clone()),
                },
                None if (!whole_region || stack.prune.allow_empty)
                    && prefixes.iter().any(|p| name.starts_with(p.as_str())) =>
                {
                    ObservedTopic {
                        arn: topic_arn(name),
                        tags: topic.tags.clone(),
                        settings: TopicSettings::default(),
                        subscriptions: None,
                    }
                }
                None => continue,
            };
            alerting.topics.insert(name.clone(), observed);
        }
        // The account is known from any ARN of the region: services, topics or alarms.
        let known =
            service_account.is_some() || !self.topics.is_empty() || !alerting.alarms.is_empty();
        alerting.topic_arn_prefix = known.then(|| format!("arn:aws:sns:{REGION}:{ACCOUNT}:"));
        Some(alerting)
    }
}
