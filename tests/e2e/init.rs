//! `mooring init` against the emulator: the round trip (an account built from each
//! example, init, then `validate` passes and `plan` shows nothing but adoption; `apply`
//! then `plan`: converged), several clusters, an alarm prefix, a topic outside the
//! file, Application Auto Scaling's own alarms left out, a secret withheld, bad input.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, PolicyType, ScalableDimension, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};

use crate::fixtures::*;
use crate::plan_golden::names::{token, with_token};
use crate::scaling_by_hand::{put_cpu_policy_by_hand, register_by_hand, resource_id};

/// Runs `mooring init` writing to `out`; panics with its output unless it exits 0.
async fn init_to(out: &Path, args: &[&str]) -> Run {
    let out = out.to_string_lossy().into_owned();
    let mut all = vec!["init", "-o", out.as_str()];
    all.extend_from_slice(args);
    let run = mooring(&all).await;
    assert_eq!(run.code, 0, "mooring {all:?}: {run:?}");
    run
}

/// The changes of `mooring plan --output json` as (reason, resource) pairs.
async fn planned(path: &Path) -> (i32, Vec<(String, String)>, Value) {
    let path = path.to_string_lossy().into_owned();
    let run = mooring(&["plan", &path, "--output", "json"]).await;
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("plan --output json is not JSON ({e}): {run:?}"));
    let changes = report["plan"]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["reason"].as_str().unwrap_or_default().to_owned(),
                format!("{} {}", c["resource"], c["summary"]),
            )
        })
        .collect();
    (run.code, changes, report)
}

