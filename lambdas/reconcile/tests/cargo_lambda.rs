//! The `reconcile` Lambda end to end: run under cargo-lambda's local Lambda emulator
//! (`cargo lambda watch`), invoked (`cargo lambda invoke`) against the moto emulator. One
//! invocation is one full pass: it corrects a drifted count and returns its summary; the
//! next invocation finds nothing to do.
//!
//! Skipped, loudly, only when cargo-lambda cannot be installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cargo_lambda_harness.rs"]
mod harness;

use harness::*;

#[test]
fn the_reconcile_lambda_runs_one_pass_under_cargo_lambda() {
    let Some(path_env) = cargo_lambda_path("the_reconcile_lambda_runs_one_pass_under_cargo_lambda")
    else {
        return;
    };
    let endpoint = endpoint();
    let cluster = unique("reconcile");
    let dir = std::env::temp_dir().join(&cluster);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.yaml");
    std::fs::write(
        &file,
        format!(
            r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {cluster}
spec:
  region: us-east-1
  services:
    - cluster: {cluster}
      name: web
      desiredCount: 2
"#
        ),
    )
    .unwrap();
    moto(&["seed", file.to_str().unwrap(), "--count", "0"], &endpoint);
    let watch = Watch::start(
        &path_env,
        &endpoint,
        &file,
        &[("MOORING_REVISION", "rev-lambda")],
    );

    let first = watch.invoke("reconcile", "{}");
    assert_eq!(first["failed"], 0, "{first:#}");
    // The cluster's stack tag (mooring:stack:<stack>), the count, and one TagResource with
    // the claim (mooring:stack on the service) and the count's record (mooring:count).
    assert_eq!(first["applied"], 3, "{first:#}");
    assert_eq!(first["revision"], "rev-lambda", "{first:#}");
    assert!(
        first["events"]
            .as_array()
            .unwrap()
            .iter()
            // Nothing recorded a count before: not called drift.
            .any(|e| e["reason"] == "Updated"),
        "{first:#}"
    );
    assert_eq!(desired_count(&endpoint, &cluster), 2);

    // Converged: the next invocation plans nothing and writes nothing.
    let second = watch.invoke("reconcile", "{}");
    assert_eq!(second["planned"], 0, "{second:#}");
    assert_eq!(second["mutatingRequests"], 0, "{second:#}");

    let _ = std::fs::remove_dir_all(&dir);
}
