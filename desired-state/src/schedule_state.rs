//! Evaluating a schedule: `state_at(schedule, instant)` and `transitions(schedule, from, to)`,
//! pure functions of their arguments, so the controller, the Lambda and `mooring schedule`
//! always agree.
//!
//! Daylight saving is defined (docs/architecture.md, "Off-hours"): every local edge (a window's start
//! or end, a holiday's midnight, a cron firing) happens at one instant, the *first* instant
//! whose local time reaches it. An edge inside a skipped hour therefore happens at the first
//! instant after the gap; an edge inside a repeated hour at its first occurrence, and never
//! again at the second. Windows are intervals of instants built from those edges, which is
//! what makes a repeated hour not re-run a window edge (wall-clock minutes would).
//!
//! `transitions` evaluates `state_at` at every instant where the state could change (each
//! occurrence of every edge), so the two agree by construction; a property test checks it.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::schedule::{CronExpr, Override, Schedule, ScheduleRule, WakeState, Window};

/// A change of state at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub at: DateTime<Utc>,
    /// The state from `at` on.
    pub state: WakeState,
}

/// The state at `instant`: the schedule's own override while it lasts, else the schedule.
pub fn state_at(schedule: &Schedule, instant: DateTime<Utc>) -> WakeState {
    state_with_override(schedule, instant, None)
}

/// Whether services on `schedule` are awake at `instant`.
pub fn is_awake(schedule: &Schedule, instant: DateTime<Utc>) -> bool {
    state_at(schedule, instant) == WakeState::Awake
}

/// The state at `instant` with an extra override (a service tag) that takes precedence over
/// the desired state's own override while it lasts.
pub fn state_with_override(
    schedule: &Schedule,
    instant: DateTime<Utc>,
    extra: Option<&Override>,
) -> WakeState {
    let active = extra
        .into_iter()
        .chain(schedule.temporary_override.iter())
        .find(|o| instant < o.until);
    match active {
        Some(o) => o.state,
        None => scheduled_state(schedule, instant),
    }
}

/// Every change of state in `(from, to]`, in order.
pub fn transitions(schedule: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    transitions_with_override(schedule, from, to, None)
}

/// `transitions` with an extra override (see `state_with_override`).
pub fn transitions_with_override(
    schedule: &Schedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    extra: Option<&Override>,
) -> Vec<Transition> {
    if to <= from {
        return Vec::new();
    }
    let tz = schedule.timezone;
    let mut candidates = BTreeSet::new();
    let first_day = local_date(tz, from) - Duration::days(2);
    let last_day = local_date(tz, to) + Duration::days(2);
    for day in first_day.iter_days().take_while(|day| *day <= last_day) {
        // Holidays change the state at local midnights.
        candidates.extend(occurrences(tz, day.and_time(chrono::NaiveTime::MIN)));
        if let ScheduleRule::Awake(windows) | ScheduleRule::Asleep(windows) = &schedule.rule {
            for window in windows.iter().filter(|w| w.days.contains(&day.weekday())) {
                let (start, end) = window_edges(window, day);
                candidates.extend(occurrences(tz, start));
                candidates.extend(occurrences(tz, end));
            }
        }
    }
    if let ScheduleRule::Cron { sleep_at, wake_at } = &schedule.rule {
        // Three hours either side cover the largest shift of local time there is.
        let naive_from = local_naive(tz, from) - Duration::hours(3);
        let naive_to = local_naive(tz, to) + Duration::hours(3);
        for expr in [sleep_at, wake_at] {
            candidates.extend(
                local_firings(expr, naive_from, naive_to).map(|naive| first_instant(tz, naive)),
            );
        }
    }
    candidates.extend(
        extra
            .into_iter()
            .chain(schedule.temporary_override.iter())
            .map(|o| o.until),
    );
    let mut state = state_with_override(schedule, from, extra);
    let mut found = Vec::new();
    for at in candidates.range((
        std::ops::Bound::Excluded(from),
        std::ops::Bound::Included(to),
    )) {
        let now = state_with_override(schedule, *at, extra);
        if now != state {
            found.push(Transition {
                at: *at,
                state: now,
            });
            state = now;
        }
    }
    found
}

/// The next transition after `from`, looking ahead at most `horizon`.
pub fn next_transition(
    schedule: &Schedule,
    from: DateTime<Utc>,
    horizon: Duration,
    extra: Option<&Override>,
) -> Option<Transition> {
    // Week by week: most schedules change daily, so the first week usually answers.
    let mut start = from;
    while start < from + horizon {
        let end = (start + Duration::days(7)).min(from + horizon);
        if let Some(first) = transitions_with_override(schedule, start, end, extra)
            .into_iter()
            .next()
        {
            return Some(first);
        }
        start = end;
    }
    None
}

