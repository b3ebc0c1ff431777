//! Rules for a `sleepAt` + `wakeAt` pair beyond each expression's own syntax.
//!
//! The state of a cron pair is whichever fired last; when both fire at the same instant,
//! waking wins (`schedule_state.rs`: the safer side, a service is never put to sleep by a
//! tie). Two consequences a person would not expect are checked here:
//!
//! - a pair that always fires together keeps services awake forever: refused;
//! - a pair whose local times differ but fall into the same skipped hour of a daylight-saving
//!   change fires at one instant on that day only (both edges move to the end of the gap),
//!   so waking wins there and the services stay awake until the next `sleepAt`: warned,
//!   naming the date.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::schedule::CronExpr;
use crate::schedule_state::first_instant;

/// Firings compared to decide that two expressions fire at the same times; enough to cover
/// every day-of-week and day-of-month combination of a year for daily schedules.
const COMPARED_FIRINGS: usize = 1000;

/// Why the pair can never put a service to sleep, if it cannot.
pub(crate) fn always_together(sleep: &CronExpr, wake: &CronExpr) -> Option<String> {
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    if squeeze(&sleep.expression) == squeeze(&wake.expression) {
        return Some(format!(
            "`sleepAt` and `wakeAt` are the same expression `{}`: expected different times (when both fire at the same instant waking wins, so services would never sleep)",
            sleep.expression
        ));
    }
    // A fixed start keeps the answer the same on every run; a year of firings covers the
    // calendar (a difference in day-of-month or month shows within it).
    let start = NaiveDate::from_ymd_opt(2026, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let firings = |expr: &CronExpr| -> Vec<NaiveDateTime> {
        expr.schedule()
            .after(&Utc.from_utc_datetime(&start))
            .map(|at| at.naive_utc())
            .take_while(|at| *at < start + Duration::days(400))
            .take(COMPARED_FIRINGS)
            .collect()
    };
    (firings(sleep) == firings(wake)).then(|| format!(
        "`sleepAt` (`{}`) and `wakeAt` (`{}`) fire at the same times: expected different times (when both fire at the same instant waking wins, so services would never sleep)",
        sleep.expression, wake.expression
    ))
}

/// A day on which the pair fires at one instant only because the clock skips ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SkippedTogether {
    /// The local date of the change.
    pub date: NaiveDate,
    /// The instant both fire at: the end of the skipped local time.
    pub at: DateTime<Utc>,
    /// Local times the expressions name, which that day do not exist (or end the gap).
    pub sleep_local: NaiveDateTime,
    pub wake_local: NaiveDateTime,
}

/// Days in `[from, from + days)` on which `sleepAt` and `wakeAt` name different local times
/// that fall into one skipped stretch of local time (or its end), so both fire at once.
pub(crate) fn skipped_together(
    sleep: &CronExpr,
    wake: &CronExpr,
    tz: Tz,
    from: DateTime<Utc>,
    days: i64,
) -> Vec<SkippedTogether> {
    let mut found = Vec::new();
    for (gap_start, gap_end) in gaps(tz, from, from + Duration::days(days)) {
        let in_gap = |expr: &CronExpr| -> Vec<NaiveDateTime> {
            expr.schedule()
                .after(&Utc.from_utc_datetime(&(gap_start - Duration::seconds(1))))
                .map(|at| at.naive_utc())
                .take_while(|at| *at <= gap_end)
                .collect()
        };
        let sleeps = in_gap(sleep);
        let wakes = in_gap(wake);
        // Every firing in [gap start, gap end] happens at the gap's end instant; one pair of
        // different local times is enough to name the day.
        let pair = sleeps
            .iter()
            .flat_map(|s| wakes.iter().map(move |w| (*s, *w)))
            .find(|(s, w)| s != w);
        if let Some((sleep_local, wake_local)) = pair {
            found.push(SkippedTogether {
                date: gap_start.date(),
                at: first_instant(tz, gap_end),
                sleep_local,
                wake_local,
            });
        }
    }
    found
}

/// Stretches of local time that do not exist in `tz` between two instants, as (first
/// skipped local minute, first local minute that exists again).
fn gaps(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let offset = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local() - at.naive_utc();
    let mut found = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        // Only a day whose offset grows skips local time; scan it minute by minute.
        if offset(next) > offset(day) {
            let mut local = day.with_timezone(&tz).naive_local();
            let end = next.with_timezone(&tz).naive_local();
            let mut start = None;
            while local <= end {
                let exists = !matches!(tz.from_local_datetime(&local), LocalResult::None);
                match (start, exists) {
                    (None, false) => start = Some(local),
                    (Some(first), true) => {
                        found.push((first, local));
                        start = None;
                    }
                    _ => {}
                }
                local += Duration::minutes(1);
            }
        }
        day = next;
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::schedule::parse_crontab;

    fn cron(text: &str) -> CronExpr {
        parse_crontab(text).unwrap()
    }

    #[test]
    fn the_same_expression_is_refused() {
        let message = always_together(&cron("0 20 * * Mon-Fri"), &cron("0  20 * * Mon-Fri"));
        assert!(
            message.unwrap().contains("are the same expression"),
            "same text after squeezing spaces"
        );
    }

    #[test]
    fn expressions_written_differently_that_fire_together_are_refused() {
        let message = always_together(&cron("0 20 * * 1-5"), &cron("0 20 * * Mon-Fri"));
        assert!(message.unwrap().contains("fire at the same times"));
        assert_eq!(
            always_together(&cron("0 20 * * Mon-Fri"), &cron("0 7 * * Mon-Fri")),
            None
        );
        // Together on some days only (Mondays): not refused.
        assert_eq!(
            always_together(&cron("0 20 * * *"), &cron("0 20 * * Mon")),
            None
        );
    }

    #[test]
    fn a_pair_inside_the_spring_gap_fires_together_on_that_day_only() {
        // Europe/Berlin skips 02:00-03:00 on 2027-03-28 (a Sunday).
        let from = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let found = skipped_together(
            &cron("45 2 * * Sun"),
            &cron("15 2 * * Sun"),
            chrono_tz::Europe::Berlin,
            from,
            366,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].date, NaiveDate::from_ymd_opt(2027, 3, 28).unwrap());
        assert_eq!(
            found[0].at,
            Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_pair_outside_any_gap_or_in_utc_is_not_warned() {
        let from = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let office = skipped_together(
            &cron("0 20 * * Mon-Fri"),
            &cron("0 7 * * Mon-Fri"),
            chrono_tz::Europe::Berlin,
            from,
            366,
        );
        assert_eq!(office, []);
        let utc = skipped_together(
            &cron("45 2 * * Sun"),
            &cron("15 2 * * Sun"),
            chrono_tz::UTC,
            from,
            366,
        );
        assert_eq!(utc, []);
    }
}
