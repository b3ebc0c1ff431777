//! `--schedule-only` (what the `offhours` Lambda runs) against the emulator: at night it
//! puts services to sleep reading only ECS services and scalable targets, leaves a drifted
//! alarm alone (a full `apply` corrects it afterwards), and still publishes its events.

use crate::event_sinks::{event_of, Inbox};
use crate::fixtures::*;
use crate::reports::*;
use crate::scaling_by_hand::{target_of, REGION};

/// Wednesday 2026-03-04 13:00 in Berlin: awake.
const DAY: &str = "2026-03-04T12:00:00Z";
/// The same day, 22:00 in Berlin: asleep.
const NIGHT: &str = "2026-03-04T21:00:00Z";

fn stack_yaml(stack: &str, cluster: &str, prefix: &str, events_topic_arn: &str) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {stack}
spec:
  region: {REGION}
  schedules:
    office:
      timezone: Europe/Berlin
      awake: ["Mon-Fri 07:00-20:00"]
  events:
    topic: "{events_topic_arn}"
    types: [Normal, Warning]
  topics:
    {prefix}-alerts:
      displayName: Alerts
  alarms:
    {prefix}-db-cpu-high:
      namespace: AWS/RDS
      metric: CPUUtilization
      dimensions: {{ DBInstanceIdentifier: {prefix}-db }}
      statistic: Average
      period: 300s
      evaluationPeriods: 2
      threshold: 80
      comparison: ">"
      notify: [{prefix}-alerts]
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

/// `mooring ARGS --output json --now NOW` with an access key of its own: the run, its
/// report, and the operations moto's recorder saw from it.
async fn run_json_at(args: &[&str], now: &str) -> (Run, serde_json::Value, Vec<String>) {
    start_recording();
    let key = unique_access_key();
    let mut all = args.to_vec();
    all.extend(["--output", "json", "--now", now]);
    let run = mooring_as(&key, &all).await;
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
    (run, report, operations_by(&key))
}

