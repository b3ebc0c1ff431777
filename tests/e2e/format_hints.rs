//! What a person meets through the binary from the desired-state format's smaller truths
//! (issue 15): validation warnings (valid, exit 0, printed by `validate` and `plan`), and
//! `mooring schedule`'s headers and holiday labels.

use crate::fixtures::*;

/// The issue's example: in Europe/Berlin both 02:15 and 02:45 are skipped on the spring
/// change, so the pair fires together at 03:00 CEST that Sunday and waking wins.
fn dst_pair_yaml(stack: &str, cluster: &str) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {stack}
spec:
  region: us-east-1
  schedules:
    sundays:
      timezone: Europe/Berlin
      wakeAt: "15 2 * * Sun"
      sleepAt: "45 2 * * Sun"
  services:
    - cluster: {cluster}
      name: web
      desiredCount: 1
      offHours: {{ schedule: sundays }}
"#
    )
}

#[tokio::test]
async fn a_cron_pair_that_fires_together_on_a_dst_day_is_valid_with_a_warning_naming_the_date() {
    let file = DesiredFile::write(
        "dst.yaml",
        &dst_pair_yaml(&unique("dst"), &unique("dst-cluster")),
    );
    let path = file.path.to_string_lossy().into_owned();
    let validate = mooring(&["validate", &path]).await;
    assert_eq!(validate.code, 0, "{validate:?}");
    assert!(
        validate.stdout.starts_with("valid: 1 stack(s)"),
        "{validate:?}"
    );
    let warning = format!("warning: {path}:11:16: schedule `sundays`: on ");
    assert!(validate.stderr.starts_with(&warning), "{validate:?}");
    assert!(
        validate
            .stderr
            .contains("`sleepAt` (02:45) and `wakeAt` (02:15) both fire at 03:00 CEST"),
        "{validate:?}"
    );
    // `plan` shows it too, before its own output, without changing its exit code's meaning.
    let plan = mooring(&["plan", &path]).await;
    assert_ne!(plan.code, 1, "{plan:?}");
    assert!(plan.stderr.contains(&warning), "{plan:?}");
}

#[tokio::test]
async fn schedule_names_stack_cluster_and_service_and_labels_holidays() {
    let stack = unique("shop");
    let cluster = unique("shop-dev");
    let yaml = format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {stack}
spec:
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
      holidays: ["2026-12-24"]
  services:
    - {{ cluster: {cluster}, name: web, desiredCount: 2, offHours: {{ schedule: office }} }}
"#
    );
    let file = DesiredFile::write("shop.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let run = mooring(&[
        "schedule",
        &path,
        "--from",
        "2026-12-23T12:00:00Z",
        "--days",
        "3",
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("stack {stack} · cluster {cluster} · service web").as_str()),
        "{run:?}"
    );
    assert!(
        lines.contains(&"  holiday Thu 2026-12-24: asleep all day"),
        "{run:?}"
    );
}
