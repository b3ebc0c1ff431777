//! Applying dashboard changes (see `plan::dashboards`).

use crate::aws::dashboards::{self, DashboardsError};
use crate::aws::Clients;
use crate::plan::{DashboardOperation, Operation, Resource};

/// Runs one dashboard change; `None` when the pair is not a dashboard change.
pub async fn execute(
    clients: &Clients,
    resource: &Resource,
    operation: &Operation,
) -> Option<Result<(), DashboardsError>> {
    let (Resource::Dashboard { region, name }, Operation::Dashboard(operation)) =
        (resource, operation)
    else {
        return None;
    };
    let client = clients.cloudwatch(region).await;
    Some(match operation {
        DashboardOperation::PutDashboard { body } => dashboards::put(&client, name, body).await,
        DashboardOperation::DeleteDashboard => dashboards::delete(&client, name).await,
    })
}
