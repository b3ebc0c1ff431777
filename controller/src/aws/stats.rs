//! A counter per AWS operation: every HTTP request the SDK sends (retries included),
//! how many failed and how many were throttled. Printed by `--stats`, and the basis of
//! the "a converged pass costs reads only" checks. With `MOORING_CALL_LOG` set, the same
//! interceptor also appends every request to that file (`call_log.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

use super::call_log::CallLog;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OperationStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Responses with an error status.
    pub failed: u64,
    /// Of those, throttling errors.
    pub throttled: u64,
}

/// Shared by every client of a process; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    counts: Arc<Mutex<BTreeMap<(String, String), OperationStats>>>,
    /// Where requests are also written, one line each (`MOORING_CALL_LOG`). `default()`
    /// has none: the tests' own setup clients count without recording.
    log: Option<Arc<CallLog>>,
}

/// What a call does to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    Read,
    /// Changes a managed resource: what "a converged pass makes zero mutating calls" is about.
    Write,
    /// Reports on mooring itself (events to SNS, metrics to CloudWatch): it writes, but to
    /// no resource mooring manages, and it happens on every pass by design.
    Telemetry,
}

/// Operations that publish mooring's events and metrics. mooring manages SNS topics but
/// never publishes to them except as the events sink, so the name alone is enough.
const TELEMETRY: [&str; 3] = ["Publish", "PublishBatch", "PutMetricData"];

pub fn classify(operation: &str) -> CallKind {
    if TELEMETRY.contains(&operation) {
        CallKind::Telemetry
    } else if ["Describe", "List", "Get"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
    {
        CallKind::Read
    } else {
        CallKind::Write
    }
}

/// Operation names that only read.
pub fn is_read_only(operation: &str) -> bool {
    classify(operation) == CallKind::Read
}

/// Operation names that change a managed resource (telemetry excluded).
pub fn is_mutating(operation: &str) -> bool {
    classify(operation) == CallKind::Write
}

impl CallStats {
    /// Counters that also append to the call log `MOORING_CALL_LOG` names, if set: what
    /// every client mooring itself builds uses.
    pub fn from_environment() -> Self {
        Self {
            counts: Arc::default(),
            log: CallLog::from_environment().map(Arc::new),
        }
    }

    /// (service, operation) → counts, sorted.
    pub fn snapshot(&self) -> BTreeMap<(String, String), OperationStats> {
        match self.counts.lock() {
            Ok(counts) => counts.clone(),
            // A panic while holding the lock cannot leave the map half-updated in a
            // way that matters for counters; read it anyway.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn mutating_requests(&self) -> u64 {
        self.snapshot()
            .iter()
            .filter(|((_, operation), _)| is_mutating(operation))
            .map(|(_, stats)| stats.requests)
            .sum()
    }

    /// A request is about to be sent: count it, and record it in the call log.
    fn request(&self, cfg: &ConfigBag) {
        if let (Some(log), Some(metadata)) = (&self.log, cfg.load::<Metadata>()) {
            log.record(metadata.service(), metadata.name());
        }
        self.update(cfg, |stats| stats.requests += 1);
    }

    fn update(&self, cfg: &ConfigBag, update: impl FnOnce(&mut OperationStats)) {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return;
        };
        let key = (metadata.service().to_owned(), metadata.name().to_owned());
        let mut counts = match self.counts.lock() {
            Ok(counts) => counts,
            Err(poisoned) => poisoned.into_inner(),
        };
        update(counts.entry(key).or_default());
    }
}

/// The SDK interceptor that feeds `CallStats`.
#[derive(Debug, Clone)]
pub struct CountCalls(pub CallStats);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "mooring::CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.request(cfg);
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(());
        }
        // JSON protocols name the error in a header, query protocols in the body.
        let header = response
            .headers()
            .get("x-amzn-errortype")
            .unwrap_or_default()
            .to_owned();
        let body = response
            .body()
            .bytes()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        let throttled = status == 429
            || header.contains("Throttl")
            || body.contains("Throttl")
            || header.contains("TooManyRequests")
            || body.contains("RequestLimitExceeded");
        self.0.update(cfg, |stats| {
            stats.failed += 1;
            if throttled {
                stats.throttled += 1;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_metrics_are_telemetry_not_writes() {
        assert_eq!(classify("DescribeServices"), CallKind::Read);
        assert_eq!(classify("ListTopics"), CallKind::Read);
        assert_eq!(classify("UpdateService"), CallKind::Write);
        assert_eq!(classify("Publish"), CallKind::Telemetry);
        assert_eq!(classify("PutMetricData"), CallKind::Telemetry);
        // Managing alarms is a write, although it is CloudWatch too.
        assert_eq!(classify("PutMetricAlarm"), CallKind::Write);
        assert!(!is_mutating("Publish"));
        assert!(is_mutating("UpdateService"));
    }
}
