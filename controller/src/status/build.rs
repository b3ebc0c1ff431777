//! Each stack's rows: every resource its file declares (services with their scalable
//! targets, policies and scheduled actions, alarms, topics and their subscriptions), then
//! whatever else the pass had events for (a released service, a pruned alarm). Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desired_state::{DesiredState, Management, Service, Stack, WakeState};

use super::sync::SyncState;
use super::timeline::{self, ScheduleTimeline};
use super::{
    AlarmDetail, ClusterDetail, DashboardDetail, Detail, NextTransition, OffHoursStatus, Phase,
    PolicyDetail, Range, ResourceKind, ResourceStatus, ScheduledActionDetail, ServiceDetail,
    StackStatus, SubscriptionDetail, TargetDetail, TopicDetail,
};
use crate::events::{Event, Reason};
use crate::observed::alerting::Alerting;
use crate::observed::{
    ObserveScope, Observed, ObservedService, ObservedStack, ServiceKey, ServiceState,
    TargetObservation,
};
use crate::plan::{
    override_tags, Resource, ASLEEP_SINCE_TAG, ASLEEP_UNTIL_TAG, AWAKE_UNTIL_TAG, WAKE_COUNT_TAG,
};

/// How far ahead the next transition of a schedule is looked for.
const NEXT_TRANSITION_HORIZON_DAYS: i64 = 35;

/// What a status is built from: one pass's desired state, observation and events.
pub struct StatusInput<'a> {
    pub desired: &'a DesiredState,
    pub observed: &'a Observed,
    pub events: &'a [Event],
    /// The instant schedules are evaluated at (the pass's).
    pub now: DateTime<Utc>,
}

pub fn stack_statuses(input: &StatusInput<'_>) -> Vec<StackStatus> {
    input
        .desired
        .stacks
        .iter()
        .map(|stack| stack_status(stack, input))
        .collect()
}

fn stack_status(stack: &Stack, input: &StatusInput<'_>) -> StackStatus {
    let seen = input.observed.stacks.get(&stack.name);
    let mut by_object: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    let mut notes = Vec::new();
    for event in input.events.iter().filter(|e| e.stack == stack.name) {
        if ResourceKind::of_object(&event.object).is_some() {
            by_object.entry(&event.object).or_default().push(event);
        } else if SyncState::after(event).is_some()
            || event.kind == crate::events::EventType::Warning
        {
            notes.push(event.clone());
        }
    }
    let read_failure = notes
        .iter()
        .find(|e| e.reason == Reason::ObserveFailed || e.is_refusal())
        .map(|e| e.message.clone());
    let rows = Rows {
        by_object: &by_object,
        read_failure: read_failure.as_deref(),
    };
    let mut resources = Vec::new();
    for service in &stack.services {
        service_rows(stack, service, seen, input.now, &rows, &mut resources);
    }
    let timelines = schedule_timelines(stack, input.now);
    alarm_rows(stack, seen, &rows, &mut resources);
    topic_rows(stack, seen, &rows, &mut resources);
    cluster_and_dashboard_rows(stack, seen, &rows, &mut resources);
    // What the pass spoke of that the file does not declare.
    let declared: std::collections::BTreeSet<String> =
        resources.iter().map(|r| r.id.clone()).collect();
    for (object, events) in &by_object {
        if declared.contains(*object) {
            continue;
        }
        let Some((kind, name)) = ResourceKind::of_object(object) else {
            continue;
        };
        let (state, reason) = match SyncState::of_events(events.iter().copied()) {
            Some((state, by)) => (state, Some(by.message.clone())),
            None => (SyncState::InSync, None),
        };
        resources.push(ResourceStatus {
            id: (*object).to_owned(),
            kind,
            name: name.to_owned(),
            management: None,
            state,
            reason,
            detail: Detail::Other {},
            last_event: events.last().map(|e| (*e).clone()),
        });
    }
    let mut counts = BTreeMap::new();
    for resource in &resources {
        *counts.entry(resource.state).or_insert(0) += 1;
    }
    StackStatus {
        name: stack.name.clone(),
        source: stack.source.clone(),
        region: seen
            .map(|s| s.region.clone())
            .or_else(|| stack.region.clone()),
        counts,
        notes,
        resources,
        timelines,
    }
}

