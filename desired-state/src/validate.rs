//! Pass 2: meaning. Runs on every file that passed pass 1, checks every stack and then the
//! whole desired state (names are account-wide, references may cross files), and reports
//! every problem it finds before giving up.

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;

use crate::alarm_checks::{check_alarm, ServiceScope};
use crate::autoscaling_checks::check_autoscaling;
use crate::dashboard_checks::check_dashboard;
use crate::diagnostics::Collector;
use crate::model::{DesiredState, OffHours, Prune, Service, Stack, Topic};
use crate::raw::{RawAccountId, RawSchedule, RawService, RawTopic, RawWakeState};
use crate::report::{count, ParsedFile, Report};
use crate::schedule::{
    parse_crontab, parse_holiday, parse_instant, parse_timezone, parse_window,
    parse_yearly_holiday, Override, Schedule, ScheduleRule, WakeState,
};
use crate::span::At;
use crate::subscriptions::check_subscriptions;

/// Checks every stack, then the names and references across them.
pub(crate) fn validate(
    files: &[ParsedFile<'_>],
    collector: &mut Collector,
    scope: crate::references::Scope,
) -> Option<DesiredState> {
    let mut stacks = Vec::new();
    for file in files {
        let mut report = Report::new(collector, file.order, file.path);
        if let Some(stack) = check_stack(&mut report, file) {
            stacks.push(stack);
        }
    }
    crate::references::check_across_files(files, collector, scope);
    crate::cluster_checks::check_clusters_across_files(files, collector);
    collector.is_empty().then_some(DesiredState {
        stacks,
        warnings: crate::Diagnostics::default(),
    })
}

fn check_stack(report: &mut Report<'_>, file: &ParsedFile<'_>) -> Option<Stack> {
    let raw = &file.raw;
    let spec = &raw.spec;
    let errors_before = report.count();
    let name = &raw.metadata.name;
    if !is_dns_label(&name.value) {
        report.error(name.loc, format!(
            "invalid stack name `{}`: expected a DNS label (lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters)",
            name.value
        ));
    }
    let account = spec.account.as_ref().and_then(|account| match &account.value {
        RawAccountId::Text(text) if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) => Some(text.clone()),
        RawAccountId::Text(text) => {
            report.error(account.loc, format!("invalid account id `{text}`: expected exactly 12 digits, e.g. \"123456789012\""));
            None
        }
        RawAccountId::Number(number) => {
            // The number as written, not as read: `012345678901` reads as 12345678901.
            let number = crate::parse::scalar_at(file.text, account.loc).unwrap_or_else(|| number.clone());
            report.error(account.loc, format!(
                "account id must be a quoted string: write `account: \"{number}\"` (as a bare number it can lose leading zeros)"
            ));
            None
        }
    });
    if let Some(region) = &spec.region {
        if !is_region(&region.value) {
            report.error(
                region.loc,
                format!(
                    "invalid region `{}`: expected an AWS region such as `us-east-1`",
                    region.value
                ),
            );
        }
    }
    let timezone = spec.timezone.as_ref().and_then(|tz| {
        parse_timezone(&tz.value)
            .map_err(|err| report.error(tz.loc, err))
            .ok()
    });

    let mut schedules = BTreeMap::new();
    for (name, schedule) in spec.schedules.iter() {
        if let Some(schedule) = check_schedule(report, name, schedule, timezone) {
            schedules.insert(name.value.clone(), schedule);
        }
    }
    let mut topics = BTreeMap::new();
    for (name, topic) in spec.topics.iter() {
        if let Some(topic) = check_topic(report, name, topic) {
            topics.insert(name.value.clone(), topic);
        }
    }
    let mut services = Vec::new();
    for service in &spec.services {
        if let Some(service) = check_service(report, service, &spec.schedules, timezone) {
            services.push(service);
        }
    }
    let mut alarms = BTreeMap::new();
    for (name, alarm) in spec.alarms.iter() {
        if let Some(alarm) = check_alarm(report, name, alarm, None) {
            alarms.insert(name.value.clone(), alarm);
        }
    }
    let declared_alarms: BTreeSet<&str> = spec
        .alarms
        .iter()
        .chain(spec.services.iter().flat_map(|s| s.value.alarms.iter()))
        .map(|(name, _)| name.value.as_str())
        .collect();
    let mut dashboards = BTreeMap::new();
    for (name, dashboard) in spec.dashboards.iter() {
        if let Some(dashboard) = check_dashboard(report, name, dashboard, &declared_alarms) {
            dashboards.insert(name.value.clone(), dashboard);
        }
    }
    let events = spec
        .events
        .as_ref()
        .and_then(|events| crate::events::check_events(report, events));
    let prune = check_prune(report, spec.prune.as_ref());
    let clusters = crate::cluster_checks::check_clusters(report, &spec.clusters);
    crate::lambda_targets::check_lambda_targets(report, file);
    (report.count() == errors_before).then(|| Stack {
        name: name.value.clone(),
        source: file.path.to_path_buf(),
        account,
        region: spec.region.as_ref().map(|r| r.value.clone()),
        timezone,
        schedules,
        topics,
        services,
        alarms,
        dashboards,
        events,
        prune,
        clusters,
    })
}

