//! Whether a failed call was throttled by AWS, decided in one place for every adapter:
//! apply retries such a change later in the pass instead of reporting it failed for good.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::stats::THROTTLING_CODES;

/// Walks `error`'s chain for an SDK service error whose code is one the SDK's retry
/// treats as throttling (ThrottlingException, Throttling, TooManyRequestsException,
/// RequestLimitExceeded, …). The adapters keep each service's `Error` as the source of
/// their own errors, so those are the types looked for.
pub fn is_throttled(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if code_of(error).is_some_and(|code| THROTTLING_CODES.contains(&code)) {
            return true;
        }
        next = error.source();
    }
    false
}

fn code_of<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a str> {
    if let Some(e) = error.downcast_ref::<aws_sdk_ecs::Error>() {
        return e.code();
    }
    if let Some(e) = error.downcast_ref::<aws_sdk_applicationautoscaling::Error>() {
        return e.code();
    }
    if let Some(e) = error.downcast_ref::<aws_sdk_cloudwatch::Error>() {
        return e.code();
    }
    if let Some(e) = error.downcast_ref::<aws_sdk_sns::Error>() {
        return e.code();
    }
    if let Some(e) = error.downcast_ref::<Box<aws_sdk_sns::Error>>() {
        return e.code();
    }
    if let Some(e) = error.downcast_ref::<aws_sdk_lambda::Error>() {
        return e.code();
    }
    None
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("updating desiredCount of service s failed")]
    struct Wrapped(#[source] aws_sdk_ecs::Error);

    fn ecs_error(code: &str) -> aws_sdk_ecs::Error {
        aws_sdk_ecs::operation::update_service::UpdateServiceError::generic(
            ErrorMetadata::builder().code(code).build(),
        )
        .into()
    }

    #[test]
    fn throttling_is_found_through_our_own_errors() {
        assert!(is_throttled(&Wrapped(ecs_error("ThrottlingException"))));
        assert!(!is_throttled(&Wrapped(ecs_error(
            "ClusterNotFoundException"
        ))));
    }
}