/// The pass's events by object, and what the stack-level events say of every row.
struct Rows<'a> {
    by_object: &'a BTreeMap<&'a str, Vec<&'a Event>>,
    /// Why the stack (or part of it) was not read, when it was not.
    read_failure: Option<&'a str>,
}

impl Rows<'_> {
    /// A row: its state from its events, else from what is known of it. `seen`: whether
    /// the resource was read at all (`false`: not read, so nothing is known).
    fn row(
        &self,
        resource: &Resource,
        management: Management,
        seen: bool,
        detail: Detail,
    ) -> ResourceStatus {
        let id = resource.to_string();
        let events = self.by_object.get(id.as_str());
        let decided = events.and_then(|events| SyncState::of_events(events.iter().copied()));
        let (state, reason) = match decided {
            Some((state, by)) => (state, Some(by.message.clone())),
            None if management == Management::Paused => (SyncState::Paused, None),
            None if !seen => match self.read_failure {
                Some(why) => (SyncState::Failed, Some(why.to_owned())),
                None => (SyncState::Unknown, None),
            },
            None => (SyncState::InSync, None),
        };
        let (kind, name) = ResourceKind::of_object(&id).unwrap_or((ResourceKind::Service, ""));
        ResourceStatus {
            kind,
            name: name.to_owned(),
            management: Some(management_name(management)),
            state,
            reason,
            detail,
            last_event: events.and_then(|e| e.last()).map(|e| (*e).clone()),
            id,
        }
    }
}

fn management_name(management: Management) -> &'static str {
    match management {
        Management::Full => "full",
        Management::Observe => "observe",
        Management::Paused => "paused",
    }
}

fn region_of(seen: Option<&ObservedStack>, stack: &Stack) -> String {
    seen.map(|s| s.region.clone())
        .or_else(|| stack.region.clone())
        .unwrap_or_default()
}

fn service_rows(
    stack: &Stack,
    service: &Service,
    seen: Option<&ObservedStack>,
    now: DateTime<Utc>,
    rows: &Rows<'_>,
    out: &mut Vec<ResourceStatus>,
) {
    let region = region_of(seen, stack);
    let key = ServiceKey::new(&service.cluster, &service.name);
    let state = seen.and_then(|s| s.services.get(&key));
    let found = match state {
        Some(ServiceState::Found(found)) => Some(found),
        _ => None,
    };
    let detail = ServiceDetail {
        declared_count: service.desired_count,
        declared_range: service.autoscaling.as_ref().map(|a| Range {
            min: a.min,
            max: a.max,
        }),
        desired_count: found.map(|f| f.desired_count),
        running_count: found.map(|f| f.running_count),
        pending_count: found.map(|f| f.pending_count),
        off_hours: off_hours(stack, service, found, now),
    };
    out.push(rows.row(
        &Resource::EcsService {
            region: region.clone(),
            cluster: service.cluster.clone(),
            service: service.name.clone(),
        },
        service.management,
        state.is_some(),
        Detail::Service(detail),
    ));
    let Some(scaling) = &service.autoscaling else {
        return;
    };
    // The target as read: `None` when it was not (the service is missing or unread).
    let target = found.and_then(|f| match &f.scalable_target {
        TargetObservation::Unknown => None,
        TargetObservation::Absent => Some(None),
        TargetObservation::Registered(target) => Some(Some(target)),
    });
    let missing_service = matches!(state, Some(ServiceState::Missing { .. }));
    let target_seen = target.is_some() || missing_service;
    out.push(rows.row(
        &Resource::ScalableTarget {
            region: region.clone(),
            cluster: service.cluster.clone(),
            service: service.name.clone(),
        },
        service.management,
        target_seen,
        Detail::ScalableTarget(TargetDetail {
            declared: Range {
                min: scaling.min,
                max: scaling.max,
            },
            observed: target.flatten().map(|t| Range {
                min: t.min,
                max: t.max,
            }),
            suspended: target.flatten().map(|t| {
                t.suspended.dynamic_scaling_in_suspended
                    || t.suspended.dynamic_scaling_out_suspended
                    || t.suspended.scheduled_scaling_suspended
            }),
        }),
    ));
    // Policies and actions are not read by a schedule-only pass.
    let hangers_seen = seen.is_some_and(|s| s.scope == ObserveScope::Everything) && target_seen;
    let policies = scaling
        .target_tracking
        .iter()
        .map(|(name, p)| (name, "TargetTrackingScaling", Some(p.target)))
        .chain(
            scaling
                .step_scaling
                .keys()
                .map(|name| (name, "StepScaling", None)),
        );
    for (name, policy_type, target_value) in policies {
        out.push(rows.row(
            &Resource::ScalingPolicy {
                region: region.clone(),
                cluster: service.cluster.clone(),
                service: service.name.clone(),
                policy: name.clone(),
            },
            service.management,
            hangers_seen,
            Detail::ScalingPolicy(PolicyDetail {
                policy_type,
                target: target_value,
                found: hangers_seen.then(|| {
                    target
                        .flatten()
                        .is_some_and(|t| t.policies.contains_key(name))
                }),
            }),
        ));
    }
    for (name, action) in &scaling.scheduled_actions {
        out.push(rows.row(
            &Resource::ScheduledAction {
                region: region.clone(),
                cluster: service.cluster.clone(),
                service: service.name.clone(),
                action: name.clone(),
            },
            service.management,
            hangers_seen,
            Detail::ScheduledAction(ScheduledActionDetail {
                schedule: action.schedule.clone(),
                found: hangers_seen.then(|| {
                    target
                        .flatten()
                        .is_some_and(|t| t.scheduled_actions.contains_key(name))
                }),
            }),
        ));
    }
}

