//! Where a service stands in its off-hours schedule at `now`: the decision only. The
//! changes that carry out a sleep or a wake are in `offhours.rs`; the scalable target's
//! settings during one in `autoscaling/`.
//!
//! The schedule is evaluated by the format crate (`desired_state::state_with_override`,
//! DST-correct); override tags on the service (`mooring:awake-until=<RFC 3339>`,
//! `mooring:asleep-until=…`) force a state until they expire (awake wins when both are
//! active). A recorded wake count on an awake service means a sleep to undo.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desired_state::{Management, Override, Service, Stack, WakeState};

use super::change::{Notice, Plan, Resource};
use super::ownership::observe_only;
use super::tags::{ASLEEP_UNTIL_TAG, AWAKE_UNTIL_TAG, WAKE_COUNT_TAG};
use crate::events::{EventType, FieldDiff, Reason};
use crate::observed::autoscaling::SuspendedState;
use crate::observed::ObservedService;

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

    /// The count a sleeping or waking service should have, with the reason and a
    /// summary, or `None` when off-hours does not decide it.
    pub(super) fn wanted_count(self, found: &ObservedService) -> Option<(u32, Reason, String)> {
        match self {
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
            Phase::Waking { wake_count } => wake_count
                .map(|count| (count, Reason::Wake, format!("set desiredCount to {count}"))),
        }
    }
}

/// The service's off-hours phase at `now` (a `full` or `observe` service whose scalable
/// target was read). Warnings about unreadable override tags go to `plan`; under
/// `observe` the phase is always Normal, and a sleep it would make is reported.
pub(super) fn phase(
    stack: &Stack,
    service: &Service,
    found: &ObservedService,
    resource: &Resource,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Phase {
    let recorded = found.tags.contains_key(WAKE_COUNT_TAG);
    let schedule = service
        .off_hours
        .as_ref()
        .and_then(|off| Some((off, stack.schedules.get(&off.schedule)?)));
    let asleep = schedule.and_then(|(off, schedule)| {
        let tag_override = tag_override(&stack.name, found, resource, now, plan);
        let state = desired_state::state_with_override(schedule, now, tag_override.as_ref());
        (state == WakeState::Asleep).then_some(off.desired_count)
    });
    if service.management == Management::Observe {
        report_observed_sleep(&stack.name, service, found, resource, asleep, plan);
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
    stack: &str,
    service: &Service,
    found: &ObservedService,
    resource: &Resource,
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
        stack: stack.to_owned(),
        resource: Some(resource.clone()),
        kind: EventType::Normal,
        reason: Reason::Sleep,
        message: observe_only(&format!(
            "schedule `{schedule}` says asleep: desiredCount would go to {sleep_count}"
        )),
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
    stack: &str,
    found: &ObservedService,
    resource: &Resource,
    now: DateTime<Utc>,
    plan: &mut Plan,
) -> Option<Override> {
    let (active, unreadable) = override_tags(&found.tags, now);
    for (tag, value) in unreadable {
        plan.notices.push(Notice::warning(
            stack,
            Some(resource.clone()),
            Reason::DesiredStateInvalid,
            format!(
                "tag {tag}={value} is not an RFC 3339 instant (e.g. 2026-03-02T22:00:00+01:00); it is ignored"
            ),
        ));
    }
    active
}

/// The override a service's tags set at `now` (awake first: of two contradicting
/// overrides, the one that keeps things running), and the override tags that are not an
/// RFC 3339 instant. The status page shows the same override the planner obeys.
pub(crate) fn override_tags(
    tags: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> (Option<Override>, Vec<(&'static str, &str)>) {
    let mut active = Vec::new();
    let mut unreadable = Vec::new();
    for (tag, state) in [
        (AWAKE_UNTIL_TAG, WakeState::Awake),
        (ASLEEP_UNTIL_TAG, WakeState::Asleep),
    ] {
        let Some(value) = tags.get(tag) else {
            continue;
        };
        match DateTime::parse_from_rfc3339(value) {
            Ok(until) if until > now => active.push(Override {
                state,
                until: until.with_timezone(&Utc),
            }),
            Ok(_) => {}
            Err(_) => unreadable.push((tag, value.as_str())),
        }
    }
    (active.into_iter().next(), unreadable)
}
