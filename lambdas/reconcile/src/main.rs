//! The `reconcile` Lambda: one full reconcile pass per invocation (observe, plan, apply,
//! events), with the same library as `mooring apply` and `mooring run`, for teams who
//! prefer a schedule to a long-running task. The summary is the invocation's result.
//!
//! The desired state is read from `MOORING_DESIRED_STATE` (a file, a folder or an
//! `s3://bucket/key` object), else from
//! `desired-state/` bundled beside the function.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use mooring::aws::Clients;
use mooring::invocation::{
    clients_from_environment, pass_deadline_before, run_invocation, InvocationSummary, LoadError,
};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error(transparent)]
    DesiredState(#[from] LoadError),
}

/// A stable error type for callers (and the Lambda console) to match on.
impl From<ReconcileError> for lambda_runtime::Diagnostic {
    fn from(error: ReconcileError) -> Self {
        let error_type = match &error {
            ReconcileError::DesiredState(e) => e.error_type(),
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

async fn handle(
    event: LambdaEvent<Value>,
    clients: &Clients,
) -> Result<InvocationSummary, ReconcileError> {
    let deadline = pass_deadline_before(event.context.deadline);
    Ok(run_invocation(clients, chrono::Utc::now(), false, deadline).await?)
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
