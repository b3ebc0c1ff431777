//! `EventSinks`: the SNS and metrics sinks of every stack, built once per process from
//! the desired state. `publish` after each apply pass, `flush` before the process ends.
//! `plan` never builds one: it is read-only.
//!
//! A sink that cannot deliver never fails the pass: what went wrong comes back as
//! Warning events (`EventSinkFailed`) for stdout.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;

use super::metrics::{self, NAMESPACE};
use super::sns::SnsSink;
use super::{Event, EventType, Phase, Reason};
use crate::aws::cloudwatch::put_metric_data;
use crate::aws::{error_chain, Clients};

/// What the sinks need of one pass.
#[derive(Debug, Clone)]
pub struct PassEvents<'a> {
    /// The stacks of the pass, each with the region it ran in (`None`: not known, the
    /// stack's `spec.region` or the SDK default is used).
    pub stacks: Vec<(&'a str, Option<&'a str>)>,
    /// Every event of the pass, all stacks together.
    pub events: &'a [Event],
    /// The revision of the desired state, for the sinks' own Warning events.
    pub revision: Option<&'a str>,
    /// How long the pass took (a metric).
    pub duration_ms: u64,
}

/// One stack's sinks.
#[derive(Debug)]
struct StackSinks {
    /// `spec.region`; the SDK default when absent.
    region: Option<String>,
    sns: Option<SnsSink>,
    metrics: bool,
}

pub struct EventSinks<'a> {
    clients: &'a Clients,
    stacks: BTreeMap<String, StackSinks>,
}

impl<'a> EventSinks<'a> {
    /// The sinks the desired state asks for; stacks without `spec.events` have none.
    pub fn new(desired: &DesiredState, clients: &'a Clients) -> Self {
        let stacks = desired
            .stacks
            .iter()
            .filter_map(|stack| {
                let events = stack.events.as_ref()?;
                Some((
                    stack.name.clone(),
                    StackSinks {
                        region: stack.region.clone(),
                        sns: events.topic.clone().map(|topic| {
                            SnsSink::new(topic, &events.types, events.fold_window.to_std())
                        }),
                        metrics: events.metrics,
                    },
                ))
            })
            .collect();
        Self { clients, stacks }
    }

    /// Whether any stack has a sink (nothing to do otherwise).
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// Publishes the events and metrics of one apply pass. Returns the sinks' own
    /// problems as Warning events, for stdout only (never published: no loops).
    pub async fn publish(&mut self, pass: PassEvents<'_>) -> Vec<Event> {
        self.publish_at(pass, Utc::now()).await
    }

    /// `publish` with the clock given: fold windows close against `now`.
    pub async fn publish_at(&mut self, pass: PassEvents<'_>, now: DateTime<Utc>) -> Vec<Event> {
        let clients = self.clients;
        let mut problems = Vec::new();
        for (stack, sinks) in &mut self.stacks {
            // A stack that was not part of this pass has nothing to say.
            let Some(&(_, region)) = pass.stacks.iter().find(|(name, _)| name == stack) else {
                continue;
            };
            // A stack the account guard refused lives in an account mooring must not
            // touch: its topic and metrics there are not used either.
            if pass
                .events
                .iter()
                .any(|e| &e.stack == stack && e.is_refusal())
            {
                continue;
            }
            let region = match region.map_or_else(
                || clients.resolve_region(sinks.region.as_deref()),
                |region| Ok(region.to_owned()),
            ) {
                Ok(region) => region,
                Err(e) => {
                    problems.push(problem(stack, &pass, now, e.to_string()));
                    continue;
                }
            };
            let events: Vec<&Event> = pass.events.iter().filter(|e| &e.stack == stack).collect();
            if let Some(sns) = &mut sinks.sns {
                for message in publish_sns(clients, sns, &region, &events, now).await {
                    problems.push(problem(stack, &pass, now, message));
                }
            }
            if sinks.metrics {
                let data = metrics::stack_data(stack, &events, pass.duration_ms, now);
                let client = clients.cloudwatch(&region).await;
                if let Err(e) = put_metric_data(&client, NAMESPACE, &data).await {
                    tracing::warn!(%stack, error = %error_chain(&e), "putting metrics failed");
                    problems.push(problem(stack, &pass, now, error_chain(&e)));
                }
            }
        }
        problems
    }

    /// Publishes the summaries of every open fold window: the process is ending.
    pub async fn flush(&mut self) -> Vec<Event> {
        let clients = self.clients;
        let now = Utc::now();
        let mut problems = Vec::new();
        for (stack, sinks) in &mut self.stacks {
            let Some(sns) = &mut sinks.sns else { continue };
            let summaries = sns.folder.flush();
            if summaries.is_empty() {
                continue;
            }
            let region = match clients.resolve_region(sinks.region.as_deref()) {
                Ok(region) => region,
                Err(e) => {
                    problems.push(stack_problem(stack, None, now, e.to_string()));
                    continue;
                }
            };
            let delivered = match sns.topic_arn(clients, &region).await {
                Ok(arn) => sns.deliver(clients, &region, &arn, summaries).await,
                Err(e) => vec![error_chain(&e)],
            };
            problems.extend(
                delivered
                    .into_iter()
                    .map(|m| stack_problem(stack, None, now, m)),
            );
        }
        problems
    }
}

/// Folds the wanted events of one stack and publishes what is left. Without a topic
/// (not created yet), nothing is folded: the events are published once it exists.
async fn publish_sns(
    clients: &Clients,
    sns: &mut SnsSink,
    region: &str,
    events: &[&Event],
    now: DateTime<Utc>,
) -> Vec<String> {
    let arn = match sns.topic_arn(clients, region).await {
        Ok(arn) => arn,
        Err(e) => return vec![error_chain(&e)],
    };
    let mut outgoing = sns.folder.close_expired(now);
    let wanted: Vec<Event> = events
        .iter()
        .filter(|e| sns.wants(e))
        .map(|e| (*e).clone())
        .collect();
    for event in wanted {
        outgoing.extend(sns.folder.offer(event));
    }
    if outgoing.is_empty() {
        return Vec::new();
    }
    sns.deliver(clients, region, &arn, outgoing).await
}

fn problem(stack: &str, pass: &PassEvents<'_>, now: DateTime<Utc>, message: String) -> Event {
    stack_problem(stack, pass.revision.map(str::to_owned), now, message)
}

fn stack_problem(
    stack: &str,
    revision: Option<String>,
    now: DateTime<Utc>,
    message: String,
) -> Event {
    Event::for_stack(
        stack,
        (EventType::Warning, Reason::EventSinkFailed),
        // Noticed, not a failed change: the account was reconciled all the same.
        Phase::Observed,
        message,
        now,
        revision,
    )
}
