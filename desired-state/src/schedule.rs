//! Off-hours schedules: the awake/asleep window grammar, holidays, cron pairs. Evaluation
//! (DST-correct `state_at` and `transitions`) lives in `schedule_state.rs`.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

/// A validated off-hours schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The schedule's own zone, else the stack's, else UTC.
    pub timezone: Tz,
    pub rule: ScheduleRule,
    /// Local dates on which services sleep all day.
    pub holidays: BTreeSet<NaiveDate>,
    /// Yearly holidays (`MM-DD`), e.g. `12-25`: asleep all day every year.
    pub yearly_holidays: BTreeSet<MonthDay>,
    /// A temporary override from the desired state; it ends by itself at `until`.
    pub temporary_override: Option<Override>,
}

impl Schedule {
    /// Whether a local date is a holiday (a dated one or a yearly one).
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
            || self.yearly_holidays.contains(&MonthDay {
                month: date.month(),
                day: date.day(),
            })
    }
}

/// A yearly date, `MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

/// Awake or asleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WakeState {
    Awake,
    Asleep,
}

impl std::fmt::Display for WakeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WakeState::Awake => "awake",
            WakeState::Asleep => "asleep",
        })
    }
}

/// A state forced until an instant, after which the schedule decides again (the
/// desired state's `override`, or the service tags `mooring:awake-until` /
/// `mooring:asleep-until`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Override {
    pub state: WakeState,
    pub until: DateTime<Utc>,
}

/// When services are awake.
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleRule {
    /// Awake inside these windows, asleep outside.
    Awake(Vec<Window>),
    /// Asleep inside these windows, awake outside.
    Asleep(Vec<Window>),
    /// Whichever of the two fired last decides; awake if neither has fired yet.
    Cron {
        sleep_at: CronExpr,
        wake_at: CronExpr,
    },
}

/// `DAYS HH:MM-HH:MM` in local wall-clock time. When `end_minute <= start_minute` the window
/// is overnight: it starts on one of `days` and ends on the next day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Days the window starts on, Monday first, no duplicates.
    pub days: Vec<Weekday>,
    /// Minutes after local midnight, 0..=1439.
    pub start_minute: u16,
    /// Minutes after local midnight, 1..=1440 (1440 is `24:00`).
    pub end_minute: u16,
}

impl Window {
    pub fn is_overnight(&self) -> bool {
        self.end_minute <= self.start_minute
    }

    /// Whether a local weekday and minute of day fall inside the window.
    pub fn contains(&self, weekday: Weekday, minute: u16) -> bool {
        if self.is_overnight() {
            (self.days.contains(&weekday) && minute >= self.start_minute)
                || (self.days.contains(&weekday.pred()) && minute < self.end_minute)
        } else {
            self.days.contains(&weekday) && minute >= self.start_minute && minute < self.end_minute
        }
    }
}

/// A five-field crontab expression as written, and the `cron` crate schedule it became.
#[derive(Clone, Debug, PartialEq)]
pub struct CronExpr {
    /// As the user wrote it, e.g. `0 20 * * Mon-Fri`.
    pub expression: String,
    // Boxed: the crate's schedule is large and would bloat every `ScheduleRule`.
    schedule: Box<cron::Schedule>,
}

impl CronExpr {
    /// The crate schedule (with the seconds field added).
    pub fn schedule(&self) -> &cron::Schedule {
        &self.schedule
    }
}

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn parse_day(text: &str) -> Result<Weekday, String> {
    let lower = text.to_ascii_lowercase();
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    DAY_NAMES
        .iter()
        .zip(full)
        .find(|((short, _), long)| lower == *short || lower == *long)
        .map(|((_, day), _)| *day)
        .ok_or_else(|| {
            format!("unknown day `{text}`: expected Mon, Tue, Wed, Thu, Fri, Sat or Sun")
        })
}

/// `Mon-Fri`, `Mon,Wed,Fri`, `Sat`, `Fri-Mon` (wraps over the weekend).
fn parse_days(text: &str) -> Result<Vec<Weekday>, String> {
    let mut days = BTreeSet::new();
    for item in text.split(',') {
        match item.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (parse_day(from)?, parse_day(to)?);
                let mut day = from;
                days.insert(day.num_days_from_monday());
                while day != to {
                    day = day.succ();
                    days.insert(day.num_days_from_monday());
                }
            }
            None => {
                days.insert(parse_day(item)?.num_days_from_monday());
            }
        }
    }
    Ok(days
        .into_iter()
        .filter_map(|n| DAY_NAMES.get(n as usize).map(|(_, day)| *day))
        .collect())
}

/// `HH:MM`, hours 0-24 (24 only as `24:00`), minutes 00-59. Returns minutes after midnight.
fn parse_time(text: &str) -> Result<u16, String> {
    let invalid = || format!("invalid time `{text}`: expected HH:MM between 00:00 and 24:00");
    let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return Err(invalid());
    }
    let hours: u16 = hours.parse().map_err(|_| invalid())?;
    let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
    if hours > 24 || minutes > 59 || (hours == 24 && minutes != 0) {
        return Err(invalid());
    }
    Ok(hours * 60 + minutes)
}

