//! One pass on behalf of a Lambda invocation: what the `offhours` and `reconcile`
//! functions share, so that they load, plan, apply, publish and report exactly alike and
//! each Lambda crate stays a thin shell (its event parsing and error type).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::aws::Clients;
use crate::events::{Event, EventSinks};
use crate::pass::{calls_since, run_pass, PassOptions};

/// The desired state: `MOORING_DESIRED_STATE` (a file or folder), else `desired-state/`
/// bundled beside the function.
pub fn desired_state_path() -> PathBuf {
    std::env::var_os("MOORING_DESIRED_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("desired-state"))
}

#[derive(Debug, thiserror::Error)]
#[error("loading the desired state from {path} failed:\n{diagnostics}")]
pub struct LoadError {
    pub path: String,
    pub diagnostics: String,
}

/// What an invocation returns.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationSummary {
    /// The instant schedules were evaluated at.
    pub now: DateTime<Utc>,
    pub revision: Option<String>,
    /// Changes planned this pass.
    pub planned: usize,
    pub applied: usize,
    /// Failed reads and changes.
    pub failed: usize,
    /// Requests that changed managed resources (0 on a converged account).
    pub mutating_requests: u64,
    pub duration_ms: u64,
    /// Every event of the pass, as `mooring apply --output jsonl` prints them.
    pub events: Vec<Event>,
}

/// Loads the desired state (on every invocation: a new bundle or file takes effect
/// without a cold start), runs one applying pass at `now` (`schedule_only`: only sleep
/// and wake), publishes its events to the stack's sinks (folded within the pass,
/// flushed before returning), and prints them as JSON lines for CloudWatch Logs.
pub async fn run_invocation(
    clients: &Clients,
    now: DateTime<Utc>,
    schedule_only: bool,
) -> Result<InvocationSummary, LoadError> {
    let path = desired_state_path();
    let desired = desired_state::load(&[&path]).map_err(|diagnostics| LoadError {
        path: path.display().to_string(),
        diagnostics: diagnostics.to_string(),
    })?;
    let options = PassOptions {
        concurrency: 8,
        apply: true,
        revision: std::env::var("MOORING_REVISION").ok(),
        schedule_only,
    };
    let mut report = run_pass(&desired, clients, &options, now).await;
    let mut sinks = EventSinks::new(&desired, clients);
    if !sinks.is_empty() {
        let before = clients.stats().snapshot();
        let mut problems = sinks.publish(&report).await;
        problems.extend(sinks.flush().await);
        report.events.extend(problems);
        report.add_calls(calls_since(&before, clients));
    }
    for event in &report.events {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
    Ok(InvocationSummary {
        now,
        revision: report.revision.clone(),
        planned: report.plan.changes.len(),
        applied: report
            .outcomes
            .as_ref()
            .map_or(0, |o| o.iter().filter(|o| o.succeeded()).count()),
        failed: report.failed(),
        mutating_requests: report.mutating_requests(),
        duration_ms: report.duration_ms,
        events: report.events,
    })
}
