//! Pass 2 across files: names that must be unique in the whole desired state (stacks,
//! services, and the account-wide alarm and topic names) and references that may cross files
//! (`notify`, composite rules, step-scaling alarms).

use std::collections::BTreeMap;
use std::path::Path;

use crate::alarm::rule_alarms;
use crate::diagnostics::Collector;
use crate::raw::{RawAlarm, RawStack};
use crate::report::{is_arn, ParsedFile, Report};
use crate::span::{At, Loc};

/// What the files being checked are a part of.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope {
    /// A file failed pass 1 (or could not be read): a name unknown here may be declared
    /// there, so unknown references are not reported (the caller notes it).
    pub incomplete: bool,
    /// One file was given: a name unknown here may be declared in a sibling file.
    pub single_file: bool,
}

/// Where a name was first declared, to point back at it from a duplicate.
struct FirstSeen<'a> {
    seen: BTreeMap<String, (&'a Path, Loc)>,
}

impl<'a> FirstSeen<'a> {
    fn new() -> Self {
        Self {
            seen: BTreeMap::new(),
        }
    }

    /// `Some(first place)` when `name` was seen before.
    fn insert(&mut self, name: &str, file: &'a Path, loc: Loc) -> Option<String> {
        match self.seen.get(name) {
            Some((path, first)) => Some(format!(
                "{}:{}:{}",
                path.display(),
                first.line,
                first.column
            )),
            None => {
                self.seen.insert(name.to_owned(), (file, loc));
                None
            }
        }
    }

    fn names(&self) -> Vec<&str> {
        self.seen.keys().map(String::as_str).collect()
    }

    fn contains(&self, name: &str) -> bool {
        self.seen.contains_key(name)
    }
}

fn all_alarms(raw: &RawStack) -> impl Iterator<Item = (&At<String>, &RawAlarm)> {
    raw.spec
        .services
        .iter()
        .flat_map(|s| s.value.alarms.iter())
        .chain(raw.spec.alarms.iter())
}

