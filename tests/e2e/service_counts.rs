//! `mooring plan` / `apply` keep ECS `desiredCount` where the desired state says.

use crate::fixtures::*;

const REGION: &str = "us-east-1";

fn stack_yaml(stack: &str, services: &str) -> String {
    format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: {}
spec:
  account: "{ACCOUNT}"
  region: {REGION}
  services:
{services}"#,
        run_scoped(stack)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_counts_and_plan_then_shows_nothing() {
    let cluster = unique("converge");
    seed_services(REGION, &cluster, &[("web", 0), ("api", 0), ("worker", 3)]).await;
    let yaml = stack_yaml(
        "converge",
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n\
             \x20   - {{ cluster: {cluster}, name: worker, desiredCount: 1 }}\n\
             \x20   - {{ cluster: {cluster}, name: api, autoscaling: {{ min: 1, max: 4 }} }}\n\
             \x20   - {{ cluster: {cluster}, name: ghost, desiredCount: 1 }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();

    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 2, "changes are pending: {plan:?}");
    assert!(
        plan.stdout
            .contains(&format!("~ ecs-service {cluster}/web")),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("desiredCount: 0 → 2"), "{plan:?}");
    assert!(plan.stdout.contains("desiredCount: 3 → 1"), "{plan:?}");
    // Resources, not API calls: web and worker counts; api: the service's claim and
    // spec tags (one service changed), its target registered (created); the cluster's
    // stack tag (mooring:stack:<stack>, one resource); ghost is a warning.
    assert!(
        plan.stdout
            .contains("Plan: 4 to change, 1 to create; 1 warning (see ! above)."),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains(&format!("+ scalable-target {cluster}/api")),
        "{plan:?}"
    );
    assert!(
        !plan.stdout.contains("desiredCount: 0 → 1\n"),
        "autoscaled count untouched: {plan:?}"
    );
    assert!(
        plan.stdout
            .contains(&format!("! ecs-service {cluster}/ghost  (ServiceNotFound)")),
        "{plan:?}"
    );
    // plan changes nothing.
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);

    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("Apply complete: 4 changed, 1 created; 1 warning (see ! above)."),
        "{apply:?}"
    );
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    assert_eq!(desired_count(REGION, &cluster, "worker").await, 1);
    assert_eq!(
        desired_count(REGION, &cluster, "api").await,
        0,
        "the autoscaler's count is not ours"
    );

    let again = mooring(&["plan", &path]).await;
    assert_eq!(again.code, 0, "converged: {again:?}");
    // Not "the account matches": ghost still needs attention.
    assert!(
        again
            .stdout
            .contains("No changes; 1 warning needs attention (see ! above)."),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_made_by_hand_is_planned_and_corrected() {
    let cluster = unique("drift");
    seed_services(REGION, &cluster, &[("backend", 1)]).await;
    let yaml = stack_yaml(
        "drift",
        &format!("    - {{ cluster: {cluster}, name: backend, desiredCount: 1 }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    // The count is right already; the first apply only claims the service and records
    // its count (mooring:count), the evidence that tells the hand-made change below from
    // a changed file.
    assert_eq!(mooring(&["apply", &path]).await.code, 0);
    assert_eq!(mooring(&["plan", &path]).await.code, 0);

    scale_behind_moorings_back(REGION, &cluster, "backend", 5).await;

    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("desiredCount: 5 → 1"), "{plan:?}");
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply.stdout.contains(&format!(
            "~ ecs-service {cluster}/backend  (DriftCorrected)\n      desiredCount: 5 → 1\n"
        )),
        "{apply:?}"
    );
    assert_eq!(desired_count(REGION, &cluster, "backend").await, 1);

    // The same pass as machine-readable events: a DriftCorrected event with its diff.
    scale_behind_moorings_back(REGION, &cluster, "backend", 3).await;
    let json = mooring(&["apply", &path, "--output", "json", "--revision", "abc123"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {json:?}"));
    let event = &report["events"][0];
    assert_eq!(event["type"], "Normal");
    assert_eq!(event["reason"], "DriftCorrected");
    assert_eq!(event["object"], format!("ecs-service {cluster}/backend"));
    assert_eq!(event["stack"], run_scoped("drift").as_str());
    assert_eq!(event["revision"], "abc123");
    assert_eq!(event["phase"], "applied");
    assert_eq!(
        event["diff"][0],
        serde_json::json!({"field": "desiredCount", "before": 3, "after": 1})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_json_lists_changes_for_machines() {
    let cluster = unique("json");
    seed_services(REGION, &cluster, &[("web", 4)]).await;
    let yaml = stack_yaml(
        "json-output",
        &format!("    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let plan = mooring(&["plan", &path, "--output", "json"]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    let report: serde_json::Value =
        serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {plan:?}"));
    // The first change tags the cluster for the stack, the second sets the service's
    // count, the third claims it and records the count in one TagResource, once the
    // cluster's group has succeeded ("after").
    assert_eq!(
        report["plan"]["changes"][0]["resource"]["kind"],
        "ecs-cluster"
    );
    let claim = &report["plan"]["changes"][2];
    assert_eq!(claim["operation"]["op"], "tagService");
    assert_eq!(claim["operation"]["tags"]["mooring:count"], "2");
    assert_eq!(
        claim["operation"]["tags"]["mooring:stack"],
        run_scoped("json-output").as_str()
    );
    assert_eq!(
        claim["after"], report["plan"]["changes"][0]["group"],
        "{claim:#}"
    );
    let change = &report["plan"]["changes"][1];
    assert_eq!(change["stack"], run_scoped("json-output").as_str());
    assert_eq!(change["resource"]["kind"], "ecs-service");
    assert_eq!(change["resource"]["cluster"], cluster.as_str());
    assert_eq!(change["resource"]["service"], "web");
    assert_eq!(change["diff"][0]["field"], "desiredCount");
    assert_eq!(change["diff"][0]["before"], 4);
    assert_eq!(change["diff"][0]["after"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn more_services_than_one_describe_call_takes() {
    // DescribeServices takes ten services a call; 23 services need three calls.
    let cluster = unique("batch");
    let names: Vec<String> = (0..23).map(|i| format!("svc-{i:02}")).collect();
    let seeded: Vec<(&str, i32)> = names.iter().map(|n| (n.as_str(), 0)).collect();
    seed_services(REGION, &cluster, &seeded).await;
    let services: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "    - {{ cluster: {cluster}, name: {n}, desiredCount: {} }}\n",
                i % 3 + 1
            )
        })
        .collect();
    let file = DesiredFile::write("stack.yaml", &stack_yaml("batch", &services));
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        // 23 services and their cluster's stack tag.
        apply.stdout.contains("Apply complete: 24 changed."),
        "{apply:?}"
    );
    for (i, name) in names.iter().enumerate() {
        let expected = i32::try_from(i % 3 + 1).unwrap_or(0);
        assert_eq!(
            desired_count(REGION, &cluster, name).await,
            expected,
            "{name}"
        );
    }
    assert_eq!(mooring(&["plan", &path]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn observe_mode_reports_drift_and_changes_nothing() {
    let cluster = unique("observe");
    seed_services(REGION, &cluster, &[("reporting", 3)]).await;
    let yaml = stack_yaml("observe-mode",
        &format!("    - {{ cluster: {cluster}, name: reporting, desiredCount: 1, management: observe }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("DriftDetected"), "{apply:?}");
    assert!(apply.stdout.contains("desiredCount: 3 → 1"), "{apply:?}");
    assert_eq!(desired_count(REGION, &cluster, "reporting").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_account_is_refused() {
    let cluster = unique("account");
    seed_services(REGION, &cluster, &[("web", 3)]).await;
    let yaml = stack_yaml(
        "wrong-account",
        &format!("    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n"),
    )
    .replace(ACCOUNT, "999999999999");
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 1, "a refused stack is a failure: {apply:?}");
    assert!(
        apply
            .stdout
            .contains("is declared for account 999999999999"),
        "{apply:?}"
    );
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_desired_state_applies_nothing() {
    let cluster = unique("invalid");
    seed_services(REGION, &cluster, &[("web", 3), ("api", 3)]).await;
    // web is fine; api has min > max. Nothing at all may be applied.
    let yaml = stack_yaml(
        "invalid",
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n\
             \x20   - {{ cluster: {cluster}, name: api, autoscaling: {{ min: 5, max: 2 }} }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply.stderr.contains("stack.yaml:"),
        "names the file: {apply:?}"
    );
    assert!(apply.stderr.contains("nothing was applied"), "{apply:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn services_in_other_regions_are_observed_there() {
    let cluster = unique("region");
    seed_services("eu-west-1", &cluster, &[("web", 0)]).await;
    let yaml = stack_yaml(
        "regional",
        &format!("    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n"),
    )
    .replace("region: us-east-1", "region: eu-west-1");
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("eu-west-1"), "{apply:?}");
    assert_eq!(desired_count("eu-west-1", &cluster, "web").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_apply_makes_no_mutating_call() {
    let cluster = unique("idempotent");
    seed_services(REGION, &cluster, &[("web", 0), ("api", 5), ("worker", 1)]).await;
    let yaml = stack_yaml(
        "idempotent",
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n\
             \x20   - {{ cluster: {cluster}, name: api, desiredCount: 2 }}\n\
             \x20   - {{ cluster: {cluster}, name: worker, desiredCount: 1 }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    start_recording();

    let first_key = unique_access_key();
    let first = mooring_as(&first_key, &["apply", &path]).await;
    assert_eq!(first.code, 0, "{first:?}");
    let mut first_calls = operations_by(&first_key);
    first_calls.sort();
    // The clusters of the region are read each full pass (ListClusters + DescribeClusters
    // with tags, 100 a call: the clusters tagged for a stack, for release); how many the
    // shared emulator holds depends on the other tests, so those are counted apart.
    let region_reads = cluster_reads(&mut first_calls);
    assert_eq!(
        first_calls,
        [
            "DescribeScalableTargets",
            "DescribeServices",
            "GetCallerIdentity",
            "ListServices",
            "TagResource",
            "TagResource",
            "TagResource",
            "TagResource",
            "UpdateService",
            "UpdateService"
        ],
        "three services in one cluster: the account guard's question, one read of the services, one of their scalable \
         targets (a target registered outside mooring would own the count), one listing of the cluster \
         (services that left the desired state), the cluster's stack tag (mooring:stack:<stack>, once, before \
         the claims that wait for it), two count writes (worker is already right) and one TagResource per \
         service carrying its claim (mooring:stack) and the record of the count applied (mooring:count; \
         worker's too: nothing recorded it yet)"
    );
    assert!(
        region_reads.0 >= 1 && region_reads.1 >= 1,
        "{region_reads:?}"
    );

    let second_key = unique_access_key();
    let second = mooring_as(&second_key, &["apply", &path]).await;
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second
            .stdout
            .contains("Apply complete: no changes. The account matches the desired state."),
        "{second:?}"
    );
    let mut second_calls = operations_by(&second_key);
    assert_eq!(
        mutating(&second_calls),
        Vec::<String>::new(),
        "{second_calls:?}"
    );
    second_calls.sort();
    cluster_reads(&mut second_calls);
    assert_eq!(
        second_calls,
        ["DescribeScalableTargets", "DescribeServices", "GetCallerIdentity", "ListServices"],
        "a converged account costs reads only (and the account guard's question); no target exists, so no policy reads"
    );

    // mooring's own counters agree with the emulator's recording.
    let stats = mooring(&["apply", &path, "--stats"]).await;
    assert_eq!(stats.code, 0, "{stats:?}");
    assert!(stats.stdout.contains("ECS DescribeServices"), "{stats:?}");
    assert!(stats.stdout.contains("(0 mutating"), "{stats:?}");
    let json = mooring(&["apply", &path, "--output", "json"]).await;
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {json:?}"));
    let mut calls = report["calls"].as_array().cloned().unwrap_or_default();
    calls.retain(|c| {
        !["ListClusters", "DescribeClusters"].contains(&c["operation"].as_str().unwrap_or_default())
    });
    assert_eq!(
        serde_json::Value::Array(calls),
        serde_json::json!([
            {"service": "Application Auto Scaling", "operation": "DescribeScalableTargets", "requests": 1, "failed": 0, "throttled": 0},
            {"service": "ECS", "operation": "DescribeServices", "requests": 1, "failed": 0, "throttled": 0},
            {"service": "ECS", "operation": "ListServices", "requests": 1, "failed": 0, "throttled": 0},
            {"service": "STS", "operation": "GetCallerIdentity", "requests": 1, "failed": 0, "throttled": 0}
        ])
    );
}

/// Removes the region's cluster reads (ListClusters, DescribeClusters) from `calls`;
/// returns how many of each there were.
fn cluster_reads(calls: &mut Vec<String>) -> (usize, usize) {
    let count = |name: &str| calls.iter().filter(|c| *c == name).count();
    let counts = (count("ListClusters"), count("DescribeClusters"));
    calls.retain(|c| c != "ListClusters" && c != "DescribeClusters");
    counts
}
