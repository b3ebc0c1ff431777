//! `mooring accept`: drift made by hand in the account is written into the file instead
//! of being reverted. Each test applies a file with comments, odd-but-valid quoting, flow
//! mappings and an anchor/alias pair, changes one thing by hand, runs `accept --dry-run`
//! (the diff is pinned) and `accept`, checks the file differs from the original in the
//! accepted lines only, and that `plan` then has nothing to do.

use crate::fixtures::*;
use crate::scaling_by_hand::{put_cpu_policy_by_hand, register_by_hand, REGION};

struct Names {
    stack: String,
    cluster: String,
    topic: String,
    alarm: String,
}

impl Names {
    fn new(kind: &str) -> Self {
        Self {
            stack: unique(&format!("acc-{kind}")),
            cluster: unique(&format!("acc-{kind}")),
            topic: unique(&format!("acc-{kind}-alerts")),
            alarm: unique(&format!("acc-{kind}-cpu")),
        }
    }

    /// The diff with this test's names and temporary path replaced, for the snapshot.
    fn normalize(&self, text: &str, file: &DesiredFile) -> String {
        // The headers show the path as git does, without its leading slash.
        let path = file.path.display().to_string();
        text.replace(path.trim_start_matches('/'), "stack.yaml")
            .replace(&self.stack, "STACK")
            .replace(&self.cluster, "CLUSTER")
            .replace(&self.topic, "TOPIC")
            .replace(&self.alarm, "ALARM")
    }
}

fn stack_yaml(n: &Names) -> String {
    format!(
        r#"# Accept test: everything here must survive byte for byte.
apiVersion: mooring/v1
kind: Stack
metadata:
  name: '{stack}'            # single-quoted on purpose
spec:
  region: "us-east-1"
  topics:
    {topic}:
      displayName: Accept test   # shown in mails
      subscriptions:
        - {{ protocol: email, endpoint: "ops@example.com" }}

  services:
    - cluster: {cluster}
      name: plain
      desiredCount: 2          # two by day
      alarms:
        {alarm}:
          metric: CPUUtilization
          statistic: Average
          period: 1m
          evaluationPeriods: 2
          threshold: 80        # percent
          comparison: ">"
          notify: &to [{topic}]
          okNotify: *to
    - cluster: {cluster}
      name: scaled
      desiredCount: 2
      autoscaling:
        min: 1
        max: 4   # peak
        targetTracking:
          cpu: {{ metric: ECSServiceAverageCPUUtilization, target: 60 }}
"#,
        stack = n.stack,
        cluster = n.cluster,
        topic = n.topic,
        alarm = n.alarm,
    )
}

/// Applies the stack, lets `drift` change the account, then accepts: the dry run's diff
/// is pinned as `snapshot`, the file must become `original` with `edits` (from, to) made,
/// and `plan` must then be empty.
async fn accept_round_trip<F, Fut>(kind: &str, drift: F, edits: &[(&str, &str)])
where
    F: FnOnce(&Names) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let names = Names::new(kind);
    seed_services(REGION, &names.cluster, &[("plain", 2), ("scaled", 2)]).await;
    let original = stack_yaml(&names);
    let file = DesiredFile::write("stack.yaml", &original);
    let path = file.path.to_string_lossy().into_owned();
    let applied = mooring(&["apply", &path]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    drift(&names).await;

    let dry = mooring(&["accept", &path, "--dry-run"]).await;
    assert_eq!(dry.code, 2, "{dry:?}");
    assert_eq!(
        std::fs::read_to_string(&file.path).ok().as_deref(),
        Some(original.as_str()),
        "--dry-run wrote the file"
    );
    insta::assert_snapshot!(
        format!("accept_{kind}"),
        names.normalize(&dry.stdout, &file)
    );

    let accepted = mooring(&["accept", &path]).await;
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert_eq!(
        accepted.stdout, dry.stdout,
        "accept printed another diff than its dry run"
    );
    let mut expected = original.clone();
    for (from, to) in edits {
        let (from, to) = (names.normalize_back(from), names.normalize_back(to));
        assert!(expected.contains(&from), "{from:?} is not in the file");
        expected = expected.replacen(&from, &to, 1);
    }
    let now = std::fs::read_to_string(&file.path).unwrap_or_default();
    assert_eq!(
        now, expected,
        "the file differs elsewhere than in the accepted lines"
    );

    let plan = mooring(&["plan", &path]).await;
    assert_eq!(
        plan.code, 0,
        "plan after accept is not empty: {plan:?}\naccept said: {accepted:?}"
    );
    let again = mooring(&["accept", &path]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.is_empty(), "{again:?}");
}

impl Names {
    fn normalize_back(&self, text: &str) -> String {
        text.replace("STACK", &self.stack)
            .replace("CLUSTER", &self.cluster)
            .replace("TOPIC", &self.topic)
            .replace("ALARM", &self.alarm)
    }
}

