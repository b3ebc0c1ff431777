//! mooring's reconcile engine: observe the account, plan against the desired state,
//! apply the difference, report every decision as an event. The `mooring` binary is a
//! thin shell over `cli`.

pub mod account_guard;
pub mod allocator;
pub mod apply;
pub mod apply_alerting;
pub mod aws;
pub mod backoff;
pub mod cli;
pub mod events;
pub mod invocation;
pub mod observe;
pub mod observe_alerting;
pub mod observed;
pub mod pass;
pub mod plan;
pub mod redact;
pub mod render;
pub mod revision;
pub mod run;
pub mod schedule_preview;
