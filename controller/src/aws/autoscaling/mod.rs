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

mod calls;
mod read;
mod write;

pub use calls::AutoscalingError;

pub use read::{observe_targets, policy_arn};
pub use write::{
    delete_policy, delete_scheduled_action, deregister_target, put_policy, put_scheduled_action,
    register_target,
};
