//! One pass on behalf of a Lambda invocation: what the `offhours` and `reconcile`
//! functions share, so that they load, plan, apply, publish and report exactly alike and
//! each Lambda crate stays a thin shell (its event parsing and error type).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::aws::{CallPolicy, Clients};
use crate::events::{Event, EventSinks};
use crate::pacing::{PacingError, PacingSettings};
use crate::pass::{calls_since, run_pass, PassOptions, DEFAULT_CONCURRENCY, DEFAULT_PASS_DEADLINE};
use crate::run::source::{Location, Source, SourceError};

/// Where an invocation reads its desired state, and the revision it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredStateSource {
    pub location: Location,
    /// Given (`MOORING_REVISION`); else the S3 object's `revision` metadata or its ETag,
    /// as `mooring run` reports it.
    pub revision: Option<String>,
}

impl DesiredStateSource {
    /// `MOORING_DESIRED_STATE`: a file, a folder, or `s3://bucket/key` (the object
    /// `mooring run s3://...` reads); else `desired-state/` bundled beside the function.
    pub fn from_environment() -> Result<Self, LoadError> {
        let value = std::env::var_os("MOORING_DESIRED_STATE")
            .map_or_else(|| PathBuf::from("desired-state"), PathBuf::from);
        let revision = std::env::var("MOORING_REVISION").ok();
        Self::new(value, revision)
    }

    pub fn new(value: PathBuf, revision: Option<String>) -> Result<Self, LoadError> {
        let location = Location::parse(std::slice::from_ref(&value)).map_err(|message| {
            LoadError::Location {
                value: value.display().to_string(),
                message,
            }
        })?;
        let revision = revision.filter(|r| !r.trim().is_empty());
        Ok(Self { location, revision })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("MOORING_DESIRED_STATE `{value}` is not a desired state: {message}")]
    Location { value: String, message: String },
    /// Names the file or the S3 bucket and key, and why it could not be read.
    #[error(transparent)]
    Unavailable(#[from] SourceError),
    #[error("the desired state at {location} is invalid:\n{diagnostics}")]
    Invalid {
        location: String,
        diagnostics: String,
    },
}

impl LoadError {
    /// A stable name for the Lambda's error type, for callers and alarms to match on.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "DesiredStateInvalid",
            Self::Location { .. } | Self::Unavailable(_) => "DesiredStateUnavailable",
        }
    }
}

/// Reads and checks the desired state with `mooring run`'s source (files, or one S3
/// GET), afresh on every invocation: a new object or bundle takes effect without a cold
/// start. Returns it with its revision.
async fn load(
    clients: &Clients,
    source: &DesiredStateSource,
) -> Result<(desired_state::DesiredState, Option<String>), LoadError> {
    let s3 = match source.location {
        Location::S3 { .. } => Some(crate::run::s3_client(
            clients,
            CallPolicy::default().call_timeout,
        )),
        Location::Files(_) => None,
    };
    let mut reader = Source::new(source.location.clone(), s3);
    // A new Source has seen nothing yet, so its first poll always returns the sources.
    let fetched = reader.poll().await?.ok_or_else(|| LoadError::Invalid {
        location: source.location.describe(),
        diagnostics: "nothing was read".to_owned(),
    })?;
    let desired =
        desired_state::parse_sources(&fetched.sources).map_err(|d| LoadError::Invalid {
            location: source.location.describe(),
            // The quoted lines may hold a subscription secret; the answer goes to logs.
            diagnostics: crate::redact::urls_in(&d.to_string()).into_owned(),
        })?;
    Ok((desired, source.revision.clone().or(fetched.revision)))
}

/// What an invocation returns.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationSummary {
    /// The instant schedules were evaluated at.
    pub now: DateTime<Utc>,
    pub revision: Option<String>,
    /// Changes planned this pass.
    pub planned: usize,
    pub applied: usize,
    /// Failed reads and changes.
    pub failed: usize,
    /// Requests that changed managed resources (0 on a converged account).
    pub mutating_requests: u64,
    pub duration_ms: u64,
    /// Every event of the pass, as `mooring apply --output jsonl` prints them.
    pub events: Vec<Event>,
}

/// The Lambdas' clients, built once per cold start: the SDK's defaults, paced as
/// `MOORING_AWS_PACING`, `MOORING_AWS_SHARE` and `MOORING_AWS_QUOTAS` say (a bad share or
/// quotas file fails the cold start, which the function's errors show).
pub async fn clients_from_environment() -> Result<Clients, PacingError> {
    let settings = PacingSettings::from_environment()?;
    let policy = CallPolicy {
        pacer: settings.pacer()?,
        ..CallPolicy::default()
    };
    Ok(Clients::from_environment(policy).await)
}

