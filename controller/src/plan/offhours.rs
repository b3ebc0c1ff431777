//! Off-hours: the changes that put a service to sleep and wake it again. Whether it
//! sleeps is decided once, in `phase.rs` (via `resolve.rs`).
//!
//! Everything a later pass needs lives in tags on the ECS service, so a pass after a crash,
//! or from the Lambda, converges to the same state (docs/architecture.md, "Off-hours"):
//!
//! - sleep: one TagResource first — `mooring:wake-count` (never overwritten while it
//!   exists), `mooring:asleep-since`, and the claim, range and count record when due —
//!   then the scalable target becomes min = max = the sleep count with scaling suspended,
//!   then `desiredCount` = the sleep count. All of it is one apply group: nothing scales
//!   down unless the tag was written. One tag write per sleep: AWS's ECS tag bucket
//!   (burst 20, refill 10/s) is shared by every service of the account.
//! - wake: the declared target comes back, `desiredCount` = the declared count, else the
//!   recorded wake count, clamped into [min, max]; the tags are removed last, so a crash
//!   before that only repeats the (idempotent) wake.
//! - churn: a service found above its sleep count while its sleep is recorded is put back
//!   to sleep with a SleepInterrupted warning. At a count other than the recorded wake
//!   count, something else woke it for certain, and `mooring:sleep-interruptions` counts
//!   how often since it went to sleep: a tag rather than memory, because the Lambda that
//!   runs the schedule keeps nothing between invocations. At the recorded wake count it
//!   may as well be a pass that stopped between the tag and the scale-down: the warning
//!   names both causes and nothing is counted.
//! - overrides: `mooring:awake-until=<RFC 3339>` / `mooring:asleep-until=...` on the
//!   service force a state until they expire (awake wins when both are active).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use desired_state::Management;

use super::change::Plan;
use super::evidence::Evidence;
use super::ownership::StepKind;
use super::phase::Phase;
use super::release::format_range;
use super::resolve::ResolvedService;
use super::tags::{
    ASLEEP_SINCE_TAG, AWAKE_UNTIL_TAG, COUNT_TAG, SLEEP_INTERRUPTIONS_TAG, STACK_TAG,
    WAKE_COUNT_TAG, WAKE_RANGE_TAG,
};
use crate::events::{EventType, FieldDiff, Reason};

/// The reasons of schedule-driven changes: what the `offhours` Lambda applies.
pub const SCHEDULE_REASONS: [Reason; 3] = [Reason::Sleep, Reason::Wake, Reason::SleepInterrupted];

/// Changes that come before the scalable target in a sleeping service's group: the one
/// TagResource that records the sleep (first pass of a sleep), or the interruption
/// warning (woken by someone else).
pub(super) fn plan_before_scaling(
    service: &ResolvedService<'_>,
    wall: DateTime<Utc>,
    plan: &mut Plan,
) {
    let Phase::Asleep { sleep_count } = service.phase else {
        return;
    };
    let found = service.found;
    let recorded =
        found.tags.contains_key(WAKE_COUNT_TAG) && found.tags.contains_key(ASLEEP_SINCE_TAG);
    if !recorded {
        plan_sleep_record(service, sleep_count, wall, plan);
        // The first pass of this sleep (or one that finishes a sleep recorded by an
        // older mooring, without `asleep-since`): nothing woke the service since.
        return;
    }
    if found.desired_count <= sleep_count {
        return;
    }
    let since = found.tags.get(ASLEEP_SINCE_TAG).map_or("", String::as_str);
    let wake = found
        .tags
        .get(WAKE_COUNT_TAG)
        .and_then(|v| v.parse::<u32>().ok());
    let mut notice = if wake == Some(found.desired_count) {
        // The sleep was recorded before the scale-down, so a pass that stopped in
        // between (killed, timed out, throttled) leaves exactly this: the recorded wake
        // count still in place. Something setting the count back to its awake value
        // looks the same, and nothing DescribeServices returns tells them apart. Not
        // counted: the count must not grow with every interrupted pass.
        service.warning(
            service.resource(),
            Reason::SleepInterrupted,
            format!(
                "desiredCount {} is its recorded wake count while its schedule says asleep (sleep recorded at {since}): either the pass that recorded the sleep stopped before scaling down (killed, timed out or throttled), or a deploy or a person set it back to its awake count; putting it back to sleep. Not counted in {SLEEP_INTERRUPTIONS_TAG}, which counts only certain interruptions; set {AWAKE_UNTIL_TAG}=<RFC 3339> on the service to keep it awake on purpose",
                found.desired_count
            ),
        )
    } else {
        // A count mooring never set during this sleep: something else woke it.
        let times = found
            .tags
            .get(SLEEP_INTERRUPTIONS_TAG)
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            .saturating_add(1);
        let step = service.tag(
            StepKind::Given(Reason::SleepInterrupted),
            format!("count sleep interruption {times}"),
            BTreeMap::from([(SLEEP_INTERRUPTIONS_TAG.to_owned(), times.to_string())]),
        );
        plan.changes.push(step.into_change(
            service.stack,
            &service.group,
            Reason::SleepInterrupted,
        ));
        service.warning(
            service.resource(),
            Reason::SleepInterrupted,
            format!(
                "woken outside mooring (desiredCount {} while its schedule says asleep), {times} time(s) since it went to sleep at {since}; putting it back to sleep. A deploy or a person is fighting the schedule: set {AWAKE_UNTIL_TAG}=<RFC 3339> on the service to keep it awake on purpose",
                found.desired_count
            ),
        )
    };
    notice.diff = vec![FieldDiff::new(
        "desiredCount",
        found.desired_count,
        sleep_count,
    )];
    plan.notices.push(notice);
}

