//! The status page of `mooring run` in a real browser (Debian's headless Chromium, which
//! `.ci/run` installs), and its `/status` document: the saas example with one service
//! asleep (an `asleep-until` tag), one alarm in ALARM (SetAlarmState) and one alarm
//! drifted under `management: observe`. The screenshot is kept as an artifact
//! (`$CARGO_TARGET_TMPDIR/status-page.png`). `MOORING_UPDATE_SCREENSHOT=1` also writes
//! docs/status-page.png, which the README shows, under the example's own names: run it
//! alone against an emulator of its own (`MOORING_EMULATOR_STATE=/tmp/shot`), since those
//! names are shared with the tests of the examples.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::accept::set_threshold_by_hand;
use crate::fixtures::*;
use crate::run::{within, Controller};
use crate::status::{row, set_alarm_state};

const SAAS_REGION: &str = "me-south-1";

/// The saas example under names of this test's own (`saas-…` → `<prefix>-…`), with an
/// off-hours schedule for the worker (Bahrain's working week), and the RDS alarm watched
/// rather than managed when `observe` is set.
fn saas(prefix: &str, observe: bool) -> String {
    let example = std::fs::read_to_string(repo_root().join("desired-state/examples/saas.yaml"))
        .unwrap_or_else(|e| panic!("reading the saas example: {e}"));
    let mut yaml = example
        .replace("saas-", &format!("{prefix}-"))
        .replace(
            "  timezone: Asia/Bahrain\n",
            "  timezone: Asia/Bahrain\n  schedules:\n    business-hours:\n      awake: [\"Sun-Thu 07:00-19:00\"]\n",
        )
        .replace(
            "      desiredCount: 1\n",
            "      desiredCount: 1\n      offHours: { schedule: business-hours, desiredCount: 0 }\n",
        );
    if observe {
        yaml = yaml.replace(
            &format!("    {prefix}-rds-connections-high:\n"),
            &format!("    {prefix}-rds-connections-high:\n      management: observe\n"),
        );
    }
    yaml
}

fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "Chromium is needed for the status page test: apt-get install chromium \
                 (.ci/run installs it)"
            )
        })
}

/// Headless Chromium with `args` and the URL; its stdout. Killed after a minute.
fn browse(args: &[&str], url: &str) -> String {
    let output = Command::new("timeout")
        .arg("60")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("starting chromium: {e}"));
    assert!(
        output.status.success(),
        "chromium {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn tag_service(region: &str, cluster: &str, service: &str, key: &str, value: &str) {
    let arn = service_arn(region, cluster, service).await;
    let client = ecs(region).await;
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_ecs::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("tagging {cluster}/{service}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_page_shows_the_saas_stack_in_a_real_browser() {
    let update = std::env::var_os("MOORING_UPDATE_SCREENSHOT").is_some();
    let prefix = if update {
        "saas".to_owned()
    } else {
        unique("saas")
    };
    let cluster = format!("{prefix}-prod");
    let stack = format!("{prefix}-prod");
    seed_services(
        SAAS_REGION,
        &cluster,
        &[
            (&format!("{prefix}-backend"), 0),
            (&format!("{prefix}-worker"), 1),
        ],
    )
    .await;
    let managed = DesiredFile::write("saas.yaml", &saas(&prefix, false));
    let apply = mooring(&["apply", &managed.path.to_string_lossy()]).await;
    assert_eq!(apply.code, 0, "{apply:?}");

    // The team watches the RDS alarm instead of managing it, and someone raised its
    // threshold in the console; CloudWatch finds the backend's CPU high; the worker is
    // kept asleep for three hours.
    let rds = format!("{prefix}-rds-connections-high");
    set_threshold_by_hand(SAAS_REGION, &rds, 120.0).await;
    let cpu = format!("{prefix}-backend-cpu-high");
    set_alarm_state(SAAS_REGION, &cpu, "ALARM").await;
    let until = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let worker = format!("{prefix}-worker");
    tag_service(
        SAAS_REGION,
        &cluster,
        &worker,
        "mooring:asleep-until",
        &until,
    )
    .await;

    let watched = DesiredFile::write("saas.yaml", &saas(&prefix, true));
    let controller = Controller::start(
        &watched.path.to_string_lossy(),
        &["--interval", "1s", "--poll", "200ms"],
    );
    let worker_id = format!("ecs-service {cluster}/{worker}");
    let mut document = Value::Null;
    within(
        Duration::from_secs(60),
        "the worker asleep in /status",
        || {
            let (_, body) = controller.get("/status");
            document = serde_json::from_str(&body).unwrap_or(Value::Null);
            let asleep = document["stacks"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["resources"].as_array().into_iter().flatten())
                .any(|r| r["id"] == worker_id && r["service"]["offHours"]["phase"] == "asleep");
            async move { asleep }
        },
    )
    .await;
    let worker_row = row(&document, &worker_id);
    assert_eq!(worker_row["state"], "InSync", "{worker_row:#}");
    assert_eq!(
        worker_row["service"]["offHours"]["asleepUntil"],
        until.as_str(),
        "{worker_row:#}"
    );
    assert_eq!(worker_row["service"]["desiredCount"], 0, "{worker_row:#}");
    let rds_row = row(&document, &format!("alarm {rds}"));
    assert_eq!(rds_row["state"], "Drifted", "{rds_row:#}");
    assert_eq!(rds_row["management"], "observe", "{rds_row:#}");
    let cpu_row = row(&document, &format!("alarm {cpu}"));
    assert_eq!(
        cpu_row["alarm"]["alarmState"]["value"], "ALARM",
        "{cpu_row:#}"
    );
    let kinds: std::collections::BTreeSet<&str> = document["stacks"][0]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    for kind in [
        "service",
        "scalableTarget",
        "scalingPolicy",
        "alarm",
        "topic",
        "subscription",
    ] {
        assert!(kinds.contains(kind), "{kind} missing: {document:#}");
    }
    assert!(
        document["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["reason"] == "Sleep" && e["object"] == worker_id.as_str()),
        "{document:#}"
    );

    // The page, as a browser renders it.
    let url = format!("http://127.0.0.1:{}/", controller.port());
    let dom = browse(&["--dump-dom"], &url);
    assert!(dom.contains(&format!("stack {stack}")), "{dom}");
    assert!(
        dom.contains(&format!("data-id=\"alarm {rds}\" data-state=\"Drifted\"")),
        "{dom}"
    );
    assert!(dom.contains("class=\"state ALARM\""), "{dom}");
    assert!(dom.contains("<svg class=\"timeline\""), "{dom}");
    assert!(dom.contains("id=\"events\""), "{dom}");
    assert!(dom.contains(">Sleep<"), "{dom}");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("status-page.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1500",
        ],
        &url,
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot: {e}"));
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    if update {
        std::fs::write(repo_root().join("docs/status-page.png"), &png)
            .unwrap_or_else(|e| panic!("writing docs/status-page.png: {e}"));
    }
}
