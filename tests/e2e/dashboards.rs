//! CloudWatch dashboards (`spec.dashboards`) against the emulator: created with mooring's
//! marker, converged with zero writes, a widget edited by hand put back (DriftCorrected),
//! a dashboard that left the file deleted, `observe` only reporting, another stack's
//! dashboard left alone, and bad input refused before any AWS call.

use serde_json::Value;

use crate::fixtures::*;
use crate::reports::*;

const REGION: &str = "us-east-1";

async fn body_of(name: &str) -> Option<Value> {
    let found = cloudwatch(REGION)
        .await
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .ok()?;
    serde_json::from_str(found.dashboard_body()?).ok()
}

async fn put_by_hand(name: &str, body: &Value) {
    cloudwatch(REGION)
        .await
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting dashboard {name}: {e:?}"));
}

fn stack_yaml(cluster: &str, dashboards: &str) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {cluster}
spec:
  account: "{ACCOUNT}"
  region: {REGION}
  services:
    - cluster: {cluster}
      name: web
      desiredCount: 1
      alarms:
        {cluster}-web-cpu: {{ metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 80, comparison: ">" }}
  alarms:
    {cluster}-db-cpu:
      namespace: AWS/RDS
      metric: CPUUtilization
      dimensions: {{ DBInstanceIdentifier: {cluster}-db }}
      statistic: Average
      period: 300s
      evaluationPeriods: 2
      threshold: 80
      comparison: ">"
  dashboards:
{dashboards}"#
    )
}

fn declared(cluster: &str) -> String {
    format!(
        r#"    {cluster}-overview: {{ generated: true }}
    {cluster}-ops:
      widgets:
        - {{ type: text, markdown: "Runbook: see the wiki", width: 24, height: 2 }}
        - type: metric
          title: Web CPU
          period: 60s
          metrics:
            - {{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: {cluster}, ServiceName: web }} }}
            - {{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: {cluster}, ServiceName: web }}, stat: Maximum }}
        - {{ type: alarms, title: Web, alarms: [{cluster}-web-cpu] }}
"#
    )
}

fn widget_titles(body: &Value) -> Vec<String> {
    body["widgets"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|w| w["properties"]["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_are_created_converge_and_drift_is_put_back() {
    let cluster = unique("dash");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&cluster, &declared(&cluster)));
    let path = file.path.to_str().unwrap_or_default();

    let report = apply(path).await;
    let overview = format!("{cluster}-overview");
    let ops = format!("{cluster}-ops");
    event_for(&report, "Created", &format!("dashboard {overview}"));
    event_for(&report, "Created", &format!("dashboard {ops}"));
    let body = body_of(&overview)
        .await
        .unwrap_or_else(|| panic!("{overview} not created"));
    assert_eq!(
        widget_titles(&body),
        [
            format!("Alarms of {cluster}"),
            format!("{cluster}/web: CPU and memory (%)"),
            format!("{cluster}/web: running tasks"),
            format!("{cluster}-db: CPU (%)"),
            format!("{cluster}-db: connections"),
        ]
    );
    let last = body["widgets"]
        .as_array()
        .and_then(|w| w.last())
        .cloned()
        .unwrap_or_default();
    let marker = last["properties"]["markdown"].as_str().unwrap_or_default();
    assert!(
        marker.contains(&format!("[mooring:stack={cluster} ")),
        "{last}"
    );
    assert_eq!(
        body["widgets"][0]["properties"]["alarms"][0],
        format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{cluster}-db-cpu")
    );

    // A second apply makes no mutating call (plan exits 0 too).
    let converged = assert_converged(path).await;
    let reads = calls(&converged);
    assert_eq!(reads.get("ListDashboards"), Some(&1), "{reads:?}");
    // One GetDashboard per dashboard under the prefix `dash-`: this test's two, and
    // those earlier runs on the same emulator left.
    assert!(reads.get("GetDashboard") >= Some(&2), "{reads:?}");

    // A title edited by hand, the marker kept (as the console keeps it): put back.
    let mut edited = body_of(&ops).await.unwrap_or_default();
    edited["widgets"][1]["properties"]["title"] = Value::from("edited by hand");
    put_by_hand(&ops, &edited).await;
    let plan = mooring(&["plan", path]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    let report = apply(path).await;
    let event = event_for(&report, "DriftCorrected", &format!("dashboard {ops}"));
    let diff = diff_of(event, "widgets.1.properties.title");
    assert_eq!(diff["before"], "edited by hand");
    assert_eq!(diff["after"], "Web CPU");
    let restored = body_of(&ops).await.unwrap_or_default();
    assert_eq!(restored["widgets"][1]["properties"]["title"], "Web CPU");
    assert_converged(path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_dashboard_is_pruned_observe_reports_and_another_stacks_is_left_alone() {
    let cluster = unique("dashprune");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&cluster, &declared(&cluster)));
    let path = file.path.to_str().unwrap_or_default();
    apply(path).await;

    // Another stack's dashboards under this stack's name prefix: one this stack also
    // declares, one it would otherwise see as a prune candidate.
    let theirs = format!("{cluster}-theirs");
    let their_body: Value = serde_json::json!({"widgets": [
        {"type": "text", "width": 6, "height": 6, "properties": {"markdown": "theirs"}},
        {"type": "text", "width": 24, "height": 1, "properties": {"markdown": "[mooring:stack=other 0123456789abcdef]"}}
    ]});
    put_by_hand(&theirs, &their_body).await;
    let undeclared = format!("{cluster}-other-undeclared");
    put_by_hand(&undeclared, &their_body).await;

    // The overview leaves the file, `theirs` is declared (adopt or not: another stack's),
    // and a new one is declared under `observe`.
    let observed_only = format!("{cluster}-watch");
    let dashboards = format!(
        r#"    {cluster}-ops:
      widgets:
        - {{ type: text, markdown: "Runbook: see the wiki", width: 24, height: 2 }}
        - type: metric
          title: Web CPU
          period: 60s
          metrics:
            - {{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: {cluster}, ServiceName: web }} }}
            - {{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: {cluster}, ServiceName: web }}, stat: Maximum }}
        - {{ type: alarms, title: Web, alarms: [{cluster}-web-cpu] }}
    {theirs}:
      adopt: true
      widgets: [{{ type: text, markdown: mine }}]
    {observed_only}:
      management: observe
      widgets: [{{ type: text, markdown: watched }}]
