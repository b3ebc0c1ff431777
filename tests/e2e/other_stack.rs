//! A resource another stack owns (tagged `mooring:stack=other`) is never modified or
//! deleted, whatever this stack declares (with `adopt: true`) or would prune, and a
//! Warning (NotOwned) says why. Services, scalable targets with their policies, alarms
//! and topics with their subscriptions.

use crate::fixtures::*;
use crate::reports::*;
use crate::scaling_by_hand::{policies_of, put_cpu_policy_by_hand, register_by_hand, target_of};

const REGION: &str = "us-east-1";
const OTHER: &str = "other";

async fn tag_service(cluster: &str, service: &str) {
    let arn = service_arn(REGION, cluster, service).await;
    let client = ecs(REGION).await;
    let tag = aws_sdk_ecs::types::Tag::builder()
        .key("mooring:stack")
        .value(OTHER)
        .build();
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(tag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("tagging {cluster}/{service}: {e:?}"));
}

async fn put_alarm(name: &str, threshold: f64, description: &str) {
    let tag = aws_sdk_cloudwatch::types::Tag::builder()
        .key("mooring:stack")
        .value(OTHER)
        .build();
    cloudwatch(REGION)
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .alarm_description(description)
        .namespace("AWS/ECS")
        .metric_name("MemoryUtilization")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(threshold)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .tags(tag)
        .send()
        .await
        .unwrap_or_else(|e| panic!("putting alarm {name}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn another_stacks_service_target_alarm_and_topic_are_never_touched() {
    let cluster = unique("secother");
    seed_services(REGION, &cluster, &[("web", 3), ("api", 2)]).await;
    tag_service(&cluster, "web").await;
    tag_service(&cluster, "api").await;
    register_by_hand(&cluster, "api", 1, 4).await;
    put_cpu_policy_by_hand(&cluster, "api", "legacy", 40.0).await;
    // Declared here with another threshold; and one this stack would prune, since it
    // carries this stack's description marker (copied by hand) but the other's tag.
    let declared_alarm = format!("{cluster}-mem");
    let prunable_alarm = format!("{cluster}-cpu");
    put_alarm(&declared_alarm, 90.0, "theirs").await;
    put_alarm(
        &prunable_alarm,
        80.0,
        "theirs [mooring:stack=mine 0123456789abcdef]",
    )
    .await;
    let topic = format!("{cluster}-alerts");
    let client = sns(REGION).await;
    let created = client
        .create_topic()
        .name(&topic)
        .attributes("DisplayName", "Theirs")
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("mooring:stack")
                .value(OTHER)
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let topic_arn = created.topic_arn().unwrap_or_default().to_owned();
    client
        .subscribe()
        .topic_arn(&topic_arn)
        .protocol("email")
        .endpoint("theirs@example.com")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let yaml = format!(
        r#"apiVersion: mooring/v1
kind: Stack
metadata:
  name: mine
spec:
  account: "{ACCOUNT}"
  region: {REGION}
  topics:
    {topic}: {{ displayName: Mine, adopt: true, subscriptions: [{{ protocol: email, endpoint: mine@example.com }}] }}
  services:
    - {{ cluster: {cluster}, name: web, desiredCount: 1, adopt: true }}
    - {{ cluster: {cluster}, name: api, adopt: true, autoscaling: {{ min: 2, max: 2 }} }}
  alarms:
    {declared_alarm}: {{ namespace: AWS/ECS, metric: MemoryUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 50, comparison: ">", adopt: true }}
"#
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    for _ in 0..2 {
        let (run, report, _) = run_json("apply", &path).await;
        assert_eq!(run.code, 0, "{run:?}");
        for object in [
            format!("ecs-service {cluster}/web"),
            format!("ecs-service {cluster}/api"),
            format!("alarm {declared_alarm}"),
            format!("topic {topic}"),
        ] {
            let warning = event_for(&report, "NotOwned", &object);
            assert_eq!(warning["type"], "Warning");
            assert!(
                warning["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(OTHER),
                "says whose it is: {warning:#}"
            );
        }
        let touched: Vec<&serde_json::Value> = report["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["phase"] == "applied" || e["phase"] == "failed")
            .collect();
        assert!(touched.is_empty(), "nothing applied: {touched:#?}");
        assert_eq!(
            writes(&report),
            Vec::<String>::new(),
            "{:#}",
            report["calls"]
        );
    }
    assert_eq!(desired_count(REGION, &cluster, "web").await, 3);
    assert_eq!(desired_count(REGION, &cluster, "api").await, 2);
    assert_eq!(target_of(REGION, &cluster, "api").await, Some((1, 4)));
    assert_eq!(
        policies_of(REGION, &cluster, "api")
            .await
            .keys()
            .collect::<Vec<_>>(),
        ["legacy"]
    );
    assert_eq!(
        service_tags(REGION, &cluster, "web").await["mooring:stack"],
        OTHER
    );
    assert_eq!(alarm_threshold(REGION, &declared_alarm).await, Some(90.0));
    assert_eq!(
        alarm_threshold(REGION, &prunable_alarm).await,
        Some(80.0),
        "not pruned"
    );
    assert_eq!(
        topic_attribute(REGION, &topic_arn, "DisplayName")
            .await
            .as_deref(),
        Some("Theirs")
    );
    let subscriptions = topic_subscriptions(REGION, &topic_arn).await;
    let endpoints: Vec<&str> = subscriptions.iter().filter_map(|s| s.endpoint()).collect();
    assert_eq!(endpoints, ["theirs@example.com"]);
}
