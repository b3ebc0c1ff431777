//! The `offhours` Lambda: an EventBridge schedule invokes it (e.g. every 5 minutes); it
//! applies only the schedule-driven changes (sleep, wake) of the same planner the CLI and
//! the controller use, so it can never disagree with them.
//!
//! The desired state is read from `MOORING_DESIRED_STATE` (a file, a folder or an
//! `s3://bucket/key` object), else from
//! `desired-state/` bundled beside the function. Schedules are evaluated at the event's
//! `time` (the instant EventBridge scheduled the invocation), else at the clock's now.

use chrono::{DateTime, Utc};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use mooring::aws::Clients;
use mooring::invocation::{
    clients_from_environment, pass_deadline_before, run_invocation, InvocationSummary, LoadError,
};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
enum OffhoursError {
    #[error(transparent)]
    DesiredState(#[from] LoadError),
}

/// A stable error type for callers (and the Lambda console) to match on.
impl From<OffhoursError> for lambda_runtime::Diagnostic {
    fn from(error: OffhoursError) -> Self {
        let error_type = match &error {
            OffhoursError::DesiredState(e) => e.error_type(),
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// The scheduled event's `time`, else now.
fn instant_of(event: &Value) -> DateTime<Utc> {
    event
        .get("time")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

async fn handle(
    event: LambdaEvent<Value>,
    clients: &Clients,
) -> Result<InvocationSummary, OffhoursError> {
    let deadline = pass_deadline_before(event.context.deadline);
    Ok(run_invocation(clients, instant_of(&event.payload), true, deadline).await?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    mooring::cli::init_tracing("warn");
    // SDK clients once per cold start, shared by every invocation.
    let clients = clients_from_environment().await?;
    let clients = &clients;
    lambda_runtime::run(service_fn(move |event| async move {
        handle(event, clients).await
    }))
    .await
}
