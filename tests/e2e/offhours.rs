//! Off-hours against the emulator: a simulated day walked with an injected clock
//! (`--now`), across Berlin's spring-forward night, with and without autoscaling.

use crate::fixtures::*;
use crate::scaling_by_hand::{target_of, REGION};

fn stack_yaml(stack: &str, cluster: &str) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {stack}
spec:
  account: "{ACCOUNT}"
  region: {REGION}
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
  services:
    - cluster: {cluster}
      name: web
      desiredCount: 2
      offHours: {{ schedule: office }}
    - cluster: {cluster}
      name: api
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: 70 }}
      offHours: {{ schedule: office, desiredCount: 0 }}
"#
    )
}

async fn at(command: &str, path: &str, now: &str, expected: i32) -> Run {
    let run = mooring(&[command, path, "--now", now]).await;
    assert_eq!(run.code, expected, "{command} at {now}: {run:?}");
    run
}

/// Friday 2026-03-27 to Monday 2026-03-30 in Berlin: sleep at 20:00 CET (19:00 UTC),
/// clocks spring forward on Sunday, wake at 07:00 CEST (05:00 UTC, not 06:00).
#[tokio::test]
async fn a_day_walk_sleeps_and_wakes_at_the_right_instants_across_a_dst_change() {
    let cluster = unique("offhours");
    seed_services(REGION, &cluster, &[("web", 0), ("api", 1)]).await;
    let file = DesiredFile::write("dev.yaml", &stack_yaml(&unique("dev"), &cluster));
    let path = file.path.to_string_lossy().into_owned();

    at("apply", &path, "2026-03-27T12:00:00Z", 0).await;
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((1, 4)));
    // The autoscaler scales api out during the day; mooring leaves that alone.
    scale_behind_moorings_back(REGION, &cluster, "api", 3).await;
    at("plan", &path, "2026-03-27T18:59:00Z", 0).await;

    let night = at("apply", &path, "2026-03-27T19:00:00Z", 0).await;
    assert!(night.stdout.contains("Sleep"), "{night:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(desired_count(REGION, &cluster, "api").await, 0);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((0, 0)));
    assert_eq!(
        service_tags(REGION, &cluster, "web").await["mooring:wake-count"],
        "2"
    );
    assert_eq!(
        service_tags(REGION, &cluster, "api").await["mooring:wake-count"],
        "3"
    );

    // Asleep all weekend: nothing to do, the count planners do not fight the sleep.
    at("plan", &path, "2026-03-28T12:00:00Z", 0).await;
    at("plan", &path, "2026-03-29T12:00:00Z", 0).await;
    // 04:59 UTC on Monday is 06:59 CEST: still night (by CET it would be 05:59).
    at("plan", &path, "2026-03-30T04:59:00Z", 0).await;
    let morning = at("apply", &path, "2026-03-30T05:00:00Z", 0).await;
    assert!(morning.stdout.contains("Wake"), "{morning:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    assert_eq!(desired_count(REGION, &cluster, "api").await, 3);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((1, 4)));
    assert!(!service_tags(REGION, &cluster, "web")
        .await
        .contains_key("mooring:wake-count"));
    assert!(!service_tags(REGION, &cluster, "api")
        .await
        .contains_key("mooring:wake-count"));
    at("plan", &path, "2026-03-30T05:01:00Z", 0).await;
}

/// A deploy sets the count of a sleeping service: the next pass puts it back to sleep
/// with a SleepInterrupted warning that counts how often. Set back to exactly its
/// recorded wake count, it looks like a pass stopped between the sleep's tag and the
/// scale-down: the warning names both causes and nothing is counted.
#[tokio::test]
async fn a_service_woken_by_a_deploy_is_put_back_to_sleep_with_a_warning() {
    let cluster = unique("churn");
    seed_services(REGION, &cluster, &[("web", 2), ("api", 1)]).await;
    let file = DesiredFile::write("dev.yaml", &stack_yaml(&unique("dev"), &cluster));
    let path = file.path.to_string_lossy().into_owned();
    at("apply", &path, "2026-03-27T19:30:00Z", 0).await;
    for times in 1..=2 {
        scale_behind_moorings_back(REGION, &cluster, "web", 3).await;
        let run = at("apply", &path, "2026-03-27T22:00:00Z", 0).await;
        assert!(run.stdout.contains("SleepInterrupted"), "{run:?}");
        assert!(run.stdout.contains(&format!("{times} time(s)")), "{run:?}");
        assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    }
    scale_behind_moorings_back(REGION, &cluster, "web", 2).await;
    let run = at("apply", &path, "2026-03-27T22:30:00Z", 0).await;
    assert!(run.stdout.contains("SleepInterrupted"), "{run:?}");
    assert!(
        run.stdout.contains("stopped before scaling down"),
        "{run:?}"
    );
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    let tags = service_tags(REGION, &cluster, "web").await;
    assert_eq!(tags["mooring:wake-count"], "2");
    assert_eq!(tags["mooring:sleep-interruptions"], "2");
}

/// `apply --now <a Friday night>` evaluates the schedule at that instant (the service goes
/// to sleep), but `mooring:asleep-since` records when the sleep really happened: the wall
/// clock during this test, not the injected instant.
#[tokio::test]
async fn apply_at_an_injected_night_records_the_real_time_of_the_sleep() {
    let cluster = unique("asleep-since");
    seed_services(REGION, &cluster, &[("web", 2), ("api", 1)]).await;
    let file = DesiredFile::write("dev.yaml", &stack_yaml(&unique("dev"), &cluster));
    let path = file.path.to_string_lossy().into_owned();
    // Tags hold whole seconds: compare with the second the run started in.
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let night = at("apply", &path, "2026-03-27T21:00:00Z", 0).await;
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert!(night.stdout.contains("Sleep"), "{night:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    let tags = service_tags(REGION, &cluster, "web").await;
    let since = chrono::DateTime::parse_from_rfc3339(&tags["mooring:asleep-since"])
        .unwrap_or_else(|e| panic!("asleep-since is not RFC 3339 ({e}): {tags:?}"))
        .with_timezone(&chrono::Utc);
    assert!(
        before <= since && since <= after,
        "asleep-since {since} is not the time of the run ({before} .. {after}): {tags:?}"
    );
}
