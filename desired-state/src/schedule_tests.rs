#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::schedule_state::is_awake;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn office_hours() -> Schedule {
    Schedule {
        timezone: chrono_tz::Europe::Berlin,
        rule: ScheduleRule::Awake(vec![parse_window("Mon-Fri 07:00-20:00").unwrap()]),
        holidays: [NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()].into(),
        yearly_holidays: BTreeSet::new(),
        temporary_override: None,
    }
}

#[test]
fn window_grammar() {
    let w = parse_window("Mon-Fri 07:00-20:00").unwrap();
    assert_eq!(w.days.len(), 5);
    assert_eq!((w.start_minute, w.end_minute), (420, 1200));
    assert_eq!(
        parse_window("Sat 10:00-14:00").unwrap().days,
        vec![Weekday::Sat]
    );
    assert_eq!(
        parse_window("mon,wed,FRI 8:00-18:30").unwrap().days.len(),
        3
    );
    assert_eq!(parse_window("Fri-Mon").unwrap().days.len(), 4);
    assert_eq!(parse_window("Sun 00:00-24:00").unwrap().end_minute, 1440);
    assert!(parse_window("Fri 22:00-02:00").unwrap().is_overnight());
}

#[test]
fn bad_windows_say_what_is_wrong() {
    assert!(parse_window("Mon-Fri 07:00-25:00")
        .unwrap_err()
        .contains("invalid time `25:00`"));
    assert!(parse_window("Mon-Fry 07:00-20:00")
        .unwrap_err()
        .contains("unknown day `Fry`"));
    assert!(parse_window("Mon 07:00")
        .unwrap_err()
        .contains("expected `DAYS HH:MM-HH:MM`"));
    assert!(parse_window("Mon 07:00-07:00")
        .unwrap_err()
        .contains("equal"));
    assert!(parse_window("Mon 07:60-08:00").is_err());
    assert!(parse_window("").is_err());
    assert!(parse_window("Mon 1 2").is_err());
}

#[test]
fn awake_inside_windows_asleep_outside_and_on_holidays() {
    let s = office_hours();
    assert!(is_awake(&s, utc("2026-03-02T08:00:00Z"))); // Mon 09:00 Berlin
    assert!(!is_awake(&s, utc("2026-03-02T19:30:00Z"))); // Mon 20:30 Berlin
    assert!(!is_awake(&s, utc("2026-03-07T10:00:00Z"))); // Saturday
    assert!(!is_awake(&s, utc("2026-12-24T10:00:00Z"))); // holiday, a Thursday
}

#[test]
fn overnight_window_ends_the_next_day() {
    let w = parse_window("Fri 22:00-02:00").unwrap();
    assert!(w.contains(Weekday::Fri, 23 * 60));
    assert!(w.contains(Weekday::Sat, 60));
    assert!(!w.contains(Weekday::Sat, 3 * 60));
    assert!(!w.contains(Weekday::Thu, 23 * 60));
}

#[test]
fn crontab_form_gets_seconds_and_sunday_based_days() {
    let cron = parse_crontab("0 20 * * Mon-Fri").unwrap();
    let next = cron
        .schedule()
        .after(&utc("2026-03-06T21:00:00Z")) // Friday evening
        .next()
        .unwrap();
    assert_eq!(next, utc("2026-03-09T20:00:00Z")); // Monday, not Saturday
    let numeric = parse_crontab("0 7 * * 1-5").unwrap();
    let next = numeric
        .schedule()
        .after(&utc("2026-03-07T00:00:00Z"))
        .next()
        .unwrap();
    assert_eq!(next.weekday(), Weekday::Mon);
    assert!(parse_crontab("0 7 * * 0").is_ok());
    assert!(parse_crontab("0 7 * * 5-7").is_ok());
}

#[test]
fn bad_crontab_is_rejected() {
    assert!(parse_crontab("0 20 * *")
        .unwrap_err()
        .contains("expected 5 fields"));
    assert!(parse_crontab("0 25 * * *").is_err());
    assert!(parse_crontab("0 20 * * Funday").is_err());
    assert!(parse_crontab("0 0 20 * * Mon").is_err());
}

#[test]
fn cron_pair_state_is_whichever_fired_last() {
    let s = Schedule {
        timezone: chrono_tz::UTC,
        rule: ScheduleRule::Cron {
            sleep_at: parse_crontab("0 20 * * *").unwrap(),
            wake_at: parse_crontab("0 7 * * *").unwrap(),
        },
        holidays: BTreeSet::new(),
        yearly_holidays: BTreeSet::new(),
        temporary_override: None,
    };
    assert!(is_awake(&s, utc("2026-03-02T12:00:00Z")));
    assert!(!is_awake(&s, utc("2026-03-02T21:00:00Z")));
    assert!(!is_awake(&s, utc("2026-03-03T06:59:00Z")));
    assert!(is_awake(&s, utc("2026-03-03T07:00:00Z")));
}

#[test]
fn holidays_and_timezones() {
    assert!(parse_holiday("2026-12-24").is_ok());
    assert!(parse_holiday("2026-13-01").is_err());
    assert!(parse_holiday("24.12.2026").is_err());
    assert!(parse_holiday("2026-2-1").is_err());
    assert!(parse_timezone("Europe/Berlin").is_ok());
    assert!(parse_timezone("Europe/Berln")
        .unwrap_err()
        .contains("did you mean `Europe/Berlin`"));
}

#[test]
fn aws_schedule_expressions() {
    assert!(check_aws_schedule("cron(0 7 ? * MON-FRI *)").is_ok());
    assert!(check_aws_schedule("cron(0 18 L * ? *)").is_ok());
    assert!(check_aws_schedule("at(2026-12-24T18:00:00)").is_ok());
    assert!(check_aws_schedule("rate(5 minutes)").is_ok());
    assert!(check_aws_schedule("rate(1 hour)").is_ok());
    assert!(check_aws_schedule("rate(1 hours)").is_err());
    assert!(check_aws_schedule("cron(0 7 * * *)")
        .unwrap_err()
        .contains("6 fields"));
    assert!(check_aws_schedule("0 7 * * *").is_err());
    assert!(check_aws_schedule("at(2026-12-24)").is_err());
}

#[test]
fn a_city_or_a_miscased_zone_suggests_the_iana_name() {
    assert_eq!(
        parse_timezone("London").unwrap_err(),
        "unknown time zone `London`, did you mean `Europe/London`?"
    );
    assert!(parse_timezone("europe/berlin")
        .unwrap_err()
        .contains("did you mean `Europe/Berlin`?"));
    assert!(parse_timezone("New York")
        .unwrap_err()
        .contains("did you mean `America/New_York`?"));
    assert!(parse_timezone("Europe/Berln")
        .unwrap_err()
        .contains("did you mean `Europe/Berlin`?"));
}
