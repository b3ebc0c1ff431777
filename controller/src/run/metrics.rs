//! The controller's Prometheus metrics, rendered as text by hand: a handful of counters
//! and one histogram do not need a metrics library (and its dependencies).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::aws::stats::OperationStats;
use crate::events::Phase;
use crate::pass::PassReport;

/// Upper bounds of the pass duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

#[derive(Debug, Clone, Default)]
pub struct Metrics {
    passes: u64,
    /// By kind: `ApplyFailed`, `ObserveFailed`, `EventSinkFailed`, `DesiredStateInvalid`, …
    failures: BTreeMap<String, u64>,
    /// Applied changes by reason (`DriftCorrected`, `Created`, `Sleep`, …).
    changes: BTreeMap<String, u64>,
    /// Cumulative counts per bucket of `BUCKETS`.
    duration_buckets: [u64; BUCKETS.len()],
    duration_sum: f64,
    /// Unix seconds of the last pass without failures.
    last_success: Option<f64>,
}

impl Metrics {
    pub fn record_pass(&mut self, report: &PassReport, finished_unix: f64) {
        self.passes += 1;
        for event in &report.events {
            match event.phase {
                Phase::Applied => *self.changes.entry(event.reason.to_string()).or_default() += 1,
                Phase::Failed => *self.failures.entry(event.reason.to_string()).or_default() += 1,
                _ if event.kind == crate::events::EventType::Warning
                    && event.reason == crate::events::Reason::EventSinkFailed =>
                {
                    *self.failures.entry(event.reason.to_string()).or_default() += 1;
                }
                _ => {}
            }
        }
        // Precision is irrelevant at millisecond scale for a histogram.
        #[allow(clippy::cast_precision_loss)]
        let seconds = report.duration_ms as f64 / 1000.0;
        for (count, bound) in self.duration_buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        self.duration_sum += seconds;
        if report.failed() == 0 {
            self.last_success = Some(finished_unix);
        }
    }

    /// A failure outside a pass (an invalid desired state, an unreadable source).
    pub fn record_failure(&mut self, kind: &str) {
        *self.failures.entry(kind.to_owned()).or_default() += 1;
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(
        &self,
        calls: &BTreeMap<(String, String), OperationStats>,
        revision: Option<&str>,
    ) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = writeln!(
            out,
            "# HELP mooring_passes_total Reconcile passes finished.\n# TYPE mooring_passes_total counter\nmooring_passes_total {}",
            self.passes
        );
        let _ = writeln!(
            out,
            "# HELP mooring_failures_total Failures by kind (failed changes, failed reads, sinks, invalid desired states).\n# TYPE mooring_failures_total counter"
        );
        for (kind, count) in &self.failures {
            let _ = writeln!(
                out,
                "mooring_failures_total{{kind=\"{}\"}} {count}",
                escape(kind)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mooring_changes_total Changes applied, by reason.\n# TYPE mooring_changes_total counter"
        );
        for (reason, count) in &self.changes {
            let _ = writeln!(
                out,
                "mooring_changes_total{{reason=\"{}\"}} {count}",
                escape(reason)
            );
        }
        let _ = writeln!(
            out,
            "# HELP mooring_aws_calls_total AWS requests (retries included) by operation and outcome.\n# TYPE mooring_aws_calls_total counter"
        );
        for ((service, operation), stats) in calls {
            let failed = stats.failed.saturating_sub(stats.throttled);
            let ok = stats.requests.saturating_sub(stats.failed);
            for (outcome, count) in [
                ("success", ok),
                ("error", failed),
                ("throttled", stats.throttled),
            ] {
                let _ = writeln!(
                    out,
                    "mooring_aws_calls_total{{service=\"{}\",operation=\"{}\",outcome=\"{outcome}\"}} {count}",
                    escape(service),
                    escape(operation)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP mooring_pass_duration_seconds How long reconcile passes took.\n# TYPE mooring_pass_duration_seconds histogram"
        );
        for (bound, count) in BUCKETS.iter().zip(self.duration_buckets) {
            let _ = writeln!(
                out,
                "mooring_pass_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "mooring_pass_duration_seconds_bucket{{le=\"+Inf\"}} {}\nmooring_pass_duration_seconds_sum {}\nmooring_pass_duration_seconds_count {}",
            self.passes, self.duration_sum, self.passes
        );
        let _ = writeln!(
            out,
            "# HELP mooring_last_success_timestamp_seconds When the last pass without failures finished (Unix time).\n# TYPE mooring_last_success_timestamp_seconds gauge"
        );
        if let Some(at) = self.last_success {
            let _ = writeln!(out, "mooring_last_success_timestamp_seconds {at}");
        }
        let _ = writeln!(
            out,
            "# HELP mooring_desired_state_info The revision of the desired state being applied.\n# TYPE mooring_desired_state_info gauge"
        );
        if let Some(revision) = revision {
            let _ = writeln!(
                out,
                "mooring_desired_state_info{{revision=\"{}\"}} 1",
                escape(revision)
            );
        }
        out
    }
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_metrics_still_name_every_family() {
        let text = Metrics::default().render(&BTreeMap::new(), None);
        for family in [
            "mooring_passes_total 0",
            "# TYPE mooring_failures_total counter",
            "# TYPE mooring_changes_total counter",
            "# TYPE mooring_aws_calls_total counter",
            "mooring_pass_duration_seconds_count 0",
            "# TYPE mooring_last_success_timestamp_seconds gauge",
        ] {
            assert!(text.contains(family), "{family} missing:\n{text}");
        }
    }

    #[test]
    fn calls_are_split_by_outcome() {
        let mut calls = BTreeMap::new();
        calls.insert(
            ("ECS".to_owned(), "UpdateService".to_owned()),
            OperationStats {
                requests: 5,
                failed: 2,
                throttled: 1,
            },
        );
        let text = Metrics::default().render(&calls, Some("abc\"1"));
        assert!(text.contains(
            "mooring_aws_calls_total{service=\"ECS\",operation=\"UpdateService\",outcome=\"success\"} 3"
        ));
        assert!(text.contains("outcome=\"error\"} 1"));
        assert!(text.contains("outcome=\"throttled\"} 1"));
        assert!(text.contains("mooring_desired_state_info{revision=\"abc\\\"1\"} 1"));
    }
}
