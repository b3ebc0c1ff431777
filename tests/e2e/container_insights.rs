//! Container Insights on declared clusters (`spec.clusters`) against the emulator: set
//! with UpdateCluster and recorded in `mooring:container-insights`, converged with zero
//! writes, switched off by hand and put back as drift, only reported under `observe`, a
//! cluster that does not exist a warning, and an unknown value refused before any call.

use aws_sdk_ecs::types::{ClusterField, ClusterSetting, ClusterSettingName};

use crate::fixtures::*;
use crate::reports::{apply, assert_converged, diff_of, event_for, events, run_json};

const REGION: &str = "us-east-1";
const RECORD_TAG: &str = "mooring:container-insights";

/// A cluster as Terraform would create it, with Container Insights at `value`.
async fn create_cluster(name: &str, value: &str) {
    ecs(REGION)
        .await
        .create_cluster()
        .cluster_name(name)
        .settings(setting(value))
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating cluster {name}: {e:?}"));
}

fn setting(value: &str) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(value)
        .build()
}

/// Someone switches the setting in the console (UpdateCluster, as the console does).
async fn set_by_hand(name: &str, value: &str) {
    ecs(REGION)
        .await
        .update_cluster()
        .cluster(name)
        .settings(setting(value))
        .send()
        .await
        .unwrap_or_else(|e| panic!("updating cluster {name}: {e:?}"));
}

/// The cluster's containerInsights value and its record tag.
async fn insights_of(name: &str) -> (Option<String>, Option<String>) {
    let output = ecs(REGION)
        .await
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Settings)
        .include(ClusterField::Tags)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing cluster {name}: {e:?}"));
    let cluster = output
        .clusters()
        .first()
        .unwrap_or_else(|| panic!("cluster {name} not found"));
    let value = cluster
        .settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value())
        .map(str::to_owned);
    let record = cluster
        .tags()
        .iter()
        .find(|t| t.key() == Some(RECORD_TAG))
        .and_then(|t| t.value())
        .map(str::to_owned);
    (value, record)
}

fn stack_yaml(stack: &str, clusters: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n  clusters:\n{clusters}"
    )
}

#[tokio::test]
async fn the_setting_is_applied_converges_with_zero_writes_and_hand_made_changes_are_put_back() {
    let cluster = unique("insights");
    create_cluster(&cluster, "disabled").await;
    let yaml = stack_yaml(
        &unique("ci"),
        &format!("    {cluster}: {{ containerInsights: enhanced }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let object = format!("ecs-cluster {cluster}");

    // Create: the first change of a cluster mooring does not own says so.
    let (run, report, operations) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        mutating(&operations),
        ["UpdateCluster", "TagResource"],
        "the setting, then its record: {operations:?}"
    );
    let updated = event_for(&report, "Updated", &object);
    assert!(
        updated["message"]
            .as_str()
            .is_some_and(|m| m.contains("the cluster is not mooring's")),
        "{updated:#}"
    );
    let diff = diff_of(updated, "settings.containerInsights");
    assert_eq!(
        (&diff["before"], &diff["after"]),
        (&"disabled".into(), &"enhanced".into())
    );
    assert_eq!(
        insights_of(&cluster).await,
        (Some("enhanced".into()), Some("enhanced".into()))
    );

    // Converged: reads only.
    assert_converged(&path).await;

    // Drift: switched off by hand, put back, and said to be drift (the record matches).
    set_by_hand(&cluster, "disabled").await;
    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 2, "changes pending: {plan:?}");
    let (run, report, operations) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        mutating(&operations),
        ["UpdateCluster"],
        "the record already says enhanced: {operations:?}"
    );
    let corrected = event_for(&report, "DriftCorrected", &object);
    assert!(
        corrected["message"]
            .as_str()
            .is_some_and(|m| m.contains("changed outside mooring")),
        "{corrected:#}"
    );
    assert_eq!(insights_of(&cluster).await.0.as_deref(), Some("enhanced"));
    assert_converged(&path).await;

    // A new declaration is DesiredChanged, and the record follows it.
    let changed = DesiredFile::write(
        "stack.yaml",
        &yaml.replace("containerInsights: enhanced", "containerInsights: enabled"),
    );
    let report = apply(&changed.path.to_string_lossy()).await;
    event_for(&report, "DesiredChanged", &object);
    assert_eq!(
        insights_of(&cluster).await,
        (Some("enabled".into()), Some("enabled".into()))
    );
}

