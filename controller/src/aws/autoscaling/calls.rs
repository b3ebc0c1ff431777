//! What the read and write halves of the adapter share: the error type, the API's
//! limits, and the conversions between the SDK's types and ours.

use aws_sdk_applicationautoscaling::error::BuildError;
use chrono::{DateTime, Utc};

/// DescribeScalableTargets accepts at most this many resource ids per call.
pub const TARGETS_PER_CALL: usize = 50;
/// The largest page DescribeScalingPolicies and DescribeScheduledActions return.
pub const PAGE_SIZE: i32 = 50;
/// A bound on pages per read, so that an endpoint that keeps answering with a next
/// token (moto's DescribeScalableTargets does, past 100 targets) cannot loop forever.
pub(super) const MAX_PAGES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum AutoscalingError {
    #[error("describing scalable targets {resource_ids} failed")]
    DescribeTargets {
        /// The first id of the batch and how many more.
        resource_ids: String,
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("describing the ecs namespace's scaling policies failed")]
    DescribePolicies {
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("describing the ecs namespace's scheduled actions failed")]
    DescribeScheduledActions {
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("{operation} for {resource_id} failed")]
    Call {
        operation: &'static str,
        /// The scalable target's id, with `/policy` or `/action` appended when it concerns one.
        resource_id: String,
        #[source]
        source: aws_sdk_applicationautoscaling::Error,
    },
    #[error("building the {operation} request for {resource_id} failed")]
    Build {
        operation: &'static str,
        resource_id: String,
        #[source]
        source: BuildError,
    },
    #[error("scaling policy {policy} of {resource_id} not found: it was to be created earlier in this pass, so its ARN could not be given to the alarm that runs it")]
    PolicyNotFound { resource_id: String, policy: String },
    #[error("paging {operation} did not end after {MAX_PAGES} pages")]
    EndlessPaging { operation: &'static str },
}

pub(super) fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

pub(super) fn to_smithy(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(time.timestamp())
}

pub(super) fn call_failed<E>(
    operation: &'static str,
    resource_id: String,
    error: E,
) -> AutoscalingError
where
    E: Into<aws_sdk_applicationautoscaling::Error>,
{
    AutoscalingError::Call {
        operation,
        resource_id,
        source: error.into(),
    }
}

/// Counts are validated well below i32::MAX; saturate rather than wrap if one is not.
pub(super) fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Capacities are i32 on the wire and never negative in practice.
pub(super) fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