/// The clusters and region of a loaded example.
fn clusters_of(stack: &desired_state::Stack) -> Vec<String> {
    let clusters: BTreeSet<String> = stack.services.iter().map(|s| s.cluster.clone()).collect();
    clusters.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_of_each_examples_account_plans_no_change() {
    let examples = repo_root().join("desired-state/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for example in paths {
        let token = token();
        let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
        let file = DesiredFile::write("built.yaml", &with_token(&yaml, &token));
        let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
        let stack = &desired.stacks[0];
        let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
        for service in &stack.services {
            seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
        // The account, built by mooring from the example.
        let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
        assert!(built.code == 0 || built.code == 1, "{example:?}: {built:?}");

        let out = file.dir.join("init.yaml");
        let mut args = vec!["--region", region.as_str(), "--stack", stack.name.as_str()];
        let clusters = clusters_of(stack);
        for cluster in &clusters {
            args.extend(["--cluster", cluster.as_str()]);
        }
        init_to(&out, &args).await;
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let validate = mooring(&["validate", &out.to_string_lossy()]).await;
        assert_eq!(validate.code, 0, "{example:?}:\n{written}\n{validate:?}");
        let (code, changes, report) = planned(&out).await;
        assert!(
            changes.is_empty() && code == 0,
            "{example:?}: init of the account mooring built plans changes:\n{written}\n{changes:#?}\n{report:#}"
        );
        let applied = mooring(&["apply", &out.to_string_lossy()]).await;
        assert_eq!(applied.code, 0, "{example:?}: {applied:?}");
        let (code, changes, _) = planned(&out).await;
        assert!(changes.is_empty() && code == 0, "{example:?}: {changes:#?}");
    }
}

/// A step-scaling policy made by hand; returns its ARN.
async fn put_step_policy_by_hand(cluster: &str, service: &str, name: &str) -> String {
    let config = StepScalingPolicyConfiguration::builder()
        .adjustment_type(AdjustmentType::ChangeInCapacity)
        .cooldown(60)
        .step_adjustments(
            StepAdjustment::builder()
                .metric_interval_lower_bound(0.0)
                .scaling_adjustment(2)
                .build()
                .unwrap_or_else(|e| panic!("{e:?}")),
        )
        .build();
    autoscaling("us-east-1")
        .await
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .policy_type(PolicyType::StepScaling)
        .step_scaling_policy_configuration(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting policy {name}: {e:?}"))
        .policy_arn()
        .to_owned()
}

/// A topic made by hand with its subscriptions (protocol, endpoint); returns its ARN.
async fn topic_by_hand(name: &str, subscriptions: &[(&str, &str)]) -> String {
    let client = sns("us-east-1").await;
    let arn = client
        .create_topic()
        .name(name)
        .attributes("DisplayName", "Made by hand")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating topic {name}: {e:?}"))
        .topic_arn()
        .unwrap_or_default()
        .to_owned();
    for (protocol, endpoint) in subscriptions {
        client
            .subscribe()
            .topic_arn(&arn)
            .protocol(*protocol)
            .endpoint(*endpoint)
            .send()
            .await
            .unwrap_or_else(|e| panic!("subscribing {endpoint}: {e:?}"));
    }
    arn
}

/// A metric alarm on a service's ECS dimensions made by hand, with ALARM actions.
async fn service_alarm_by_hand(name: &str, cluster: &str, service: &str, actions: &[String]) {
    let dimension = |n: &str, v: &str| Dimension::builder().name(n).value(v).build();
    cloudwatch("us-east-1")
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .dimensions(dimension("ClusterName", cluster))
        .dimensions(dimension("ServiceName", service))
        .statistic(Statistic::Average)
        .period(300)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(85.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .set_alarm_actions(Some(actions.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting alarm {name}: {e:?}"));
}

/// An account nobody manages yet, made by hand: init writes it with `adopt: true`, the
/// plan only adopts, the apply takes it over and the next plan is empty. Along the way:
/// an alarm running a step policy becomes `alarm:` on the policy, an action to a topic
/// that is not written stays an ARN with a comment, another stack's alarm and
/// Application Auto Scaling's own alarms are left out and counted, and a subscription
/// with a secret in its URL is withheld (its topic only observed).
#[tokio::test(flavor = "multi_thread")]
async fn init_of_an_account_nobody_manages_adopts_it_and_converges() {
    let cluster = unique("initadopt");
    let p = cluster.clone();
    seed_services("us-east-1", &cluster, &[("api", 2), ("worker", 1)]).await;
    register_by_hand(&cluster, "worker", 1, 4).await;
    put_cpu_policy_by_hand(&cluster, "worker", "cpu70", 70.0).await;
    let burst = put_step_policy_by_hand(&cluster, "worker", "burst").await;
    let alerts = topic_by_hand(
        &format!("{p}-alerts"),
        &[
            ("email", "ops@example.com"),
            ("sqs", "arn:aws:sqs:us-east-1:123456789012:q"),
        ],
    )
    .await;
    let secret_url = "https://hooks.example.com/services/T000/B000/s3cr3tT0ken";
    let hooks = topic_by_hand(&format!("{p}-hooks"), &[("https", secret_url)]).await;
    let elsewhere = format!("arn:aws:sns:eu-west-1:123456789012:{p}-elsewhere");
    service_alarm_by_hand(
        &format!("{p}-api-cpu"),
        &cluster,
        "api",
        std::slice::from_ref(&alerts),
    )
    .await;
    service_alarm_by_hand(
        &format!("{p}-worker-cpu"),
        &cluster,
        "worker",
        &[burst.clone(), hooks.clone(), elsewhere.clone()],
    )
    .await;
    // Another stack's alarm on the same service.
    let theirs = format!("{p}-billing-cpu");
    service_alarm_by_hand(&theirs, &cluster, "api", &[]).await;
    let client = cloudwatch("us-east-1").await;
    let arn = client
        .describe_alarms()
        .alarm_names(&theirs)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .metric_alarms()
        .first()
        .and_then(|a| a.alarm_arn().map(str::to_owned))
        .unwrap_or_default();
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_cloudwatch::types::Tag::builder()
                .key("mooring:stack")
                .value("billing")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let file = DesiredFile::write("unused.yaml", "");
    let out = file.dir.join("stack.yaml");
    let run = init_to(&out, &["--region", "us-east-1", "--cluster", &cluster]).await;
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    let context = format!("{run:?}\n--- written\n{written}");
    assert!(!written.contains("s3cr3tT0ken"), "{context}");
    assert!(
        run.stderr.contains("1 alarm of stack \"billing\""),
        "{context}"
    );
    // moto makes the two alarms of the target-tracking policy, as AWS does.
    assert!(
        run.stderr
            .contains("2 target-tracking alarms made by Application Auto Scaling"),
        "{context}"
    );
    // Named only in the comments that say they were left out.
    assert!(
        written
            .lines()
            .filter(|l| l.contains("TargetTracking-"))
            .all(|l| l
                .trim_start()
                .starts_with("# left out: alarm TargetTracking-")),
        "{context}"
    );
    assert!(run.stderr.contains("wrote "), "{context}");
    assert!(
        written.contains("alarm: "),
        "the step policy names its alarm: {context}"
    );
    assert!(written.contains(&elsewhere), "{context}");
    assert!(!written.contains(&burst), "{context}");
    // The withheld line is where the summary says.
    let line: usize = run
        .stderr
        .split("withheld: 1 subscription endpoint (line ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no withheld line in the summary: {context}"));
    let withheld = written.lines().nth(line - 1).unwrap_or_default();
    assert!(
        withheld.contains("protocol: https") && withheld.contains("***"),
        "line {line}: {withheld}\n{context}"
    );

    let validate = mooring(&["validate", &out.to_string_lossy()]).await;
    assert_eq!(validate.code, 0, "{validate:?}\n{context}");
    let (_, changes, report) = planned(&out).await;
    let reasons: BTreeSet<&str> = changes.iter().map(|(r, _)| r.as_str()).collect();
    assert!(
        reasons.iter().all(|r| *r == "Adopted"),
        "only adoption is planned: {changes:#?}\n{context}\n{report:#}"
    );
    let applied = mooring(&["apply", &out.to_string_lossy()]).await;
    assert_eq!(applied.code, 0, "{applied:?}\n{context}");
    let (code, changes, _) = planned(&out).await;
    assert!(changes.is_empty() && code == 0, "{changes:#?}\n{context}");
    // The withheld subscription is still there.
    let subscriptions = topic_subscriptions("us-east-1", &hooks).await;
    assert!(
        subscriptions
            .iter()
            .any(|s| s.endpoint() == Some(secret_url)),
        "{subscriptions:?}"
    );
}

/// Bad input gets a clear error and the exit code of its kind, and nothing is written:
/// a cluster that does not exist (64), a region that cannot be one (64), a region whose
/// endpoint does not answer (1), an output file that exists without --force (64, the
/// file untouched), credentials without permission (AccessDenied from the fault proxy: 1).
#[tokio::test(flavor = "multi_thread")]
async fn init_refuses_bad_input_and_writes_nothing() {
    let cluster = unique("initbad");
    seed_services("us-east-1", &cluster, &[("api", 1)]).await;
    let file = DesiredFile::write("unused.yaml", "");
    let out = file.dir.join("stack.yaml");
    let out_arg = out.to_string_lossy().into_owned();

    let missing = format!("{cluster}-nope");
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--cluster",
        &missing,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(
        run.stderr.contains(&missing) && run.stderr.contains("not found"),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    let run = mooring(&[
        "init",
        "--region",
        "mars",
        "--cluster",
        &cluster,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("invalid region `mars`"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    // A region without an endpoint (nothing listens where its calls go).
    let run = mooring_via(
        "http://127.0.0.1:9",
        &[
            "init",
            "--region",
            "eu-south-9",
            "--cluster",
            &cluster,
            "-o",
            &out_arg,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("eu-south-9") && run.stderr.contains("nothing was written"),
        "{run:?}"
    );
    assert!(!out.exists(), "{run:?}");

    let proxy = fault_proxy_answering("access_denied").await;
    let run = mooring_via(
        &proxy.url,
        &[
            "init",
            "--region",
            "us-east-1",
            "--cluster",
            &cluster,
            "-o",
            &out_arg,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("AccessDenied"), "{run:?}");
    assert!(run.stderr.contains("nothing was written"), "{run:?}");
    assert!(!out.exists(), "{run:?}");

    std::fs::write(&out, "# mine\n").unwrap_or_else(|e| panic!("{e}"));
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "-o",
        &out_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("--force"), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "# mine\n"
    );
    // The same through a folder: <stack>.yaml in it.
    let dir_arg = file.dir.to_string_lossy().into_owned();
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--stack",
        "stack",
        "-o",
        &dir_arg,
    ])
    .await;
    assert_eq!(run.code, 64, "{run:?}");
    let run = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &cluster,
        "--stack",
        "stack",
        "-o",
        &dir_arg,
        "--force",
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(written.contains("desiredCount: 1"), "{written}");
    let leftovers: Vec<_> = std::fs::read_dir(&file.dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.file_name())).collect())
        .unwrap_or_default();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary file is left: {leftovers:?}"
    );
}

/// Two clusters in one file; `--alarm-prefix` adds alarms that watch no service;
/// `--topic` adds a topic no alarm notifies. The plan only adopts; after the apply,
/// nothing is left to do.
#[tokio::test(flavor = "multi_thread")]
async fn init_of_two_clusters_with_a_prefix_and_a_topic_converges() {
    let first = unique("initone");
    let second = unique("inittwo");
    seed_services("us-east-1", &first, &[("web", 1)]).await;
    seed_services("us-east-1", &second, &[("jobs", 3)]).await;
    let prefix = format!("{first}-rds-");
    put_alarm_by_hand(
        "us-east-1",
        &format!("{prefix}cpu"),
        "AWS/RDS",
        "CPUUtilization",
        2,
        80.0,
    )
    .await;
    let extra = format!("{first}-extra");
    topic_by_hand(&extra, &[("email", "team@example.com")]).await;

    let file = DesiredFile::write("unused.yaml", "");
    let out = file.dir.join("two.yaml");
    let without = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &first,
        "--cluster",
        &second,
    ])
    .await;
    assert_eq!(without.code, 0, "{without:?}");
    assert!(
        !without.stdout.contains(&prefix),
        "no prefix, no RDS alarm: {without:?}"
    );
    assert!(
        without.stdout.contains(&format!("name: {first}")),
        "stack from the first cluster: {without:?}"
    );

    let run = init_to(
        &out,
        &[
            "--region",
            "us-east-1",
            "--cluster",
            &first,
            "--cluster",
            &second,
            "--alarm-prefix",
            &prefix,
            "--topic",
            &extra,
            "--stack",
            &first,
        ],
    )
    .await;
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    let context = format!("{run:?}\n{written}");
    for expected in [
        format!("cluster: {first}"),
        format!("cluster: {second}"),
        format!("{prefix}cpu:"),
        format!("{extra}:"),
        "namespace: AWS/RDS".to_owned(),
    ] {
        assert!(written.contains(&expected), "{expected}: {context}");
    }
    assert!(
        run.stderr
            .contains("2 services, 1 alarm, 1 topic (1 subscription)"),
        "{context}"
    );
    // `--observe`: the same resources, watched only.
    let observed = mooring(&[
        "init",
        "--region",
        "us-east-1",
        "--cluster",
        &first,
        "--cluster",
        &second,
        "--alarm-prefix",
        &prefix,
        "--topic",
        &extra,
        "--stack",
        &first,
        "--observe",
    ])
    .await;
    assert_eq!(observed.code, 0, "{observed:?}");
    assert!(
        observed.stdout.contains("management: observe"),
        "{observed:?}"
    );
    assert!(
        !observed.stdout.lines().any(|l| l.trim() == "adopt: true"),
        "{observed:?}"
    );
    // Watched only: nothing to change, the first apply included.
    let watched = file.dir.join("watched.yaml");
    std::fs::write(&watched, &observed.stdout).unwrap_or_else(|e| panic!("{e}"));
    let (code, changes, report) = planned(&watched).await;
    assert!(changes.is_empty() && code == 0, "{changes:#?}\n{report:#}");
    let (_, changes, _) = planned(&out).await;
    assert!(
        changes.iter().all(|(reason, _)| reason == "Adopted"),
        "{changes:#?}\n{context}"
    );
    let applied = mooring(&["apply", &out.to_string_lossy()]).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    let (code, changes, _) = planned(&out).await;
    assert!(changes.is_empty() && code == 0, "{changes:#?}\n{context}");
}

/// The random id Application Auto Scaling puts at the end of its alarms' names.
fn without_alarm_uuid(line: &str) -> String {
    for marker in ["-AlarmHigh-", "-AlarmLow-"] {
        if let Some((before, after)) = line.split_once(marker) {
            let rest = after.split_once(',').map_or("", |(_, rest)| rest);
            return format!("{before}{marker}<uuid>,{rest}");
        }
    }
    line.to_owned()
}

/// The file init writes for the saas example's account (untagged, as a new user meets
/// it), for reviewers: the idiomatic form (defaults dropped, `5m`, `>`, alarms under
/// their service, topic names, `adopt: true`).
#[tokio::test(flavor = "multi_thread")]
async fn init_writes_the_idiomatic_form_snapshot() {
    let token = token();
    let example = repo_root().join("desired-state/examples/saas.yaml");
    let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
    let file = DesiredFile::write("saas.yaml", &with_token(&yaml, &token));
    let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
    let stack = &desired.stacks[0];
    let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
    for service in &stack.services {
        seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
    }
    let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
    assert_eq!(built.code, 0, "{built:?}");
    // As an account nobody manages yet: what a new user runs init on.
    forget_mooring(&region, stack, &token).await;
    let mut args = vec![
        "init",
        "--region",
        region.as_str(),
        "--stack",
        stack.name.as_str(),
        "--alarm-prefix",
        token.as_str(),
    ];
    let clusters = clusters_of(stack);
    for cluster in &clusters {
        args.extend(["--cluster", cluster.as_str()]);
    }
    let run = mooring(&args).await;
    assert_eq!(run.code, 0, "{run:?}");
    let text: String = run
        .stdout
        .replace(&format!("{token}-"), "")
        .lines()
        .map(|line| {
            if line.starts_with("# Generated by `mooring init` at ") {
                "# Generated by `mooring init` at <time> from account 123456789012, region me-south-1.".to_owned()
            } else {
                without_alarm_uuid(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("init_saas", text);
}

/// Takes every trace of mooring off what it built for `stack` (names starting with
/// `token`): the services' and clusters' `mooring:` tags, the topics' tags, the alarms'
/// tags and description markers (the alarm is put again without it, as the console
/// would). The account then looks like one nobody manages.
async fn forget_mooring(region: &str, stack: &desired_state::Stack, token: &str) {
    let client = ecs(region).await;
    for service in &stack.services {
        let described = client
            .describe_services()
            .cluster(&service.cluster)
            .services(&service.name)
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        for found in described.services() {
            let keys: Vec<String> = found
                .tags()
                .iter()
                .filter_map(|t| {
                    t.key()
                        .filter(|k| k.starts_with("mooring:"))
                        .map(str::to_owned)
                })
                .collect();
            let arn = found.service_arn().unwrap_or_default().to_owned();
            if !keys.is_empty() {
                client
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}"));
            }
            if let Some((prefix, _)) = arn.split_once(":service/") {
                client
                    .untag_resource()
                    .resource_arn(format!("{prefix}:cluster/{}", service.cluster))
                    .tag_keys(format!("mooring:stack:{}", stack.name))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e:?}"));
            }
        }
    }
    let sns = sns(region).await;
    let topics = sns
        .list_topics()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for arn in topics.topics().iter().filter_map(|t| t.topic_arn()) {
        if !arn.rsplit(':').next().is_some_and(|n| n.starts_with(token)) {
            continue;
        }
        let tags = sns
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let keys: Vec<String> = tags
            .tags()
            .iter()
            .map(|t| t.key().to_owned())
            .filter(|k| k.starts_with("mooring:"))
            .collect();
        if !keys.is_empty() {
            sns.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
    let cloudwatch = cloudwatch(region).await;
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for alarm in alarms.metric_alarms() {
        let name = alarm.alarm_name().unwrap_or_default();
        let description = alarm.alarm_description().unwrap_or_default();
        let declared = match description.rfind("[mooring:stack=") {
            Some(at) => description[..at].trim_end(),
            None => description,
        };
        cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .set_alarm_description((!declared.is_empty()).then(|| declared.to_owned()))
            .set_namespace(alarm.namespace().map(str::to_owned))
            .set_metric_name(alarm.metric_name().map(str::to_owned))
            .set_dimensions(Some(alarm.dimensions().to_vec()))
            .set_statistic(alarm.statistic().cloned())
            .set_extended_statistic(alarm.extended_statistic().map(str::to_owned))
            .set_unit(alarm.unit().cloned())
            .set_period(alarm.period())
            .set_evaluation_periods(alarm.evaluation_periods())
            .set_datapoints_to_alarm(alarm.datapoints_to_alarm())
            .set_threshold(alarm.threshold())
            .set_comparison_operator(alarm.comparison_operator().cloned())
            .set_treat_missing_data(alarm.treat_missing_data().map(str::to_owned))
            .set_metrics((!alarm.metrics().is_empty()).then(|| alarm.metrics().to_vec()))
            .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
            .set_ok_actions(Some(alarm.ok_actions().to_vec()))
            .set_insufficient_data_actions(Some(alarm.insufficient_data_actions().to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("putting {name} again: {e:?}"));
        cloudwatch
            .untag_resource()
            .resource_arn(alarm.alarm_arn().unwrap_or_default())
            .tag_keys("mooring:stack")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
}

/// Each example's account as nobody manages it (built by mooring under a throwaway
/// stack, then every tag and marker of mooring taken off): init under another stack
/// name writes `adopt: true`, the plan only adopts (reason Adopted), the apply takes
/// it over and the next plan is empty.
#[tokio::test(flavor = "multi_thread")]
async fn init_of_each_examples_account_nobody_manages_plans_only_adoption() {
    let examples = repo_root().join("desired-state/examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for example in paths {
        let token = token();
        let yaml = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{e}"));
        let file = DesiredFile::write("built.yaml", &with_token(&yaml, &token));
        let desired = desired_state::load(&[&file.path]).unwrap_or_else(|e| panic!("{e}"));
        let stack = &desired.stacks[0];
        let region = stack.region.clone().unwrap_or_else(|| "us-east-1".into());
        for service in &stack.services {
            seed_services(&region, &service.cluster, &[(service.name.as_str(), 0)]).await;
        }
        let built = mooring(&["apply", &file.path.to_string_lossy()]).await;
        assert!(built.code == 0 || built.code == 1, "{example:?}: {built:?}");
        forget_mooring(&region, stack, &token).await;

        let out = file.dir.join("init.yaml");
        let adopted = format!("{token}-adopted");
        let mut args = vec!["--region", region.as_str(), "--stack", adopted.as_str()];
        args.extend(["--alarm-prefix", token.as_str()]);
        let clusters = clusters_of(stack);
        for cluster in &clusters {
            args.extend(["--cluster", cluster.as_str()]);
        }
        let run = init_to(&out, &args).await;
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let context = format!("{example:?}: {run:?}\n{written}");
        // Alarms, topics and scalable targets are taken over (a service alone needs no
        // adoption: its first apply claims it).
        let adoptable = ["alarms:", "topics:", "autoscaling:"];
        if adoptable.iter().any(|key| written.contains(key)) {
            assert!(written.contains("adopt: true\n"), "{context}");
        }
        let validate = mooring(&["validate", &out.to_string_lossy()]).await;
        assert_eq!(validate.code, 0, "{context}\n{validate:?}");
        let (_, changes, report) = planned(&out).await;
        assert!(
            changes.iter().all(|(reason, _)| reason == "Adopted"),
            "{context}\n{changes:#?}\n{report:#}"
        );
        let applied = mooring(&["apply", &out.to_string_lossy()]).await;
        assert_eq!(applied.code, 0, "{context}\n{applied:?}");
        let (code, changes, _) = planned(&out).await;
        assert!(changes.is_empty() && code == 0, "{context}\n{changes:#?}");
    }
}
