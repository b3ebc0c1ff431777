//! A counter per AWS operation: every HTTP request the SDK sends (retries included),
//! how many failed and how many were throttled. Printed by `--stats`, and the basis of
//! the "a converged pass costs reads only" checks. With `MOORING_CALL_LOG` set, the same
//! interceptor also appends every request to that file (`call_log.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
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

    /// After the attempt, not after transmit: only now is an error's body read into
    /// memory (before deserialization it is still a stream), and awsQuery services
    /// (CloudWatch, SNS, STS) and S3 name their errors only in the body.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let outcome = match context.response() {
            Some(response) => match answer_of(response) {
                Answer::Success => return Ok(()),
                Answer::Throttled => AttemptOutcome::Throttled,
                Answer::OtherError => AttemptOutcome::Failed,
            },
            // No answer: the connection failed or was reset, or the attempt timed out. A
            // failure before anything was sent (signing, say) is not a request.
            None => match context.output_or_error() {
                Some(Err(error)) if error.is_connector_error() || error.is_timeout_error() => {
                    AttemptOutcome::Failed
                }
                _ => return Ok(()),
            },
        };
        self.0.update(cfg, |stats| {
            stats.failed += 1;
            if outcome == AttemptOutcome::Throttled {
                stats.throttled += 1;
            }
        });
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttemptOutcome {
    Failed,
    Throttled,
}

/// The error codes the SDK's retry classifier treats as throttling (aws-runtime 1.10,
/// `retries::classifiers::THROTTLING_ERRORS`), copied rather than depended on: mooring
/// counts a request as throttled exactly when the SDK backs off for it as throttled.
pub(crate) const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// What an HTTP answer from AWS says about the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Success,
    Throttled,
    OtherError,
}

/// Reads an attempt's answer: call after the attempt (`read_after_attempt`), when an
/// error's body is in memory.
pub(crate) fn answer_of(response: &HttpResponse) -> Answer {
    let status = response.status().as_u16();
    if status < 400 {
        return Answer::Success;
    }
    let header = response
        .headers()
        .get("x-amzn-errortype")
        .unwrap_or_default();
    let body = response.body().bytes().unwrap_or_default();
    if is_throttling(status, header, body) {
        Answer::Throttled
    } else {
        Answer::OtherError
    }
}

/// Whether an error response is throttling, in any of the protocols mooring meets: the
/// `x-amzn-errortype` header (awsJson, restJson), `__type` in a JSON body (awsJson),
/// `<Code>` in an XML body (awsQuery: CloudWatch, SNS, STS; restXml: S3's `SlowDown`).
pub fn is_throttling(status: u16, errortype_header: &str, body: &[u8]) -> bool {
    status == 429
        || error_code(errortype_header, body).is_some_and(|code| THROTTLING_CODES.contains(&code))
}

/// The error code of a response, without namespace (`aws.protocols#X`) or URL suffix
/// (`X:http://...`), from the header if present, else from the body.
fn error_code<'a>(errortype_header: &'a str, body: &'a [u8]) -> Option<&'a str> {
    let bare = |code: &'a str| {
        let code = code.split(':').next().unwrap_or(code);
        code.rsplit('#').next().unwrap_or(code).trim()
    };
    if !errortype_header.is_empty() {
        return Some(bare(errortype_header));
    }
    let text = std::str::from_utf8(body).ok()?;
    if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        return rest.find("</Code>").map(|end| bare(&rest[..end]));
    }
    // `"__type": "X"` in a JSON error document; a full JSON parse would need an owned
    // value for a borrowed answer, and the key is unambiguous.
    let start = text.find("\"__type\"")?;
    let rest = text[start + "\"__type\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| bare(&rest[..end]))
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

    /// The throttling answers of each protocol, as the fault proxy (and AWS) send them.
    #[test]
    fn throttling_is_recognised_in_every_protocol() {
        // awsJson 1.1 (ECS, Application Auto Scaling): header and body.
        assert!(is_throttling(
            400,
            "ThrottlingException",
            br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
        ));
        assert!(is_throttling(
            400,
            "",
            br#"{"__type": "com.amazonaws.ecs#ThrottlingException"}"#
        ));
        assert!(is_throttling(
            400,
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/",
            b""
        ));
        // awsQuery (CloudWatch 1.99, SNS, STS): only the body says it.
        assert!(is_throttling(
            400,
            "",
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
        ));
        // restXml (S3).
        assert!(is_throttling(
            503,
            "",
            b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code></Error>"
        ));
        assert!(is_throttling(429, "", b""));
        // Not throttling: a plain 500/503, other errors, a message that merely mentions it.
        assert!(!is_throttling(503, "", b"<html>Service Unavailable</html>"));
        assert!(!is_throttling(
            400,
            "",
            br#"{"__type":"ClusterNotFoundException","message":"Throttling is not the problem"}"#
        ));
        assert!(!is_throttling(
            400,
            "",
            b"<ErrorResponse><Error><Code>NotFound</Code></Error></ErrorResponse>"
        ));
    }
}
