//! Reading a pass's JSON report in tests: events, diffs, request counts, and the
//! "converged" check every resource kind's tests share.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fixtures::*;

/// Runs `mooring COMMAND PATH --output json` with an access key of its own: the report,
/// and the operations moto's recorder saw from it.
pub async fn run_json(command: &str, path: &str) -> (Run, Value, Vec<String>) {
    start_recording();
    let key = unique_access_key();
    let run = mooring_as(&key, &[command, path, "--output", "json"]).await;
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
    let operations = operations_by(&key);
    (run, report, operations)
}

pub fn calls(report: &Value) -> BTreeMap<String, u64> {
    report["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(|c| {
                    (
                        c["operation"].as_str().unwrap_or_default().to_owned(),
                        c["requests"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn events<'a>(report: &'a Value, reason: &str) -> Vec<&'a Value> {
    report["events"]
        .as_array()
        .map(|events| events.iter().filter(|e| e["reason"] == reason).collect())
        .unwrap_or_default()
}

pub fn event_for<'a>(report: &'a Value, reason: &str, object: &str) -> &'a Value {
    events(report, reason)
        .into_iter()
        .find(|e| e["object"] == object)
        .unwrap_or_else(|| panic!("no {reason} event for {object}: {:#}", report["events"]))
}

pub fn diff_of<'a>(event: &'a Value, field: &str) -> &'a Value {
    event["diff"]
        .as_array()
        .and_then(|d| d.iter().find(|f| f["field"] == field))
        .unwrap_or_else(|| panic!("no diff of {field} in {event:#}"))
}

/// plan exits 0; apply makes no mutating call by moto's recording and by `calls`.
pub async fn assert_converged(path: &str) -> Value {
    let plan = mooring(&["plan", path]).await;
    assert_eq!(plan.code, 0, "converged: {plan:?}");
    let (run, report, operations) = run_json("apply", path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        mutating(&operations),
        Vec::<String>::new(),
        "{operations:?}"
    );
    assert_eq!(
        writes(&report),
        Vec::<String>::new(),
        "{:#}",
        report["calls"]
    );
    report
}

/// `apply`, which must succeed; its report.
pub async fn apply(path: &str) -> Value {
    let (run, report, _) = run_json("apply", path).await;
    assert_eq!(run.code, 0, "{run:?}");
    report
}

/// Operations in the report's `calls` that change managed resources (telemetry such as
/// Publish and PutMetricData excluded), by mooring's own classification.
pub fn writes(report: &Value) -> Vec<String> {
    calls(report)
        .into_keys()
        .filter(|op| mooring::aws::stats::is_mutating(op))
        .collect()
}
