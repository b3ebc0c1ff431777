//! `--stats`: the AWS requests of a pass by operation.

use std::fmt::Write;

use crate::aws::stats::{classify, CallKind};
use crate::pass::{OperationCount, PassReport};

/// `--stats`: AWS requests of the pass by operation (retries included). Telemetry
/// (events to SNS, metrics to CloudWatch) is listed apart: it is not a change to the
/// account and never counts as mutating.
pub fn calls_text(report: &PassReport) -> String {
    let mut out = String::from("AWS requests (retries included):\n");
    let width = report
        .calls
        .iter()
        .map(|c| c.service.len() + c.operation.len() + 1)
        .max()
        .unwrap_or(0)
        .max("total".len());
    let (telemetry, account): (Vec<_>, Vec<_>) = report
        .calls
        .iter()
        .partition(|c| classify(&c.operation) == CallKind::Telemetry);
    let mut total = 0;
    let mut lines = |out: &mut String, calls: &[&OperationCount]| {
        for call in calls {
            total += call.stats.requests;
            let name = format!("{} {}", call.service, call.operation);
            let _ = write!(out, "  {name:<width$}  {:>6}", call.stats.requests);
            if call.stats.failed > 0 {
                let _ = write!(
                    out,
                    "  ({} failed, {} throttled)",
                    call.stats.failed, call.stats.throttled
                );
            }
            out.push('\n');
        }
    };
    lines(&mut out, &account);
    if !telemetry.is_empty() {
        out.push_str("  telemetry (events and metrics, not changes to the account):\n");
        lines(&mut out, &telemetry);
    }
    let telemetry_requests: u64 = telemetry.iter().map(|c| c.stats.requests).sum();
    let _ = writeln!(
        out,
        "  {:<width$}  {total:>6}  ({} mutating, {telemetry_requests} telemetry, pass took {} ms)",
        "total",
        report.mutating_requests(),
        report.duration_ms
    );
    if !report.token_waits.is_empty() {
        let waits: Vec<String> = report
            .token_waits
            .iter()
            .map(|w| {
                format!(
                    "{}/{} {:.1} s",
                    w.service,
                    w.family,
                    w.waited_ms as f64 / 1000.0
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  waited for AWS request tokens (summed over calls): {}",
            waits.join(", ")
        );
    }
    out
}
