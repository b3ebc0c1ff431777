//! The `offhours` Lambda end to end: run under cargo-lambda's local Lambda emulator
//! (`cargo lambda watch`), invoked with EventBridge scheduled-event payloads
//! (`cargo lambda invoke`), against the moto emulator. It puts a service to sleep at
//! Friday 20:00 Berlin time and wakes it on Monday at 07:00 (after the clocks changed).
//!
//! Skipped, loudly, only when cargo-lambda cannot be installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn moto(args: &[&str], endpoint: &str) -> String {
    let output = Command::new(repo_root().join("tests/emulator/moto.sh"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .output()
        .unwrap_or_else(|e| panic!("moto.sh {args:?}: {e}"));
    assert!(
        output.status.success(),
        "moto.sh {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `AWS_ENDPOINT_URL` when set (tests/run.sh, .ci/run), else a started (or reused) moto.
fn endpoint() -> String {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        return url;
    }
    let script = repo_root().join("tests/emulator/moto.sh");
    let started = Command::new(&script).arg("start").output().unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let env = Command::new(&script).arg("env").output().unwrap();
    String::from_utf8_lossy(&env.stdout)
        .split_whitespace()
        .find_map(|w| w.strip_prefix("AWS_ENDPOINT_URL="))
        .map(|u| u.trim_matches(['"', '\'']).to_owned())
        .expect("moto.sh env printed no AWS_ENDPOINT_URL")
}

fn desired_count(endpoint: &str, cluster: &str) -> i64 {
    let json = moto(
        &[
            "describe",
            "--region",
            "us-east-1",
            "--cluster",
            cluster,
            "--service",
            "web",
            "--json",
        ],
        endpoint,
    );
    let row: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    row["desiredCount"].as_i64().unwrap()
}

/// Kills `cargo lambda watch` (and the function it runs) when the test ends, however.
struct Watch(std::process::Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scheduled_event(time: &str) -> String {
    format!(
        r#"{{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"{time}","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/mooring-offhours"],"detail":{{}}}}"#
    )
}

fn invoke(path_env: &str, port: u16, time: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let output = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                "offhours",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .args(["--data-ascii", &scheduled_event(time)])
            .env("PATH", path_env)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if output.status.success() {
            return serde_json::from_str(stdout.trim())
                .unwrap_or_else(|e| panic!("the Lambda returned no JSON ({e}): {stdout}"));
        }
        // The watcher compiles the function on its first invocation; until it listens,
        // invoke fails to connect.
        assert!(
            Instant::now() < deadline,
            "cargo lambda invoke kept failing:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

#[test]
fn the_offhours_lambda_sleeps_and_wakes_a_service_under_cargo_lambda() {
    let bin_dir = Command::new(repo_root().join("tests/emulator/cargo-lambda.sh"))
        .arg("bin-dir")
        .output()
        .unwrap();
    if !bin_dir.status.success() {
        eprintln!(
            "\n\n!!!!!!!!!!\nSKIPPED the_offhours_lambda_sleeps_and_wakes_a_service_under_cargo_lambda: cargo-lambda could not be installed:\n{}\n!!!!!!!!!!\n",
            String::from_utf8_lossy(&bin_dir.stderr)
        );
        return;
    }
    let bin_dir = String::from_utf8_lossy(&bin_dir.stdout).trim().to_owned();
    let path_env = format!("{bin_dir}:{}", std::env::var("PATH").unwrap_or_default());
    let endpoint = endpoint();

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let cluster = format!("lambda-{}-{nanos:x}", std::process::id());
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
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
  services:
    - cluster: {cluster}
      name: web
      desiredCount: 2
      offHours: {{ schedule: office }}
"#
        ),
    )
    .unwrap();
    moto(&["seed", file.to_str().unwrap(), "--count", "2"], &endpoint);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _watch = Watch(
        Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PATH", &path_env)
            .env("MOORING_DESIRED_STATE", &file)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // Friday 2026-03-27 20:00 CET: asleep.
    let night = invoke(&path_env, port, "2026-03-27T19:00:00Z");
    assert_eq!(night["now"], "2026-03-27T19:00:00Z", "{night:#}");
    assert_eq!(night["failed"], 0, "{night:#}");
    assert_eq!(night["applied"], 3, "{night:#}");
    assert!(
        night["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["reason"] == "Sleep"),
        "{night:#}"
    );
    assert_eq!(desired_count(&endpoint, &cluster), 0);

    // Monday 2026-03-30 07:00 CEST (05:00 UTC; the clocks went forward on Sunday): awake.
    let morning = invoke(&path_env, port, "2026-03-30T05:00:00Z");
    assert_eq!(morning["failed"], 0, "{morning:#}");
    assert!(
        morning["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"] == "Wake"),
        "{morning:#}"
    );
    assert_eq!(desired_count(&endpoint, &cluster), 2);

    let _ = std::fs::remove_dir_all(&dir);
}
