//! Application Auto Scaling against the emulator: convergence, drift made by hand,
//! ownership (the `mooring:stack` tag on the service), observe mode, and the read
//! budget of a converged pass over 200 services.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fixtures::*;
use crate::reports::*;
use crate::scaling_by_hand::*;

fn stack_yaml(stack: &str, services: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {}\nspec:\n  account: \"{ACCOUNT}\"\n  region: {REGION}\n  timezone: Europe/Berlin\n  services:\n{services}",
        run_scoped(stack)
    )
}

/// A service scaled 1..4 on CPU with a nightly scheduled action; `extra` lines
/// (management, adopt, more policies) go under the service.
fn scaled(cluster: &str, name: &str, extra: &str) -> String {
    format!(
        "    - cluster: {cluster}\n      name: {name}\n{extra}      autoscaling:\n        min: 1\n        max: 4\n        targetTracking:\n          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: 70, scaleInCooldown: 300s, scaleOutCooldown: 60s }}\n        scheduledActions:\n          nightly: {{ schedule: \"cron(0 22 * * ? *)\", min: 1, max: 2 }}\n"
    )
}

/// `mooring <command> <path> --output json` under its own access key: the report, and
/// the operations moto recorded for that key.
#[tokio::test(flavor = "multi_thread")]
async fn the_portfolio_and_saas_examples_converge_with_their_autoscaling() {
    let _names = EXAMPLE_NAMES.lock().await;
    forget_cluster_tags(&[("portfolio-dev", REGION), ("saas-prod", "me-south-1")]).await;
    let examples = repo_root().join("desired-state/examples");
    let portfolio_cluster = unique("portfolio");
    let saas_cluster = unique("saas");
    let read = |name: &str| {
        std::fs::read_to_string(examples.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // Own clusters, so that this test never meets the other examples test's services.
    let portfolio = read("portfolio-dev.yaml").replace(
        "cluster: portfolio-dev",
        &format!("cluster: {portfolio_cluster}"),
    );
    let saas = read("saas.yaml").replace("cluster: saas-prod", &format!("cluster: {saas_cluster}"));
    let file = DesiredFile::write("portfolio-dev.yaml", &portfolio);
    std::fs::write(file.dir.join("saas.yaml"), &saas).unwrap_or_else(|e| panic!("{e}"));
    seed_services(
        REGION,
        &portfolio_cluster,
        &[("backend", 0), ("frontend", 0)],
    )
    .await;
    seed_services(
        "me-south-1",
        &saas_cluster,
        &[("saas-backend", 0), ("saas-worker", 0)],
    )
    .await;
    let path = file.dir.to_string_lossy().into_owned();

    let (apply, report, _) = run_json("apply", &path).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        !events(&report, "Created").is_empty(),
        "{:#}",
        report["events"]
    );
    assert_eq!(
        target_of(REGION, &portfolio_cluster, "backend").await,
        Some((1, 4))
    );
    assert_eq!(
        target_of(REGION, &portfolio_cluster, "frontend").await,
        Some((1, 4))
    );
    assert_eq!(
        target_of("me-south-1", &saas_cluster, "saas-backend").await,
        Some((2, 6))
    );
    assert_eq!(
        target_of("me-south-1", &saas_cluster, "saas-worker").await,
        None
    );
    assert_eq!(
        policies_of(REGION, &portfolio_cluster, "backend").await,
        BTreeMap::from([("cpu70".to_owned(), 70.0)])
    );
    let tags = service_tags(REGION, &portfolio_cluster, "backend").await;
    assert_eq!(
        tags.get("mooring:stack").map(String::as_str),
        Some("portfolio-dev")
    );
    assert_eq!(
        tags.get("mooring:autoscaling-hash").map(String::len),
        Some(64)
    );
    // The autoscaler owns the autoscaled counts; saas-worker's is mooring's.
    assert_eq!(
        desired_count("me-south-1", &saas_cluster, "saas-backend").await,
        0
    );
    assert_eq!(
        desired_count("me-south-1", &saas_cluster, "saas-worker").await,
        1
    );

    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_made_by_hand_is_corrected_with_its_diff() {
    let cluster = unique("drift-as");
    let names = ["minmax", "deleted", "target", "action"];
    seed_services(REGION, &cluster, &names.map(|n| (n, 1))).await;
    let services: String = names.iter().map(|n| scaled(&cluster, n, "")).collect();
    let file = DesiredFile::write("stack.yaml", &stack_yaml("drift-as", &services));
    let path = file.path.to_string_lossy().into_owned();
    let apply = mooring(&["apply", &path]).await;
    assert_eq!(apply.code, 0, "{apply:?}");

    register_by_hand(&cluster, "minmax", 2, 8).await;
    delete_policy_by_hand(&cluster, "deleted", "cpu70").await;
    put_cpu_policy_by_hand(&cluster, "target", "cpu70", 50.0).await;
    delete_action_by_hand(&cluster, "action", "nightly").await;

    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    let minmax = event_for(
        &report,
        "DriftCorrected",
        &format!("scalable-target {cluster}/minmax"),
    );
    assert_eq!(diff_of(minmax, "min")["before"], 2);
    assert_eq!(diff_of(minmax, "min")["after"], 1);
    assert_eq!(diff_of(minmax, "max")["before"], 8);
    assert_eq!(diff_of(minmax, "max")["after"], 4);
    let deleted = event_for(
        &report,
        "DriftCorrected",
        &format!("scaling-policy {cluster}/deleted/cpu70"),
    );
    assert_eq!(diff_of(deleted, "targetValue")["before"], Value::Null);
    assert_eq!(diff_of(deleted, "targetValue")["after"], 70.0);
    let target = event_for(
        &report,
        "DriftCorrected",
        &format!("scaling-policy {cluster}/target/cpu70"),
    );
    assert_eq!(diff_of(target, "targetValue")["before"], 50.0);
    assert_eq!(diff_of(target, "targetValue")["after"], 70.0);
    let action = event_for(
        &report,
        "DriftCorrected",
        &format!("scheduled-action {cluster}/action/nightly"),
    );
    assert_eq!(diff_of(action, "schedule")["after"], "cron(0 22 * * ? *)");
    assert!(
        events(&report, "Updated").is_empty(),
        "drift, not a new desired state"
    );

    assert_eq!(target_of(REGION, &cluster, "minmax").await, Some((1, 4)));
    assert_eq!(
        policies_of(REGION, &cluster, "deleted").await["cpu70"],
        70.0
    );
    assert_eq!(policies_of(REGION, &cluster, "target").await["cpu70"], 70.0);
    assert_eq!(actions_of(REGION, &cluster, "action").await, ["nightly"]);
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_autoscaled_services_count_is_left_to_the_autoscaler() {
    let cluster = unique("count-as");
    seed_services(REGION, &cluster, &[("api", 1)]).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml(
            "count-as",
            &scaled(&cluster, "api", "      desiredCount: 2\n"),
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    assert_eq!(mooring(&["apply", &path]).await.code, 0);
    // The autoscaler scales out.
    scale_behind_moorings_back(REGION, &cluster, "api", 3).await;
    assert_converged(&path).await;
    assert_eq!(desired_count(REGION, &cluster, "api").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observe_mode_service_is_reported_and_untouched() {
    let cluster = unique("observe-as");
    seed_services(REGION, &cluster, &[("api", 1)]).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml("observe-as", &scaled(&cluster, "api", "")),
    );
    let path = file.path.to_string_lossy().into_owned();
    assert_eq!(mooring(&["apply", &path]).await.code, 0);
    register_by_hand(&cluster, "api", 3, 4).await;
    delete_policy_by_hand(&cluster, "api", "cpu70").await;
    std::fs::write(
        &file.path,
        stack_yaml(
            "observe-as",
            &scaled(&cluster, "api", "      management: observe\n"),
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let (run, report, operations) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "warnings do not fail a pass: {run:?}");
    assert_eq!(
        mutating(&operations),
        Vec::<String>::new(),
        "{operations:?}"
    );
    let target = event_for(
        &report,
        "DriftDetected",
        &format!("scalable-target {cluster}/api"),
    );
    assert_eq!(target["type"], "Warning");
    assert_eq!(diff_of(target, "min")["before"], 3);
    event_for(
        &report,
        "DriftDetected",
        &format!("scaling-policy {cluster}/api/cpu70"),
    );
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((3, 4)));
    assert!(policies_of(REGION, &cluster, "api").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_policy_is_deleted_only_from_a_target_mooring_owns() {
    let cluster = unique("prune-as");
    seed_services(REGION, &cluster, &[("owned", 1), ("foreign", 1)]).await;
    let with_memory = "      autoscaling:\n        min: 1\n        max: 4\n        targetTracking:\n          cpu70: { metric: ECSServiceAverageCPUUtilization, target: 70, scaleInCooldown: 300s, scaleOutCooldown: 60s }\n          mem80: { metric: ECSServiceAverageMemoryUtilization, target: 80 }\n        scheduledActions:\n          nightly: { schedule: \"cron(0 22 * * ? *)\", min: 1, max: 2 }\n";
    let owned_with_memory = format!("    - cluster: {cluster}\n      name: owned\n{with_memory}");
    let file = DesiredFile::write("stack.yaml", &stack_yaml("prune-as", &owned_with_memory));
    let path = file.path.to_string_lossy().into_owned();
    assert_eq!(mooring(&["apply", &path]).await.code, 0);
    assert_eq!(policies_of(REGION, &cluster, "owned").await.len(), 2);

    // A target someone else registered, with a policy the desired state does not name.
    register_by_hand(&cluster, "foreign", 1, 4).await;
    put_cpu_policy_by_hand(&cluster, "foreign", "legacy", 40.0).await;

    // mem80 leaves the desired state; foreign is declared without adopt.
    let services = format!(
        "{}{}",
        scaled(&cluster, "owned", ""),
        scaled(&cluster, "foreign", "")
    );
    std::fs::write(&file.path, stack_yaml("prune-as", &services)).unwrap_or_else(|e| panic!("{e}"));
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    event_for(
        &report,
        "Pruned",
        &format!("scaling-policy {cluster}/owned/mem80"),
    );
    let not_owned = event_for(
        &report,
        "NotOwned",
        &format!("scalable-target {cluster}/foreign"),
    );
    assert_eq!(not_owned["type"], "Warning");
    assert!(
        not_owned["message"]
            .as_str()
            .unwrap_or_default()
            .contains("adopt: true"),
        "{not_owned:#}"
    );
    assert!(!report["events"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["phase"] == "applied"
            && e["object"]
                .as_str()
                .unwrap_or_default()
                .contains("/foreign")));
    assert_eq!(
        policies_of(REGION, &cluster, "owned")
            .await
            .keys()
            .collect::<Vec<_>>(),
        ["cpu70"]
    );
    assert_eq!(
        policies_of(REGION, &cluster, "foreign").await,
        BTreeMap::from([("legacy".to_owned(), 40.0)])
    );
    assert!(service_tags(REGION, &cluster, "foreign").await.is_empty());

    // adopt: true takes it over: tagged, reconciled, the stray policy pruned.
    let services = format!(
        "{}{}",
        scaled(&cluster, "owned", ""),
        scaled(&cluster, "foreign", "      adopt: true\n")
    );
    std::fs::write(&file.path, stack_yaml("prune-as", &services)).unwrap_or_else(|e| panic!("{e}"));
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    event_for(
        &report,
        "Adopted",
        &format!("ecs-service {cluster}/foreign"),
    );
    event_for(
        &report,
        "Pruned",
        &format!("scaling-policy {cluster}/foreign/legacy"),
    );
    assert_eq!(
        service_tags(REGION, &cluster, "foreign")
            .await
            .get("mooring:stack")
            .map(String::as_str),
        Some(run_scoped("prune-as").as_str())
    );
    assert_eq!(
        policies_of(REGION, &cluster, "foreign").await,
        BTreeMap::from([("cpu70".to_owned(), 70.0)])
    );
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_registered_outside_mooring_is_reported_and_its_count_not_fought() {
    let cluster = unique("elsewhere");
    seed_services(REGION, &cluster, &[("web", 5)]).await;
    register_by_hand(&cluster, "web", 1, 10).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml(
            "elsewhere",
            &format!("    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n"),
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    for _ in 0..2 {
        let (run, report, operations) = run_json("apply", &path).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            mutating(&operations),
            Vec::<String>::new(),
            "{operations:?}"
        );
        let warning = event_for(
            &report,
            "ManagedElsewhere",
            &format!("scalable-target {cluster}/web"),
        );
        assert_eq!(warning["type"], "Warning");
        assert_eq!(desired_count(REGION, &cluster, "web").await, 5);
    }
    assert_eq!(target_of(REGION, &cluster, "web").await, Some((1, 10)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_converged_pass_over_200_autoscaled_services_reads_in_batches_only() {
    const N: usize = 200;
    // A region no other test uses, so that the namespace holds (nearly) only these.
    let region = "ap-southeast-2";
    let cluster = unique("fleet");
    let names: Vec<String> = (0..N).map(|i| format!("svc-{i:03}")).collect();
    let seeded: Vec<(&str, i32)> = names.iter().map(|n| (n.as_str(), 1)).collect();
    seed_services(region, &cluster, &seeded).await;
    let services: String = names.iter().map(|n| scaled(&cluster, n, "")).collect();
    let yaml = stack_yaml("fleet", &services)
        .replace(&format!("region: {REGION}"), &format!("region: {region}"));
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();

    let first = mooring(&["apply", &path, "--concurrency", "16"]).await;
    assert_eq!(first.code, 0, "{first:?}");

    let (run, report, operations) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        mutating(&operations),
        Vec::<String>::new(),
        "by moto's recording"
    );
    assert_eq!(
        writes(&report),
        Vec::<String>::new(),
        "by mooring's counters"
    );
    let made = calls(&report);
    let (policies, actions) = namespace_size(region).await;
    let clusters = ecs(region)
        .await
        .list_clusters()
        .send()
        .await
        .map_or(0, |o| o.cluster_arns().len());
    assert!(
        policies >= N && actions >= N,
        "{policies} policies, {actions} actions"
    );
    // The batched minimum for N services in one cluster; policies and actions are paged
    // namespace-wide, 50 a page (see aws/autoscaling/mod.rs). On a fresh emulator the
    // namespace holds exactly these N, so those bounds are ceil(N / 50) too.
    let bounds = BTreeMap::from([
        ("DescribeServices", N.div_ceil(10)),
        // The cluster listed for services that left the desired state (100 a page);
        // every listed service is declared, so none is described again.
        ("ListServices", N.div_ceil(100)),
        ("DescribeScalableTargets", N.div_ceil(50)),
        // The region's clusters, 100 a call, for those tagged for the stack (release).
        ("ListClusters", clusters.div_ceil(100).max(1)),
        ("DescribeClusters", clusters.div_ceil(100).max(1)),
        ("DescribeScalingPolicies", policies.div_ceil(50)),
        ("DescribeScheduledActions", actions.div_ceil(50)),
        // The account guard: the stack names its account (one question per process).
        ("GetCallerIdentity", 1),
    ]);
    eprintln!("200 services, converged pass: calls {made:?}, bounds {bounds:?}");
    for (operation, count) in &made {
        let bound = bounds
            .get(operation.as_str())
            .unwrap_or_else(|| panic!("unexpected operation {operation}: {made:?}"));
        assert!(
            usize::try_from(*count).unwrap_or(usize::MAX) <= *bound,
            "{operation}: {count} requests, the batched minimum is {bound}"
        );
    }
    assert_eq!(made.get("DescribeServices"), Some(&20));
    assert_eq!(made.get("DescribeScalableTargets"), Some(&4));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_action_then_the_whole_autoscaling_removed_from_the_desired_state_are_removed()
{
    let cluster = unique("unscale");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let file = DesiredFile::write(
        "stack.yaml",
        &stack_yaml("unscale", &scaled(&cluster, "web", "")),
    );
    let path = file.path.to_string_lossy().into_owned();
    assert_eq!(mooring(&["apply", &path]).await.code, 0);
    assert_eq!(actions_of(REGION, &cluster, "web").await, ["nightly"]);

    // The nightly scale-down is no longer wanted: the action goes, the target stays.
    let without_action = format!(
        "    - cluster: {cluster}\n      name: web\n      autoscaling:\n        min: 1\n        max: 4\n        targetTracking:\n          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: 70, scaleInCooldown: 300s, scaleOutCooldown: 60s }}\n"
    );
    std::fs::write(&file.path, stack_yaml("unscale", &without_action))
        .unwrap_or_else(|e| panic!("{e}"));
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    event_for(
        &report,
        "Pruned",
        &format!("scheduled-action {cluster}/web/nightly"),
    );
    assert!(actions_of(REGION, &cluster, "web").await.is_empty());
    assert_eq!(target_of(REGION, &cluster, "web").await, Some((1, 4)));

    // Autoscaling dropped for a fixed count: the target is deregistered, the digest
    // removed (the service stays this stack's), and the count is mooring's to set again.
    let fixed = format!("    - cluster: {cluster}\n      name: web\n      desiredCount: 2\n");
    std::fs::write(&file.path, stack_yaml("unscale", &fixed)).unwrap_or_else(|e| panic!("{e}"));
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    event_for(&report, "Pruned", &format!("scalable-target {cluster}/web"));
    assert_eq!(target_of(REGION, &cluster, "web").await, None);
    let tags = service_tags(REGION, &cluster, "web").await;
    assert!(!tags.contains_key("mooring:autoscaling-hash"), "{tags:?}");
    assert_eq!(tags["mooring:stack"], run_scoped("unscale"), "{tags:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    assert_converged(&path).await;
}