/// Where a scheduled service stands: the sleep mooring recorded on it, what the schedule
/// (with the service's override tags, as the planner reads them) wants now, and next.
fn off_hours(
    stack: &Stack,
    service: &Service,
    found: Option<&ObservedService>,
    now: DateTime<Utc>,
) -> Option<OffHoursStatus> {
    let off = service.off_hours.as_ref()?;
    let schedule = stack.schedules.get(&off.schedule)?;
    let empty = BTreeMap::new();
    let tags = found.map_or(&empty, |f| &f.tags);
    let (tag_override, _unreadable) = override_tags(tags, now);
    let scheduled = phase(desired_state::state_with_override(
        schedule,
        now,
        tag_override.as_ref(),
    ));
    let next = desired_state::next_transition(
        schedule,
        now,
        chrono::Duration::days(NEXT_TRANSITION_HORIZON_DAYS),
        tag_override.as_ref(),
    );
    let until = |tag: &str| {
        tags.get(tag)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > now)
    };
    Some(OffHoursStatus {
        schedule: off.schedule.clone(),
        timezone: schedule.timezone.name().to_owned(),
        sleep_count: off.desired_count,
        phase: if tags.contains_key(WAKE_COUNT_TAG) {
            Phase::Asleep
        } else {
            Phase::Awake
        },
        since: tags
            .get(ASLEEP_SINCE_TAG)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc)),
        scheduled,
        next_transition: next.map(|t| NextTransition {
            at: t.at,
            to: phase(t.state),
        }),
        awake_until: until(AWAKE_UNTIL_TAG),
        asleep_until: until(ASLEEP_UNTIL_TAG),
    })
}

fn phase(state: WakeState) -> Phase {
    match state {
        WakeState::Awake => Phase::Awake,
        WakeState::Asleep => Phase::Asleep,
    }
}

/// A week of each schedule that services of the stack use, with those services.
fn schedule_timelines(stack: &Stack, now: DateTime<Utc>) -> Vec<ScheduleTimeline> {
    let mut on: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for service in &stack.services {
        if let Some(off) = &service.off_hours {
            on.entry(off.schedule.as_str())
                .or_default()
                .push(format!("{}/{}", service.cluster, service.name));
        }
    }
    on.into_iter()
        .filter_map(|(name, services)| {
            let schedule = stack.schedules.get(name)?;
            Some(timeline::week(name, schedule, services, now))
        })
        .collect()
}