#[tokio::test]
async fn a_count_changed_by_hand_is_written_into_the_file() {
    accept_round_trip(
        "count",
        |n| {
            let cluster = n.cluster.clone();
            async move { scale_behind_moorings_back(REGION, &cluster, "plain", 5).await }
        },
        &[(
            "desiredCount: 2          # two by day",
            "desiredCount: 5          # two by day",
        )],
    )
    .await;
}

#[tokio::test]
async fn an_autoscaling_range_changed_by_hand_is_written_into_the_file() {
    accept_round_trip(
        "range",
        |n| {
            let cluster = n.cluster.clone();
            async move { register_by_hand(&cluster, "scaled", 2, 6).await }
        },
        &[
            ("min: 1\n", "min: 2\n"),
            ("max: 4   # peak", "max: 6   # peak"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_policy_target_changed_by_hand_is_written_into_the_file() {
    accept_round_trip(
        "target",
        |n| {
            let cluster = n.cluster.clone();
            async move { put_cpu_policy_by_hand(&cluster, "scaled", "cpu", 75.0).await }
        },
        &[(
            "cpu: { metric: ECSServiceAverageCPUUtilization, target: 60 }",
            "cpu: { metric: ECSServiceAverageCPUUtilization, target: 75 }",
        )],
    )
    .await;
}

#[tokio::test]
async fn an_alarm_threshold_changed_by_hand_is_written_into_the_file() {
    accept_round_trip(
        "threshold",
        |n| {
            let alarm = n.alarm.clone();
            async move { set_threshold_by_hand(REGION, &alarm, 92.5).await }
        },
        &[(
            "threshold: 80        # percent",
            "threshold: 92.5        # percent",
        )],
    )
    .await;
}

#[tokio::test]
async fn a_subscription_added_by_hand_is_written_into_the_file() {
    accept_round_trip(
        "subscription",
        |n| {
            let topic = n.topic.clone();
            async move {
                sns(REGION)
                    .await
                    .subscribe()
                    .topic_arn(format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"))
                    .protocol("email")
                    .endpoint("oncall@example.com")
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("subscribing: {e:?}"));
            }
        },
        &[(
            "        - { protocol: email, endpoint: \"ops@example.com\" }\n",
            "        - { protocol: email, endpoint: \"ops@example.com\" }\n        - { protocol: email, endpoint: oncall@example.com }\n",
        )],
    )
    .await;
}

/// Someone raises an alarm's threshold in the console: every other setting, the
/// description with mooring's marker included, stays as it was.
pub async fn set_threshold_by_hand(region: &str, name: &str, threshold: f64) {
    let alarm = metric_alarm(region, name)
        .await
        .unwrap_or_else(|| panic!("alarm {name} is missing"));
    cloudwatch(region)
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(alarm.alarm_description().map(str::to_owned))
        .set_namespace(alarm.namespace().map(str::to_owned))
        .set_metric_name(alarm.metric_name().map(str::to_owned))
        .set_statistic(alarm.statistic().cloned())
        .set_extended_statistic(alarm.extended_statistic().map(str::to_owned))
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .set_period(alarm.period())
        .set_evaluation_periods(alarm.evaluation_periods())
        .set_datapoints_to_alarm(alarm.datapoints_to_alarm())
        .threshold(threshold)
        .set_comparison_operator(alarm.comparison_operator().cloned())
        .set_treat_missing_data(alarm.treat_missing_data().map(str::to_owned))
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .set_ok_actions(Some(alarm.ok_actions().to_vec()))
        .set_insufficient_data_actions(Some(alarm.insufficient_data_actions().to_vec()))
        .set_unit(alarm.unit().cloned())
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting alarm {name}: {e:?}"));
}

#[tokio::test]
async fn a_value_that_comes_from_an_alias_is_refused_and_nothing_is_written() {
    let names = Names::new("alias");
    seed_services(REGION, &names.cluster, &[("a", 2), ("b", 2)]).await;
    let original = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {stack} }}\nspec:\n  services:\n    - {{ cluster: {cluster}, name: a, desiredCount: &two 2 }}\n    - {{ cluster: {cluster}, name: b, desiredCount: *two }}  # same as a\n",
        stack = names.stack,
        cluster = names.cluster
    );
    let file = DesiredFile::write("stack.yaml", &original);
    let path = file.path.to_string_lossy().into_owned();
    let applied = mooring(&["apply", &path]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    scale_behind_moorings_back(REGION, &names.cluster, "b", 4).await;
    let accepted = mooring(&["accept", &path]).await;
    assert_eq!(accepted.code, 1, "{accepted:?}");
    assert!(
        accepted.stderr.contains(&format!("{path}:7:"))
            && accepted.stderr.contains("comes from an alias"),
        "{accepted:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.path).unwrap_or_default(),
        original
    );
    // The anchored value, too: changing it would change b's.
    scale_behind_moorings_back(REGION, &names.cluster, "b", 2).await;
    scale_behind_moorings_back(REGION, &names.cluster, "a", 3).await;
    let accepted = mooring(&["accept", &path]).await;
    assert_eq!(accepted.code, 1, "{accepted:?}");
    assert!(
        accepted.stderr.contains("an alias uses elsewhere"),
        "{accepted:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.path).unwrap_or_default(),
        original
    );
}

#[tokio::test]
async fn a_file_that_does_not_parse_is_left_untouched() {
    let broken = "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: x\n";
    let file = DesiredFile::write("stack.yaml", broken);
    let path = file.path.to_string_lossy().into_owned();
    let accepted = mooring(&["accept", &path]).await;
    assert_eq!(accepted.code, 1, "{accepted:?}");
    assert!(
        accepted.stderr.contains("loading the desired state failed"),
        "{accepted:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.path).unwrap_or_default(),
        broken
    );
}

#[tokio::test]
async fn a_resource_that_matches_no_drift_is_a_usage_error_listing_the_candidates() {
    let names = Names::new("resource");
    seed_services(REGION, &names.cluster, &[("a", 1)]).await;
    let original = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {stack} }}\nspec:\n  services:\n    - {{ cluster: {cluster}, name: a, desiredCount: 1 }}\n",
        stack = names.stack,
        cluster = names.cluster
    );
    let file = DesiredFile::write("stack.yaml", &original);
    let path = file.path.to_string_lossy().into_owned();
    let applied = mooring(&["apply", &path]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    scale_behind_moorings_back(REGION, &names.cluster, "a", 3).await;
    let accepted = mooring(&["accept", &path, "--resource", "alarm nope"]).await;
    assert_eq!(accepted.code, 64, "{accepted:?}");
    assert!(
        accepted.stderr.contains(&format!(
            "--resource alarm nope matches no resource with drift; resources with drift: ecs-service {}/a",
            names.cluster
        )),
        "{accepted:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.path).unwrap_or_default(),
        original
    );
    // Named without its kind, it is accepted.
    let accepted = mooring(&[
        "accept",
        &path,
        "--resource",
        &format!("{}/a", names.cluster),
    ])
    .await;
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert!(std::fs::read_to_string(&file.path)
        .unwrap_or_default()
        .contains("desiredCount: 3 }"));
}