fn check_prune(report: &mut Report<'_>, raw: Option<&At<crate::raw::RawPrune>>) -> Prune {
    let mut prune = Prune::default();
    let Some(raw) = raw else {
        return prune;
    };
    prune.allow_empty = raw.value.allow_empty;
    if let Some(max) = &raw.value.max_deletions_per_pass {
        match u32::try_from(max.value) {
            Ok(value) => prune.max_deletions_per_pass = value,
            Err(_) => report.error(
                max.loc,
                format!(
                    "invalid maxDeletionsPerPass {}: expected 0 (never prune) or more",
                    max.value
                ),
            ),
        }
    }
    prune
}

fn check_schedule(
    report: &mut Report<'_>,
    name: &At<String>,
    raw: &RawSchedule,
    stack_tz: Option<Tz>,
) -> Option<Schedule> {
    let schedule = &name.value;
    let errors_before = report.count();
    let timezone = match &raw.timezone {
        Some(tz) => parse_timezone(&tz.value)
            .map_err(|err| report.error(tz.loc, err))
            .ok(),
        None => Some(stack_tz.unwrap_or(chrono_tz::UTC)),
    };
    let mut windows = |list: &Vec<At<String>>, field: &str| {
        if list.is_empty() {
            report.error(name.loc, format!("schedule `{schedule}` has an empty `{field}` list: expected at least one window such as `Mon-Fri 07:00-20:00`"));
        }
        list.iter()
            .filter_map(|w| {
                parse_window(&w.value)
                    .map_err(|err| report.error(w.loc, err))
                    .ok()
            })
            .collect::<Vec<_>>()
    };
    let rule = match (&raw.awake, &raw.asleep, &raw.sleep_at, &raw.wake_at) {
        (Some(awake), None, None, None) => Some(ScheduleRule::Awake(windows(awake, "awake"))),
        (None, Some(asleep), None, None) => Some(ScheduleRule::Asleep(windows(asleep, "asleep"))),
        (None, None, Some(sleep), Some(wake)) => {
            let sleep_at = parse_crontab(&sleep.value)
                .map_err(|err| report.error(sleep.loc, err))
                .ok();
            let wake_at = parse_crontab(&wake.value)
                .map_err(|err| report.error(wake.loc, err))
                .ok();
            let pair = sleep_at.zip(wake_at);
            if let (Some((sleep_at, wake_at)), Some(tz)) = (&pair, timezone) {
                check_cron_pair(report, schedule, sleep, sleep_at, wake_at, tz);
            }
            pair.map(|(sleep_at, wake_at)| ScheduleRule::Cron { sleep_at, wake_at })
        }
        (None, None, Some(_), None) | (None, None, None, Some(_)) => {
            report.error(
                name.loc,
                format!("schedule `{schedule}` needs both `sleepAt` and `wakeAt`: expected the pair (the state is whichever fired last)"),
            );
            None
        }
        (None, None, None, None) => {
            report.error(name.loc, format!(
                "schedule `{schedule}` says nothing about when services are awake: give `awake` or `asleep` windows, or `sleepAt` and `wakeAt`"
            ));
            None
        }
        _ => {
            report.error(name.loc, format!(
                "schedule `{schedule}` mixes ways of saying when services are awake: give only one of `awake`, `asleep`, or `sleepAt` + `wakeAt`"
            ));
            None
        }
    };
    let mut holidays = BTreeSet::new();
    let mut yearly_holidays = BTreeSet::new();
    for day in &raw.holidays {
        // `MM-DD` is five characters; anything else is read as a full date.
        if day.value.len() == 5 {
            match parse_yearly_holiday(&day.value) {
                Ok(month_day) => {
                    yearly_holidays.insert(month_day);
                }
                Err(err) => report.error(day.loc, err),
            }
            continue;
        }
        match parse_holiday(&day.value) {
            Ok(date) => {
                holidays.insert(date);
            }
            Err(err) => report.error(day.loc, err),
        }
    }
    let temporary_override = raw.temporary_override.as_ref().and_then(|o| {
        parse_instant(&o.value.until.value)
            .map_err(|err| report.error(o.value.until.loc, err))
            .ok()
            .map(|until| Override {
                state: match o.value.state.value {
                    RawWakeState::Awake => WakeState::Awake,
                    RawWakeState::Asleep => WakeState::Asleep,
                },
                until,
            })
    });
    if report.count() != errors_before {
        return None;
    }
    Some(Schedule {
        timezone: timezone?,
        rule: rule?,
        holidays,
        yearly_holidays,
        temporary_override,
    })
}