/// Parses `DAYS [HH:MM-HH:MM]`; the time range defaults to the whole day.
pub fn parse_window(text: &str) -> Result<Window, String> {
    let shape = "expected `DAYS HH:MM-HH:MM`, e.g. `Mon-Fri 07:00-20:00`";
    let mut parts = text.split_whitespace();
    let (Some(days), times, None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("invalid window `{text}`: {shape}"));
    };
    let days = parse_days(days).map_err(|err| format!("invalid window `{text}`: {err}"))?;
    let (start_minute, end_minute) = match times {
        None => (0, 24 * 60),
        Some(times) => {
            let (start, end) = times
                .split_once('-')
                .ok_or_else(|| format!("invalid window `{text}`: {shape}"))?;
            let start =
                parse_time(start).map_err(|err| format!("invalid window `{text}`: {err}"))?;
            let end = parse_time(end).map_err(|err| format!("invalid window `{text}`: {err}"))?;
            if start == 24 * 60 {
                return Err(format!(
                    "invalid window `{text}`: a window cannot start at 24:00"
                ));
            }
            if start == end {
                return Err(format!(
                    "invalid window `{text}`: start and end are equal; write `00:00-24:00` for a whole day"
                ));
            }
            (start, end)
        }
    };
    Ok(Window {
        days,
        start_minute,
        end_minute,
    })
}

/// Parses a holiday date, `YYYY-MM-DD`.
pub fn parse_holiday(text: &str) -> Result<NaiveDate, String> {
    let valid_shape = text.len() == 10 && text.as_bytes().get(4) == Some(&b'-');
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| valid_shape)
        .ok_or_else(|| {
            format!("invalid holiday `{text}`: expected a date as YYYY-MM-DD, e.g. `2026-12-24`")
        })
}

/// Parses a yearly holiday, `MM-DD` (29 February allowed: it applies in leap years).
pub fn parse_yearly_holiday(text: &str) -> Result<MonthDay, String> {
    let invalid = || {
        format!("invalid holiday `{text}`: expected a date as YYYY-MM-DD or a yearly one as MM-DD, e.g. `12-25`")
    };
    let (month, day) = text.split_once('-').ok_or_else(invalid)?;
    if month.len() != 2 || day.len() != 2 {
        return Err(invalid());
    }
    let month: u32 = month.parse().map_err(|_| invalid())?;
    let day: u32 = day.parse().map_err(|_| invalid())?;
    // 2024 is a leap year, so every real MM-DD has a date in it.
    NaiveDate::from_ymd_opt(2024, month, day).ok_or_else(invalid)?;
    Ok(MonthDay { month, day })
}

/// Parses an RFC 3339 instant (an override's `until`).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            format!("invalid instant `{text}`: expected RFC 3339 with an offset, e.g. `2026-03-02T22:00:00+01:00`")
        })
}

/// Parses an IANA time zone name.
pub fn parse_timezone(text: &str) -> Result<Tz, String> {
    Tz::from_str(text).map_err(|_| {
        let hint = timezone_named_like(text)
            .or_else(|| {
                crate::parse::closest(text, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
            })
            .map(|name| format!(", did you mean `{name}`?"))
            .unwrap_or_else(|| {
                ": expected an IANA name such as `Europe/Berlin` or `UTC`".to_owned()
            });
        format!("unknown time zone `{text}`{hint}")
    })
}

/// The zone a person most likely meant by a city or a miscased name: `London` and
/// `london` → `Europe/London`, `new york` → `America/New_York`. The edit distance alone
/// misses these (`London` is far from `Europe/London`).
fn timezone_named_like(text: &str) -> Option<&'static str> {
    let wanted = text.trim().replace(' ', "_").to_lowercase();
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    names()
        .find(|name| name.to_lowercase() == wanted)
        .or_else(|| {
            names().find(|name| {
                name.contains('/')
                    && name
                        .rsplit('/')
                        .next()
                        .is_some_and(|city| city.to_lowercase() == wanted)
            })
        })
}

/// Turns the day-of-week field of a crontab expression (0-7, 0 and 7 are Sunday, or names)
/// into day names, since the `cron` crate numbers days 1-7 from Sunday.
fn crontab_days(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok("*".to_owned());
    }
    let day_number = |text: &str| -> Result<u32, String> {
        match text.parse::<u32>() {
            Ok(n) if n <= 7 => Ok(n % 7),
            Ok(_) => Err(format!("day of week `{text}` is out of range 0-7")),
            Err(_) => parse_day(text).map(|day| day.num_days_from_sunday()),
        }
    };
    let mut days = BTreeSet::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step
                    .parse()
                    .ok()
                    .filter(|step| *step > 0)
                    .ok_or_else(|| format!("invalid step in `{item}`"))?;
                (range, step)
            }
            None => (item, 1),
        };
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((from, to)) => {
                let from = day_number(from)?;
                // `5-7` means Friday to Sunday: keep 7 as the end of the week there.
                let to = if to == "7" { 7 } else { day_number(to)? };
                if to < from {
                    return Err(format!("day range `{range}` runs backwards"));
                }
                (from, to)
            }
            None => {
                let day = day_number(range)?;
                (day, day)
            }
        };
        days.extend((from..=to).step_by(step as usize).map(|n| n % 7));
    }
    const NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    let names: Vec<&str> = days
        .into_iter()
        .filter_map(|n| NAMES.get(n as usize).copied())
        .collect();
    Ok(names.join(","))
}

