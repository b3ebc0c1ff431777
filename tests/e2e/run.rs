//! `mooring run` as a process against the emulator: it converges, corrects drift within
//! two intervals, picks up an edited file at once, keeps the last good desired state
//! when an edit is invalid, answers its HTTP endpoints, and stops on SIGTERM with exit 0
//! within 5 s. And the S3 source: a new object version is loaded, an unchanged one costs
//! one request and no reload.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fixtures::*;

const REGION: &str = "us-east-1";

fn stack_yaml(stack: &str, cluster: &str, count: u32) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {stack}
spec:
  region: {REGION}
  services:
    - {{ cluster: {cluster}, name: web, desiredCount: {count} }}
"#
    )
}

/// A running `mooring run`; killed when the test ends, however it ends.
pub struct Controller {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Controller {
    pub fn start(target: &str, args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("finding a free port: {e}"));
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mooring"))
            .arg("run")
            .arg(target)
            .args(["--listen", &listen])
            .args(args)
            .env("AWS_ENDPOINT_URL", endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("MOORING_REVISION", "rev-e2e")
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting mooring run: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&stdout);
        let pipe = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        Self {
            child,
            port,
            stdout,
        }
    }

    /// The JSON events printed so far with this reason.
    pub fn events(&self, reason: &str) -> Vec<serde_json::Value> {
        self.stdout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["reason"] == reason)
            .collect()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        get(self.port, path)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// SIGTERM, then the exit code and how long it took.
    pub fn terminate(&mut self) -> (Option<i32>, Duration) {
        let started = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill -TERM: {e}"));
        assert!(status.success());
        loop {
            if let Some(exit) = self.child.try_wait().unwrap_or(None) {
                return (exit.code(), started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(15) {
                return (None, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET; status 0 when nothing answers.
pub(crate) fn get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

/// Polls `check` every 50 ms until it holds; panics after `limit`. Returns the time taken.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_converges_corrects_drift_survives_an_invalid_edit_and_stops_on_sigterm() {
    let cluster = unique("run");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&cluster, &cluster, 2));
    let mut controller = Controller::start(
        &file.path.to_string_lossy(),
        &["--interval", "2s", "--poll", "200ms"],
    );

    within(WAIT, "converged", || async {
        desired_count(REGION, &cluster, "web").await == 2
    })
    .await;
    let loaded = controller.events("DesiredStateLoaded");
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert_eq!(loaded[0]["revision"], "rev-e2e");

    // The endpoints.
    assert_eq!(controller.get("/healthz").0, 200);
    within(Duration::from_secs(30), "/readyz", || async {
        controller.get("/readyz").0 == 200
    })
    .await;
    let (code, status) = controller.get("/status");
    assert_eq!(code, 200, "{status}");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["revision"], "rev-e2e", "{status:#}");
    let web = crate::status::row(&status, &format!("ecs-service {cluster}/web"));
    assert_eq!(web["state"], "InSync", "{status:#}");
    // Nothing recorded the count before mooring's first pass: not called drift. The last
    // event is the claim that carries the count's record.
    assert_eq!(web["lastEvent"]["reason"], "Adopted", "{status:#}");

    // Drift while it runs: corrected within two intervals (2 s each; the bound leaves
    // half a second for the pass itself on a busy CI machine).
    scale_behind_moorings_back(REGION, &cluster, "web", 5).await;
    let took = within(Duration::from_secs(20), "drift corrected", || async {
        desired_count(REGION, &cluster, "web").await == 2
    })
    .await;
    assert!(
        took <= Duration::from_millis(4500),
        "drift corrected after {took:?}"
    );

    // An invalid edit: a Warning, and the last good state is still applied.
    std::fs::write(&file.path, "apiVersion: mooring/v1\nkind: Stack\nspec: [").unwrap();
    within(Duration::from_secs(20), "DesiredStateInvalid", || async {
        !controller.events("DesiredStateInvalid").is_empty()
    })
    .await;
    let invalid = &controller.events("DesiredStateInvalid")[0];
    assert_eq!(invalid["type"], "Warning", "{invalid}");
    assert_eq!(invalid["stack"], cluster.as_str(), "{invalid}");
    scale_behind_moorings_back(REGION, &cluster, "web", 4).await;
    within(
        Duration::from_secs(20),
        "drift corrected to the last good state",
        || async { desired_count(REGION, &cluster, "web").await == 2 },
    )
    .await;
    let (_, status) = controller.get("/status");
    assert!(status.contains("\"rejected\""), "{status}");

    // Metrics.
    let (code, metrics) = controller.get("/metrics");
    assert_eq!(code, 200);
    for expected in [
        "mooring_changes_total{reason=\"DriftCorrected\"}",
        "mooring_failures_total{kind=\"DesiredStateInvalid\"} 1",
        "mooring_aws_calls_total{service=\"ECS\",operation=\"DescribeServices\",outcome=\"success\"}",
        "mooring_pass_duration_seconds_count",
        "mooring_last_success_timestamp_seconds ",
        "mooring_desired_state_info{revision=\"rev-e2e\"} 1",
    ] {
        assert!(metrics.contains(expected), "{expected} missing:\n{metrics}");
    }
    let passes: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mooring_passes_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passes >= 3, "{metrics}");

    // `mooring healthcheck` against it.
    let health = Command::new(env!("CARGO_BIN_EXE_mooring"))
        .args(["healthcheck", "--url"])
        .arg(format!("http://127.0.0.1:{}/healthz", controller.port))
        .status()
        .unwrap();
    assert!(health.success());

    let (code, took) = controller.terminate();
    assert_eq!(code, Some(0), "exit after SIGTERM");
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(controller.events("ControllerStopped").len(), 1);

    // Nothing answers any more: the health check says so.
    let health = Command::new(env!("CARGO_BIN_EXE_mooring"))
        .args(["healthcheck", "--url"])
        .arg(format!("http://127.0.0.1:{}/healthz", controller.port))
        .status()
        .unwrap();
    assert!(!health.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn run_applies_an_edited_file_at_once_not_at_the_next_interval() {
    let cluster = unique("run-edit");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&cluster, &cluster, 1));
    // A long interval: only the change can explain a quick second pass.
    let mut controller = Controller::start(
        &file.dir.to_string_lossy(),
        &["--interval", "10m", "--poll", "200ms"],
    );
    within(WAIT, "converged", || async {
        desired_count(REGION, &cluster, "web").await == 1
    })
    .await;

    std::fs::write(&file.path, stack_yaml(&cluster, &cluster, 3)).unwrap();
    let took = within(Duration::from_secs(20), "edit applied", || async {
        desired_count(REGION, &cluster, "web").await == 3
    })
    .await;
    assert!(
        took < Duration::from_secs(10),
        "edit applied after {took:?}"
    );
    assert_eq!(controller.events("DesiredStateLoaded").len(), 2);

    let (code, took) = controller.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn run_without_a_readable_desired_state_is_alive_but_not_ready() {
    let dir = std::env::temp_dir().join(unique("mooring-missing"));
    let missing = dir.join("stack.yaml");
    let mut controller = Controller::start(
        &missing.to_string_lossy(),
        &["--interval", "1s", "--poll", "100ms"],
    );
    within(Duration::from_secs(30), "/healthz", || async {
        controller.get("/healthz").0 == 200
    })
    .await;
    within(Duration::from_secs(10), "DesiredStateInvalid", || async {
        !controller.events("DesiredStateInvalid").is_empty()
    })
    .await;
    // Reported once, not on every poll.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(controller.events("DesiredStateInvalid").len(), 1);
    let (code, _) = controller.get("/readyz");
    assert_eq!(code, 503);
    let (_, status) = controller.get("/status");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["loaded"], false, "{status:#}");
    assert!(
        status["rejected"]
            .as_str()
            .unwrap_or("")
            .contains("stack.yaml"),
        "{status:#}"
    );
    let (code, took) = controller.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
}
