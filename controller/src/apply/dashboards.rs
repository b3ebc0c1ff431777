//! Applying dashboard changes (see `plan::dashboards`).

use crate::aws::dashboards::{self, DashboardsError};
use crate::aws::sts::StsError;
use crate::aws::Clients;
use crate::plan::{DashboardOperation, Operation, Resource, ACCOUNT_PLACEHOLDER};

#[derive(Debug, thiserror::Error)]
pub enum DashboardApplyError {
    #[error(transparent)]
    Dashboards(#[from] DashboardsError),
    /// The account of alarm ARNs planned without it could not be asked.
    #[error("filling in the account of dashboard {name}'s alarm widgets failed")]
    Account {
        name: String,
        #[source]
        source: StsError,
    },
}

/// Runs one dashboard change; `None` when the pair is not a dashboard change.
pub async fn execute(
    clients: &Clients,
    resource: &Resource,
    operation: &Operation,
) -> Option<Result<(), DashboardApplyError>> {
    let (Resource::Dashboard { region, name }, Operation::Dashboard(operation)) =
        (resource, operation)
    else {
        return None;
    };
    Some(run(clients, region, name, operation).await)
}

async fn run(
    clients: &Clients,
    region: &str,
    name: &str,
    operation: &DashboardOperation,
) -> Result<(), DashboardApplyError> {
    let client = clients.cloudwatch(region).await;
    match operation {
        DashboardOperation::PutDashboard { body } => {
            // Alarm ARNs planned before any ARN of the region told the account (a fresh
            // region without services): STS tells it now, once per process and region.
            let placeholder = format!(":{ACCOUNT_PLACEHOLDER}:");
            let body = if body.contains(&placeholder) {
                let account = clients.caller_account(region).await.map_err(|source| {
                    DashboardApplyError::Account {
                        name: name.to_owned(),
                        source,
                    }
                })?;
                body.replace(&placeholder, &format!(":{account}:"))
            } else {
                body.clone()
            };
            dashboards::put(&client, name, &body).await?;
        }
        DashboardOperation::DeleteDashboard => dashboards::delete(&client, name).await?,
    }
    Ok(())
}
