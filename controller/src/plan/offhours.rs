//! Off-hours: the changes that put a service to sleep and wake it again. Whether it
//! sleeps is decided once, in `phase.rs` (via `resolve.rs`).
//!
//! Everything a later pass needs lives in tags on the ECS service, so a pass after a crash,
//! or from the Lambda, converges to the same state (docs/architecture.md, "Off-hours"):
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

use super::change::Plan;
use super::evidence::Evidence;
use super::ownership::StepKind;
use super::phase::Phase;
use super::release::format_range;
use super::resolve::ResolvedService;
use super::tags::{
    ASLEEP_SINCE_TAG, AWAKE_UNTIL_TAG, SLEEP_INTERRUPTIONS_TAG, STACK_TAG, WAKE_COUNT_TAG,
    WAKE_RANGE_TAG,
};
use crate::events::{EventType, FieldDiff, Reason};

/// The reasons of schedule-driven changes: what the `offhours` Lambda applies.
pub const SCHEDULE_REASONS: [Reason; 3] = [Reason::Sleep, Reason::Wake, Reason::SleepInterrupted];

/// Changes that come before the scalable target in a sleeping service's group: the wake
/// count (first sleep), or the interruption count and a warning (woken by someone else).
pub(super) fn plan_before_scaling(service: &ResolvedService<'_>, plan: &mut Plan) {
    let Phase::Asleep { sleep_count } = service.phase else {
        return;
    };
    let found = service.found;
    if !found.tags.contains_key(WAKE_COUNT_TAG) {
        // Never record a count that is already a sleeping one: the declared count (or the
        // autoscaling min) says more about what waking up should restore.
        let current = found.desired_count;
        let wake = if current > sleep_count {
            current
        } else {
            service
                .declared
                .desired_count
                .or(service.declared.autoscaling.as_ref().map(|s| s.min))
                .unwrap_or(current)
        };
        // One TagResource: the claim and the range a release would unfreeze to travel
        // with the wake count, so a crash after it leaves a service that is found.
        let mut tags = BTreeMap::from([(WAKE_COUNT_TAG.to_owned(), wake.to_string())]);
        if service.claim {
            tags.insert(STACK_TAG.to_owned(), service.stack.to_owned());
        }
        if let Some(scaling) = &service.declared.autoscaling {
            tags.insert(
                WAKE_RANGE_TAG.to_owned(),
                format_range(scaling.min, scaling.max),
            );
        }
        let step = service.tag(
            StepKind::Given(Reason::Sleep),
            format!("record wake count {wake} before sleeping"),
            tags,
        );
        plan.changes
            .push(step.into_change(service.stack, &service.group, Reason::Sleep));
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
    let mut notice = service.warning(
        service.resource(),
        Reason::SleepInterrupted,
        format!(
            "woken outside mooring (desiredCount {} while its schedule says asleep), {times} time(s) since it went to sleep at {since}; putting it back to sleep. A deploy or a person is fighting the schedule: set {AWAKE_UNTIL_TAG}=<RFC 3339> on the service to keep it awake on purpose",
            found.desired_count
        ),
    );
    notice.diff = vec![FieldDiff::new(
        "desiredCount",
        found.desired_count,
        sleep_count,
    )];
    plan.notices.push(notice);
    let step = service.tag(
        StepKind::Given(Reason::SleepInterrupted),
        format!("count sleep interruption {times}"),
        BTreeMap::from([(SLEEP_INTERRUPTIONS_TAG.to_owned(), times.to_string())]),
    );
    plan.changes
        .push(step.into_change(service.stack, &service.group, Reason::SleepInterrupted));
}

/// Changes after the count: the completion mark of a sleep, or the tag removal of a wake.
/// `wall` is the real time of the pass (not `--now`'s): the tag records when it happened.
pub(super) fn plan_after_count(
    service: &ResolvedService<'_>,
    wall: DateTime<Utc>,
    plan: &mut Plan,
) {
    let found = service.found;
    let step = match service.phase {
        Phase::Normal => return,
        Phase::Asleep { .. } => {
            if found.tags.contains_key(ASLEEP_SINCE_TAG) {
                return;
            }
            let since = wall.to_rfc3339_opts(SecondsFormat::Secs, true);
            service.tag(
                StepKind::Given(Reason::Sleep),
                format!("mark the sleep complete ({ASLEEP_SINCE_TAG}={since})"),
                BTreeMap::from([(ASLEEP_SINCE_TAG.to_owned(), since)]),
            )
        }
        Phase::Waking { .. } => {
            let keys: Vec<String> = [
                WAKE_COUNT_TAG,
                WAKE_RANGE_TAG,
                ASLEEP_SINCE_TAG,
                SLEEP_INTERRUPTIONS_TAG,
            ]
            .iter()
            .filter(|key| found.tags.contains_key(**key))
            .map(|key| (*key).to_owned())
            .collect();
            service.untag(
                StepKind::Given(Reason::Wake),
                format!("remove {}", keys.join(", ")),
                keys,
            )
        }
    };
    let reason = step.kind.reason(&Evidence::Unknown);
    plan.changes
        .push(step.into_change(service.stack, &service.group, reason));
}

/// Only the schedule-driven changes of a plan (what the `offhours` Lambda applies), with
/// the warnings. The schedule-driven changes of a service never depend on its other
/// changes (those are policy, action or digest updates), so the rest can be left out.
pub fn schedule_driven(plan: Plan) -> Plan {
    Plan {
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
