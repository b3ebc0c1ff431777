//! Lambda function policies on the model: what AddPermission and RemovePermission do to
//! the statements of a function, and GetPolicy's answer for the functions a pass reads.

use std::collections::BTreeMap;

use desired_state::Stack;

use super::account::Account;
use crate::observed::lambda::{FunctionPolicy, PermissionStatement};
use crate::observed::ObservedStack;
use crate::plan::{LambdaOperation, Resource};

/// The function the generated alert targets name (`generate.rs`).
pub const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:prop-notify";

/// GetPolicy for every function `observe/lambda_permissions.rs` would read.
pub fn observe(account: &Account, stack: &Stack, seen: &mut ObservedStack) {
    let mut policies = BTreeMap::new();
    for function in crate::observe::lambda_permissions::functions_of(stack, seen) {
        let policy = match account.functions.get(&function) {
            Some(statements) => FunctionPolicy::Found(statements.clone()),
            None => FunctionPolicy::FunctionMissing {
                why: format!("Function not found: {function}"),
            },
        };
        policies.insert(function, policy);
    }
    seen.lambda_policies = policies;
}

/// A function that does not exist refuses both calls, as Lambda does; a statement id
/// added twice is a conflict the planner must never cause.
pub fn apply(
    account: &mut Account,
    resource: &Resource,
    operation: &LambdaOperation,
) -> Result<(), String> {
    let Resource::LambdaPermission {
        function,
        statement_id,
        ..
    } = resource
    else {
        panic!("a Lambda operation on {resource}");
    };
    let Some(statements) = account.functions.get_mut(function) else {
        return Err(format!("Function not found: {function}"));
    };
    match operation {
        LambdaOperation::AddPermission {
            principal,
            source_arn,
        } => {
            assert!(
                statements.iter().all(|s| &s.sid != statement_id),
                "AddPermission of an existing statement id {statement_id}"
            );
            statements.push(PermissionStatement {
                sid: statement_id.clone(),
                principal: Some(principal.clone()),
                source_arn: Some(source_arn.clone()),
            });
        }
        // A statement already gone is done (the adapter's rule).
        LambdaOperation::RemovePermission => statements.retain(|s| &s.sid != statement_id),
    }
    Ok(())
}
