//! `mooring schedule`: when each service sleeps and wakes, from the desired state alone
//! (no AWS: override tags on services are not seen here, the desired state's overrides are).

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use desired_state::{DesiredState, Schedule, WakeState};

/// Characters per local day in the timeline: one per half hour.
const SLOTS_PER_DAY: i64 = 48;

/// The preview of every service with off-hours: its next transitions in `days` days after
/// `from`, with local and UTC times, and a timeline of those days.
pub fn preview_text(desired: &DesiredState, from: DateTime<Utc>, days: u32) -> String {
    let mut out = String::new();
    let to = from + Duration::days(i64::from(days));
    let mut any = false;
    for stack in &desired.stacks {
        for service in &stack.services {
            let Some(off) = &service.off_hours else {
                continue;
            };
            let Some(schedule) = stack.schedules.get(&off.schedule) else {
                continue;
            };
            any = true;
            let awake_count = match (&service.desired_count, &service.autoscaling) {
                (Some(count), _) => format!("{count} task(s)"),
                (None, Some(scaling)) => format!("autoscaling {}-{}", scaling.min, scaling.max),
                (None, None) => "its count before sleeping".to_owned(),
            };
            let tz = schedule.timezone;
            let _ = writeln!(
                out,
                "{}/{}/{}  schedule {} ({})  awake: {awake_count}, asleep: {} task(s)",
                stack.name,
                service.cluster,
                service.name,
                off.schedule,
                tz.name(),
                off.desired_count
            );
            let _ = writeln!(
                out,
                "  {} at {}",
                desired_state::state_at(schedule, from),
                both_times(tz, from)
            );
            let transitions = desired_state::transitions(schedule, from, to);
            if transitions.is_empty() {
                let _ = writeln!(out, "  no transitions in the next {days} day(s)");
            }
            for transition in &transitions {
                let verb = match transition.state {
                    WakeState::Awake => "wake ",
                    WakeState::Asleep => "sleep",
                };
                let _ = writeln!(out, "  {verb}  {}", both_times(tz, transition.at));
            }
            out.push_str(&timeline(schedule, from, days));
            out.push('\n');
        }
    }
    if !any {
        out.push_str("no service has offHours\n");
    }
    out
}

/// `Mon 2026-03-02 20:00 CET   (2026-03-02 19:00 UTC)`
fn both_times(tz: Tz, at: DateTime<Utc>) -> String {
    format!(
        "{}   ({})",
        at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M %Z"),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// One line per local day, one character per half hour: `█` awake, `·` asleep, `▒` a
/// transition inside the half hour. Days with a clock change still get 48 characters of
/// local time; a skipped half hour shows the state after the gap.
fn timeline(schedule: &Schedule, from: DateTime<Utc>, days: u32) -> String {
    let tz = schedule.timezone;
    let mut out = format!("  {:<10}", "local");
    for hour in (0..24).step_by(3) {
        let _ = write!(out, "{hour:<7}");
    }
    out = out.trim_end().to_owned() + "\n";
    let first_day = from.with_timezone(&tz).date_naive();
    for day in first_day.iter_days().take(days.max(1) as usize) {
        let _ = write!(out, "  {} ", day.format("%a %m-%d"));
        let midnight = day.and_time(NaiveTime::MIN);
        for slot in 0..SLOTS_PER_DAY {
            let start = desired_state::first_instant(tz, midnight + Duration::minutes(slot * 30));
            let end =
                desired_state::first_instant(tz, midnight + Duration::minutes((slot + 1) * 30));
            let mark = if !desired_state::transitions(schedule, start, end - Duration::seconds(1))
                .is_empty()
            {
                '▒'
            } else if desired_state::state_at(schedule, start) == WakeState::Awake {
                '█'
            } else {
                '·'
            };
            out.push(mark);
            // A space every three hours keeps the columns readable against the header.
            if slot % 6 == 5 && slot + 1 < SLOTS_PER_DAY {
                out.push(' ');
            }
        }
        out.push('\n');
    }
    out
}
