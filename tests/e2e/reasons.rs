//! Reasons that mean what they say, for every kind of resource: a change of the FILE is
//! DesiredChanged (a merged pull request never looks like drift), a change of the
//! ACCOUNT by hand is DriftCorrected, and where no evidence survives (an alarm deleted
//! by hand before a one-shot apply) the event says it cannot tell. `mooring run`'s
//! /metrics counts each under its own reason.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixtures::*;
use crate::reports::*;
use crate::run::Controller;
use crate::scaling_by_hand::{put_cpu_policy_by_hand, register_by_hand};

/// The region of `scaling_by_hand`'s helpers (and of `mooring run` in `run.rs`).
const REGION: &str = "us-east-1";
const ENDPOINT: &str = "https://hooks.example.com/reasons";

/// What the tests edit, one field per kind of resource.
struct Knobs {
    count: u32,
    max: u32,
    cpu_target: u32,
    threshold: u32,
    severity: &'static str,
    display_name: &'static str,
}

const V1: Knobs = Knobs {
    count: 2,
    max: 4,
    cpu_target: 70,
    threshold: 80,
    severity: "high",
    display_name: "Alerts",
};

/// Names of one test: its stack, cluster, topic and alarm.
struct Names {
    stack: String,
    cluster: String,
    topic: String,
    alarm: String,
}

impl Names {
    fn new(prefix: &str) -> Self {
        let stack = unique(prefix);
        Self {
            cluster: stack.clone(),
            topic: format!("{stack}-alerts"),
            alarm: format!("{stack}-cpu-high"),
            stack,
        }
    }

    fn yaml(&self, k: &Knobs) -> String {
        let Names {
            stack,
            cluster,
            topic,
            alarm,
        } = self;
        format!(
            r#"apiVersion: mooring/v1
kind: Stack
metadata: {{ name: {stack} }}
spec:
  region: {REGION}
  services:
    - {{ cluster: {cluster}, name: web, desiredCount: {count} }}
    - cluster: {cluster}
      name: api
      autoscaling:
        min: 1
        max: {max}
        targetTracking:
          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: {cpu_target} }}
  topics:
    {topic}:
      displayName: {display_name}
      subscriptions:
        - {{ protocol: https, endpoint: "{ENDPOINT}", filterPolicy: {{ severity: [{severity}] }} }}
  alarms:
    {alarm}: {{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: {cluster} }}, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: {threshold}, comparison: ">", notify: [{topic}] }}
"#,
            count = k.count,
            max = k.max,
            cpu_target = k.cpu_target,
            threshold = k.threshold,
            severity = k.severity,
            display_name = k.display_name,
        )
    }

    /// The objects of the five kinds (and the topic), as events name them.
    fn objects(&self) -> [String; 6] {
        let Names {
            cluster,
            topic,
            alarm,
            ..
        } = self;
        [
            format!("ecs-service {cluster}/web"),
            format!("scalable-target {cluster}/api"),
            format!("scaling-policy {cluster}/api/cpu70"),
            format!("alarm {alarm}"),
            format!("subscription {topic}/https:{ENDPOINT}"),
            format!("topic {topic}"),
        ]
    }

    fn topic_arn(&self) -> String {
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:{}", self.topic)
    }

    /// Seeded services, `V1` applied and converged; the file stays for edits.
    async fn applied(&self) -> (DesiredFile, String) {
        seed_services(REGION, &self.cluster, &[("web", 1), ("api", 1)]).await;
        let file = DesiredFile::write("stack.yaml", &self.yaml(&V1));
        let path = file.path.to_string_lossy().into_owned();
        let (run, _, _) = run_json("apply", &path).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_converged(&path).await;
        (file, path)
    }
}

