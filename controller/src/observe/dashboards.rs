//! Observe the CloudWatch dashboards of each stack (docs/architecture.md, "Dashboards"):
//!
//! - ListDashboards by name prefix: the first name segments of the stack's declared
//!   dashboards (the rule alarms use, `alerting::scan_prefixes`), so a dashboard that left
//!   the file is still found while it shares a first segment with one still declared. A
//!   stack declaring no dashboard reads none, unless `prune.allowEmpty` (then the whole
//!   region's list, to prune what carries its marker).
//! - GetDashboard for every dashboard listed under those prefixes: the body is both the
//!   state compared and the only ownership record (dashboards have no tags).

use std::collections::{BTreeMap, BTreeSet};

use desired_state::{DesiredState, Management, Stack};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::alerting::first_segment;
use crate::aws::dashboards::{self, DashboardsError};
use crate::aws::Clients;
use crate::observed::dashboards::{Dashboards, ObservedDashboard};
use crate::observed::Observed;

/// The stacks whose dashboards are read, with their region.
pub fn targets(desired: &DesiredState, observed: &Observed) -> Vec<(String, String)> {
    desired
        .stacks
        .iter()
        .filter_map(|stack| {
            let seen = observed.stacks.get(&stack.name)?;
            let declares = stack
                .dashboards
                .values()
                .any(|d| d.management != Management::Paused);
            let scans_empty = stack.dashboards.is_empty() && stack.prune.allow_empty;
            (declares || scans_empty).then(|| (stack.name.clone(), seen.region.clone()))
        })
        .collect()
}

/// The name prefixes a stack's dashboards are listed by; `[""]` when it declares none.
fn prefixes(stack: &Stack) -> Vec<String> {
    let segments: BTreeSet<&str> = stack.dashboards.keys().map(|n| first_segment(n)).collect();
    let mut prefixes: Vec<String> = Vec::new();
    for segment in segments {
        if !prefixes.iter().any(|p| segment.starts_with(p.as_str())) {
            prefixes.push(segment.to_owned());
        }
    }
    if prefixes.is_empty() {
        prefixes.push(String::new());
    }
    prefixes
}

/// Reads the dashboards of each target, stacks concurrently.
pub async fn read_dashboards(
    desired: &DesiredState,
    clients: &Clients,
    concurrency: usize,
    targets: Vec<(String, String)>,
) -> Vec<(String, Result<Dashboards, DashboardsError>)> {
    stream::iter(targets)
        .filter_map(|(name, region)| {
            let stack = desired.stacks.iter().find(|s| s.name == name);
            futures::future::ready(stack.map(|stack| (stack, region)))
        })
        .map(|(stack, region)| async move {
            let result = read_stack(stack, clients, &region, concurrency).await;
            (stack.name.clone(), result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Puts what was read into `observed`; a stack whose read failed keeps `dashboards: None`.
pub fn record(
    observed: &mut Observed,
    reads: Vec<(String, Result<Dashboards, DashboardsError>)>,
) -> Vec<(String, DashboardsError)> {
    let mut failures = Vec::new();
    for (stack, result) in reads {
        match result {
            Ok(found) => {
                if let Some(seen) = observed.stacks.get_mut(&stack) {
                    seen.dashboards = Some(found);
                }
            }
            Err(error) => failures.push((stack, error)),
        }
    }
    failures
}

async fn read_stack(
    stack: &Stack,
    clients: &Clients,
    region: &str,
    concurrency: usize,
) -> Result<Dashboards, DashboardsError> {
    let client = clients.cloudwatch(region).await;
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for prefix in prefixes(stack) {
        listed.extend(dashboards::list(&client, &prefix).await?);
    }
    // Paused dashboards are skipped entirely, reads included.
    listed.retain(|name, _| {
        stack
            .dashboards
            .get(name)
            .is_none_or(|d| d.management != Management::Paused)
    });
    let found: Vec<(String, ObservedDashboard)> = stream::iter(listed)
        .map(|(name, arn)| {
            let client = &client;
            async move {
                let text = dashboards::get_body(client, &name).await?;
                // A body that is not JSON is kept as Null: it differs from anything
                // declared and carries no marker, so it is never taken for mooring's.
                let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                Ok::<_, DashboardsError>((name, ObservedDashboard { arn, body }))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(Dashboards {
        found: found.into_iter().collect(),
    })
}
