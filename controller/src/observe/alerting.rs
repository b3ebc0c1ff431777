//! Observe the alarms and topics of each stack, at the lowest read cost that still lets
//! the planner decide ownership and pruning (docs/architecture.md, "Alarms and topics"):
//!
//! - DescribeAlarms by name prefix, pages of 100: the prefixes are the first name
//!   segments (up to and including the first `-`, `_`, `.` or `/`) of the stack's
//!   declared alarm and topic names, so alarms that left the desired state are still
//!   found while they share a first segment with something declared. A stack declaring
//!   neither alarms nor topics is scanned whole (prefix `""`) to say what it keeps, when
//!   it declares no services either (the file was emptied) or `prune.allowEmpty` is set;
//!   a stack of services only costs no alarm or topic read at all.
//! - Tags only where ownership is in question: declared alarms whose description lacks
//!   this stack's marker, and undeclared alarms that carry it (prune candidates, at most
//!   the prune cap of them a pass).
//! - ListTopics once; attributes, tags and subscriptions of the declared topics found;
//!   tags of undeclared topics under the prefixes (prune candidates).

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{DesiredState, Management, Stack};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::alarms::{self, AlarmsError};
use crate::aws::topics::{self, TopicsError};
use crate::aws::Clients;
use crate::observed::alerting::{Alerting, ObservedTopic, TopicSettings};
use crate::observed::Observed;

