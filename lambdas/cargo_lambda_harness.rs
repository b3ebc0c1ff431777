//! Shared by the Lambda crates' end-to-end tests (included with `#[path]`): run a
//! function under cargo-lambda's local Lambda emulator (`cargo lambda watch`), invoke it
//! (`cargo lambda invoke`), against the moto emulator.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn moto(args: &[&str], endpoint: &str) -> String {
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
pub fn endpoint() -> String {
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

/// desiredCount of service `web` in `cluster` (us-east-1).
pub fn desired_count(endpoint: &str, cluster: &str) -> i64 {
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

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}

/// The PATH with cargo-lambda on it, or `None` after saying loudly that `test` is
/// skipped because cargo-lambda could not be installed.
pub fn cargo_lambda_path(test: &str) -> Option<String> {
    let bin_dir = Command::new(repo_root().join("tests/emulator/cargo-lambda.sh"))
        .arg("bin-dir")
        .output()
        .unwrap();
    if !bin_dir.status.success() {
        eprintln!(
            "\n\n!!!!!!!!!!\nSKIPPED {test}: cargo-lambda could not be installed:\n{}\n!!!!!!!!!!\n",
            String::from_utf8_lossy(&bin_dir.stderr)
        );
        return None;
    }
    let bin_dir = String::from_utf8_lossy(&bin_dir.stdout).trim().to_owned();
    Some(format!(
        "{bin_dir}:{}",
        std::env::var("PATH").unwrap_or_default()
    ))
}

/// `cargo lambda watch` on a free port, serving this crate's function against the emulator
/// with the desired state at `desired`; killed (with the function) when dropped.
pub struct Watch {
    child: std::process::Child,
    pub port: u16,
    path_env: String,
}

impl Watch {
    pub fn start(path_env: &str, endpoint: &str, desired: &Path, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PATH", path_env)
            .env("MOORING_DESIRED_STATE", desired)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            port,
            path_env: path_env.to_owned(),
        }
    }

    /// Invokes `function` with `payload`; retried while the watcher still compiles it.
    pub fn invoke(&self, function: &str, payload: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let output = Command::new("cargo")
                .args(["lambda", "invoke", function, "-A", "127.0.0.1", "-P"])
                .arg(self.port.to_string())
                .args(["--data-ascii", payload])
                .env("PATH", &self.path_env)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            if output.status.success() {
                return serde_json::from_str(stdout.trim())
                    .unwrap_or_else(|e| panic!("the Lambda returned no JSON ({e}): {stdout}"));
            }
            // The watcher compiles the function on its first invocation; until it
            // listens, invoke fails to connect.
            assert!(
                Instant::now() < deadline,
                "cargo lambda invoke kept failing:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