/// Parses a five-field crontab expression (`minute hour day-of-month month day-of-week`);
/// the `cron` crate's seconds field is added internally.
pub fn parse_crontab(text: &str) -> Result<CronExpr, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "invalid cron expression `{text}`: expected 5 fields (minute hour day-of-month month day-of-week), e.g. `0 20 * * Mon-Fri`, found {}",
            fields.len()
        ));
    }
    let days = crontab_days(fields[4])
        .map_err(|err| format!("invalid cron expression `{text}`: {err}"))?;
    let expression = format!(
        "0 {} {} {} {} {}",
        fields[0], fields[1], fields[2], fields[3], days
    );
    let schedule = cron::Schedule::from_str(&expression).map_err(|err| {
        format!(
            "invalid cron expression `{text}`: {}",
            crate_error(&err, &expression)
        )
    })?;
    if schedule.upcoming(Utc).next().is_none() {
        return Err(format!("cron expression `{text}` never fires"));
    }
    Ok(CronExpr {
        expression: text.to_owned(),
        schedule: Box::new(schedule),
    })
}

/// Whether the `cron` crate's message only repeats the expression (or says nothing).
fn echoes(text: &str, expression: &str) -> bool {
    let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = squeeze(text);
    text.is_empty() || squeeze(expression).contains(&text) || text.contains(&squeeze(expression))
}

/// The `cron` crate's message; when it only echoes our internal six-field expression, what
/// each field takes instead.
fn crate_error(err: &cron::error::Error, expression: &str) -> String {
    let text = err.to_string();
    if echoes(&text, expression) {
        return "a field is out of range or malformed: expected minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or Jan-Dec, day-of-week 0-7 or Sun-Sat".to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "not a valid expression".to_owned(),
    }
}

fn aws_cron_error(err: &cron::error::Error, expression: &str) -> String {
    let text = err.to_string();
    if echoes(&text, expression) {
        return "a field is out of range or malformed: expected minutes 0-59, hours 0-23, day-of-month 1-31 or ?, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT or ?, year".to_owned();
    }
    crate_error(err, expression)
}

/// Checks an AWS schedule expression of a scheduled action: `cron(...)` with six fields,
/// `at(yyyy-mm-ddThh:mm:ss)` or `rate(value unit)`.
pub fn check_aws_schedule(text: &str) -> Result<(), String> {
    let inner = |prefix: &str| {
        text.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(str::trim)
    };
    if let Some(body) = inner("at(") {
        return chrono::NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
            .map(|_| ())
            .map_err(|_| format!("invalid schedule `{text}`: expected `at(yyyy-mm-ddThh:mm:ss)`"));
    }
    if let Some(body) = inner("rate(") {
        let mut parts = body.split_whitespace();
        let shape = || {
            format!("invalid schedule `{text}`: expected `rate(VALUE UNIT)` with a positive whole VALUE and UNIT minute(s), hour(s) or day(s)")
        };
        let (Some(value), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(shape());
        };
        let value: u64 = value.parse().ok().filter(|v| *v > 0).ok_or_else(shape)?;
        let singular = ["minute", "hour", "day"];
        let plural = ["minutes", "hours", "days"];
        return match (value == 1, singular.contains(&unit), plural.contains(&unit)) {
            (true, true, _) | (false, _, true) => Ok(()),
            (true, false, true) => Err(format!(
                "invalid schedule `{text}`: with 1 the unit is singular: expected `rate(1 {})`",
                unit.trim_end_matches('s')
            )),
            (false, true, _) => Err(format!(
                "invalid schedule `{text}`: with {value} the unit is plural: expected `rate({value} {unit}s)`"
            )),
            _ => Err(shape()),
        };
    }
    if let Some(body) = inner("cron(") {
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "invalid schedule `{text}`: AWS cron takes 6 fields (minutes hours day-of-month month day-of-week year): expected e.g. `cron(0 7 ? * MON-FRI *)`, found {}",
                fields.len()
            ));
        }
        // The `cron` crate has no `L`, `W` or `#`; AWS does, so leave those to AWS.
        if body.contains(['L', 'W', '#']) {
            return Ok(());
        }
        let expression = format!("0 {}", fields.join(" "));
        return cron::Schedule::from_str(&expression)
            .map(|_| ())
            .map_err(|err| {
                format!(
                    "invalid schedule `{text}`: {}",
                    aws_cron_error(&err, &expression)
                )
            });
    }
    Err(format!(
        "invalid schedule `{text}`: expected `cron(minutes hours day-of-month month day-of-week year)`, `at(yyyy-mm-ddThh:mm:ss)` or `rate(value unit)`"
    ))
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
