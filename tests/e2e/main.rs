//! End-to-end tests: the real `mooring` binary, the real AWS SDK, the real local
//! emulator (moto's server). See fixtures.rs for how the emulator is reached.

mod accept;
mod alarms;
mod alerting_changes;
mod autoscaling;
mod bad_input;
mod container_insights;
mod dashboards;
mod event_sinks;
mod examples;
mod exit_codes;
mod fault_proxy;
mod fixtures;
mod format_hints;
mod init;
mod lambda_s3;
mod lambda_targets;
mod offhours;
mod other_stack;
mod pacing;
mod plan_golden;
mod reasons;
mod release;
mod reports;
mod run;
mod run_s3;
mod scaling_by_hand;
mod schedule_only;
mod security;
mod service_counts;
mod status;
mod status_page;
mod step_alarms;