/// The one TagResource of a sleep, before anything scales down: the wake count, when the
/// sleep started, and what else is due on the service — the claim, the range a release
/// would unfreeze to, the count record — so that a crash after it leaves a service that is
/// found, and a sleep costs one tag write. Only what is missing is written (never a wake
/// count over an existing one).
fn plan_sleep_record(
    service: &ResolvedService<'_>,
    sleep_count: u32,
    wall: DateTime<Utc>,
    plan: &mut Plan,
) {
    let found = service.found;
    let mut tags = BTreeMap::new();
    let mut what = Vec::new();
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
        tags.insert(WAKE_COUNT_TAG.to_owned(), wake.to_string());
        what.push(format!("wake count {wake}"));
        if service.claim {
            tags.insert(STACK_TAG.to_owned(), service.stack.to_owned());
        }
        if let Some(scaling) = &service.declared.autoscaling {
            tags.insert(
                WAKE_RANGE_TAG.to_owned(),
                format_range(scaling.min, scaling.max),
            );
        }
        // The count a wake restores is the declared one: recording it now spares the wake
        // a TagResource of its own (`service.rs`'s record after a wake).
        if let Some(count) = service
            .declared
            .desired_count
            .filter(|_| service.count_is_ours && service.declared.management == Management::Full)
        {
            if found.tags.get(COUNT_TAG) != Some(&count.to_string()) {
                tags.insert(COUNT_TAG.to_owned(), count.to_string());
            }
        }
    }
    if !found.tags.contains_key(ASLEEP_SINCE_TAG) {
        let since = wall.to_rfc3339_opts(SecondsFormat::Secs, true);
        what.push(format!("{ASLEEP_SINCE_TAG}={since}"));
        tags.insert(ASLEEP_SINCE_TAG.to_owned(), since);
    }
    if tags.is_empty() {
        return;
    }
    let step = service.tag(
        StepKind::Given(Reason::Sleep),
        format!("record the sleep before scaling down ({})", what.join(", ")),
        tags,
    );
    plan.changes
        .push(step.into_change(service.stack, &service.group, Reason::Sleep));
}

/// The tag removal of a wake, after the count is back: everything the sleep recorded, in
/// one UntagResource.
pub(super) fn plan_after_count(service: &ResolvedService<'_>, plan: &mut Plan) {
    let Phase::Waking { .. } = service.phase else {
        return;
    };
    let found = service.found;
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
    let step = service.untag(
        StepKind::Given(Reason::Wake),
        format!("remove {}", keys.join(", ")),
        keys,
    );
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