/// How far ahead a cron pair is checked for firing together on a daylight-saving day.
const CRON_PAIR_LOOKAHEAD_DAYS: i64 = 366;

/// A pair that always fires together is refused (waking wins a tie, so services would never
/// sleep); one that fires together only when the clock skips ahead is warned about, with
/// the date.
fn check_cron_pair(
    report: &mut Report<'_>,
    schedule: &str,
    sleep: &At<String>,
    sleep_at: &crate::schedule::CronExpr,
    wake_at: &crate::schedule::CronExpr,
    tz: Tz,
) {
    if let Some(why) = crate::cron_pair::always_together(sleep_at, wake_at) {
        report.error(sleep.loc, format!("schedule `{schedule}`: {why}"));
        return;
    }
    // Validation looks ahead from today, like `parse_crontab`'s never-fires check: the
    // dates it names are the coming ones.
    let now = chrono::Utc::now();
    let days =
        crate::cron_pair::skipped_together(sleep_at, wake_at, tz, now, CRON_PAIR_LOOKAHEAD_DAYS);
    if let Some(first) = days.first() {
        report.warning(sleep.loc, format!(
            "schedule `{schedule}`: on {} `sleepAt` ({}) and `wakeAt` ({}) both fire at {} ({tz} skips that local time), and waking wins a tie, so services stay awake until the next `sleepAt`{}",
            first.date,
            first.sleep_local.format("%H:%M"),
            first.wake_local.format("%H:%M"),
            first.at.with_timezone(&tz).format("%H:%M %Z"),
            if days.len() > 1 { format!(" (and {} more such days in the coming year)", days.len() - 1) } else { String::new() },
        ));
    }
}

fn check_topic(report: &mut Report<'_>, name: &At<String>, raw: &RawTopic) -> Option<Topic> {
    let errors_before = report.count();
    let text = &name.value;
    let valid_name = !text.is_empty()
        && text.len() <= 256
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_name {
        report.error(
            name.loc,
            format!(
                "invalid topic name `{}`: expected 1 to 256 letters, digits, `-` or `_`",
                text.escape_debug()
            ),
        );
    }
    let subscriptions = check_subscriptions(report, &raw.subscriptions);
    if let Some(key) = &raw.kms_key_id {
        if key.value.trim().is_empty() {
            report.error(key.loc, "empty `kmsKeyId`: expected a key id, alias or ARN");
        }
    }
    if let Some(policy) = &raw.delivery_policy {
        if !policy.is_object() {
            report.error(name.loc, format!("topic `{text}`: `deliveryPolicy` must be a mapping (the SNS delivery policy document)"));
        }
    }
    if raw.tags.keys().any(|key| key.starts_with("mooring:")) {
        report.error(
            name.loc,
            format!("topic `{text}`: tags starting with `mooring:` are mooring's own"),
        );
    }
    (report.count() == errors_before).then(|| Topic {
        display_name: raw.display_name.clone(),
        kms_key_id: raw.kms_key_id.as_ref().map(|k| k.value.clone()),
        delivery_policy: raw.delivery_policy.clone(),
        tags: raw.tags.clone(),
        subscriptions,
        management: raw.management,
        adopt: raw.adopt,
    })
}

