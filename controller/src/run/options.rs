//! What `mooring run` is started with (the CLI builds it): shared by the wiring in mod.rs
//! and the loop in controller.rs.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::source::Location;
use crate::aws::CallPolicy;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub location: Location,
    /// Time between passes (plus up to 10 % jitter).
    pub interval: Duration,
    /// How often the desired state is checked for changes.
    pub poll: Duration,
    pub listen: SocketAddr,
    pub concurrency: usize,
    /// Timeouts, retries and the pacer, one for the life of the process: the token
    /// buckets are the process's budget, kept across passes.
    pub policy: CallPolicy,
    /// Throttled changes are retried within a pass until this long after it started.
    pub pass_deadline: Duration,
    /// Given revision (`--revision`, `MOORING_REVISION`); else git, or the S3 object's.
    pub revision: Option<String>,
    /// Fixed instant for schedules (`--now`): demos and tests only.
    pub now: Option<DateTime<Utc>>,
    /// How long a pass in flight may go on after SIGTERM.
    pub shutdown_grace: Duration,
}
