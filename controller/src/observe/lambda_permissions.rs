//! Which Lambda functions' resource policies a pass reads, and reading them (GetPolicy,
//! one call per function and region, shared by the stacks that name it).
//!
//! A stack's functions are those its alert targets name (Lambda subscriptions of its
//! topics, Lambda ARNs among its alarms' actions, unless paused), and those its topics
//! and alarms still name in the account: a subscription or action that leaves the file
//! is removed in the same pass, and so must mooring's statement on its function be.

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{FunctionArn, Management, Protocol, Stack};
use futures::stream::{self, StreamExt};

use crate::aws::lambda::{self, LambdaError};
use crate::aws::Clients;
use crate::observed::{Observed, ObservedStack};

/// The function ARNs (as written) whose policies `stack`'s plan needs.
pub(crate) fn functions_of(stack: &Stack, seen: &ObservedStack) -> BTreeSet<String> {
    let mut functions = BTreeSet::new();
    for topic in stack.topics.values() {
        if topic.management == Management::Paused {
            continue;
        }
        for subscription in &topic.subscriptions {
            if subscription.protocol == Protocol::Lambda {
                functions.insert(subscription.endpoint.clone());
            }
        }
    }
    for (_, alarm) in stack.all_alarms() {
        if alarm.management == Management::Paused {
            continue;
        }
        let targets = alarm
            .notify
            .iter()
            .chain(&alarm.ok_notify)
            .chain(&alarm.insufficient_data_notify);
        functions.extend(targets.filter(|t| is_function(t)).cloned());
    }
    if let Some(alerting) = &seen.alerting {
        for (name, topic) in &alerting.topics {
            if !stack.topics.contains_key(name) {
                continue;
            }
            let subscriptions = topic.subscriptions.iter().flatten();
            functions.extend(
                subscriptions
                    .filter(|s| s.protocol == Protocol::Lambda.as_str() && is_function(&s.endpoint))
                    .map(|s| s.endpoint.clone()),
            );
        }
        for alarm in alerting.alarms.values() {
            if alarm.marker.as_ref().is_some_and(|m| m.stack == stack.name) {
                let spec = &alarm.spec;
                let actions = spec
                    .alarm_actions
                    .iter()
                    .chain(&spec.ok_actions)
                    .chain(&spec.insufficient_data_actions);
                functions.extend(actions.filter(|a| is_function(a)).cloned());
            }
        }
    }
    functions
}

fn is_function(text: &str) -> bool {
    FunctionArn::parse(text).is_some()
}

/// Reads the policies of every function the stacks need, each once; a failed read
/// leaves that function out of every stack that named it, and is returned with them.
pub(crate) async fn observe_function_policies(
    desired: &desired_state::DesiredState,
    clients: &Clients,
    concurrency: usize,
    observed: &mut Observed,
) -> Vec<(Vec<String>, LambdaError)> {
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for stack in &desired.stacks {
        let Some(seen) = observed.stacks.get(&stack.name) else {
            continue;
        };
        for function in functions_of(stack, seen) {
            wanted.entry(function).or_default().push(stack.name.clone());
        }
    }
    let reads = stream::iter(wanted)
        .map(|(function, stacks)| async move {
            // Parsed when chosen: the region is the function's own.
            let region = FunctionArn::parse(&function)
                .map(|arn| arn.region)
                .unwrap_or_default();
            let client = clients.lambda(&region).await;
            let result = lambda::function_policy(&client, &function).await;
            (function, stacks, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut failures = Vec::new();
    for (function, stacks, result) in reads {
        match result {
            Ok(policy) => {
                for stack in &stacks {
                    if let Some(seen) = observed.stacks.get_mut(stack) {
                        seen.lambda_policies
                            .insert(function.clone(), policy.clone());
                    }
                }
            }
            Err(error) => failures.push((stacks, error)),
        }
    }
    failures
}