/// The state the schedule itself gives (no override).
fn scheduled_state(schedule: &Schedule, instant: DateTime<Utc>) -> WakeState {
    let tz = schedule.timezone;
    if schedule.is_holiday(local_date(tz, instant)) {
        return WakeState::Asleep;
    }
    match &schedule.rule {
        ScheduleRule::Awake(windows) => {
            if in_any_window(windows, tz, instant) {
                WakeState::Awake
            } else {
                WakeState::Asleep
            }
        }
        ScheduleRule::Asleep(windows) => {
            if in_any_window(windows, tz, instant) {
                WakeState::Asleep
            } else {
                WakeState::Awake
            }
        }
        ScheduleRule::Cron { sleep_at, wake_at } => {
            match (
                last_fired(sleep_at, tz, instant),
                last_fired(wake_at, tz, instant),
            ) {
                (Some(slept), Some(woke)) if slept > woke => WakeState::Asleep,
                (Some(_), None) => WakeState::Asleep,
                // Both at the same instant: waking wins, the safer side.
                _ => WakeState::Awake,
            }
        }
    }
}

/// Whether `instant` lies in one of the windows, each occurrence of a window being the
/// interval [first instant of its local start, first instant of its local end).
fn in_any_window(windows: &[Window], tz: Tz, instant: DateTime<Utc>) -> bool {
    let today = local_date(tz, instant);
    // A window that covers `instant` starts on today or yesterday; one more day each side
    // covers local dates that a shift of the clock moves across midnight.
    let first = today - Duration::days(2);
    first.iter_days().take(4).any(|day| {
        windows
            .iter()
            .filter(|w| w.days.contains(&day.weekday()))
            .any(|w| {
                let (start, end) = window_edges(w, day);
                first_instant(tz, start) <= instant && instant < first_instant(tz, end)
            })
    })
}

/// Local start and end of a window's occurrence that starts on `day`.
fn window_edges(window: &Window, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    let start = midnight + Duration::minutes(i64::from(window.start_minute));
    let end_day = if window.is_overnight() {
        midnight + Duration::days(1)
    } else {
        midnight
    };
    // `24:00` is 1440 minutes: the next midnight, which the addition gives.
    (
        start,
        end_day + Duration::minutes(i64::from(window.end_minute)),
    )
}

/// The last firing of `expr` at or before `instant`, as an instant.
fn last_fired(expr: &CronExpr, tz: Tz, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Local time can run backwards (a repeated hour), so a firing that already happened may
    // have a later local time than `instant`'s: start looking three hours later.
    let probe = local_naive(tz, instant) + Duration::hours(3) + Duration::seconds(1);
    expr.schedule()
        .after(&Utc.from_utc_datetime(&probe))
        .rev()
        .map(|naive| first_instant(tz, naive.naive_utc()))
        .find(|at| *at <= instant)
}

/// Local firing times of `expr` in `[from, to]`. The `cron` crate runs on local wall-clock
/// time here (UTC standing in for "no zone"); `first_instant` then applies the DST rules.
fn local_firings(
    expr: &CronExpr,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> impl Iterator<Item = NaiveDateTime> + '_ {
    expr.schedule()
        .after(&Utc.from_utc_datetime(&(from - Duration::seconds(1))))
        .map(|at| at.naive_utc())
        .take_while(move |at| *at <= to)
}

/// The first instant whose local time reaches `local`: the instant itself when it exists
/// once, its first occurrence when repeated, the end of the gap when skipped.
pub fn first_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The instant a gap in local time ends (the clock jumps from before `local` to after it).
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Gaps are whole minutes and at most a day (Samoa skipped 2011-12-30): stepping minute
    // by minute finds the first local time that exists, whose instant is the jump.
    let mut probe = local;
    for _ in 0..(26 * 60) {
        probe += Duration::minutes(1);
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(at) => return at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, second) => return first.min(second).with_timezone(&Utc),
            LocalResult::None => {}
        }
    }
    // Unreachable with real zone data; reading the local time as UTC is a defined answer.
    Utc.from_utc_datetime(&local)
}

/// Every instant at which local time reaches `local` (two in a repeated hour), for the
/// candidate set of `transitions`.
fn occurrences(tz: Tz, local: NaiveDateTime) -> Vec<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => vec![at.with_timezone(&Utc)],
        LocalResult::Ambiguous(first, second) => {
            vec![first.with_timezone(&Utc), second.with_timezone(&Utc)]
        }
        LocalResult::None => vec![gap_end(tz, local)],
    }
}

fn local_naive(tz: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    local_naive(tz, instant).date()
}

#[cfg(test)]
#[path = "schedule_state_tests.rs"]
mod tests;