/// Every event about `object` in the report, as `(reason, message)`.
fn reasons_of(report: &Value, object: &str) -> Vec<(String, String)> {
    report["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["object"] == object)
        .map(|e| {
            (
                e["reason"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn assert_reason(report: &Value, object: &str, reason: &str) {
    let found = reasons_of(report, object);
    assert!(
        found.iter().any(|(r, _)| r == reason),
        "{object}: wanted {reason}, got {found:?}\n{:#}",
        report["events"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_file_is_desired_changed_for_every_kind() {
    let names = Names::new("reasons-file");
    let (file, path) = names.applied().await;
    std::fs::write(
        &file.path,
        names.yaml(&Knobs {
            count: 3,
            max: 6,
            cpu_target: 60,
            threshold: 90,
            severity: "critical",
            display_name: "Alerts v2",
        }),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // plan and apply say the same: the file changed, nobody drifted.
    for command in ["plan", "apply"] {
        let (run, report, _) = run_json(command, &path).await;
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        for object in names.objects() {
            assert_reason(&report, &object, "DesiredChanged");
        }
        for drift in ["DriftCorrected", "DriftDetected"] {
            assert!(
                events(&report, drift).is_empty(),
                "{command}: {:#}",
                report["events"]
            );
        }
        let (_, message) = &reasons_of(&report, &names.objects()[0])[0];
        assert!(
            message.contains("the desired state changed since the last apply: 2 → 3"),
            "{message}"
        );
    }
    assert_eq!(desired_count(REGION, &names.cluster, "web").await, 3);
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_account_is_drift_corrected_for_every_kind() {
    let names = Names::new("reasons-hand");
    let (_file, path) = names.applied().await;

    scale_behind_moorings_back(REGION, &names.cluster, "web", 5).await;
    register_by_hand(&names.cluster, "api", 1, 9).await;
    put_cpu_policy_by_hand(&names.cluster, "api", "cpu70", 50.0).await;
    let alarm = metric_alarm(REGION, &names.alarm)
        .await
        .unwrap_or_else(|| panic!("no alarm {}", names.alarm));
    cloudwatch(REGION)
        .await
        .put_metric_alarm()
        .alarm_name(&names.alarm)
        // The console keeps the description, marker and all.
        .set_alarm_description(alarm.alarm_description().map(str::to_owned))
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(2)
        .threshold(95.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let sns = sns(REGION).await;
    let subscription = topic_subscriptions(REGION, &names.topic_arn())
        .await
        .into_iter()
        .find_map(|s| s.subscription_arn)
        .unwrap_or_else(|| panic!("no subscription on {}", names.topic));
    sns.set_subscription_attributes()
        .subscription_arn(subscription)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"severity":["low"]}"#)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    sns.set_topic_attributes()
        .topic_arn(names.topic_arn())
        .attribute_name("DisplayName")
        .attribute_value("by hand")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let (run, planned, _) = run_json("plan", &path).await;
    assert_eq!(run.code, 2, "{run:?}");
    let (run, applied, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    for object in names.objects() {
        assert_reason(&planned, &object, "DriftDetected");
        assert_reason(&applied, &object, "DriftCorrected");
    }
    for report in [&planned, &applied] {
        assert!(
            events(report, "DesiredChanged").is_empty() && events(report, "Updated").is_empty(),
            "drift, not a new desired state: {:#}",
            report["events"]
        );
    }
    let web = event_for(
        &applied,
        "DriftCorrected",
        &format!("ecs-service {}/web", names.cluster),
    );
    assert!(
        web["message"]
            .as_str()
            .is_some_and(|m| m.contains("changed outside mooring")),
        "{web:#}"
    );
    assert_eq!(diff_of(web, "desiredCount")["before"], 5);
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_deleted_by_hand_before_a_one_shot_apply_says_it_cannot_tell() {
    let names = Names::new("reasons-gone");
    let (_file, path) = names.applied().await;
    delete_alarm(&names.alarm).await;

    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    let created = event_for(&report, "Created", &format!("alarm {}", names.alarm));
    assert!(
        created["message"].as_str().is_some_and(|m| m.contains(
            "no record of a previous apply: cannot tell whether it was deleted outside mooring or is newly declared"
        )),
        "{created:#}"
    );
    assert!(events(&report, "DriftCorrected").is_empty());
    assert_converged(&path).await;
}

/// `mooring run` remembers what its previous pass left in place: an alarm deleted by
/// hand between two passes is drift there, and /metrics counts drift and a changed file
/// apart, so an alert on `DriftCorrected` fires on the console edit and not on the file.
#[tokio::test(flavor = "multi_thread")]
async fn mooring_run_counts_drift_and_desired_changes_under_their_own_reasons() {
    let names = Names::new("reasons-run");
    seed_services(REGION, &names.cluster, &[("web", 1), ("api", 1)]).await;
    let file = DesiredFile::write("stack.yaml", &names.yaml(&V1));
    let controller = Controller::start(
        &file.path.to_string_lossy(),
        &["--interval", "2s", "--poll", "200ms"],
    );
    let alarm_object = format!("alarm {}", names.alarm);
    within("converged", || async {
        desired_count(REGION, &names.cluster, "web").await == 2
            && metric_alarm(REGION, &names.alarm).await.is_some()
    })
    .await;

    delete_alarm(&names.alarm).await;
    within("the deleted alarm back", || async {
        metric_alarm(REGION, &names.alarm).await.is_some()
    })
    .await;
    let corrected: Vec<Value> = controller
        .events("DriftCorrected")
        .into_iter()
        .filter(|e| e["object"] == alarm_object.as_str())
        .collect();
    assert_eq!(corrected.len(), 1, "{corrected:#?}");
    assert!(
        corrected[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("the previous pass saw it")),
        "{corrected:#?}"
    );
    let drift_before = changes_total(&controller, "DriftCorrected");
    assert!(drift_before >= 1, "{}", controller.get("/metrics").1);

    // A merged pull request: the count and the threshold change in the file.
    std::fs::write(
        &file.path,
        names.yaml(&Knobs {
            count: 3,
            threshold: 90,
            ..V1
        }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    within("the new count applied", || async {
        desired_count(REGION, &names.cluster, "web").await == 3
            && alarm_threshold(REGION, &names.alarm).await == Some(90.0)
    })
    .await;
    within("DesiredChanged counted", || async {
        changes_total(&controller, "DesiredChanged") >= 2
    })
    .await;
    assert_eq!(
        changes_total(&controller, "DriftCorrected"),
        drift_before,
        "a changed file is not drift:\n{}",
        controller.get("/metrics").1
    );
}

async fn delete_alarm(name: &str) {
    cloudwatch(REGION)
        .await
        .delete_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("deleting alarm {name}: {e:?}"));
}

/// `mooring_changes_total{reason="…"}` on the controller's /metrics (0 when absent).
fn changes_total(controller: &Controller, reason: &str) -> u64 {
    let (_, metrics) = controller.get("/metrics");
    let prefix = format!("mooring_changes_total{{reason=\"{reason}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits for `check`, at most a minute (the controller passes every 2 s).
async fn within<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: not within a minute"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