fn alarm_rows(
    stack: &Stack,
    seen: Option<&ObservedStack>,
    rows: &Rows<'_>,
    out: &mut Vec<ResourceStatus>,
) {
    let region = region_of(seen, stack);
    let alerting: Option<&Alerting> = seen.and_then(|s| s.alerting.as_ref());
    let mut alarms: Vec<_> = stack.all_alarms().collect();
    alarms.sort_by_key(|(name, _)| *name);
    for (name, alarm) in alarms {
        let found = alerting.map(|a| a.alarms.get(name));
        out.push(rows.row(
            &Resource::Alarm {
                region: region.clone(),
                name: name.to_owned(),
            },
            alarm.management,
            alerting.is_some(),
            Detail::Alarm(AlarmDetail {
                alarm_state: found.flatten().and_then(|a| a.state.clone()),
                threshold: found.flatten().and_then(|a| a.spec.threshold),
                found: found.map(|f| f.is_some()),
            }),
        ));
    }
}

fn topic_rows(
    stack: &Stack,
    seen: Option<&ObservedStack>,
    rows: &Rows<'_>,
    out: &mut Vec<ResourceStatus>,
) {
    let region = region_of(seen, stack);
    let alerting: Option<&Alerting> = seen.and_then(|s| s.alerting.as_ref());
    for (name, topic) in &stack.topics {
        let found = alerting.map(|a| a.topics.get(name));
        out.push(rows.row(
            &Resource::Topic {
                region: region.clone(),
                name: name.clone(),
            },
            topic.management,
            alerting.is_some(),
            Detail::Topic(TopicDetail {
                arn: found.flatten().map(|t| t.arn.clone()),
                declared_subscriptions: topic.subscriptions.len(),
                found: found.map(|f| f.is_some()),
            }),
        ));
        for subscription in &topic.subscriptions {
            let protocol = subscription.protocol.as_str();
            // Read: the topic's subscriptions were listed (it exists and the call worked);
            // a topic that does not exist has none.
            let listed = found.map(|f| f.map(|t| t.subscriptions.as_deref()));
            let existing = listed.flatten().flatten().and_then(|subs| {
                subs.iter()
                    .find(|s| s.protocol == protocol && s.endpoint == subscription.endpoint)
            });
            let known = matches!(listed, Some(None) | Some(Some(Some(_))));
            out.push(rows.row(
                &Resource::Subscription {
                    region: region.clone(),
                    topic: name.clone(),
                    protocol: protocol.to_owned(),
                    endpoint: subscription.endpoint.clone(),
                },
                topic.management,
                known,
                Detail::Subscription(SubscriptionDetail {
                    topic: name.clone(),
                    protocol: protocol.to_owned(),
                    endpoint: crate::redact::endpoint(&subscription.endpoint).into_owned(),
                    pending_confirmation: existing.map(|s| s.arn.is_none()),
                    found: known.then_some(existing.is_some()),
                }),
            ));
        }
    }
}

/// `spec.clusters` (Container Insights) and `spec.dashboards`.
fn cluster_and_dashboard_rows(
    stack: &Stack,
    seen: Option<&ObservedStack>,
    rows: &Rows<'_>,
    out: &mut Vec<ResourceStatus>,
) {
    let region = region_of(seen, stack);
    for (name, cluster) in &stack.clusters {
        // Absent: not read (paused, a schedule-only pass, a failed read).
        let state = seen.and_then(|s| s.clusters.get(name));
        let found = match state {
            Some(crate::observed::clusters::ClusterState::Found(found)) => Some(found),
            _ => None,
        };
        out.push(rows.row(
            &Resource::EcsCluster {
                region: region.clone(),
                cluster: name.clone(),
            },
            cluster.management,
            state.is_some(),
            Detail::Cluster(ClusterDetail {
                declared_container_insights: cluster.container_insights.as_str(),
                container_insights: found.and_then(|f| f.container_insights.clone()),
                found: state.map(|_| found.is_some()),
            }),
        ));
    }
    let dashboards = seen.and_then(|s| s.dashboards.as_ref());
    for (name, dashboard) in &stack.dashboards {
        out.push(rows.row(
            &Resource::Dashboard {
                region: region.clone(),
                name: name.clone(),
            },
            dashboard.management,
            dashboards.is_some(),
            Detail::Dashboard(DashboardDetail {
                generated: matches!(
                    dashboard.content,
                    desired_state::DashboardContent::Generated
                ),
                found: dashboards.map(|d| d.found.contains_key(name)),
            }),
        ));
    }
}
