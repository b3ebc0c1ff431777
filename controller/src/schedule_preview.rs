//! `mooring schedule`: when each service sleeps and wakes, from the desired state alone
//! (no AWS: override tags on services are not seen here, the desired state's overrides are).

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
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
            // Named fields: `a/b/c` left readers guessing which part was the cluster.
            let _ = writeln!(
                out,
                "stack {} · cluster {} · service {}",
                stack.name, service.cluster, service.name
            );
            let _ = writeln!(
                out,
                "  schedule {} ({}) · awake: {awake_count}, asleep: {} task(s)",
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
            for line in transition_lines(schedule, &transitions, from, days) {
                let _ = writeln!(out, "  {line}");
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

/// The transitions, and each holiday in the preview, in time order. A holiday keeps the
/// services asleep all day: a sleep on one is labelled `(holiday)`, and a holiday that
/// changes nothing (already asleep from the evening before) still gets a line, so a
/// missing morning wake is explained.
fn transition_lines(
    schedule: &Schedule,
    transitions: &[desired_state::Transition],
    from: DateTime<Utc>,
    days: u32,
) -> Vec<String> {
    let tz = schedule.timezone;
    let mut lines: Vec<(DateTime<Utc>, String)> = transitions
        .iter()
        .map(|transition| {
            let local_day = transition.at.with_timezone(&tz).date_naive();
            let (verb, label) = match transition.state {
                WakeState::Awake => ("wake ", ""),
                WakeState::Asleep if schedule.is_holiday(local_day) => ("sleep", "  (holiday)"),
                WakeState::Asleep => ("sleep", ""),
            };
            (
                transition.at,
                format!("{verb}  {}{label}", both_times(tz, transition.at)),
            )
        })
        .collect();
    let first_day = from.with_timezone(&tz).date_naive();
    for day in first_day.iter_days().take(days as usize + 1) {
        let midnight = desired_state::first_instant(tz, day.and_time(NaiveTime::MIN));
        let labelled = transitions
            .iter()
            .any(|t| t.state == WakeState::Asleep && t.at.with_timezone(&tz).date_naive() == day);
        let in_preview = from < midnight && midnight <= from + Duration::days(i64::from(days));
        if schedule.is_holiday(day)
            && !labelled
            && in_preview
            && desired_state::state_at(schedule, midnight) == WakeState::Asleep
        {
            let text = format!("holiday {}: asleep all day", day.format("%a %Y-%m-%d"));
            lines.push((midnight, text));
        }
    }
    lines.sort_by_key(|(at, _)| *at);
    lines.into_iter().map(|(_, line)| line).collect()
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
    let mut out = format!("  {:<10}", "local");
    for hour in (0..24).step_by(3) {
        let _ = write!(out, "{hour:<7}");
    }
    out = out.trim_end().to_owned() + "\n";
    for (day, slots) in day_slots(schedule, from, days) {
        let _ = write!(out, "  {} ", day.format("%a %m-%d"));
        for (index, slot) in slots.iter().enumerate() {
            out.push(match slot {
                Slot::Changes => '▒',
                Slot::Awake => '█',
                Slot::Asleep => '·',
            });
            // A space every three hours keeps the columns readable against the header.
            if index % 6 == 5 && index + 1 < slots.len() {
                out.push(' ');
            }
        }
        out.push('\n');
    }
    out
}

/// A half hour of a schedule's local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Awake,
    Asleep,
    /// The state changes within the half hour.
    Changes,
}

/// `days` local days of the schedule from the day of `from`, each in half hours
/// (`SLOTS_PER_DAY`): what `mooring schedule` prints as its timeline and the status page
/// draws.
pub fn day_slots(
    schedule: &Schedule,
    from: DateTime<Utc>,
    days: u32,
) -> Vec<(NaiveDate, Vec<Slot>)> {
    let tz = schedule.timezone;
    let first_day = from.with_timezone(&tz).date_naive();
    first_day
        .iter_days()
        .take(days.max(1) as usize)
        .map(|day| {
            let midnight = day.and_time(NaiveTime::MIN);
            let slots = (0..SLOTS_PER_DAY)
                .map(|slot| {
                    let start =
                        desired_state::first_instant(tz, midnight + Duration::minutes(slot * 30));
                    let end = desired_state::first_instant(
                        tz,
                        midnight + Duration::minutes((slot + 1) * 30),
                    );
                    if !desired_state::transitions(schedule, start, end - Duration::seconds(1))
                        .is_empty()
                    {
                        Slot::Changes
                    } else if desired_state::state_at(schedule, start) == WakeState::Awake {
                        Slot::Awake
                    } else {
                        Slot::Asleep
                    }
                })
                .collect();
            (day, slots)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn desired(schedule: &str) -> DesiredState {
        let yaml = format!(
            "apiVersion: mooring/v1
kind: Stack
metadata: {{ name: shop-nonprod }}
spec:
  schedules:
    office:
      timezone: Europe/Berlin
{schedule}
  services:
    - {{ cluster: shop-dev, name: web, desiredCount: 2, offHours: {{ schedule: office }} }}
"
        );
        desired_state::parse_sources(&[("shop.yaml".into(), yaml)]).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_header_names_stack_cluster_and_service() {
        let text = preview_text(
            &desired("      awake: [\"Mon-Fri 07:00-20:00\"]"),
            at("2026-12-21T12:00:00Z"),
            1,
        );
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("stack shop-nonprod · cluster shop-dev · service web")
        );
        assert_eq!(
            lines.next(),
            Some("  schedule office (Europe/Berlin) · awake: 2 task(s), asleep: 0 task(s)")
        );
    }

    #[test]
    fn holidays_are_labelled_in_the_transition_list() {
        // Awake around the clock except on holidays: the sleep falls on the holiday.
        let always =
            desired("      awake: [\"Mon-Sun 00:00-24:00\"]\n      holidays: [\"2026-12-24\"]");
        let text = preview_text(&always, at("2026-12-23T12:00:00Z"), 3);
        assert!(
            text.contains("  sleep  Thu 2026-12-24 00:00 CET   (2026-12-23 23:00 UTC)  (holiday)"),
            "{text}"
        );
        assert!(text.contains("  wake   Fri 2026-12-25 00:00 CET"), "{text}");
        assert!(!text.contains(
            "(holiday)\n  wake   Fri 2026-12-25 00:00 CET   (2026-12-24 23:00 UTC)  (holiday)"
        ));

        // Office hours: already asleep from the evening before, the holiday changes no
        // state, but its line explains the missing morning wake.
        let office =
            desired("      awake: [\"Mon-Fri 07:00-20:00\"]\n      holidays: [\"2026-12-24\"]");
        let text = preview_text(&office, at("2026-12-23T12:00:00Z"), 3);
        let lines: Vec<&str> = text.lines().collect();
        let sleep = lines
            .iter()
            .position(|l| l.starts_with("  sleep  Wed 2026-12-23 20:00"))
            .unwrap();
        assert_eq!(
            lines[sleep + 1],
            "  holiday Thu 2026-12-24: asleep all day",
            "{text}"
        );
        assert!(
            lines[sleep + 2].starts_with("  wake   Fri 2026-12-25 07:00"),
            "{text}"
        );
    }
}
