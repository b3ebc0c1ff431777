//! Off-hours: services sleep and wake on their schedule.
//!
//! Everything a later pass needs lives in tags on the ECS service, so a pass after a crash,
//! or from the Lambda, converges to the same state (DESIGN.md, "Off-hours"):
//!
//! - sleep: `mooring:wake-count` is written first (never overwritten while it exists), then
//!   the scalable target becomes min = max = the sleep count with scaling suspended, then
//!   `desiredCount` = the sleep count, and last `mooring:asleep-since` marks the sleep as
//!   complete. All of it is one apply group: nothing scales down unless the tag was written.
//! - wake: the declared target comes back, `desiredCount` = the declared count, else the
//!   recorded wake count, clamped into [min, max]; the tags are removed last, so a crash
//!   before that only repeats the (idempotent) wake.
//! - churn: a service found above its sleep count while `mooring:asleep-since` says the
//!   sleep completed was woken by something else. It is put back to sleep with a
//!   SleepInterrupted warning, and `mooring:sleep-interruptions` counts how often since it
//!   went to sleep: a tag rather than memory, because the Lambda that runs the schedule
//!   keeps nothing between invocations.
//! - overrides: `mooring:awake-until=<RFC 3339>` / `mooring:asleep-until=...` on the
//!   service force a state until they expire (awake wins when both are active).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use desired_state::{Management, Override, Service, Stack, WakeState};

use super::ecs::{service_group, service_resource};
use super::{Change, EcsOperation, EventType, FieldDiff, Notice, Operation, Plan, Reason};
use crate::observed::autoscaling::SuspendedState;
use crate::observed::{ObservedService, ObservedStack};

/// On an ECS service: the count to restore on wake. Written before anything scales down.
pub const WAKE_COUNT_TAG: &str = "mooring:wake-count";
/// On an ECS service: when its sleep completed (RFC 3339); written after the scale-down.
pub const ASLEEP_SINCE_TAG: &str = "mooring:asleep-since";
/// On an ECS service: how often something else woke it since it went to sleep.
pub const SLEEP_INTERRUPTIONS_TAG: &str = "mooring:sleep-interruptions";
/// On an ECS service: keep it awake until this RFC 3339 instant.
pub const AWAKE_UNTIL_TAG: &str = "mooring:awake-until";
/// On an ECS service: keep it asleep until this RFC 3339 instant.
pub const ASLEEP_UNTIL_TAG: &str = "mooring:asleep-until";

/// The reasons of schedule-driven changes: what the `offhours` Lambda applies.
pub const SCHEDULE_REASONS: [Reason; 3] = [Reason::Sleep, Reason::Wake, Reason::SleepInterrupted];

/// What off-hours wants of one service in this pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// No off-hours, or awake with nothing recorded: the normal planners decide.
    Normal,
    /// The schedule says asleep.
    Asleep { sleep_count: u32 },
    /// Awake, and a sleep is recorded on the service: restore it.
    Waking { wake_count: Option<u32> },
}

/// The scalable target's settings while off-hours decides them, and the reason of the
/// change that sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TargetOverride {
    /// `None`: the declared settings (a wake).
    pub settings: Option<(u32, u32, SuspendedState)>,
    pub reason: Reason,
}

impl Phase {
    pub(super) fn target_override(self) -> Option<TargetOverride> {
        match self {
            Phase::Normal => None,
            Phase::Asleep { sleep_count } => Some(TargetOverride {
                // Scheduled scaling too: a scheduled action raising min would wake it.
                settings: Some((
                    sleep_count,
                    sleep_count,
                    SuspendedState {
                        dynamic_scaling_in_suspended: true,
                        dynamic_scaling_out_suspended: true,
                        scheduled_scaling_suspended: true,
                    },
                )),
                reason: Reason::Sleep,
            }),
            Phase::Waking { .. } => Some(TargetOverride {
                settings: None,
                reason: Reason::Wake,
            }),
        }
    }
}