#[derive(Debug, thiserror::Error)]
pub enum AlertingReadError {
    #[error(transparent)]
    Alarms(#[from] AlarmsError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
}

/// What `read_alerting` needs of a stack that was observed: its name, region and the
/// account its services' ARNs told (taken before the read, so that the alarm and topic
/// reads can run while the clusters and listings write into `Observed`).
pub struct AlertingTarget {
    stack: String,
    region: String,
    account: Option<String>,
}

/// The stacks of `observed` whose alarms and topics are read.
pub fn targets(desired: &DesiredState, observed: &Observed) -> Vec<AlertingTarget> {
    desired
        .stacks
        .iter()
        .filter_map(|stack| {
            let seen = observed.stacks.get(&stack.name)?;
            // Paused resources are skipped entirely, reads included.
            let declares_alerting = stack
                .all_alarms()
                .any(|(_, alarm)| alarm.management != Management::Paused)
                || stack
                    .topics
                    .values()
                    .any(|t| t.management != Management::Paused);
            if !declares_alerting && !stack.services.is_empty() && !stack.prune.allow_empty {
                return None;
            }
            Some(AlertingTarget {
                stack: stack.name.clone(),
                region: seen.region.clone(),
                account: seen.account.clone(),
            })
        })
        .collect()
}

/// Reads the alarms and topics of each target, stacks concurrently; what each read gave
/// goes into `Observed` with `record`.
pub async fn read_alerting(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
    targets: Vec<AlertingTarget>,
) -> Vec<(String, Result<Alerting, AlertingReadError>)> {
    stream::iter(targets)
        .filter_map(|target| {
            let stack = desired.stacks.iter().find(|s| s.name == target.stack);
            futures::future::ready(stack.map(|stack| (stack, target)))
        })
        .map(|(stack, target)| async move {
            let result = read_stack(
                stack,
                clients,
                &target.region,
                target.account.as_deref(),
                concurrency,
            )
            .await;
            (target.stack, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Puts what `read_alerting` read into `observed`: a stack whose reads failed keeps
/// `alerting: None` and gets its error back.
pub fn record(
    observed: &mut Observed,
    reads: Vec<(String, Result<Alerting, AlertingReadError>)>,
) -> Vec<(String, AlertingReadError)> {
    let mut failures = Vec::new();
    for (stack, result) in reads {
        match result {
            Ok(alerting) => {
                if let Some(seen) = observed.stacks.get_mut(&stack) {
                    seen.alerting = Some(alerting);
                }
            }
            Err(error) => failures.push((stack, error)),
        }
    }
    failures
}

/// The first segment of a name, separator included (`portfolio-dev-cpu` → `portfolio-`);
/// a name without a separator is its own prefix.
pub fn first_segment(name: &str) -> &str {
    match name.find(['-', '_', '.', '/']) {
        Some(at) => &name[..=at],
        None => name,
    }
}

/// The prefixes a stack's alarms are read by: first segments of its alarm and topic
/// names, without any that a shorter one already covers. `[""]` (everything) when the
/// stack declares neither.
pub fn scan_prefixes(stack: &Stack) -> Vec<String> {
    let segments: BTreeSet<&str> = stack
        .all_alarms()
        .map(|(name, _)| first_segment(name))
        .chain(stack.topics.keys().map(|name| first_segment(name)))
        .collect();
    if segments.is_empty() {
        return vec![String::new()];
    }
    let mut prefixes: Vec<String> = Vec::new();
    // Sorted, so a covering prefix comes before what it covers.
    for segment in segments {
        if !prefixes.iter().any(|p| segment.starts_with(p.as_str())) {
            prefixes.push(segment.to_owned());
        }
    }
    prefixes
}

async fn read_stack(
    stack: &Stack,
    clients: &Clients,
    region: &str,
    account: Option<&str>,
    concurrency: usize,
) -> Result<Alerting, AlertingReadError> {
    let cloudwatch = clients.cloudwatch(region).await;
    let sns = clients.sns(region).await;
    let prefixes = scan_prefixes(stack);
    let declared_alarms: BTreeSet<&str> = stack.all_alarms().map(|(name, _)| name).collect();
    let whole_region = prefixes.iter().any(String::is_empty);

    // The alarms and the topic list do not depend on each other: read side by side (on
    // AWS each is a chain of pages, at N = 1,000 the pass's longest).
    let alarm_reads = async {
        let mut found = BTreeMap::new();
        for prefix in &prefixes {
            found.append(&mut alarms::describe_by_prefix(&cloudwatch, prefix).await?);
        }
        Ok::<_, AlertingReadError>(found)
    };
    let topic_list = async { Ok::<_, AlertingReadError>(topics::list_topics(&sns, region).await?) };
    let (mut found, topic_arns) = futures::try_join!(alarm_reads, topic_list)?;

    // Which alarms need their tags read.
    let empty_and_kept = declared_alarms.is_empty() && !stack.prune.allow_empty;
    let mut candidates = 0u32;
    let mut wanted_tags = Vec::new();
    for (name, alarm) in &found {
        let ours_by_marker = alarm.marker.as_ref().is_some_and(|m| m.stack == stack.name);
        if declared_alarms.contains(name.as_str()) {
            if !ours_by_marker {
                wanted_tags.push(name.clone());
            }
        } else if ours_by_marker
            && !empty_and_kept
            && candidates < stack.prune.max_deletions_per_pass
        {
            candidates += 1;
            wanted_tags.push(name.clone());
        }
    }
    let tags: Vec<(String, BTreeMap<String, String>)> = stream::iter(wanted_tags)
        .map(|name| {
            let arn = found.get(&name).map(|a| a.arn.clone()).unwrap_or_default();
            let client = &cloudwatch;
            async move {
                alarms::list_tags(client, &arn)
                    .await
                    .map(|tags| (name, tags))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    for (name, read) in tags {
        if let Some(alarm) = found.get_mut(&name) {
            alarm.tags = Some(read);
        }
    }

    // Topics: the declared ones in full, undeclared ones under the prefixes by their tags.
    let mut wanted_topics: Vec<(String, String, bool)> = Vec::new();
    for (name, arn) in &topic_arns {
        if let Some(topic) = stack.topics.get(name) {
            if topic.management != Management::Paused {
                wanted_topics.push((name.clone(), arn.clone(), true));
            }
        } else if (!whole_region || stack.prune.allow_empty)
            && prefixes.iter().any(|p| name.starts_with(p.as_str()))
        {
            wanted_topics.push((name.clone(), arn.clone(), false));
        }
    }
    let topics_found: Vec<(String, ObservedTopic)> = stream::iter(wanted_topics)
        .map(|(name, arn, declared)| {
            let client = &sns;
            async move {
                let topic = if declared {
                    topics::describe_topic(client, &arn, true).await?
                } else {
                    ObservedTopic {
                        tags: topics::list_tags(client, &arn).await?,
                        arn,
                        settings: TopicSettings::default(),
                        subscriptions: None,
                    }
                };
                Ok::<_, TopicsError>((name, topic))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;

    let known_account = account.map(str::to_owned).or_else(|| {
        topic_arns
            .values()
            .chain(found.values().map(|a| &a.arn))
            .find_map(|arn| crate::observed::account_of_arn(arn).map(str::to_owned))
    });
    let partition = topic_arns
        .values()
        .chain(found.values().map(|a| &a.arn))
        .find_map(|arn| arn.split(':').nth(1).map(str::to_owned))
        .unwrap_or_else(|| "aws".to_owned());
    Ok(Alerting {
        alarms: found,
        topics: topics_found.into_iter().collect(),
        topic_arn_prefix: known_account
            .map(|account| format!("arn:{partition}:sns:{region}:{account}:")),
        left_in_place_last_pass: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_segments() {
        assert_eq!(first_segment("portfolio-dev-cpu-high"), "portfolio-");
        assert_eq!(first_segment("api_latency"), "api_");
        assert_eq!(first_segment("standalone"), "standalone");
    }
}
