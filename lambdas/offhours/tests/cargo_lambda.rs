//! The `offhours` Lambda end to end: run under cargo-lambda's local Lambda emulator
//! (`cargo lambda watch`), invoked with EventBridge scheduled-event payloads
//! (`cargo lambda invoke`), against the moto emulator. It puts a service to sleep at
//! Friday 20:00 Berlin time and wakes it on Monday at 07:00 (after the clocks changed).
//!
//! Skipped, loudly, only when cargo-lambda cannot be installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../cargo_lambda_harness.rs"]
mod harness;

use harness::*;

fn scheduled_event(time: &str) -> String {
    format!(
        r#"{{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"{time}","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/mooring-offhours"],"detail":{{}}}}"#
    )
}

#[test]
fn the_offhours_lambda_sleeps_and_wakes_a_service_under_cargo_lambda() {
    let Some(path_env) =
        cargo_lambda_path("the_offhours_lambda_sleeps_and_wakes_a_service_under_cargo_lambda")
    else {
        return;
    };
    let endpoint = endpoint();
    let cluster = unique("lambda");
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
    let watch = Watch::start(&path_env, &endpoint, &file, &[]);

    // Friday 2026-03-27 20:00 CET: asleep.
    let night = watch.invoke("offhours", &scheduled_event("2026-03-27T19:00:00Z"));
    assert_eq!(night["now"], "2026-03-27T19:00:00Z", "{night:#}");
    assert_eq!(night["failed"], 0, "{night:#}");
    // The cluster's stack tag (a schedule-only pass does not read it, so writes it before
    // the sleep's claim), the sleep's one TagResource (wake count, asleep-since, claim,
    // count record), the count.
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
    let morning = watch.invoke("offhours", &scheduled_event("2026-03-30T05:00:00Z"));
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
