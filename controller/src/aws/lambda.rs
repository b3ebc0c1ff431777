//! Lambda functions' resource policies, as far as alert targets need them: GetPolicy
//! (read into `observed::lambda`), AddPermission and RemovePermission of single statements.
//! Nothing else of a function is read or changed.

use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::get_policy::GetPolicyError;
use aws_sdk_lambda::operation::remove_permission::RemovePermissionError;
use aws_sdk_lambda::Client;
use serde_json::Value;

use crate::observed::lambda::{FunctionPolicy, PermissionStatement};

/// The only action mooring grants: invoking the function.
const INVOKE: &str = "lambda:InvokeFunction";

#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    #[error("Lambda {operation} on function {function} failed")]
    Call {
        operation: &'static str,
        function: String,
        #[source]
        source: Box<aws_sdk_lambda::Error>,
    },
    #[error("reading the resource policy of Lambda function {function} failed: it is not JSON")]
    PolicyJson {
        function: String,
        #[source]
        source: serde_json::Error,
    },
}

fn call_failed<E>(operation: &'static str, function: &str, error: E) -> LambdaError
where
    aws_sdk_lambda::Error: From<E>,
{
    LambdaError::Call {
        operation,
        function: function.to_owned(),
        source: Box::new(error.into()),
    }
}

/// The statements of `function`'s resource policy (an ARN, with its alias if any).
///
/// GetPolicy answers ResourceNotFoundException both for a function without a policy
/// ("The resource you requested does not exist.") and for a function that does not exist
/// ("Function not found: <arn>"). Only the message tells them apart; reading the function
/// itself (GetFunction) would cost another call and another IAM action for the same answer.
pub async fn function_policy(
    client: &Client,
    function: &str,
) -> Result<FunctionPolicy, LambdaError> {
    let output = match client.get_policy().function_name(function).send().await {
        Ok(output) => output,
        Err(SdkError::ServiceError(e)) => match e.err() {
            GetPolicyError::ResourceNotFoundException(not_found) => {
                let message = not_found.message().unwrap_or_default();
                if message.starts_with("Function not found") {
                    return Ok(FunctionPolicy::FunctionMissing {
                        why: message.to_owned(),
                    });
                }
                return Ok(FunctionPolicy::Found(Vec::new()));
            }
            _ => {
                return Err(call_failed(
                    "GetPolicy",
                    function,
                    SdkError::ServiceError(e),
                ))
            }
        },
        Err(e) => return Err(call_failed("GetPolicy", function, e)),
    };
    let Some(text) = output.policy() else {
        return Ok(FunctionPolicy::Found(Vec::new()));
    };
    let policy: Value = serde_json::from_str(text).map_err(|source| LambdaError::PolicyJson {
        function: function.to_owned(),
        source,
    })?;
    Ok(FunctionPolicy::Found(statements(&policy)))
}

/// The statements of a policy document; one statement alone may be an object, not a list.
fn statements(policy: &Value) -> Vec<PermissionStatement> {
    let list = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|statement| {
            let sid = statement.get("Sid")?.as_str()?.to_owned();
            Some(PermissionStatement {
                sid,
                principal: principal(statement.get("Principal")),
                source_arn: source_arn(statement.get("Condition")),
            })
        })
        .collect()
}

/// `{"Service": "sns.amazonaws.com"}`, `{"AWS": "…"}` or a bare string: the one principal.
fn principal(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Object(map) if map.len() == 1 => map
            .values()
            .next()
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// `AWS:SourceArn` under whichever operator (ArnLike, ArnEquals, StringEquals); condition
/// keys are case-insensitive in IAM.
fn source_arn(condition: Option<&Value>) -> Option<String> {
    let operators = condition?.as_object()?;
    operators
        .values()
        .filter_map(Value::as_object)
        .flat_map(|keys| keys.iter())
        .find(|(key, _)| key.eq_ignore_ascii_case("aws:SourceArn"))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_owned)
}

/// AddPermission: `principal` may invoke `function` when the call comes from `source_arn`.
pub async fn add_permission(
    client: &Client,
    function: &str,
    statement_id: &str,
    principal: &str,
    source_arn: &str,
) -> Result<(), LambdaError> {
    client
        .add_permission()
        .function_name(function)
        .statement_id(statement_id)
        .action(INVOKE)
        .principal(principal)
        .source_arn(source_arn)
        .send()
        .await
        .map_err(|e| call_failed("AddPermission", function, e))?;
    Ok(())
}

/// RemovePermission of one statement. A statement (or function) already gone is what
/// was wanted: done, not a failure.
pub async fn remove_permission(
    client: &Client,
    function: &str,
    statement_id: &str,
) -> Result<(), LambdaError> {
    match client
        .remove_permission()
        .function_name(function)
        .statement_id(statement_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), RemovePermissionError::ResourceNotFoundException(_)) =>
        {
            Ok(())
        }
        Err(e) => Err(call_failed("RemovePermission", function, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_read_from_the_policy_document() {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "mooring-tap-0123456789abcdef", "Effect": "Allow",
                 "Principal": {"Service": "sns.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                 "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:123456789012:alerts"}}},
                {"Sid": "by-hand", "Principal": "*", "Action": "lambda:InvokeFunction"},
                {"Effect": "Allow"}
            ]
        });
        let found = statements(&policy);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].principal.as_deref(), Some("sns.amazonaws.com"));
        assert_eq!(
            found[0].source_arn.as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:alerts")
        );
        assert_eq!(found[1].principal.as_deref(), Some("*"));
        assert_eq!(found[1].source_arn, None);
    }
}
