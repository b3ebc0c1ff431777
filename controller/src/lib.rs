//! mooring's reconcile engine: observe the account, plan against the desired state,
//! apply the difference, report every decision as an event. The `mooring` binary is a
//! thin shell over `cli`.

pub mod accept;
pub(crate) mod account_guard;
pub mod allocator;
pub(crate) mod apply;
pub mod aws;
pub(crate) mod backoff;
pub mod cli;
pub(crate) mod command_input;
pub(crate) mod durations;
pub mod events;
pub mod exit_code;
pub mod init;
pub mod invocation;
pub(crate) mod observe;
pub(crate) mod observed;
pub mod pacing;
pub mod pass;
pub(crate) mod plan;
pub(crate) mod redact;
pub mod release;
pub(crate) mod render;
pub(crate) mod revision;
pub mod run;
pub(crate) mod schedule_preview;
pub(crate) mod stack_selection;
pub mod status;
pub mod status_command;
