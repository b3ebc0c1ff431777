#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;
use crate::schedule::{parse_crontab, parse_window, MonthDay, Override, WakeState};

use WakeState::{Asleep, Awake};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn awake(tz: Tz, windows: &[&str]) -> Schedule {
    Schedule {
        timezone: tz,
        rule: ScheduleRule::Awake(windows.iter().map(|w| parse_window(w).unwrap()).collect()),
        holidays: BTreeSet::new(),
        yearly_holidays: BTreeSet::new(),
        temporary_override: None,
    }
}

fn asleep(tz: Tz, windows: &[&str]) -> Schedule {
    Schedule {
        rule: ScheduleRule::Asleep(windows.iter().map(|w| parse_window(w).unwrap()).collect()),
        ..awake(tz, &[])
    }
}

fn cron(tz: Tz, sleep_at: &str, wake_at: &str) -> Schedule {
    Schedule {
        rule: ScheduleRule::Cron {
            sleep_at: parse_crontab(sleep_at).unwrap(),
            wake_at: parse_crontab(wake_at).unwrap(),
        },
        ..awake(tz, &[])
    }
}

/// `(instant as RFC 3339 UTC, state)` of every transition, for readable assertions.
fn walk(schedule: &Schedule, from: &str, to: &str) -> Vec<(String, WakeState)> {
    transitions(schedule, utc(from), utc(to))
        .into_iter()
        .map(|t| (t.at.format("%Y-%m-%dT%H:%MZ").to_string(), t.state))
        .collect()
}

fn at(text: &str, state: WakeState) -> (String, WakeState) {
    (text.to_owned(), state)
}

