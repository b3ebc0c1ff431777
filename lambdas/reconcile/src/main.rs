//! The `reconcile` Lambda: one full reconcile pass per invocation (observe, plan, apply,
//! events), with the same library as `mooring apply` and `mooring run`, for teams who
//! prefer a schedule to a long-running task. The summary is the invocation's result.
//!
//! The desired state is read from `MOORING_DESIRED_STATE` (a file or folder), else from
//! `desired-state/` bundled beside the function.

use std::path::PathBuf;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use mooring::aws::{CallPolicy, Clients};
use mooring::events::EventSinks;
use mooring::pass::{calls_since, run_pass, PassOptions, PassReport};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error("loading the desired state from {path} failed:\n{diagnostics}")]
    DesiredState { path: String, diagnostics: String },
}

/// A stable error type for callers (and the Lambda console) to match on.
impl From<ReconcileError> for lambda_runtime::Diagnostic {
    fn from(error: ReconcileError) -> Self {
        let error_type = match error {
            ReconcileError::DesiredState { .. } => "DesiredStateInvalid",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What the invocation returns.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    revision: Option<String>,
    /// Changes planned this pass.
    planned: usize,
    applied: usize,
    failed: usize,
    /// Requests that changed managed resources (0 on a converged account).
    mutating_requests: u64,
    duration_ms: u64,
    /// Every event of the pass, as `mooring apply --output jsonl` prints them.
    events: Vec<mooring::events::Event>,
}

fn desired_state_path() -> PathBuf {
    std::env::var_os("MOORING_DESIRED_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("desired-state"))
}

async fn handle(_event: LambdaEvent<Value>, clients: &Clients) -> Result<Summary, ReconcileError> {
    let path = desired_state_path();
    // Read on every invocation: a new bundle or file takes effect without a cold start.
    let desired =
        desired_state::load(&[&path]).map_err(|diagnostics| ReconcileError::DesiredState {
            path: path.display().to_string(),
            diagnostics: diagnostics.to_string(),
        })?;
    let options = PassOptions {
        concurrency: 8,
        apply: true,
        revision: std::env::var("MOORING_REVISION").ok(),
        schedule_only: false,
    };
    let mut report: PassReport = run_pass(&desired, clients, &options, chrono::Utc::now()).await;
    // One invocation is one pass: the sinks fold within it and flush before returning.
    let mut sinks = EventSinks::new(&desired, clients);
    if !sinks.is_empty() {
        let before = clients.stats().snapshot();
        let mut problems = sinks.publish(&report).await;
        problems.extend(sinks.flush().await);
        report.events.extend(problems);
        report.add_calls(calls_since(&before, clients));
    }
    for event in &report.events {
        // One JSON line per event: CloudWatch Logs picks them up like the controller's.
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
    let failed = report.failed();
    Ok(Summary {
        revision: report.revision.clone(),
        planned: report.plan.changes.len(),
        applied: report
            .outcomes
            .as_ref()
            .map_or(0, |o| o.iter().filter(|o| o.succeeded()).count()),
        failed,
        mutating_requests: report.mutating_requests(),
        duration_ms: report.duration_ms,
        events: report.events,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOORING_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    // SDK clients once per cold start, shared by every invocation.
    let clients = Clients::from_environment(CallPolicy::default()).await;
    let clients = &clients;
    lambda_runtime::run(service_fn(move |event| async move {
        handle(event, clients).await
    }))
    .await
}
