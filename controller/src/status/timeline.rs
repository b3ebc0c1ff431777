//! A week of a schedule's off-hours as a small inline SVG: the same half-hour slots
//! `mooring schedule` prints (`schedule_preview::day_slots`), drawn as bars. One per
//! schedule, naming the services on it: at N = 1,000 services on one schedule the week is
//! computed and drawn once, not a thousand times.

use chrono::{DateTime, Timelike, Utc};
use desired_state::Schedule;
use maud::{html, Markup};

use crate::schedule_preview::{day_slots, Slot};

/// Days the page shows.
pub const DAYS: u32 = 7;

const LABEL_WIDTH: u32 = 78;
const SLOT_WIDTH: u32 = 6;
const ROW_HEIGHT: u32 = 14;
const HEADER: u32 = 14;

/// Services named under a timeline; the rest are counted.
const SERVICES_NAMED: usize = 8;

#[derive(Debug, Clone)]
pub struct ScheduleTimeline {
    pub schedule: String,
    /// `cluster/service` of each service on the schedule.
    pub services: Vec<String>,
    pub timezone: String,
    /// Local days from today, labelled (`Thu 12-03`), each in half-hour slots.
    pub days: Vec<(String, Vec<Slot>)>,
    /// Where `now` falls in the first day, in slots (fractional).
    pub now_slot: f64,
}

/// The week from the local day of `now` on.
pub fn week(
    name: &str,
    schedule: &Schedule,
    services: Vec<String>,
    now: DateTime<Utc>,
) -> ScheduleTimeline {
    let local = now.with_timezone(&schedule.timezone);
    let minutes = f64::from(local.hour() * 60 + local.minute());
    ScheduleTimeline {
        services,
        schedule: name.to_owned(),
        timezone: schedule.timezone.name().to_owned(),
        days: day_slots(schedule, now, DAYS)
            .into_iter()
            .map(|(day, slots)| (day.format("%a %m-%d").to_string(), slots))
            .collect(),
        now_slot: minutes / 30.0,
    }
}

/// The services on the schedule as the page lists them: the first few, then a count.
pub fn services_line(line: &ScheduleTimeline) -> String {
    let named: Vec<&str> = line
        .services
        .iter()
        .take(SERVICES_NAMED)
        .map(String::as_str)
        .collect();
    match line.services.len().saturating_sub(SERVICES_NAMED) {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

/// Runs of equal slots: (first slot, length, slot).
fn runs(slots: &[Slot]) -> Vec<(usize, usize, Slot)> {
    let mut runs: Vec<(usize, usize, Slot)> = Vec::new();
    for (index, slot) in slots.iter().enumerate() {
        match runs.last_mut() {
            Some((_, length, last)) if last == slot => *length += 1,
            _ => runs.push((index, 1, *slot)),
        }
    }
    runs
}

fn class(slot: Slot) -> &'static str {
    match slot {
        Slot::Awake => "awake",
        Slot::Asleep => "asleep",
        Slot::Changes => "changes",
    }
}

/// The SVG: one row per day, awake bars full, asleep bars faint, a line at now.
pub fn svg(line: &ScheduleTimeline) -> Markup {
    let slots = line.days.first().map_or(48, |(_, s)| s.len());
    let width = LABEL_WIDTH + SLOT_WIDTH * u32::try_from(slots).unwrap_or(48);
    let height = HEADER + ROW_HEIGHT * u32::try_from(line.days.len()).unwrap_or(0);
    let x = |slot: usize| LABEL_WIDTH + SLOT_WIDTH * u32::try_from(slot).unwrap_or(0);
    let now_x = f64::from(LABEL_WIDTH) + f64::from(SLOT_WIDTH) * line.now_slot;
    html! {
        svg class="timeline" xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height)
            role="img"
            aria-label=(format!("schedule {} ({}), the next {} days", line.schedule, line.timezone, line.days.len())) {
            title { "schedule " (line.schedule) " (" (line.timezone) ")" }
            @for hour in (0..24).step_by(6) {
                text class="hour" x=(x(hour * 2)) y="10" { (format!("{hour:02}:00")) }
            }
            @for (row, (label, day)) in line.days.iter().enumerate() {
                @let y = HEADER + ROW_HEIGHT * u32::try_from(row).unwrap_or(0);
                text class="day" x="0" y=(y + ROW_HEIGHT - 4) { (label) }
                @for (start, length, slot) in runs(day) {
                    rect class=(class(slot)) x=(x(start)) y=(y + 2)
                        width=(SLOT_WIDTH * u32::try_from(length).unwrap_or(0)) height=(ROW_HEIGHT - 4) {}
                }
            }
            line class="now" x1=(format!("{now_x:.1}")) x2=(format!("{now_x:.1}")) y1=(HEADER) y2=(HEADER + ROW_HEIGHT) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_slots_are_drawn_as_one_bar() {
        let slots = [
            Slot::Asleep,
            Slot::Asleep,
            Slot::Changes,
            Slot::Awake,
            Slot::Awake,
        ];
        assert_eq!(
            runs(&slots),
            vec![
                (0, 2, Slot::Asleep),
                (2, 1, Slot::Changes),
                (3, 2, Slot::Awake)
            ]
        );
    }

    #[test]
    fn a_week_of_a_weekday_schedule_draws_seven_rows_with_bars() {
        let desired = desired_state::parse_sources(&[(
            "shop.yaml".into(),
            "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: shop\nspec:\n  region: us-east-1\n  schedules:\n    office:\n      timezone: Europe/Berlin\n      awake: [\"Mon-Fri 08:00-19:00\"]\n  services:\n    - cluster: c\n      name: web\n      desiredCount: 2\n      offHours: { schedule: office, desiredCount: 0 }\n"
                .into(),
        )])
        .unwrap();
        let schedule = &desired.stacks[0].schedules["office"];
        let now = DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let line = week("office", schedule, vec!["c/web".into()], now);
        assert_eq!(line.days.len(), 7);
        assert_eq!(line.days[0].0, "Thu 12-03");
        // 13:00 in Berlin.
        assert!((line.now_slot - 26.0).abs() < f64::EPSILON);
        let svg = svg(&line).into_string();
        assert_eq!(svg.matches("<text class=\"day\"").count(), 7);
        assert!(svg.contains("class=\"awake\""), "{svg}");
        assert!(svg.contains("class=\"asleep\""), "{svg}");
        assert!(
            svg.contains("<title>schedule office (Europe/Berlin)</title>"),
            "{svg}"
        );
        assert_eq!(services_line(&line), "c/web");
        let many = ScheduleTimeline {
            services: (0..10).map(|i| format!("c/s{i}")).collect(),
            ..line
        };
        assert_eq!(
            services_line(&many),
            "c/s0, c/s1, c/s2, c/s3, c/s4, c/s5, c/s6, c/s7 and 2 more"
        );
    }
}
