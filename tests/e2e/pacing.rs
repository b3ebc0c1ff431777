//! Client-side pacing (issue 16): every ECS UpdateService attempt takes a token from a
//! bucket sized by the quotas file, so an apply cannot beat the floor the bucket sets;
//! with MOORING_AWS_PACING=off it is not held back. Lower bounds only: a bucket of one
//! token a second cannot be met without the pacing in the path, whatever the machine's
//! speed.

use std::time::{Duration, Instant};

use crate::fixtures::*;

const REGION: &str = "us-east-1";
const SERVICES: usize = 8;

/// Burst 1, refill 1/s for UpdateService: 8 calls take at least 7 s at share 1.
const SLOW_UPDATES: &str = r#"{"families": [
  {"service": "ecs", "family": "service-modify", "burst": 1, "refill": 1,
   "operations": ["UpdateService", "CreateService", "DeleteService"]}
]}"#;
const FLOOR: Duration = Duration::from_secs(SERVICES as u64 - 1);

/// Eight services at 1 to be scaled to 2: a stack file and its cluster.
async fn eight_services(prefix: &str) -> (String, DesiredFile) {
    let cluster = unique(prefix);
    let names: Vec<String> = (0..SERVICES).map(|i| format!("svc{i}")).collect();
    let seeded: Vec<(&str, i32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    seed_services(REGION, &cluster, &seeded).await;
    let services: String = names
        .iter()
        .map(|n| format!("    - {{ cluster: {cluster}, name: {n}, desiredCount: 2 }}\n"))
        .collect();
    let yaml = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {}\nspec:\n  account: \"{ACCOUNT}\"\n  region: {REGION}\n  services:\n{services}",
        run_scoped(prefix)
    );
    (cluster, DesiredFile::write("stack.yaml", &yaml))
}

/// `mooring` with extra environment variables (and how long it took); the pacing
/// variables of the test's own environment are not passed on.
pub async fn mooring_env(env: &[(&str, &str)], args: &[&str]) -> (Run, Duration) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mooring"));
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MOORING_NOW", AWAKE_INSTANT)
        .env_remove("AWS_PROFILE")
        .env_remove("MOORING_AWS_PACING")
        .env_remove("MOORING_AWS_SHARE")
        .env_remove("MOORING_AWS_QUOTAS")
        .envs(env.iter().copied())
        .kill_on_drop(true);
    let started = Instant::now();
    let output = tokio::time::timeout(WAIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("mooring {args:?} did not finish within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("running mooring {args:?} failed: {e}"));
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (run, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_waits_for_update_service_tokens_and_succeeds() {
    let quotas = DesiredFile::write("quotas.json", SLOW_UPDATES);
    let quotas_path = quotas.path.to_string_lossy().into_owned();
    let (cluster, file) = eight_services("paced").await;
    let path = file.path.to_string_lossy().into_owned();

    let (apply, took) = mooring_env(
        &[("MOORING_AWS_QUOTAS", &quotas_path)],
        &["apply", &path, "--aws-share", "1", "--output", "json"],
    )
    .await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        took >= FLOOR,
        "8 UpdateService at 1/s after a burst of 1 take at least {FLOOR:?}; took {took:?}"
    );
    for i in 0..SERVICES {
        assert_eq!(desired_count(REGION, &cluster, &format!("svc{i}")).await, 2);
    }
    let report: serde_json::Value = serde_json::from_str(&apply.stdout).unwrap();
    let waits = report["tokenWaits"].as_array().cloned().unwrap_or_default();
    let update_wait = waits
        .iter()
        .find(|w| w["service"] == "ecs" && w["family"] == "service-modify")
        .unwrap_or_else(|| panic!("no wait reported for ecs/service-modify: {waits:?}"));
    // The 7 calls after the first each waited; summed, at least 7 s (28 s when all
    // eight groups reach the bucket at once).
    assert!(
        update_wait["waitedMs"].as_u64().unwrap() >= 7_000,
        "{waits:?}"
    );
    let updates = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operation"] == "UpdateService")
        .unwrap();
    assert_eq!(updates["requests"], SERVICES as u64, "{updates}");
    assert_eq!(updates["throttled"], 0, "{updates}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_pacing_off_the_same_apply_is_not_held_back() {
    let quotas = DesiredFile::write("quotas.json", SLOW_UPDATES);
    let quotas_path = quotas.path.to_string_lossy().into_owned();
    let (cluster, file) = eight_services("unpaced").await;
    let path = file.path.to_string_lossy().into_owned();

    let (apply, took) = mooring_env(
        &[
            ("MOORING_AWS_QUOTAS", &quotas_path),
            ("MOORING_AWS_SHARE", "1"),
            ("MOORING_AWS_PACING", "off"),
        ],
        &["apply", &path],
    )
    .await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(took < FLOOR, "not paced, yet took {took:?}");
    assert_eq!(desired_count(REGION, &cluster, "svc7").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_share_or_quotas_file_is_a_usage_error_naming_it() {
    let (_cluster, file) = eight_services("badpacing").await;
    let path = file.path.to_string_lossy().into_owned();

    let (share, _) = mooring_env(&[], &["plan", &path, "--aws-share", "1.5"]).await;
    assert_eq!(share.code, 64, "{share:?}");
    assert!(
        share
            .stderr
            .contains("must be a number greater than 0 and at most 1, found `1.5`"),
        "{share:?}"
    );

    let broken = DesiredFile::write("quotas.json", r#"{"families": [{"service": "ecs"}]}"#);
    let broken_path = broken.path.to_string_lossy().into_owned();
    let (quotas, _) = mooring_env(&[("MOORING_AWS_QUOTAS", &broken_path)], &["plan", &path]).await;
    assert_eq!(quotas.code, 64, "{quotas:?}");
    assert!(
        quotas.stderr.contains(&format!(
            "error: the AWS quotas file {broken_path} does not parse: missing field `family`"
        )),
        "{quotas:?}"
    );
}