"#
    );
    std::fs::write(&file.path, stack_yaml(&cluster, &dashboards)).unwrap_or_else(|e| panic!("{e}"));
    let report = apply(path).await;
    let overview = format!("{cluster}-overview");
    event_for(&report, "Pruned", &format!("dashboard {overview}"));
    assert_eq!(body_of(&overview).await, None, "{overview} is deleted");
    let not_owned = event_for(&report, "NotOwned", &format!("dashboard {theirs}"));
    assert!(
        not_owned["message"]
            .as_str()
            .unwrap_or_default()
            .contains("stack other"),
        "{not_owned}"
    );
    assert_eq!(body_of(&theirs).await, Some(their_body.clone()));
    assert_eq!(body_of(&undeclared).await, Some(their_body));
    event_for(
        &report,
        "DriftDetected",
        &format!("dashboard {observed_only}"),
    );
    assert_eq!(
        body_of(&observed_only).await,
        None,
        "observe creates nothing"
    );
    assert!(
        events(&report, "Created").is_empty(),
        "{:#}",
        report["events"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_dashboards_are_refused_with_their_position_and_no_aws_call() {
    let cluster = unique("dashbad");
    let dashboards = format!(
        r#"    {cluster}-a:
      widgets:
        - {{ type: graph, title: x }}
        - type: metric
          metrics:
            - {{ metric: CPUUtilization }}
    {cluster}-b:
      body: [1, 2]
"#
    );
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&cluster, &dashboards));
    let path = file.path.to_str().unwrap_or_default();
    start_recording();
    let key = unique_access_key();
    for command in ["validate", "plan", "apply"] {
        let run = mooring_as(&key, &[command, path]).await;
        let expected = if command == "validate" { 2 } else { 1 };
        assert_eq!(run.code, expected, "{command}: {run:?}");
        let out = format!("{}{}", run.stdout, run.stderr);
        for (line, column, text) in [
            (27, 19, "unknown widget kind `graph`"),
            (30, 15, "has no `namespace`"),
            (32, 13, "`body` must be a JSON object"),
        ] {
            assert!(
                out.contains(&format!("stack.yaml:{line}:{column}")) && out.contains(text),
                "{command}: expected {text} at {line}:{column} in\n{out}"
            );
        }
    }
    assert_eq!(operations_by(&key), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unmarked_dashboard_is_adopted_only_when_the_file_says_so() {
    let cluster = unique("dashadopt");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let name = format!("{cluster}-console");
    let by_hand: Value = serde_json::json!({"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 6, "height": 6, "properties": {"markdown": "made in the console"}}
    ]});
    put_by_hand(&name, &by_hand).await;
    let declare = |adopt: bool| {
        stack_yaml(
            &cluster,
            &format!(
                "    {name}:\n      adopt: {adopt}\n      widgets: [{{ type: text, markdown: \"kept by mooring\" }}]\n"
            ),
        )
    };
    let file = DesiredFile::write("stack.yaml", &declare(false));
    let path = file.path.to_str().unwrap_or_default();
    let report = apply(path).await;
    event_for(&report, "NotOwned", &format!("dashboard {name}"));
    assert_eq!(
        body_of(&name).await,
        Some(by_hand),
        "left alone without adopt"
    );

    std::fs::write(&file.path, declare(true)).unwrap_or_else(|e| panic!("{e}"));
    let report = apply(path).await;
    event_for(&report, "Adopted", &format!("dashboard {name}"));
    let adopted = body_of(&name).await.unwrap_or_default();
    assert_eq!(
        adopted["widgets"][0]["properties"]["markdown"],
        "kept by mooring"
    );
    assert_converged(path).await;
}