/// The service's off-hours phase at `now`. Warnings about unreadable tags go to `plan`.
pub(super) fn phase(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Phase {
    if service.management == Management::Paused {
        return Phase::Normal;
    }
    let recorded = found.tags.contains_key(WAKE_COUNT_TAG);
    let schedule = service
        .off_hours
        .as_ref()
        .and_then(|off| Some((off, stack.schedules.get(&off.schedule)?)));
    let asleep = schedule.and_then(|(off, schedule)| {
        let tag_override = tag_override(stack, seen, service, found, now, plan);
        let state = desired_state::state_with_override(schedule, now, tag_override.as_ref());
        (state == WakeState::Asleep).then_some(off.desired_count)
    });
    if service.management == Management::Observe {
        report_observed_sleep(stack, seen, service, found, asleep, plan);
        return Phase::Normal;
    }
    match asleep {
        Some(sleep_count) => Phase::Asleep { sleep_count },
        // Also when offHours left the desired state: a recorded sleep is undone.
        None if recorded => Phase::Waking {
            wake_count: wake_count(service, found),
        },
        None => Phase::Normal,
    }
}

/// `management: observe` changes nothing, but a user watching the schedule before
/// handing it over should see what it would do: when the schedule says asleep and the
/// service runs above its sleep count, a Normal `Sleep` event with the count it would
/// get (reason Sleep, so the `offhours` Lambda reports it too). Nothing is said while
/// awake: an observed service is never put to sleep, so there is nothing to wake.
fn report_observed_sleep(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    asleep: Option<u32>,
    plan: &mut Plan,
) {
    let Some(sleep_count) = asleep.filter(|&count| found.desired_count > count) else {
        return;
    };
    let schedule = service
        .off_hours
        .as_ref()
        .map_or("", |off| off.schedule.as_str());
    plan.notices.push(Notice {
        stack: stack.name.clone(),
        resource: Some(service_resource(seen, service)),
        kind: EventType::Normal,
        reason: Reason::Sleep,
        message: format!(
            "schedule `{schedule}` says asleep: desiredCount would go to {sleep_count}; management is `observe`, so it is only reported"
        ),
        diff: vec![FieldDiff::new(
            "desiredCount",
            found.desired_count,
            sleep_count,
        )],
    });
}

/// The count a wake restores: the declared count, else the recorded one, clamped into the
/// declared autoscaling range.
fn wake_count(service: &Service, found: &ObservedService) -> Option<u32> {
    let recorded = found
        .tags
        .get(WAKE_COUNT_TAG)
        .and_then(|v| v.parse::<u32>().ok());
    let count = service.desired_count.or(recorded);
    match &service.autoscaling {
        Some(scaling) => Some(count.unwrap_or(scaling.min).clamp(scaling.min, scaling.max)),
        None => count,
    }
}

/// The active override tag, if any. An unreadable one is a warning and is ignored.
fn tag_override(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Option<Override> {
    let mut active = Vec::new();
    for (tag, state) in [
        (AWAKE_UNTIL_TAG, WakeState::Awake),
        (ASLEEP_UNTIL_TAG, WakeState::Asleep),
    ] {
        let Some(value) = found.tags.get(tag) else {
            continue;
        };
        match DateTime::parse_from_rfc3339(value) {
            Ok(until) if until > now => active.push(Override {
                state,
                until: until.with_timezone(&Utc),
            }),
            Ok(_) => {}
            Err(_) => plan.notices.push(Notice {
                stack: stack.name.clone(),
                resource: Some(service_resource(seen, service)),
                kind: EventType::Warning,
                reason: Reason::DesiredStateInvalid,
                message: format!(
                    "tag {tag}={value} is not an RFC 3339 instant (e.g. 2026-03-02T22:00:00+01:00); it is ignored"
                ),
                diff: Vec::new(),
            }),
        }
    }
    // Awake first: of two contradicting overrides, the one that keeps things running.
    active.into_iter().next()
}

/// Changes that come before the scalable target in a sleeping service's group: the wake
/// count (first sleep), or the interruption count and a warning (woken by someone else).
pub(super) fn plan_before_scaling(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    phase: Phase,
    plan: &mut Plan,
) {
    let Phase::Asleep { sleep_count } = phase else {
        return;
    };
    if !found.tags.contains_key(WAKE_COUNT_TAG) {
        // Never record a count that is already a sleeping one: the declared count (or the
        // autoscaling min) says more about what waking up should restore.
        let current = found.desired_count;
        let wake = if current > sleep_count {
            current
        } else {
            service
                .desired_count
                .or(service.autoscaling.as_ref().map(|s| s.min))
                .unwrap_or(current)
        };
        plan.changes.push(tag_change(
            stack,
            seen,
            service,
            found,
            Reason::Sleep,
            format!("record wake count {wake} before sleeping"),
            BTreeMap::from([(WAKE_COUNT_TAG.to_owned(), wake.to_string())]),
        ));
        return;
    }
    let Some(since) = found.tags.get(ASLEEP_SINCE_TAG) else {
        // The sleep did not complete (a crash after the wake count was written): this
        // pass finishes it, nothing woke the service.
        return;
    };
    if found.desired_count <= sleep_count {
        return;
    }
    let times = found
        .tags
        .get(SLEEP_INTERRUPTIONS_TAG)
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0)
        .saturating_add(1);
    plan.notices.push(Notice {
        stack: stack.name.clone(),
        resource: Some(service_resource(seen, service)),
        kind: EventType::Warning,
        reason: Reason::SleepInterrupted,
        message: format!(
            "woken outside mooring (desiredCount {} while its schedule says asleep), {times} time(s) since it went to sleep at {since}; putting it back to sleep. A deploy or a person is fighting the schedule: set {AWAKE_UNTIL_TAG}=<RFC 3339> on the service to keep it awake on purpose",
            found.desired_count
        ),
        diff: vec![FieldDiff::new("desiredCount", found.desired_count, sleep_count)],
    });
    plan.changes.push(tag_change(
        stack,
        seen,
        service,
        found,
        Reason::SleepInterrupted,
        format!("count sleep interruption {times}"),
        BTreeMap::from([(SLEEP_INTERRUPTIONS_TAG.to_owned(), times.to_string())]),
    ));
}

/// The count a sleeping or waking service should have, with the reason and a summary, or
/// `None` when off-hours does not decide it.
pub(super) fn wanted_count(phase: Phase, found: &ObservedService) -> Option<(u32, Reason, String)> {
    match phase {
        Phase::Normal => None,
        Phase::Asleep { sleep_count } => {
            let wake = found
                .tags
                .get(WAKE_COUNT_TAG)
                .map_or_else(|| found.desired_count.to_string(), Clone::clone);
            Some((
                sleep_count,
                Reason::Sleep,
                format!("set desiredCount to {sleep_count} (wake count {wake})"),
            ))
        }
        Phase::Waking { wake_count } => {
            wake_count.map(|count| (count, Reason::Wake, format!("set desiredCount to {count}")))
        }
    }
}

/// Changes after the count: the completion mark of a sleep, or the tag removal of a wake.
pub(super) fn plan_after_count(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    phase: Phase,
    now: DateTime<Utc>,
    plan: &mut Plan,
) {
    match phase {
        Phase::Normal => {}
        Phase::Asleep { .. } => {
            if !found.tags.contains_key(ASLEEP_SINCE_TAG) {
                let since = now.to_rfc3339_opts(SecondsFormat::Secs, true);
                plan.changes.push(tag_change(
                    stack,
                    seen,
                    service,
                    found,
                    Reason::Sleep,
                    format!("mark the sleep complete ({ASLEEP_SINCE_TAG}={since})"),
                    BTreeMap::from([(ASLEEP_SINCE_TAG.to_owned(), since)]),
                ));
            }
        }
        Phase::Waking { .. } => {
            let keys: Vec<String> = [WAKE_COUNT_TAG, ASLEEP_SINCE_TAG, SLEEP_INTERRUPTIONS_TAG]
                .iter()
                .filter(|key| found.tags.contains_key(**key))
                .map(|key| (*key).to_owned())
                .collect();
            plan.changes.push(Change {
                stack: stack.name.clone(),
                resource: service_resource(seen, service),
                reason: Reason::Wake,
                summary: format!("remove {}", keys.join(", ")),
                diff: keys
                    .iter()
                    .filter_map(|key| {
                        let before = found.tags.get(key)?;
                        Some(FieldDiff::new(
                            format!("tags.{key}"),
                            before.clone(),
                            serde_json::Value::Null,
                        ))
                    })
                    .collect(),
                operation: Operation::Ecs(EcsOperation::UntagService {
                    arn: found.arn.clone(),
                    keys,
                }),
                group: service_group(seen, service),
            });
        }
    }
}

fn tag_change(
    stack: &Stack,
    seen: &ObservedStack,
    service: &Service,
    found: &ObservedService,
    reason: Reason,
    summary: String,
    tags: BTreeMap<String, String>,
) -> Change {
    Change {
        stack: stack.name.clone(),
        resource: service_resource(seen, service),
        reason,
        summary,
        diff: tags
            .iter()
            .map(|(key, value)| {
                FieldDiff::new(
                    format!("tags.{key}"),
                    found.tags.get(key).cloned(),
                    value.clone(),
                )
            })
            .collect(),
        operation: Operation::Ecs(EcsOperation::TagService {
            arn: found.arn.clone(),
            tags,
        }),
        group: service_group(seen, service),
    }
}

/// Only the schedule-driven changes of a plan (what the `offhours` Lambda applies), with
/// the warnings. The schedule-driven changes of a service never depend on its other
/// changes (those are policy, action or digest updates), so the rest can be left out.
pub fn schedule_driven(plan: super::Plan) -> super::Plan {
    super::Plan {
        changes: plan
            .changes
            .into_iter()
            .filter(|change| SCHEDULE_REASONS.contains(&change.reason))
            .collect(),
        notices: plan
            .notices
            .into_iter()
            .filter(|n| SCHEDULE_REASONS.contains(&n.reason) || n.kind == EventType::Warning)
            .collect(),
    }
}
