//! `mooring init` against the emulator: the round trip (an account built from each
//! example, init, then `validate` passes and `plan` shows nothing but adoption; `apply`
//! then `plan`: converged; `examples.rs`), accounts made by hand with several clusters,
//! an alarm prefix, a topic outside the file, Application Auto Scaling's own alarms left
//! out and a secret withheld (`by_hand.rs`), bad input (`bad_input.rs`).

mod bad_input;
mod by_hand;
mod examples;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::fixtures::*;

/// Runs `mooring init` writing to `out`; panics with its output unless it exits 0.
pub(super) async fn init_to(out: &Path, args: &[&str]) -> Run {
    let out = out.to_string_lossy().into_owned();
    let mut all = vec!["init", "-o", out.as_str()];
    all.extend_from_slice(args);
    let run = mooring(&all).await;
    assert_eq!(run.code, 0, "mooring {all:?}: {run:?}");
    run
}

/// The changes of `mooring plan --output json` as (reason, resource) pairs.
pub(super) async fn planned(path: &Path) -> (i32, Vec<(String, String)>, Value) {
    let path = path.to_string_lossy().into_owned();
    let run = mooring(&["plan", &path, "--output", "json"]).await;
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("plan --output json is not JSON ({e}): {run:?}"));
    let changes = report["plan"]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["reason"].as_str().unwrap_or_default().to_owned(),
                format!("{} {}", c["resource"], c["summary"]),
            )
        })
        .collect();
    (run.code, changes, report)
}

/// The clusters and region of a loaded example.
pub(super) fn clusters_of(stack: &desired_state::Stack) -> Vec<String> {
    let clusters: BTreeSet<String> = stack.services.iter().map(|s| s.cluster.clone()).collect();
    clusters.into_iter().collect()
}