fn check_service(
    report: &mut Report<'_>,
    raw: &At<RawService>,
    schedules: &crate::span::NamedMap<RawSchedule>,
    stack_tz: Option<Tz>,
) -> Option<Service> {
    let errors_before = report.count();
    let service = &raw.value;
    for (what, value) in [("cluster", &service.cluster), ("service", &service.name)] {
        let text = &value.value;
        let valid = !text.is_empty()
            && text.len() <= 255
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            report.error(
                value.loc,
                format!(
                    "invalid {what} name `{}`: expected 1 to 255 letters, digits, `-` or `_`",
                    text.escape_debug()
                ),
            );
        }
    }
    let id = format!("{}/{}", service.cluster.value, service.name.value);
    let scope = ServiceScope {
        cluster: &service.cluster.value,
        name: &service.name.value,
    };
    let desired_count = service
        .desired_count
        .as_ref()
        .and_then(|c| count(report, c, "desiredCount"));
    let autoscaling = service
        .autoscaling
        .as_ref()
        .and_then(|a| check_autoscaling(report, a, scope, stack_tz));
    if let (Some(scaling), Some(desired), Some(at)) =
        (&autoscaling, desired_count, &service.desired_count)
    {
        if desired < scaling.min || desired > scaling.max {
            report.error(at.loc, format!(
                "desiredCount of service `{id}` is {desired}, outside its autoscaling range [{}, {}]: expected a count within it",
                scaling.min, scaling.max
            ));
        }
    }
    let off_hours = service.off_hours.as_ref().and_then(|off| {
        let off_value = &off.value;
        let schedule = &off_value.schedule;
        if !schedules.iter().any(|(name, _)| name.value == schedule.value) {
            let known: Vec<&str> = schedules.iter().map(|(n, _)| n.value.as_str()).collect();
            let hint = if known.is_empty() {
                ": this stack declares no schedules under `spec.schedules`".to_owned()
            } else {
                crate::parse::suggestion(&schedule.value, &known)
            };
            report.error(schedule.loc, format!("unknown schedule `{}` in offHours of service `{id}`{hint}", schedule.value));
        }
        let sleep_count = match &off_value.desired_count {
            Some(c) => count(report, c, "offHours.desiredCount"),
            None => Some(0),
        };
        let loc = off_value.desired_count.as_ref().map_or(off.loc, |c| c.loc);
        if let Some(sleep) = sleep_count {
            if let Some(scaling) = &autoscaling {
                if sleep > scaling.max {
                    report.error(loc, format!(
                        "offHours.desiredCount of service `{id}` is {sleep}, above its autoscaling max ({})", scaling.max
                    ));
                }
            } else if let Some(desired) = desired_count {
                if sleep > desired {
                    report.error(loc, format!(
                        "offHours.desiredCount of service `{id}` is {sleep}, above its desiredCount ({desired}): sleeping should not add tasks"
                    ));
                }
            }
        }
        Some(OffHours { schedule: schedule.value.clone(), desired_count: sleep_count? })
    });
    let mut alarms = BTreeMap::new();
    for (name, alarm) in service.alarms.iter() {
        if let Some(alarm) = check_alarm(report, name, alarm, Some(scope)) {
            alarms.insert(name.value.clone(), Box::new(alarm));
        }
    }
    (report.count() == errors_before).then(|| Service {
        cluster: service.cluster.value.clone(),
        name: service.name.value.clone(),
        desired_count,
        autoscaling,
        off_hours,
        alarms,
        management: service.management,
        adopt: service.adopt,
    })
}

fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

/// `us-east-1`, `me-south-1`, `us-gov-west-1`, `ap-southeast-2`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .first()
            .is_some_and(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_regions() {
        assert!(is_dns_label("portfolio-dev"));
        assert!(!is_dns_label("Portfolio"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(""));
        assert!(is_region("me-south-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("useast1"));
        assert!(!is_region("us-east"));
    }
}
