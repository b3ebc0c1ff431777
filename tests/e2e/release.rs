//! Release: what leaves the desired state is handed back, not frozen. A sleeping service
//! removed from its stack's file is woken at its wake count with its autoscaling
//! unfrozen and mooring's tags removed; `mooring release STACK` does the same for a whole
//! stack whose file is gone; services tagged by a stack no loaded file declares are
//! reported; an empty desired state releases nothing; a release killed half-way is
//! finished by the next run.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::types::ServiceNamespace;

use crate::alarms::alarm_names;
use crate::fixtures::*;
use crate::reports::*;
use crate::scaling_by_hand::{policies_of, resource_id, target_of, REGION};

/// Night in Berlin (a weekday, 23:00 CET): the `office` schedule says asleep.
const NIGHT: &str = "2026-03-04T22:00:00Z";

fn header(stack: &str) -> String {
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
"#
    )
}

fn plain(cluster: &str, name: &str, count: u32, alarm: Option<&str>) -> String {
    let mut yaml = format!(
        "    - cluster: {cluster}\n      name: {name}\n      desiredCount: {count}\n      offHours: {{ schedule: office }}\n"
    );
    if let Some(alarm) = alarm {
        yaml.push_str(&format!(
            "      alarms:\n        {alarm}: {{ metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 3, threshold: 80, comparison: \">\" }}\n"
        ));
    }
    yaml
}

fn scaled(cluster: &str, name: &str, alarm: &str) -> String {
    format!(
        r#"    - cluster: {cluster}
      name: {name}
      autoscaling:
        min: 1
        max: 4
        targetTracking:
          cpu70: {{ metric: ECSServiceAverageCPUUtilization, target: 70 }}
      offHours: {{ schedule: office, desiredCount: 0 }}
      alarms:
        {alarm}: {{ metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 3, threshold: 90, comparison: ">" }}
"#
    )
}

async fn at(command: &str, path: &str, now: &str, expected: i32) -> Run {
    let run = mooring(&[command, path, "--now", now]).await;
    assert_eq!(run.code, expected, "{command} at {now}: {run:?}");
    run
}