#[tokio::test]
async fn observe_mode_only_reports_the_difference() {
    let cluster = unique("insights-observe");
    create_cluster(&cluster, "disabled").await;
    let yaml = stack_yaml(
        &unique("ci-observe"),
        &format!("    {cluster}: {{ containerInsights: enabled, management: observe }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();

    let (run, report, operations) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "a warning does not fail apply: {run:?}");
    assert_eq!(
        mutating(&operations),
        Vec::<String>::new(),
        "{operations:?}"
    );
    let detected = event_for(&report, "DriftDetected", &format!("ecs-cluster {cluster}"));
    assert_eq!(detected["type"], "Warning");
    assert!(
        detected["message"]
            .as_str()
            .is_some_and(|m| m.contains("management is `observe`")),
        "{detected:#}"
    );
    assert_eq!(insights_of(&cluster).await, (Some("disabled".into()), None));
    let strict = mooring(&["apply", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, 3, "{strict:?}");
}

#[tokio::test]
async fn a_cluster_that_does_not_exist_is_a_warning_and_the_others_are_still_set() {
    let cluster = unique("insights-there");
    let missing = unique("insights-missing");
    create_cluster(&cluster, "disabled").await;
    let yaml = stack_yaml(
        &unique("ci-missing"),
        &format!(
            "    {missing}: {{ containerInsights: enabled }}\n    {cluster}: {{ containerInsights: enabled }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();

    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "a missing cluster is not a failure: {run:?}");
    let warning = event_for(
        &report,
        "ClusterNotFound",
        &format!("ecs-cluster {missing}"),
    );
    assert_eq!(warning["type"], "Warning");
    assert!(events(&report, "ApplyFailed").is_empty(), "{report:#}");
    assert!(events(&report, "ObserveFailed").is_empty(), "{report:#}");
    assert_eq!(insights_of(&cluster).await.0.as_deref(), Some("enabled"));
    let strict = mooring(&["plan", &path, "--fail-on-warnings"]).await;
    assert_eq!(strict.code, 3, "{strict:?}");
}

#[tokio::test]
async fn an_unknown_value_is_refused_at_its_position_before_any_aws_call() {
    let cluster = unique("insights-bad");
    let yaml = stack_yaml(
        &unique("ci-bad"),
        &format!("    {cluster}: {{ containerInsights: on }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    start_recording();
    let key = unique_access_key();
    let run = mooring_as(&key, &["validate", &path]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!("{path}:8:"))
            && run.stderr.contains("unknown containerInsights value `on`")
            && run
                .stderr
                .contains("expected `enabled`, `enhanced` or `disabled`"),
        "{run:?}"
    );
    let plan = mooring_as(&key, &["plan", &path]).await;
    assert_eq!(plan.code, 1, "{plan:?}");
    assert_eq!(operations_by(&key), Vec::<String>::new());
}

#[tokio::test]
async fn accept_keeps_a_hand_made_setting_in_the_file_and_records_it() {
    let cluster = unique("insights-accept");
    create_cluster(&cluster, "disabled").await;
    let yaml = stack_yaml(
        &unique("ci-accept"),
        &format!("    {cluster}:\n      containerInsights: enabled\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    apply(&path).await;
    set_by_hand(&cluster, "enhanced").await;

    let accept = mooring(&["accept", &path]).await;
    assert_eq!(accept.code, 0, "{accept:?}");
    let text = std::fs::read_to_string(&file.path).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text.contains("      containerInsights: enhanced\n"),
        "{text}\n{accept:?}"
    );
    assert_eq!(
        insights_of(&cluster).await,
        (Some("enhanced".into()), Some("enhanced".into())),
        "the record follows the accepted value"
    );
    assert_converged(&path).await;
}

/// UpdateCluster is paced by ECS's cluster-modify bucket: with a bucket of one token and
/// one a second (a quotas override), setting four clusters cannot take less than 3 s.
#[tokio::test(flavor = "multi_thread")]
async fn update_cluster_waits_for_cluster_modify_tokens() {
    const SLOW: &str = r#"{"families": [
      {"service": "ecs", "family": "cluster-modify", "burst": 1, "refill": 1,
       "operations": ["UpdateCluster", "UpdateClusterSettings", "PutClusterCapacityProviders"]}
    ]}"#;
    let quotas = DesiredFile::write("quotas.json", SLOW);
    let quotas_path = quotas.path.to_string_lossy().into_owned();
    let mut clusters = String::new();
    let mut names = Vec::new();
    for i in 0..4 {
        let name = unique(&format!("insights-paced{i}"));
        create_cluster(&name, "disabled").await;
        clusters.push_str(&format!("    {name}: {{ containerInsights: enabled }}\n"));
        names.push(name);
    }
    let file = DesiredFile::write("stack.yaml", &stack_yaml(&unique("ci-paced"), &clusters));
    let path = file.path.to_string_lossy().into_owned();

    let (apply, took) = crate::pacing::mooring_env(
        &[("MOORING_AWS_QUOTAS", &quotas_path)],
        &["apply", &path, "--aws-share", "1", "--output", "json"],
    )
    .await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        took >= std::time::Duration::from_secs(3),
        "4 UpdateCluster at 1/s after a burst of 1 take at least 3 s; took {took:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&apply.stdout).unwrap_or_else(|e| panic!("{e}: {apply:?}"));
    let waits = report["tokenWaits"].as_array().cloned().unwrap_or_default();
    assert!(
        waits
            .iter()
            .any(|w| w["service"] == "ecs" && w["family"] == "cluster-modify"),
        "no wait reported for ecs/cluster-modify: {waits:?}"
    );
    for name in &names {
        assert_eq!(insights_of(name).await.0.as_deref(), Some("enabled"));
    }
}
