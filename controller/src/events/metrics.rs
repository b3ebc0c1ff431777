//! The metrics sink: after each apply pass, per stack, data points in CloudWatch
//! namespace `Mooring` that alarms and dashboards can use. Every metric carries the
//! dimension `Stack`; `Changes` also comes per `Reason`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Event, EventType, Phase, Reason};
use crate::aws::cloudwatch::{Datum, Unit};

pub const NAMESPACE: &str = "Mooring";

/// The data points of one stack for one pass. `Changes`, `Failures` and `Warnings` are
/// sent even when zero, so that an alarm on them sees data, not "missing"; `Changes` per
/// reason only for the reasons that happened (there are many reasons, most never occur).
pub fn stack_data(
    stack: &str,
    events: &[&Event],
    duration_ms: u64,
    time: DateTime<Utc>,
) -> Vec<Datum> {
    let datum = |metric: &str, dimensions: Vec<(String, String)>, value: f64, unit: Unit| Datum {
        metric: metric.to_owned(),
        dimensions,
        value,
        unit,
        time,
    };
    let by_stack = || vec![("Stack".to_owned(), stack.to_owned())];
    let sum = |keep: &dyn Fn(&Event) -> bool| -> f64 {
        events
            .iter()
            .filter(|e| keep(e))
            .map(|e| f64::from(e.count.max(1)))
            .sum()
    };
    let mut changes_by_reason: BTreeMap<Reason, f64> = BTreeMap::new();
    for event in events.iter().filter(|e| e.phase == Phase::Applied) {
        *changes_by_reason.entry(event.reason).or_default() += f64::from(event.count.max(1));
    }
    // Milliseconds fit f64 exactly up to 2^53; a pass never comes near.
    #[allow(clippy::cast_precision_loss)]
    let duration = duration_ms as f64;
    let mut data = vec![
        datum(
            "Changes",
            by_stack(),
            sum(&|e| e.phase == Phase::Applied),
            Unit::Count,
        ),
        datum(
            "Failures",
            by_stack(),
            sum(&|e| e.phase == Phase::Failed),
            Unit::Count,
        ),
        datum(
            "Warnings",
            by_stack(),
            sum(&|e| e.kind == EventType::Warning),
            Unit::Count,
        ),
        datum("PassDuration", by_stack(), duration, Unit::Milliseconds),
    ];
    data.extend(changes_by_reason.into_iter().map(|(reason, count)| {
        let mut dimensions = by_stack();
        dimensions.push(("Reason".to_owned(), reason.to_string()));
        datum("Changes", dimensions, count, Unit::Count)
    }));
    data
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn event(kind: EventType, reason: Reason, phase: Phase) -> Event {
        Event {
            time: DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            kind,
            reason,
            object: "ecs-service dev/api".into(),
            message: String::new(),
            diff: Vec::new(),
            revision: None,
            stack: "dev".into(),
            phase,
            count: 1,
        }
    }

    fn value(data: &[Datum], metric: &str, reason: Option<&str>) -> Option<f64> {
        data.iter()
            .find(|d| {
                d.metric == metric
                    && d.dimensions
                        .iter()
                        .find(|(n, _)| n == "Reason")
                        .map(|(_, v)| v.as_str())
                        == reason
            })
            .map(|d| d.value)
    }

    #[test]
    fn counts_changes_by_reason_failures_warnings_and_duration() {
        let events = [
            event(EventType::Normal, Reason::DriftCorrected, Phase::Applied),
            event(EventType::Normal, Reason::DriftCorrected, Phase::Applied),
            event(EventType::Normal, Reason::Created, Phase::Applied),
            event(EventType::Warning, Reason::ApplyFailed, Phase::Failed),
            event(EventType::Warning, Reason::ServiceNotFound, Phase::Observed),
        ];
        let refs: Vec<&Event> = events.iter().collect();
        let data = stack_data("dev", &refs, 1234, events[0].time);
        assert_eq!(value(&data, "Changes", None), Some(3.0));
        assert_eq!(value(&data, "Changes", Some("DriftCorrected")), Some(2.0));
        assert_eq!(value(&data, "Changes", Some("Created")), Some(1.0));
        assert_eq!(value(&data, "Failures", None), Some(1.0));
        assert_eq!(value(&data, "Warnings", None), Some(2.0));
        assert_eq!(value(&data, "PassDuration", None), Some(1234.0));
        assert!(data
            .iter()
            .all(|d| d.dimensions.first() == Some(&("Stack".to_owned(), "dev".to_owned()))));
    }

    #[test]
    fn a_quiet_pass_still_reports_zeros() {
        let data = stack_data("dev", &[], 10, Utc::now());
        assert_eq!(value(&data, "Failures", None), Some(0.0));
        assert_eq!(value(&data, "Warnings", None), Some(0.0));
        assert_eq!(data.len(), 4);
    }
}
