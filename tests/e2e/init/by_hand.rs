//! Accounts made by hand, as nobody manages them yet: adoption, step policies, topics
//! outside the file, Application Auto Scaling's alarms, another stack's alarm, a
//! withheld secret; two clusters with a prefix, a topic and `--observe`.

use std::collections::BTreeSet;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, PolicyType, ScalableDimension, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};

use crate::fixtures::*;
use crate::scaling_by_hand::{put_cpu_policy_by_hand, register_by_hand, resource_id};

use super::{init_to, planned};

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
