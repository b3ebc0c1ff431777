//! Applying Lambda permission changes (see `plan::lambda_permissions`).

use crate::aws::lambda::{self, LambdaError};
use crate::aws::Clients;
use crate::plan::{LambdaOperation, Operation, Resource};

/// Runs one Lambda permission change; `None` when the pair is not one.
pub async fn execute(
    clients: &Clients,
    resource: &Resource,
    operation: &Operation,
) -> Option<Result<(), LambdaError>> {
    let (
        Resource::LambdaPermission {
            region,
            function,
            statement_id,
        },
        Operation::Lambda(operation),
    ) = (resource, operation)
    else {
        return None;
    };
    let client = clients.lambda(region).await;
    let result = match operation {
        LambdaOperation::AddPermission {
            principal,
            source_arn,
        } => lambda::add_permission(&client, function, statement_id, principal, source_arn).await,
        LambdaOperation::RemovePermission => {
            lambda::remove_permission(&client, function, statement_id).await
        }
    };
    Some(result)
}