/// Time left to retry throttled changes in an invocation that must end by
/// `deadline_ms` (the Lambda context's deadline, ms since the epoch): what is left, less a
/// margin for the calls in flight and publishing the events.
pub fn pass_deadline_before(deadline_ms: u64) -> Duration {
    const MARGIN: Duration = Duration::from_secs(20);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms)
        .saturating_sub(now)
        .saturating_sub(MARGIN)
}

/// One invocation with the desired state the environment names
/// ([`DesiredStateSource::from_environment`]): see [`run_invocation_from`]. Throttled
/// changes are retried within the pass for `pass_deadline`.
pub async fn run_invocation(
    clients: &Clients,
    now: DateTime<Utc>,
    schedule_only: bool,
    pass_deadline: Duration,
) -> Result<InvocationSummary, LoadError> {
    let source = DesiredStateSource::from_environment()?;
    invoke(clients, &source, now, schedule_only, pass_deadline).await
}

/// Loads the desired state (on every invocation), runs one applying pass at `now`
/// (`schedule_only`: only sleep and wake), publishes its events to the stack's sinks
/// (folded within the pass, flushed before returning), and prints them as JSON lines for
/// CloudWatch Logs.
pub async fn run_invocation_from(
    clients: &Clients,
    source: &DesiredStateSource,
    now: DateTime<Utc>,
    schedule_only: bool,
) -> Result<InvocationSummary, LoadError> {
    invoke(clients, source, now, schedule_only, DEFAULT_PASS_DEADLINE).await
}

async fn invoke(
    clients: &Clients,
    source: &DesiredStateSource,
    now: DateTime<Utc>,
    schedule_only: bool,
    pass_deadline: Duration,
) -> Result<InvocationSummary, LoadError> {
    let (desired, revision) = load(clients, source).await?;
    let options = PassOptions {
        concurrency: usize::from(DEFAULT_CONCURRENCY),
        pass_deadline,
        apply: true,
        revision,
        schedule_only,
        only_stacks: Vec::new(),
        status: false,
    };
    // Schedules at the invocation's instant; tags record the real time (plan/clock.rs).
    let clock = crate::plan::Clock::new(now, chrono::Utc::now());
    let mut report = run_pass(&desired, clients, &options, clock).await;
    let mut sinks = EventSinks::new(&desired, clients);
    if !sinks.is_empty() {
        let before = clients.stats().snapshot();
        let mut problems = sinks.publish(report.for_sinks()).await;
        problems.extend(sinks.flush().await);
        report.add_events(problems);
        report.add_calls(calls_since(&before, clients));
    }
    for event in &report.events {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
    Ok(InvocationSummary {
        now,
        revision: report.revision.clone(),
        planned: report.plan.changes.len(),
        applied: report
            .outcomes
            .as_ref()
            .map_or(0, |o| o.iter().filter(|o| o.succeeded()).count()),
        failed: report.failed(),
        mutating_requests: report.mutating_requests(),
        duration_ms: report.duration_ms,
        events: report.events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desired_state_is_a_bundled_path_or_an_s3_object() {
        let bundled = DesiredStateSource::new("desired-state".into(), Some(" ".into())).unwrap();
        assert_eq!(
            bundled.location,
            Location::Files(vec!["desired-state".into()])
        );
        assert_eq!(
            bundled.revision, None,
            "a blank MOORING_REVISION is no revision"
        );

        let s3 = DesiredStateSource::new("s3://b/mooring/stack.yaml".into(), None).unwrap();
        assert_eq!(
            s3.location,
            Location::S3 {
                bucket: "b".into(),
                key: "mooring/stack.yaml".into()
            }
        );

        let error = DesiredStateSource::new("s3://b/".into(), None).unwrap_err();
        assert_eq!(error.error_type(), "DesiredStateUnavailable");
        assert_eq!(
            error.to_string(),
            "MOORING_DESIRED_STATE `s3://b/` is not a desired state: expected s3://bucket/key, found `s3://b/`"
        );
    }

    #[tokio::test]
    async fn a_missing_bundled_file_names_it() {
        let clients = Clients::from_sdk_config(aws_config::SdkConfig::builder().build());
        let source = DesiredStateSource::new("no/such/stack.yaml".into(), None).unwrap();
        let error = run_invocation_from(&clients, &source, Utc::now(), true)
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "DesiredStateUnavailable");
        assert!(
            error
                .to_string()
                .starts_with("reading no/such/stack.yaml failed: "),
            "{error}"
        );
    }
}
