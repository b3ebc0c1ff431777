//! Application Auto Scaling adapter for ECS services: scalable targets, scaling policies and
//! scheduled actions in, `observed::autoscaling` types out; and the calls that change them.
//!
//! Read budget for N declared services in one region, T of them with a target, P ECS
//! policies and S ECS scheduled actions in the whole region:
//!
//! - DescribeScalableTargets: ceil(N / 50) calls (50 resource ids per call).
//! - DescribeScalingPolicies and DescribeScheduledActions take one ResourceId per call, so
//!   filtering by resource would cost at least T calls each. Paging the whole `ecs` namespace
//!   (50 per page) and keeping the declared ids costs max(1, ceil(P / 50)) and
//!   max(1, ceil(S / 50)). That is smaller whenever the region holds fewer than 50 policies
//!   (actions) per declared target, i.e. in every account we know of, so the namespace is
//!   paged. Both are skipped when T = 0: without a target there are no policies, and in a
//!   schedule-only pass (sleep and wake only change the target itself).

use aws_sdk_applicationautoscaling::error::BuildError;
use chrono::{DateTime, Utc};

/// DescribeScalableTargets accepts at most this many resource ids per call.
pub const TARGETS_PER_CALL: usize = 50;
/// The largest page DescribeScalingPolicies and DescribeScheduledActions return.
pub const PAGE_SIZE: i32 = 50;
/// A bound on pages per read, so that an endpoint that keeps answering with a next
/// token (moto's DescribeScalableTargets does, past 100 targets) cannot loop forever.
const MAX_PAGES: usize = 10_000;

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

mod read;
mod write;

pub use read::{observe_targets, policy_arn};
pub use write::{
    delete_policy, delete_scheduled_action, deregister_target, put_policy, put_scheduled_action,
    register_target,
};

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

fn to_smithy(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(time.timestamp())
}

fn call_failed<E>(operation: &'static str, resource_id: String, error: E) -> AutoscalingError
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
fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Capacities are i32 on the wire and never negative in practice.
fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