#[test]
fn office_hours_in_berlin_follow_the_local_clock_across_both_changes() {
    let s = awake(chrono_tz::Europe::Berlin, &["Mon-Fri 07:00-20:00"]);
    // The week before and the week after 2026-03-29 (clocks go 02:00 → 03:00).
    assert_eq!(
        walk(&s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"),
        vec![
            at("2026-03-27T06:00Z", Awake), // Fri 07:00 CET
            at("2026-03-27T19:00Z", Asleep),
            at("2026-03-30T05:00Z", Awake), // Mon 07:00 CEST
            at("2026-03-30T18:00Z", Asleep),
        ]
    );
    // 2026-10-25: clocks go 03:00 → 02:00.
    assert_eq!(
        walk(&s, "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"),
        vec![
            at("2026-10-23T05:00Z", Awake),
            at("2026-10-23T18:00Z", Asleep),
            at("2026-10-26T06:00Z", Awake),
            at("2026-10-26T19:00Z", Asleep),
        ]
    );
}

#[test]
fn an_edge_in_a_skipped_hour_happens_when_the_gap_ends() {
    // Berlin skips 02:00-02:59 on 2026-03-29; the window starts at 02:30, which never
    // shows on a clock: the first instant after the gap is 03:00 CEST = 01:00 UTC.
    let s = awake(chrono_tz::Europe::Berlin, &["Sun 02:30-12:00"]);
    assert_eq!(
        walk(&s, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
        vec![
            at("2026-03-29T01:00Z", Awake),
            at("2026-03-29T10:00Z", Asleep)
        ]
    );
    assert_eq!(state_at(&s, utc("2026-03-29T00:59:59Z")), Asleep);
    assert_eq!(state_at(&s, utc("2026-03-29T01:00:00Z")), Awake);
}

#[test]
fn an_edge_in_a_repeated_hour_happens_once_at_its_first_occurrence() {
    // Berlin repeats 02:00-02:59 on 2026-10-25: 02:30 CEST (00:30 UTC), then 02:30 CET.
    let s = awake(chrono_tz::Europe::Berlin, &["Sun 02:30-12:00"]);
    assert_eq!(
        walk(&s, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
        vec![
            at("2026-10-25T00:30Z", Awake),
            at("2026-10-25T11:00Z", Asleep)
        ]
    );
    // 02:10 CET, the second time the clock shows 02:10: still awake (a wall-clock
    // evaluation would put it back to sleep for twenty minutes).
    assert_eq!(state_at(&s, utc("2026-10-25T01:10:00Z")), Awake);
    // A window that ends in the repeated hour ends at the first 02:30.
    let night = asleep(chrono_tz::Europe::Berlin, &["Sat 22:00-02:30"]);
    assert_eq!(
        walk(&night, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
        vec![
            at("2026-10-24T20:00Z", Asleep),
            at("2026-10-25T00:30Z", Awake)
        ]
    );
}

#[test]
fn new_york_overnight_sleep_across_both_changes() {
    let s = asleep(chrono_tz::America::New_York, &["Sat 20:00-08:00"]);
    // 2026-03-08: 02:00 EST → 03:00 EDT. Sleeps 20:00 EST, wakes 08:00 EDT: 11 hours.
    assert_eq!(
        walk(&s, "2026-03-07T12:00:00Z", "2026-03-08T18:00:00Z"),
        vec![
            at("2026-03-08T01:00Z", Asleep),
            at("2026-03-08T12:00Z", Awake)
        ]
    );
    // 2026-11-01: 02:00 EDT → 01:00 EST. 13 hours.
    assert_eq!(
        walk(&s, "2026-10-31T12:00:00Z", "2026-11-01T18:00:00Z"),
        vec![
            at("2026-11-01T00:00Z", Asleep),
            at("2026-11-01T13:00Z", Awake)
        ]
    );
}

#[test]
fn cron_pairs_fire_once_in_a_repeated_hour_and_after_a_gap() {
    // New York repeats 01:00-01:59 on 2026-11-01: `30 1 * * *` fires at 01:30 EDT only.
    let s = cron(chrono_tz::America::New_York, "30 1 * * *", "0 6 * * *");
    assert_eq!(
        walk(&s, "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
        vec![
            at("2026-11-01T05:30Z", Asleep),
            at("2026-11-01T11:00Z", Awake)
        ]
    );
    assert_eq!(state_at(&s, utc("2026-11-01T06:45:00Z")), Asleep); // 01:45 EST
                                                                   // 2026-03-08 skips 02:00-02:59: `30 2 * * *` fires when the gap ends, 03:00 EDT.
    let s = cron(chrono_tz::America::New_York, "30 2 * * *", "0 6 * * *");
    assert_eq!(
        walk(&s, "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z"),
        vec![
            at("2026-03-08T07:00Z", Asleep),
            at("2026-03-08T10:00Z", Awake)
        ]
    );
}

#[test]
fn sydney_autumn_and_spring() {
    let s = awake(
        chrono_tz::Australia::Sydney,
        &["Mon-Fri 07:00-19:00", "Sun 02:30-04:00"],
    );
    // 2026-04-05 (Sunday): 03:00 AEDT → 02:00 AEST; 02:30 first occurs at 02:30 AEDT.
    assert_eq!(
        walk(&s, "2026-04-04T12:00:00Z", "2026-04-05T12:00:00Z"),
        vec![
            at("2026-04-04T15:30Z", Awake),
            at("2026-04-04T18:00Z", Asleep)
        ]
    );
    // 2026-10-04 (Sunday): 02:00 AEST → 03:00 AEDT; 02:30 is skipped.
    assert_eq!(
        walk(&s, "2026-10-03T12:00:00Z", "2026-10-04T12:00:00Z"),
        vec![
            at("2026-10-03T16:00Z", Awake),
            at("2026-10-03T17:00Z", Asleep)
        ]
    );
}

#[test]
fn lord_howe_shifts_by_thirty_minutes() {
    let s = awake(chrono_tz::Australia::Lord_Howe, &["Sun 01:45-02:15"]);
    // 2026-04-05: 02:00 (+11) → 01:30 (+10:30): 01:45 first at +11 (14:45 UTC); 02:15
    // happens once, at +10:30 (15:45 UTC), so the window lasts an hour.
    assert_eq!(
        walk(&s, "2026-04-04T12:00:00Z", "2026-04-05T12:00:00Z"),
        vec![
            at("2026-04-04T14:45Z", Awake),
            at("2026-04-04T15:45Z", Asleep)
        ]
    );
    // 2026-10-04: 02:00 (+10:30) → 02:30 (+11): 02:15 is skipped, the window ends at
    // the jump (15:30 UTC) and lasts fifteen minutes.
    assert_eq!(
        walk(&s, "2026-10-03T12:00:00Z", "2026-10-04T12:00:00Z"),
        vec![
            at("2026-10-03T15:15Z", Awake),
            at("2026-10-03T15:30Z", Asleep)
        ]
    );
}

#[test]
fn a_zone_without_daylight_saving_keeps_its_utc_times() {
    let s = awake(chrono_tz::Asia::Tokyo, &["Mon-Fri 09:00-18:00"]);
    let found = transitions(&s, utc("2026-03-01T00:00:00Z"), utc("2026-11-30T00:00:00Z"));
    assert!(!found.is_empty());
    for t in found {
        let expected = if t.state == Awake { "00:00" } else { "09:00" };
        assert_eq!(t.at.format("%H:%M").to_string(), expected, "{t:?}");
    }
}

#[test]
fn holidays_dated_and_yearly_sleep_all_day() {
    let mut s = awake(chrono_tz::Europe::Berlin, &["Mon-Sun 00:00-24:00"]);
    s.holidays
        .insert(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap());
    s.yearly_holidays.insert(MonthDay { month: 12, day: 31 });
    assert_eq!(
        walk(&s, "2026-12-22T00:00:00Z", "2027-01-02T00:00:00Z"),
        vec![
            at("2026-12-23T23:00Z", Asleep), // midnight Berlin
            at("2026-12-24T23:00Z", Awake),
            at("2026-12-30T23:00Z", Asleep),
            at("2026-12-31T23:00Z", Awake),
        ]
    );
    assert_eq!(state_at(&s, utc("2027-12-31T12:00:00Z")), Asleep);
}

#[test]
fn overrides_last_until_they_expire() {
    let mut s = awake(chrono_tz::Europe::Berlin, &["Mon-Fri 07:00-20:00"]);
    // Monday 2026-03-02: keep awake until 22:00 Berlin.
    s.temporary_override = Some(Override {
        state: Awake,
        until: utc("2026-03-02T21:00:00Z"),
    });
    assert_eq!(state_at(&s, utc("2026-03-02T20:00:00Z")), Awake);
    assert_eq!(
        walk(&s, "2026-03-02T12:00:00Z", "2026-03-03T12:00:00Z"),
        vec![
            at("2026-03-02T21:00Z", Asleep),
            at("2026-03-03T06:00Z", Awake)
        ]
    );
    // A tag override wins over the desired state's while it lasts.
    let tag = Override {
        state: Asleep,
        until: utc("2026-03-03T09:00:00Z"),
    };
    assert_eq!(
        state_with_override(&s, utc("2026-03-02T20:00:00Z"), Some(&tag)),
        Asleep
    );
    let found = transitions_with_override(
        &s,
        utc("2026-03-02T12:00:00Z"),
        utc("2026-03-03T12:00:00Z"),
        Some(&tag),
    );
    assert_eq!(
        found,
        vec![Transition {
            at: utc("2026-03-03T09:00:00Z"),
            state: Awake
        }]
    );
}

#[test]
fn next_transition_looks_past_a_long_weekend() {
    let s = awake(chrono_tz::Europe::Berlin, &["Mon-Fri 07:00-20:00"]);
    let next = next_transition(&s, utc("2026-03-06T20:00:00Z"), Duration::days(30), None).unwrap();
    assert_eq!(next.at, utc("2026-03-09T06:00:00Z"));
    assert_eq!(next.state, Awake);
}

const ZONES: [Tz; 6] = [
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::UTC,
];

prop_compose! {
    fn window()(days in 1u8..128, start in 0u16..96, length in 1u16..96) -> String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let days: Vec<&str> = (0..7).filter(|i| days & (1 << i) != 0).map(|i| names[i]).collect();
        // Quarter hours, so that the Lord Howe half hour and the gaps are hit often.
        let start_minute = start * 15;
        let end_minute = (start_minute + length * 15) % 1440;
        let end_minute = if end_minute == start_minute { 1440 } else { end_minute };
        format!(
            "{} {:02}:{:02}-{:02}:{:02}",
            days.join(","), start_minute / 60, start_minute % 60, end_minute / 60, end_minute % 60
        )
    }
}

prop_compose! {
    fn schedule()(
        zone in 0usize..ZONES.len(),
        windows in proptest::collection::vec(window(), 1..4),
        awake_rule in any::<bool>(),
        cron_rule in any::<bool>(),
        sleep_hour in 0u32..24,
        wake_hour in 0u32..24,
        holiday_day in 1u32..28,
    ) -> Schedule {
        let tz = ZONES[zone];
        let windows: Vec<&str> = windows.iter().map(String::as_str).collect();
        let mut s = if cron_rule {
            cron(tz, &format!("30 {sleep_hour} * * *"), &format!("0 {wake_hour} * * Mon-Fri"))
        } else if awake_rule {
            awake(tz, &windows)
        } else {
            asleep(tz, &windows)
        };
        s.yearly_holidays.insert(MonthDay { month: 10, day: holiday_day });
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Between transitions the state is constant and equals the last transition's; the
    /// transitions alternate. Start instants cluster around the 2026 DST changes.
    #[test]
    fn state_at_agrees_with_transitions(
        s in schedule(),
        base in 0usize..4,
        offset_minutes in 0i64..(4 * 24 * 60),
        probes in proptest::collection::vec(0i64..(4 * 24 * 60), 1..40),
    ) {
        let bases = ["2026-03-05T00:00:00Z", "2026-03-26T00:00:00Z", "2026-10-01T00:00:00Z", "2026-10-22T00:00:00Z"];
        let from = utc(bases[base]) + Duration::minutes(offset_minutes);
        let to = from + Duration::days(4);
        let found = transitions(&s, from, to);
        for pair in found.windows(2) {
            prop_assert!(pair[0].at < pair[1].at);
            prop_assert_ne!(pair[0].state, pair[1].state);
        }
        if let Some(first) = found.first() {
            prop_assert_ne!(first.state, state_at(&s, from));
        }
        for probe in probes {
            let t = from + Duration::minutes(probe) + Duration::seconds(probe % 60);
            let expected = found
                .iter()
                .take_while(|tr| tr.at <= t)
                .last()
                .map_or_else(|| state_at(&s, from), |tr| tr.state);
            prop_assert_eq!(state_at(&s, t), expected, "at {}", t);
            for tr in &found {
                prop_assert_eq!(state_at(&s, tr.at), tr.state);
            }
        }
    }
}