/// The report's CloudWatch and SNS requests that only read (alarms, topics, tags,
/// subscriptions); telemetry (Publish, PutMetricData) and writes are not reads.
fn alerting_reads(report: &serde_json::Value) -> Vec<String> {
    report["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["service"] == "CloudWatch" || c["service"] == "SNS")
        .filter_map(|c| c["operation"].as_str())
        .filter(|op| mooring::aws::stats::is_read_only(op))
        .map(str::to_owned)
        .collect()
}

/// Reads moto's recorder cannot tell apart by service (ListTagsForResource is ECS's,
/// CloudWatch's and SNS's) are named here by what only alerting or policies need.
const NOT_FOR_SLEEP: [&str; 7] = [
    "DescribeAlarms",
    "ListTopics",
    "GetTopicAttributes",
    "ListSubscriptionsByTopic",
    "GetSubscriptionAttributes",
    "DescribeScalingPolicies",
    "DescribeScheduledActions",
];

/// Someone raises the alarm's threshold in the console (its description, with mooring's
/// marker, kept: still mooring's alarm, now drifted).
async fn raise_threshold_by_hand(name: &str, threshold: f64) {
    let cw = cloudwatch(REGION).await;
    let found = cw
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing alarm {name}: {e:?}"));
    let alarm = found
        .metric_alarms()
        .first()
        .unwrap_or_else(|| panic!("alarm {name} not found"));
    cw.put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(alarm.alarm_description().map(str::to_owned))
        .set_namespace(alarm.namespace().map(str::to_owned))
        .set_metric_name(alarm.metric_name().map(str::to_owned))
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .set_statistic(alarm.statistic().cloned())
        .set_period(alarm.period())
        .set_evaluation_periods(alarm.evaluation_periods())
        .set_comparison_operator(alarm.comparison_operator().cloned())
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .threshold(threshold)
        .send()
        .await
        .unwrap_or_else(|e| panic!("editing alarm {name}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_only_apply_sleeps_without_reading_or_fixing_alarms() {
    let cluster = unique("schedonly");
    let prefix = unique("sched");
    let alarm = format!("{prefix}-db-cpu-high");
    seed_services(REGION, &cluster, &[("web", 2), ("api", 1)]).await;
    let inbox = Inbox::create(&unique("mooring-events")).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml(&unique("schedonly"), &cluster, &prefix, &inbox.topic_arn),
    );
    let path = file.path.to_string_lossy().into_owned();

    // By day a full pass creates the alarm, its topic, api's target and policy.
    let (run, day, _) = run_json_at(&["apply", &path], DAY).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(events(&day, "Created").len() >= 3, "{:#}", day["events"]);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((1, 4)));
    inbox.take().await;
    raise_threshold_by_hand(&alarm, 95.0).await;

    // At night, the plan shows only the sleep.
    let (run, planned, operations) = run_json_at(&["plan", &path, "--schedule-only"], NIGHT).await;
    assert_eq!(run.code, 2, "sleep pending: {run:?}");
    let reasons: Vec<&str> = planned["plan"]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["reason"].as_str())
        .collect();
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| *r == "Sleep"),
        "{reasons:?}"
    );
    assert_eq!(alerting_reads(&planned), Vec::<String>::new());
    assert!(
        !operations
            .iter()
            .any(|op| NOT_FOR_SLEEP.contains(&op.as_str())),
        "{operations:?}"
    );

    let (run, slept, operations) = run_json_at(&["apply", &path, "--schedule-only"], NIGHT).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(desired_count(REGION, &cluster, "api").await, 0);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((0, 0)));
    assert!(!events(&slept, "Sleep").is_empty(), "{:#}", slept["events"]);
    // What it read: services and targets; no alarm, topic, subscription or policy.
    assert_eq!(
        alerting_reads(&slept),
        Vec::<String>::new(),
        "{:#}",
        slept["calls"]
    );
    let read = calls(&slept);
    assert!(read.contains_key("DescribeServices"), "{read:?}");
    assert!(read.contains_key("DescribeScalableTargets"), "{read:?}");
    assert!(
        !operations
            .iter()
            .any(|op| NOT_FOR_SLEEP.contains(&op.as_str())),
        "{operations:?}"
    );
    // The drifted alarm was neither read nor corrected.
    assert!(
        events(&slept, "DriftCorrected").is_empty(),
        "{:#}",
        slept["events"]
    );
    assert_eq!(alarm_threshold(REGION, &alarm).await, Some(95.0));
    // The events topic still hears about the sleep (Publish is telemetry, not a read).
    let delivered: Vec<serde_json::Value> = inbox.take().await.iter().map(event_of).collect();
    assert!(
        delivered.iter().any(|e| e["reason"] == "Sleep"),
        "{delivered:#?}"
    );
    assert!(read.contains_key("Publish"), "{read:?}");

    // A full pass at the same instant reads the alarms and corrects the drift; the
    // services stay asleep (the schedule-only pass completed the sleep).
    let (run, full, _) = run_json_at(&["apply", &path], NIGHT).await;
    assert_eq!(run.code, 0, "{run:?}");
    let corrected = event_for(&full, "DriftCorrected", &format!("alarm {alarm}"));
    assert_eq!(diff_of(corrected, "threshold")["before"], 95.0);
    assert_eq!(alarm_threshold(REGION, &alarm).await, Some(80.0));
    assert!(
        calls(&full).contains_key("DescribeAlarms"),
        "{:#}",
        full["calls"]
    );
    assert!(events(&full, "Sleep").is_empty(), "{:#}", full["events"]);
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
}

#[tokio::test]
async fn the_text_output_and_help_say_what_a_schedule_only_pass_leaves_out() {
    let help = mooring(&["apply", "--help"]).await;
    assert!(
        help.stdout
            .contains("reads only ECS services and scalable targets"),
        "{help:?}"
    );
    let cluster = unique("schedtext");
    seed_services(REGION, &cluster, &[("web", 2)]).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &format!(
            "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {}\nspec:\n  region: {REGION}\n  schedules:\n    office: {{ timezone: Europe/Berlin, awake: [\"Mon-Fri 07:00-20:00\"] }}\n  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: 2, offHours: {{ schedule: office }} }}\n",
            unique("schedtext")
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    let night = mooring(&["plan", &path, "--schedule-only", "--now", NIGHT]).await;
    assert_eq!(night.code, 2, "{night:?}");
    assert!(
        night.stdout.contains(
            // The service and its cluster: the sleep's claim is preceded by the cluster's
            // stack tag, written unread by a schedule-only pass.
            "Plan: 2 resources to change on schedule (sleep, wake). `mooring apply --schedule-only` makes the changes."
        ),
        "{night:?}"
    );
    assert!(
        night
            .stdout
            .contains("alarms, topics, scaling policies and scheduled actions were not read"),
        "{night:?}"
    );
    let day = mooring(&["plan", &path, "--schedule-only", "--now", DAY]).await;
    assert_eq!(day.code, 0, "{day:?}");
    assert!(
        day.stdout
            .contains("No schedule-driven changes (sleep, wake)."),
        "{day:?}"
    );
}