/// A folder of two stacks, one with CRLF line endings: each accepted value goes to the
/// file that declares it, and the CRLF file stays CRLF.
#[tokio::test]
async fn a_folder_gets_each_value_in_the_file_that_declares_it() {
    let names = Names::new("folder");
    let other = unique("acc-folder-b");
    seed_services(REGION, &names.cluster, &[("a", 1)]).await;
    let a = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {stack} }}\nspec:\n  services:\n    - cluster: {cluster}\n      name: a\n      desiredCount: 1 # one\n",
        stack = names.stack,
        cluster = names.cluster
    );
    let b = format!(
        "apiVersion: mooring/v1\r\nkind: Stack\r\nmetadata:\r\n  name: {other}\r\nspec:\r\n  alarms:\r\n    {alarm}:\r\n      namespace: AWS/ECS\r\n      metric: CPUUtilization\r\n      dimensions: {{ ClusterName: {cluster} }}\r\n      statistic: Average\r\n      period: 60s\r\n      evaluationPeriods: 1\r\n      threshold: 50\r\n      comparison: \">\"\r\n",
        alarm = names.alarm,
        cluster = names.cluster
    );
    let file = DesiredFile::write("a.yaml", &a);
    let b_path = file.dir.join("b.yaml");
    std::fs::write(&b_path, &b).unwrap_or_else(|e| panic!("{e}"));
    let dir = file.dir.to_string_lossy().into_owned();
    let applied = mooring(&["apply", &dir]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    scale_behind_moorings_back(REGION, &names.cluster, "a", 2).await;
    set_threshold_by_hand(REGION, &names.alarm, 65.0).await;
    let accepted = mooring(&["accept", &dir]).await;
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert!(
        accepted.stderr.contains("accepted 2 change(s) into"),
        "{accepted:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.path).unwrap_or_default(),
        a.replace("desiredCount: 1 # one", "desiredCount: 2 # one")
    );
    assert_eq!(
        std::fs::read_to_string(&b_path).unwrap_or_default(),
        b.replace("threshold: 50\r\n", "threshold: 65\r\n")
    );
    let plan = mooring(&["plan", &dir]).await;
    assert_eq!(plan.code, 0, "{plan:?}");
}

#[tokio::test]
async fn usage_errors_exit_64() {
    let file = DesiredFile::write(
        "stack.yaml",
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: usage }\nspec: {}\n",
    );
    let path = file.path.to_string_lossy().into_owned();
    for args in [
        vec!["accept", &path, "--bogus"],
        vec!["accept", &path, "--stack", "nope"],
        vec!["accept", &path, "--now", "yesterday"],
        vec!["accept"],
    ] {
        let run = mooring(&args).await;
        assert_eq!(run.code, 64, "mooring {args:?}: {run:?}");
        assert!(run.stderr.contains("error"), "mooring {args:?}: {run:?}");
    }
}
