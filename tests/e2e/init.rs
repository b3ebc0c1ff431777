//! `mooring init` against the emulator: the round trip (an account built from each
//! example, init, then `validate` passes and `plan` shows nothing but adoption; `apply`
//! then `plan`: converged), several clusters, an alarm prefix, a topic outside the
//! file, Application Auto Scaling's own alarms left out, a secret withheld, bad input.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::fixtures::*;
use crate::plan_golden::names::{token, with_token};

/// Runs `mooring init` writing to `out`; panics with its output unless it exits 0.
async fn init_to(out: &Path, args: &[&str]) -> Run {
    let out = out.to_string_lossy().into_owned();
    let mut all = vec!["init", "-o", out.as_str()];
    all.extend_from_slice(args);
    let run = mooring(&all).await;
    assert_eq!(run.code, 0, "mooring {all:?}: {run:?}");
    run
}

/// The changes of `mooring plan --output json` as (reason, resource) pairs.
async fn planned(path: &Path) -> (i32, Vec<(String, String)>, Value) {
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
fn clusters_of(stack: &desired_state::Stack) -> Vec<String> {
    let clusters: BTreeSet<String> = stack.services.iter().map(|s| s.cluster.clone()).collect();
    clusters.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_of_each_examples_account_plans_no_change() {
    let examples = repo_root().join("desired-state/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for example in paths {
        let token = token();
        let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
        let file = DesiredFile::write("built.yaml", &with_token(&yaml, &token));
        let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
        let stack = &desired.stacks[0];
        let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
        for service in &stack.services {
            seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
        // The account, built by mooring from the example.
        let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
        assert!(built.code == 0 || built.code == 1, "{example:?}: {built:?}");

        let out = file.dir.join("init.yaml");
        let mut args = vec!["--region", region.as_str(), "--stack", stack.name.as_str()];
        let clusters = clusters_of(stack);
        for cluster in &clusters {
            args.extend(["--cluster", cluster.as_str()]);
        }
        init_to(&out, &args).await;
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        eprintln!("=== {example:?}\n{written}");
        let validate = mooring(&["validate", &out.to_string_lossy()]).await;
        assert_eq!(validate.code, 0, "{example:?}:\n{written}\n{validate:?}");
        let (code, changes, report) = planned(&out).await;
        assert!(
            changes.is_empty() && code == 0,
            "{example:?}: init of the account mooring built plans changes:\n{written}\n{changes:#?}\n{report:#}"
        );
    }
}
