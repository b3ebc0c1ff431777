//! `mooring status` against the emulator: a stack that declares every resource kind is
//! listed whole, in sync after an apply, with the right sync state after drift, after a
//! sleep and for an alarm in ALARM (SetAlarmState). The page and `/status` of `mooring
//! run`, in a real browser: status_page.rs.

use serde_json::Value;

use crate::fixtures::*;

pub const REGION: &str = "us-east-1";

/// A stack with a service under autoscaling (target, policy, scheduled action) and
/// off-hours, a plain service with an alarm, a stack alarm, a topic with two
/// subscriptions, its cluster's Container Insights and a generated dashboard.
fn every_kind(stack: &str, cluster: &str) -> String {
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
  clusters:
    {cluster}: {{ containerInsights: enabled }}
  dashboards:
    {stack}-overview: {{ generated: true }}
  topics:
    {stack}-alerts:
      subscriptions:
        - {{ protocol: email, endpoint: oncall@example.com }}
        - {{ protocol: https, endpoint: "https://hooks.example.com/x?token=s3cr3t" }}
  services:
    - cluster: {cluster}
      name: web
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: 70 }}
        scheduledActions:
          morning: {{ schedule: "cron(0 7 ? * MON-FRI *)", min: 2 }}
      offHours: {{ schedule: office, desiredCount: 0 }}
    - cluster: {cluster}
      name: api
      desiredCount: 2
      alarms:
        {stack}-api-cpu:
          metric: CPUUtilization
          statistic: Average
          period: 60s
          evaluationPeriods: 3
          threshold: 80
          comparison: ">"
          notify: [{stack}-alerts]
  alarms:
    {stack}-db-connections:
      namespace: AWS/RDS
      metric: DatabaseConnections
      dimensions: {{ DBInstanceIdentifier: db }}
      statistic: Maximum
      period: 60s
      evaluationPeriods: 5
      threshold: 80
      comparison: ">"
      notify: [{stack}-alerts]
"#
    )
}

/// `mooring status --output json` at `now`: the document and the exit code.
pub async fn status_json(path: &str, now: &str) -> (Value, i32) {
    let run = mooring(&["status", path, "--output", "json", "--now", now]).await;
    let document =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
    (document, run.code)
}

/// The row of the resource with this id (`ecs-service c/web`).
pub fn row<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["resources"].as_array().into_iter().flatten())
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id} in {document:#}"))
}

