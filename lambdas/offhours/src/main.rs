//! The `offhours` Lambda: an EventBridge schedule invokes it (e.g. every 5 minutes); it
//! applies only the schedule-driven changes (sleep, wake) of the same planner the CLI and
//! the controller use, so it can never disagree with them.
//!
//! The desired state is read from `MOORING_DESIRED_STATE` (a file or folder), else from
//! `desired-state/` bundled beside the function. Schedules are evaluated at the event's
//! `time` (the instant EventBridge scheduled the invocation), else at the clock's now.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use mooring::aws::{CallPolicy, Clients};
use mooring::pass::{run_pass, PassOptions, PassReport};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
enum OffhoursError {
    #[error("loading the desired state from {path} failed:\n{diagnostics}")]
    DesiredState { path: String, diagnostics: String },
}

/// A stable error type for callers (and the Lambda console) to match on.
impl From<OffhoursError> for lambda_runtime::Diagnostic {
    fn from(error: OffhoursError) -> Self {
        let error_type = match error {
            OffhoursError::DesiredState { .. } => "DesiredStateInvalid",
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
    /// The instant the schedules were evaluated at.
    now: DateTime<Utc>,
    applied: usize,
    failed: usize,
    /// Every event of the pass (Sleep, Wake, SleepInterrupted, warnings), as the CLI's
    /// `--output jsonl` prints them.
    events: Vec<mooring::events::Event>,
}

fn desired_state_path() -> PathBuf {
    std::env::var_os("MOORING_DESIRED_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("desired-state"))
}

/// The scheduled event's `time`, else now.
fn instant_of(event: &Value) -> DateTime<Utc> {
    event
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

async fn handle(event: LambdaEvent<Value>, clients: &Clients) -> Result<Summary, OffhoursError> {
    let path = desired_state_path();
    // Read on every invocation: a new bundle or file takes effect without a cold start.
    let desired =
        desired_state::load(&[&path]).map_err(|diagnostics| OffhoursError::DesiredState {
            path: path.display().to_string(),
            diagnostics: diagnostics.to_string(),
        })?;
    let now = instant_of(&event.payload);
    let options = PassOptions {
        concurrency: 8,
        apply: true,
        revision: std::env::var("MOORING_REVISION").ok(),
        schedule_only: true,
    };
    let report: PassReport = run_pass(&desired, clients, &options, now).await;
    for event in &report.events {
        // One JSON line per event: CloudWatch Logs picks them up like the controller's.
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
    let failed = report.failed();
    Ok(Summary {
        now,
        applied: report
            .outcomes
            .as_ref()
            .map_or(0, |o| o.len().saturating_sub(failed)),
        failed,
        events: report.events,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOORING_LOG")
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
