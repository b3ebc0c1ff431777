//! Apply: runs the planned changes with bounded concurrency. One failing resource
//! never stops the others; every change gets an outcome.

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::ecs::{self, EcsError};
use crate::aws::{error_chain, Clients};
use crate::observed::ServiceKey;
use crate::plan::{Change, Operation, Resource};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Ecs(#[from] EcsError),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub change: Change,
    /// `None` when the change was made; otherwise what failed, with AWS's message.
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// Executes `changes`, at most `concurrency` calls in flight. Outcomes come back in
/// the order of `changes`, whatever order the calls finished in.
pub async fn apply(clients: &Clients, changes: Vec<Change>, concurrency: usize) -> Vec<Outcome> {
    let mut outcomes: Vec<(usize, Outcome)> = stream::iter(changes.into_iter().enumerate())
        .map(|(index, change)| async move {
            let error = execute(clients, &change).await.err().map(|e| error_chain(&e));
            if let Some(error) = &error {
                tracing::warn!(resource = %change.resource, %error, "change failed");
            } else {
                tracing::info!(resource = %change.resource, operation = ?change.operation, "change applied");
            }
            (index, Outcome { change, error })
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

async fn execute(clients: &Clients, change: &Change) -> Result<(), ApplyError> {
    match (&change.resource, &change.operation) {
        (
            Resource::EcsService {
                region,
                cluster,
                service,
            },
            Operation::SetDesiredCount { count },
        ) => {
            let client = clients.ecs(region).await;
            ecs::set_desired_count(&client, &ServiceKey::new(cluster, service), *count).await?;
        }
    }
    Ok(())
}