pub async fn set_alarm_state(region: &str, alarm: &str, state: &str) {
    cloudwatch(region)
        .await
        .set_alarm_state()
        .alarm_name(alarm)
        .state_value(state.into())
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (80.0)")
        .send()
        .await
        .unwrap_or_else(|e| panic!("SetAlarmState {alarm}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_lists_every_kind_with_its_sync_state_after_drift_a_sleep_and_an_alarm() {
    let cluster = unique("status");
    let stack = unique("st");
    seed_services(REGION, &cluster, &[("web", 0), ("api", 0)]).await;
    let file = DesiredFile::write("stack.yaml", &every_kind(&stack, &cluster));
    let path = file.path.to_string_lossy().into_owned();
    // Thursday noon in Berlin: awake.
    let day = "2026-12-03T11:00:00Z";
    let apply = mooring(&["apply", &path, "--now", day]).await;
    assert_eq!(apply.code, 0, "{apply:?}");

    let (document, code) = status_json(&path, day).await;
    assert_eq!(code, 0, "{document:#}");
    assert_eq!(document["version"], 1);
    let stack_doc = &document["stacks"][0];
    assert_eq!(stack_doc["name"], stack.as_str());
    let kinds: std::collections::BTreeSet<&str> = stack_doc["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{document:#}"))
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "alarm",
            "cluster",
            "dashboard",
            "scalableTarget",
            "scalingPolicy",
            "scheduledAction",
            "service",
            "subscription",
            "topic"
        ],
        "{document:#}"
    );
    for resource in stack_doc["resources"].as_array().into_iter().flatten() {
        assert_eq!(resource["state"], "InSync", "{resource:#}");
    }
    let api = row(&document, &format!("ecs-service {cluster}/api"));
    assert_eq!(api["service"]["desiredCount"], 2, "{api:#}");
    assert_eq!(api["service"]["declaredCount"], 2, "{api:#}");
    let target = row(&document, &format!("scalable-target {cluster}/web"));
    assert_eq!(target["scalableTarget"]["observed"]["max"], 4, "{target:#}");
    let insights = row(&document, &format!("ecs-cluster {cluster}"));
    assert_eq!(
        insights["cluster"]["containerInsights"], "enabled",
        "{insights:#}"
    );
    let dashboard = row(&document, &format!("dashboard {stack}-overview"));
    assert_eq!(dashboard["dashboard"]["found"], true, "{dashboard:#}");
    let web = row(&document, &format!("ecs-service {cluster}/web"));
    assert_eq!(web["service"]["offHours"]["phase"], "awake", "{web:#}");
    assert_eq!(
        web["service"]["offHours"]["nextTransition"]["at"], "2026-12-03T19:00:00Z",
        "{web:#}"
    );
    let db_alarm = format!("alarm {stack}-db-connections");
    // AWS starts an alarm in INSUFFICIENT_DATA, moto in OK: either way it is read.
    assert!(
        row(&document, &db_alarm)["alarm"]["alarmState"]["value"].is_string(),
        "{document:#}"
    );
    // The secret in the endpoint is never shown.
    assert!(!document.to_string().contains("s3cr3t"), "{document:#}");

    // Drift by hand, and an alarm CloudWatch puts in ALARM.
    scale_behind_moorings_back(REGION, &cluster, "api", 5).await;
    crate::accept::set_threshold_by_hand(REGION, &format!("{stack}-api-cpu"), 95.0).await;
    set_alarm_state(REGION, &format!("{stack}-db-connections"), "ALARM").await;
    let (document, code) = status_json(&path, day).await;
    assert_eq!(code, 0, "{document:#}");
    let api = row(&document, &format!("ecs-service {cluster}/api"));
    assert_eq!(api["state"], "Drifted", "{api:#}");
    assert_eq!(api["service"]["desiredCount"], 5, "{api:#}");
    assert!(
        api["reason"]
            .as_str()
            .unwrap_or("")
            .contains("desiredCount"),
        "{api:#}"
    );
    let cpu = row(&document, &format!("alarm {stack}-api-cpu"));
    assert_eq!(cpu["state"], "Drifted", "{cpu:#}");
    let db = row(&document, &db_alarm);
    assert_eq!(db["state"], "InSync", "{db:#}");
    assert_eq!(db["alarm"]["alarmState"]["value"], "ALARM", "{db:#}");
    assert_eq!(
        document["stacks"][0]["counts"]["Drifted"], 2,
        "{document:#}"
    );
    // The terminal table says the same.
    let text = mooring(&["status", &path, "--now", day]).await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("Drifted") && l.contains(&format!("{cluster}/api"))),
        "{text:?}"
    );
    assert!(text.stdout.contains("ALARM"), "{text:?}");
    // Read-only: the drift is still there.
    assert_eq!(desired_count(REGION, &cluster, "api").await, 5);

    // Thursday night: apply puts web to sleep; status shows it asleep since then.
    let night = "2026-12-03T19:30:00Z";
    let apply = mooring(&["apply", &path, "--now", night]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    let (document, _) = status_json(&path, night).await;
    let web = row(&document, &format!("ecs-service {cluster}/web"));
    assert_eq!(web["state"], "InSync", "{web:#}");
    assert_eq!(web["service"]["offHours"]["phase"], "asleep", "{web:#}");
    assert_eq!(web["service"]["offHours"]["scheduled"], "asleep", "{web:#}");
    assert!(web["service"]["offHours"]["since"].is_string(), "{web:#}");
    assert_eq!(
        web["service"]["offHours"]["nextTransition"]["at"], "2026-12-04T06:00:00Z",
        "{web:#}"
    );
    let target = row(&document, &format!("scalable-target {cluster}/web"));
    assert_eq!(target["scalableTarget"]["suspended"], true, "{target:#}");
    // The apply put the drift back.
    assert_eq!(
        row(&document, &format!("ecs-service {cluster}/api"))["state"],
        "InSync"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_of_a_service_that_does_not_exist_says_missing_and_an_invalid_file_reads_nothing() {
    let cluster = unique("status-missing");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let stack = unique("stm");
    let yaml = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n    - {{ cluster: {cluster}, name: ghost, desiredCount: 1 }}\n"
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let (document, code) = status_json(&path, "2026-12-03T11:00:00Z").await;
    assert_eq!(code, 0, "{document:#}");
    let ghost = row(&document, &format!("ecs-service {cluster}/ghost"));
    assert_eq!(ghost["state"], "Missing", "{ghost:#}");
    // Never claimed: the first apply would adopt it, a change that is not drift.
    let web = row(&document, &format!("ecs-service {cluster}/web"));
    assert_eq!(web["state"], "Pending", "{web:#}");

    let broken = DesiredFile::write(
        "broken.yaml",
        "apiVersion: mooring/v1\nkind: Stack\nspec: [",
    );
    let run = mooring(&["status", &broken.path.to_string_lossy()]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("broken.yaml:3:"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}
