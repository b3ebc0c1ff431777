//! The `reconcile` Lambda end to end: run under cargo-lambda's local Lambda emulator
//! (`cargo lambda watch`), invoked (`cargo lambda invoke`) against the moto emulator. One
//! invocation is one full pass: it corrects a drifted count and returns its summary; the
//! next invocation finds nothing to do.
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

fn invoke(path_env: &str, port: u16, payload: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let output = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                "reconcile",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .args(["--data-ascii", payload])
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
fn the_reconcile_lambda_runs_one_pass_under_cargo_lambda() {
    let bin_dir = Command::new(repo_root().join("tests/emulator/cargo-lambda.sh"))
        .arg("bin-dir")
        .output()
        .unwrap();
    if !bin_dir.status.success() {
        eprintln!(
            "\n\n!!!!!!!!!!\nSKIPPED the_reconcile_lambda_runs_one_pass_under_cargo_lambda: cargo-lambda could not be installed:\n{}\n!!!!!!!!!!\n",
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
    let cluster = format!("reconcile-{}-{nanos:x}", std::process::id());
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
            .env("MOORING_REVISION", "rev-lambda")
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

    let first = invoke(&path_env, port, "{}");
    assert_eq!(first["failed"], 0, "{first:#}");
    assert_eq!(first["applied"], 1, "{first:#}");
    assert_eq!(first["revision"], "rev-lambda", "{first:#}");
    assert!(
        first["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"] == "DriftCorrected"),
        "{first:#}"
    );
    assert_eq!(desired_count(&endpoint, &cluster), 2);

    // Converged: the next invocation plans nothing and writes nothing.
    let second = invoke(&path_env, port, "{}");
    assert_eq!(second["planned"], 0, "{second:#}");
    assert_eq!(second["mutatingRequests"], 0, "{second:#}");

    let _ = std::fs::remove_dir_all(&dir);
}