/// `command PATH --now NOW --output json`, with the expected exit code: the report.
async fn json_at(command: &str, path: &str, now: &str, expected: i32) -> serde_json::Value {
    let run = mooring(&[command, path, "--now", now, "--output", "json"]).await;
    assert_eq!(run.code, expected, "{command} at {now}: {run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

fn mooring_tags(tags: &BTreeMap<String, String>) -> Vec<&String> {
    tags.keys().filter(|k| k.starts_with("mooring:")).collect()
}

/// (dynamic in, dynamic out, scheduled) suspended flags of the service's target.
async fn suspended(cluster: &str, service: &str) -> (bool, bool, bool) {
    let id = resource_id(cluster, service);
    let output = autoscaling(REGION)
        .await
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing target {id}: {e:?}"));
    let target = output
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == id)
        .unwrap_or_else(|| panic!("no target for {id}"));
    let state = target.suspended_state();
    (
        state.and_then(|s| s.dynamic_scaling_in_suspended()) == Some(true),
        state.and_then(|s| s.dynamic_scaling_out_suspended()) == Some(true),
        state.and_then(|s| s.scheduled_scaling_suspended()) == Some(true),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sleeping_service_removed_from_the_file_is_released_by_the_next_pass() {
    let cluster = unique("release");
    let prefix = unique("rel");
    let stack = unique("shop");
    seed_services(REGION, &cluster, &[("web", 2), ("api", 3), ("keep", 1)]).await;
    let (api_alarm, keep_alarm) = (format!("{prefix}-api-cpu"), format!("{prefix}-keep-cpu"));
    let full = format!(
        "{}  services:\n{}{}{}",
        header(&stack),
        plain(&cluster, "web", 2, None),
        scaled(&cluster, "api", &api_alarm),
        plain(&cluster, "keep", 1, Some(&keep_alarm)),
    );
    let file = DesiredFile::write("shop.yaml", &full);
    let path = file.path.to_string_lossy().into_owned();

    at("apply", &path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(desired_count(REGION, &cluster, "api").await, 0);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((0, 0)));
    let api_tags = service_tags(REGION, &cluster, "api").await;
    assert_eq!(api_tags["mooring:stack"], stack);
    assert_eq!(api_tags["mooring:wake-count"], "3");
    assert_eq!(api_tags["mooring:wake-range"], "1-4");
    // The plain service is claimed too: without the tag nothing would say whose it is.
    assert_eq!(
        service_tags(REGION, &cluster, "web").await["mooring:stack"],
        stack
    );
    assert_eq!(
        alarm_names(REGION, &api_alarm).await,
        vec![api_alarm.clone()]
    );

    // web and api leave the file; it is still night.
    let kept = format!(
        "{}  services:\n{}",
        header(&stack),
        plain(&cluster, "keep", 1, Some(&keep_alarm)),
    );
    std::fs::write(&file.path, kept).unwrap_or_else(|e| panic!("{e}"));
    let plan = json_at("plan", &path, NIGHT, 2).await;
    // api: its policy, its target, its count, its tags; web: its count, its tags.
    assert_eq!(events(&plan, "Released").len(), 6, "{:#}", plan["events"]);
    event_for(&plan, "Pruned", &format!("alarm {api_alarm}"));
    assert_eq!(
        desired_count(REGION, &cluster, "api").await,
        0,
        "plan changes nothing"
    );

    let released = json_at("apply", &path, NIGHT, 0).await;
    assert!(
        !events(&released, "Released").is_empty(),
        "{:#}",
        released["events"]
    );
    // api: awake at its wake count, range unfrozen, scaling resumed, policies gone.
    assert_eq!(desired_count(REGION, &cluster, "api").await, 3);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((1, 4)));
    assert_eq!(suspended(&cluster, "api").await, (false, false, false));
    assert!(policies_of(REGION, &cluster, "api").await.is_empty());
    // web (plain count): woken at its wake count.
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    for service in ["api", "web"] {
        let tags = service_tags(REGION, &cluster, service).await;
        assert!(mooring_tags(&tags).is_empty(), "{service}: {tags:?}");
    }
    // The alarm declared under api left with it and was this stack's: pruned.
    assert!(alarm_names(REGION, &api_alarm).await.is_empty());
    assert_eq!(
        alarm_names(REGION, &keep_alarm).await,
        vec![keep_alarm.clone()]
    );
    // keep stays asleep and mooring's.
    assert_eq!(desired_count(REGION, &cluster, "keep").await, 0);

    // Released means no longer mooring's: nothing more to do.
    at("plan", &path, NIGHT, 0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mooring_release_hands_back_a_whole_stack_and_plan_names_the_command() {
    let cluster = unique("gone");
    let prefix = unique("gone");
    let gone = unique("gone");
    let stays = unique("stays");
    seed_services(REGION, &cluster, &[("web", 2), ("other", 1)]).await;
    let alarm = format!("{prefix}-web-cpu");
    let topic = format!("{prefix}-alerts");
    let gone_yaml = format!(
        "{}  topics:\n    {topic}: {{}}\n  services:\n{}",
        header(&gone),
        plain(&cluster, "web", 2, Some(&alarm)),
    );
    let gone_file = DesiredFile::write("gone.yaml", &gone_yaml);
    let gone_path = gone_file.path.to_string_lossy().into_owned();
    at("apply", &gone_path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(alarm_names(REGION, &alarm).await, vec![alarm.clone()]);

    // The stack's file is deleted; another stack reads the same cluster.
    drop(gone_file);
    let stays_yaml = format!(
        "{}  services:\n    - cluster: {cluster}\n      name: other\n      desiredCount: 1\n",
        header(&stays)
    );
    let stays_file = DesiredFile::write("stays.yaml", &stays_yaml);
    let stays_path = stays_file.path.to_string_lossy().into_owned();
    at("apply", &stays_path, NIGHT, 0).await;
    let command = format!("mooring release {gone} --region {REGION} --cluster {cluster}");
    let (run, report, _) = run_json("plan", &stays_path).await;
    assert_eq!(run.code, 0, "warnings do not change the exit code: {run:?}");
    let warning = event_for(&report, "NotOwned", &format!("ecs-service {cluster}/web"));
    let message = warning["message"].as_str().unwrap_or_default();
    assert!(message.contains(&command), "{message}");
    // Nothing was released by the other stack's pass.
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);

    // Refused while a given desired state still declares the stack.
    let refused = mooring(&["release", &stays, &stays_path, "--cluster", &cluster]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("still declared"), "{refused:?}");

    // Without --confirm: the plan, nothing changed, exit 2.
    let args = [
        "release",
        &gone,
        &stays_path,
        "--region",
        REGION,
        "--cluster",
        &cluster,
    ];
    let planned = mooring(&args).await;
    assert_eq!(planned.code, 2, "{planned:?}");
    assert!(planned.stdout.contains("--confirm"), "{planned:?}");
    let mut as_json = args.to_vec();
    as_json.extend(["--output", "json"]);
    let planned = mooring(&as_json).await;
    assert_eq!(planned.code, 2, "{planned:?}");
    let report: serde_json::Value =
        serde_json::from_str(&planned.stdout).unwrap_or_else(|e| panic!("{e}: {planned:?}"));
    // The service's count and tags, then its alarm and the stack's topic.
    assert_eq!(
        events(&report, "Released").len(),
        2,
        "{:#}",
        report["events"]
    );
    assert_eq!(events(&report, "Pruned").len(), 2, "{:#}", report["events"]);
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(alarm_names(REGION, &alarm).await, vec![alarm.clone()]);

    // The same plan with region and clusters taken from the stack's last file.
    let last = DesiredFile::write("last-gone.yaml", &gone_yaml);
    let last_path = last.path.to_string_lossy().into_owned();
    let from = mooring(&["release", &gone, "--from", &last_path, "--output", "json"]).await;
    assert_eq!(from.code, 2, "{from:?}");
    let from: serde_json::Value =
        serde_json::from_str(&from.stdout).unwrap_or_else(|e| panic!("{e}: {}", from.stdout));
    assert_eq!(events(&from, "Released").len(), 2, "{:#}", from["events"]);
    let mut confirmed = args.to_vec();
    confirmed.push("--confirm");
    let applied = mooring(&confirmed).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    assert_eq!(desired_count(REGION, &cluster, "web").await, 2);
    let tags = service_tags(REGION, &cluster, "web").await;
    assert!(mooring_tags(&tags).is_empty(), "{tags:?}");
    // The stack's alarm and topic went with it (under the prune cap).
    assert!(alarm_names(REGION, &alarm).await.is_empty());
    let topics = sns(REGION)
        .await
        .list_topics()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        !topics.topics().iter().any(|t| t
            .topic_arn()
            .is_some_and(|a| a.ends_with(&format!(":{topic}")))),
        "topic {topic} pruned"
    );
    // The other stack's service is untouched, and the warning is gone.
    assert_eq!(
        service_tags(REGION, &cluster, "other").await["mooring:stack"],
        stays
    );
    let (run, report, _) = run_json("plan", &stays_path).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        events(&report, "NotOwned").is_empty(),
        "{:#}",
        report["events"]
    );
    // The cluster still carries the stack's tag (written with its first claim): the run
    // that finds none of its services left removes it, then nothing is left.
    assert!(cluster_tags(&cluster)
        .await
        .contains_key(&format!("mooring:stack:{gone}")));
    let cluster_left = mooring(&args).await;
    assert_eq!(cluster_left.code, 2, "the cluster's tag: {cluster_left:?}");
    assert_eq!(mooring(&confirmed).await.code, 0);
    assert!(!cluster_tags(&cluster)
        .await
        .contains_key(&format!("mooring:stack:{gone}")));
    assert!(cluster_tags(&cluster)
        .await
        .contains_key(&format!("mooring:stack:{stays}")));
    let again = mooring(&args).await;
    assert_eq!(again.code, 0, "nothing left to release: {again:?}");
}

/// The tags of an ECS cluster.
async fn cluster_tags(cluster: &str) -> BTreeMap<String, String> {
    let output = ecs(REGION)
        .await
        .describe_clusters()
        .clusters(cluster)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describing cluster {cluster}: {e:?}"));
    output
        .clusters()
        .first()
        .unwrap_or_else(|| panic!("no cluster {cluster}"))
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

/// Issue 15: a sleeping service that was its stack's only one in its cluster, removed
/// from the file. The stack no longer names the cluster; the cluster's stack tag is what
/// leads the next pass there.
#[tokio::test(flavor = "multi_thread")]
async fn a_sleeping_service_alone_in_its_cluster_is_released_once_removed() {
    let alone = unique("alone");
    let other = unique("other");
    let prefix = unique("alone");
    let stack = unique("alone");
    let tag = format!("mooring:stack:{stack}");
    seed_services(REGION, &alone, &[("app", 3)]).await;
    seed_services(REGION, &other, &[("keep", 1)]).await;
    let kept = plain(&other, "keep", 1, None);
    let full = format!(
        "{}  services:\n{}{kept}",
        header(&stack),
        scaled(&alone, "app", &format!("{prefix}-app-cpu")),
    );
    let file = DesiredFile::write("alone.yaml", &full);
    let path = file.path.to_string_lossy().into_owned();
    at("apply", &path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &alone, "app").await, 0);
    assert_eq!(target_of(REGION, &alone, "app").await, Some((0, 0)));
    assert_eq!(
        cluster_tags(&alone).await.get(&tag).map(String::as_str),
        Some("managed")
    );
    assert!(cluster_tags(&other).await.contains_key(&tag));

    // app leaves the file while asleep: nothing in it names its cluster any more.
    std::fs::write(&file.path, format!("{}  services:\n{kept}", header(&stack)))
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = json_at("plan", &path, NIGHT, 2).await;
    // Its policy, its target, its count, its tags.
    assert_eq!(events(&plan, "Released").len(), 4, "{:#}", plan["events"]);
    at("apply", &path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &alone, "app").await, 3);
    assert_eq!(target_of(REGION, &alone, "app").await, Some((1, 4)));
    assert_eq!(suspended(&alone, "app").await, (false, false, false));
    assert!(policies_of(REGION, &alone, "app").await.is_empty());
    let tags = service_tags(REGION, &alone, "app").await;
    assert!(mooring_tags(&tags).is_empty(), "{tags:?}");
    // The cluster's tag outlives the service it led to: removed by the next pass.
    assert!(cluster_tags(&alone).await.contains_key(&tag));
    let cluster_left = json_at("apply", &path, NIGHT, 0).await;
    event_for(&cluster_left, "Released", &format!("ecs-cluster {alone}"));
    assert!(!cluster_tags(&alone).await.contains_key(&tag));
    assert!(cluster_tags(&other).await.contains_key(&tag), "still named");
    at("plan", &path, NIGHT, 0).await;
}

/// `mooring release STACK` without `--cluster` or `--from`: the clusters are found by
/// the stack's tag on them.
#[tokio::test(flavor = "multi_thread")]
async fn mooring_release_without_clusters_finds_them_by_their_tag() {
    let cluster = unique("found");
    let stack = unique("found");
    seed_services(REGION, &cluster, &[("solo", 2)]).await;
    let file = DesiredFile::write(
        "found.yaml",
        &format!(
            "{}  services:\n{}",
            header(&stack),
            plain(&cluster, "solo", 2, None)
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    at("apply", &path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &cluster, "solo").await, 0);
    drop(file);

    let args = ["release", &stack, "--region", REGION];
    let planned = mooring(&args).await;
    assert_eq!(planned.code, 2, "{planned:?}");
    assert_eq!(desired_count(REGION, &cluster, "solo").await, 0);
    let mut confirmed = args.to_vec();
    confirmed.push("--confirm");
    assert_eq!(mooring(&confirmed).await.code, 0);
    assert_eq!(desired_count(REGION, &cluster, "solo").await, 2);
    let tags = service_tags(REGION, &cluster, "solo").await;
    assert!(mooring_tags(&tags).is_empty(), "{tags:?}");
    // Then the cluster's tag, then nothing.
    assert_eq!(mooring(&confirmed).await.code, 0);
    assert!(!cluster_tags(&cluster)
        .await
        .contains_key(&format!("mooring:stack:{stack}")));
    let again = mooring(&args).await;
    assert_eq!(again.code, 0, "nothing left to release: {again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_desired_state_never_releases_anything() {
    let cluster = unique("empty");
    let stack = unique("empty");
    seed_services(REGION, &cluster, &[("web", 2)]).await;
    let file = DesiredFile::write(
        "shop.yaml",
        &format!(
            "{}  services:\n{}",
            header(&stack),
            plain(&cluster, "web", 2, None)
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    at("apply", &path, NIGHT, 0).await;
    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    let before = service_tags(REGION, &cluster, "web").await;

    // The stack emptied of services, then a folder with no file at all.
    std::fs::write(&file.path, format!("{}  services: []\n", header(&stack)))
        .unwrap_or_else(|e| panic!("{e}"));
    let emptied = mooring(&["apply", &path, "--now", NIGHT]).await;
    assert!(!emptied.stdout.contains("Released"), "{emptied:?}");
    std::fs::remove_file(&file.path).unwrap_or_else(|e| panic!("{e}"));
    let dir = file.dir.to_string_lossy().into_owned();
    let nothing = mooring(&["apply", &dir, "--now", NIGHT]).await;
    assert!(!nothing.stdout.contains("Released"), "{nothing:?}");

    assert_eq!(desired_count(REGION, &cluster, "web").await, 0);
    assert_eq!(service_tags(REGION, &cluster, "web").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typo_in_a_service_name_gets_the_nearest_real_name() {
    let cluster = unique("typo");
    let stack = unique("typo");
    seed_services(REGION, &cluster, &[("worker", 1), ("web", 1)]).await;
    let file = DesiredFile::write(
        "typo.yaml",
        &format!(
            "{}  services:\n    - cluster: {cluster}\n      name: wroker\n      desiredCount: 1\n",
            header(&stack)
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    let (run, report, _) = run_json("plan", &path).await;
    assert_eq!(run.code, 0, "{run:?}");
    let warning = event_for(
        &report,
        "ServiceNotFound",
        &format!("ecs-service {cluster}/wroker"),
    );
    let message = warning["message"].as_str().unwrap_or_default();
    assert!(message.contains("did you mean `worker`?"), "{message}");
}

/// kill -9 as soon as the release's first scalable target is unfrozen (its second write
/// on a service); the next pass finishes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_release_killed_mid_way_is_finished_by_the_next_pass() {
    let cluster = unique("crash");
    let prefix = unique("crash");
    let stack = unique("crash");
    let names = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"];
    let seeds: Vec<(&str, i32)> = names.iter().map(|n| (*n, 2)).collect();
    seed_services(REGION, &cluster, &seeds).await;
    let mut services = String::new();
    for name in names {
        services.push_str(&scaled(&cluster, name, &format!("{prefix}-{name}-cpu")));
    }
    let file = DesiredFile::write(
        "crash.yaml",
        &format!("{}  services:\n{services}", header(&stack)),
    );
    let path = file.path.to_string_lossy().into_owned();
    at("apply", &path, NIGHT, 0).await;
    for name in names {
        assert_eq!(desired_count(REGION, &cluster, name).await, 0);
    }
    // Every service leaves the file but one, so the stack still names the cluster.
    let keep = scaled(&cluster, "s1", &format!("{prefix}-s1-cpu"));
    std::fs::write(&file.path, format!("{}  services:\n{keep}", header(&stack)))
        .unwrap_or_else(|e| panic!("{e}"));

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mooring"))
        .args(["apply", &path, "--now", NIGHT, "--concurrency", "1"])
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Watched in the account itself (one cheap read a turn, unlike moto's recording,
    // which grows with every test): the first scalable target unfrozen is the release's
    // second write on a service (its policy went first).
    let ids: Vec<String> = names[1..]
        .iter()
        .map(|n| resource_id(&cluster, n))
        .collect();
    let client = autoscaling(REGION).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut killed_after = None;
    while tokio::time::Instant::now() < deadline {
        let targets = client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .set_resource_ids(Some(ids.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let unfrozen: Vec<String> = targets
            .scalable_targets()
            .iter()
            .filter(|t| t.max_capacity() > 0)
            .map(|t| t.resource_id().to_owned())
            .collect();
        if !unfrozen.is_empty() {
            // SIGKILL: no cleanup, no grace.
            let _ = child.start_kill();
            killed_after = Some(unfrozen);
            break;
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let _ = tokio::time::timeout(WAIT, child.wait()).await;
    let writes =
        killed_after.unwrap_or_else(|| panic!("mooring ended before a target was unfrozen"));
    eprintln!("killed once unfrozen: {writes:?}");
    let mut unfinished = 0;
    for name in &names[1..] {
        if service_tags(REGION, &cluster, name)
            .await
            .contains_key("mooring:stack")
        {
            unfinished += 1;
        }
    }
    assert!(
        unfinished > 0,
        "the kill came after the whole release: {writes:?}"
    );

    at("apply", &path, NIGHT, 0).await;
    for name in &names[1..] {
        assert_eq!(desired_count(REGION, &cluster, name).await, 2, "{name}");
        assert_eq!(
            target_of(REGION, &cluster, name).await,
            Some((1, 4)),
            "{name}"
        );
        assert_eq!(
            suspended(&cluster, name).await,
            (false, false, false),
            "{name}"
        );
        let tags = service_tags(REGION, &cluster, name).await;
        assert!(mooring_tags(&tags).is_empty(), "{name}: {tags:?}");
    }
    at("plan", &path, NIGHT, 0).await;
}