/// Names that must be unique across all files, and references that may cross files.
pub(crate) fn check_across_files(
    files: &[ParsedFile<'_>],
    collector: &mut Collector,
    scope: Scope,
) {
    let mut stacks = FirstSeen::new();
    let mut alarms = FirstSeen::new();
    let mut topics = FirstSeen::new();
    let mut services = FirstSeen::new();
    for file in files {
        let mut report = Report::new(collector, file.order, file.path);
        let raw = &file.raw;
        let name = &raw.metadata.name;
        if let Some(first) = stacks.insert(&name.value, file.path, name.loc) {
            report.error(name.loc, format!("duplicate stack name `{}`: already declared at {first}; stack names are unique across all files", name.value));
        }
        for service in &raw.spec.services {
            let id = format!(
                "{}/{}",
                service.value.cluster.value, service.value.name.value
            );
            if let Some(first) = services.insert(&id, file.path, service.loc) {
                report.error(service.loc, format!("duplicate service `{id}`: already declared at {first}; each ECS service is declared once"));
            }
        }
        for (name, _) in all_alarms(raw) {
            if let Some(first) = alarms.insert(&name.value, file.path, name.loc) {
                report.error(name.loc, format!("duplicate alarm name `{}`: already declared at {first}; alarm names are account-wide in AWS, so each may be declared once", name.value));
            }
        }
        for (name, _) in raw.spec.topics.iter() {
            if let Some(first) = topics.insert(&name.value, file.path, name.loc) {
                report.error(name.loc, format!("duplicate topic name `{}`: already declared at {first}; topic names are account-wide in AWS, so each may be declared once", name.value));
            }
        }
    }
    let topic_names = topics.names();
    let alarm_names = alarms.names();
    // A composite alarm's actions are SNS topics, Lambda functions, OpsItems and incidents
    // (PutCompositeAlarm): it cannot run a scaling policy.
    let composite: Vec<&str> = files
        .iter()
        .flat_map(|file| all_alarms(&file.raw))
        .filter(|(_, alarm)| alarm.rule.is_some())
        .map(|(name, _)| name.value.as_str())
        .collect();
    for file in files {
        let mut report = Report::new(collector, file.order, file.path);
        for (alarm_name, alarm) in all_alarms(&file.raw) {
            for target in alarm
                .notify
                .iter()
                .chain(&alarm.ok_notify)
                .chain(&alarm.insufficient_data_notify)
            {
                let text = target.value.trim();
                if text.is_empty() || topics.contains(text) {
                    continue;
                }
                if scope.incomplete && !text.starts_with("arn:") {
                    continue;
                }
                if text.starts_with("arn:") {
                    // Lambda function ARNs are checked by `lambda_targets`.
                    if !is_arn(text, "sns") && !crate::lambda_targets::is_lambda_service_arn(text) {
                        report.error(target.loc, format!("invalid topic ARN `{text}` in alarm `{}`: expected arn:aws:sns:<region>:<account>:<topic>", alarm_name.value));
                    }
                    continue;
                }
                report.error(
                    target.loc,
                    format!(
                        "unknown topic `{text}` in alarm `{}`{}",
                        alarm_name.value,
                        reference_hint(text, &topic_names, "topics", "spec.topics", scope)
                    ),
                );
            }
            if let Some(rule) = &alarm.rule {
                for referenced in rule_alarms(&rule.value).unwrap_or_default() {
                    if referenced == alarm_name.value {
                        report.error(
                            rule.loc,
                            format!("composite alarm `{referenced}` refers to itself"),
                        );
                    } else if !alarms.contains(&referenced) && !scope.incomplete {
                        report.error(
                            rule.loc,
                            format!(
                            "unknown alarm `{referenced}` in the rule of composite alarm `{}`{}",
                            alarm_name.value,
                            reference_hint(&referenced, &alarm_names, "alarms", "alarms", scope)
                        ),
                        );
                    }
                }
            }
        }
        if let Some(topic) = file
            .raw
            .spec
            .events
            .as_ref()
            .and_then(|e| e.value.topic.as_ref())
        {
            let text = topic.value.trim();
            if text.starts_with("arn:") {
                if !is_arn(text, "sns") {
                    report.error(topic.loc, format!("invalid topic ARN `{text}` in `events.topic`: expected arn:aws:sns:<region>:<account>:<topic>"));
                }
            } else if !topics.contains(text) && !scope.incomplete {
                report.error(
                    topic.loc,
                    format!(
                        "unknown topic `{text}` in `events.topic`{}",
                        reference_hint(text, &topic_names, "topics", "spec.topics", scope)
                    ),
                );
            }
        }
        for service in &file.raw.spec.services {
            let Some(scaling) = &service.value.autoscaling else {
                continue;
            };
            for (policy, step) in scaling.value.step_scaling.iter() {
                if let Some(alarm) = &step.alarm {
                    if composite.contains(&alarm.value.as_str()) {
                        report.error(
                            alarm.loc,
                            format!(
                                "composite alarm `{}` cannot run step-scaling policy `{}`: a composite alarm cannot scale anything; name a metric or metric-math alarm",
                                alarm.value, policy.value
                            ),
                        );
                    } else if !alarms.contains(&alarm.value) && !scope.incomplete {
                        report.error(
                            alarm.loc,
                            format!(
                                "unknown alarm `{}` for step-scaling policy `{}`{}",
                                alarm.value,
                                policy.value,
                                reference_hint(
                                    &alarm.value,
                                    &alarm_names,
                                    "alarms",
                                    "alarms",
                                    scope
                                )
                            ),
                        );
                    }
                }
            }
        }
    }
}

fn reference_hint(found: &str, known: &[&str], what: &str, section: &str, scope: Scope) -> String {
    // The commonest cause with one file: the name is declared in a sibling file.
    let elsewhere = if scope.single_file {
        "; declared in another file? pass the folder, so all its files load together"
    } else {
        ""
    };
    if known.is_empty() {
        return format!(": no {what} are declared (under `{section}`){elsewhere}");
    }
    if let Some(best) = crate::parse::closest(found, known.iter().copied()) {
        return format!(", did you mean `{best}`?");
    }
    format!("{}{elsewhere}", crate::parse::suggestion(found, known))
}
