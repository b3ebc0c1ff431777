//! The event sinks of `spec.events`: SNS (folded Warnings), CloudWatch metrics and JSON
//! lines on stdout. What was published is read back from the emulator: an SQS queue
//! subscribed to the events topic receives what SNS delivered, ListMetrics and
//! GetMetricStatistics show the metrics, and moto's recorder shows what `plan` called.
//! The events topics here are made (or left missing) by the tests themselves, so they are
//! declared `management: paused`: mooring would otherwise create or adopt them.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use mooring::aws::Clients;
use mooring::events::sns::JSON_MARKER;
use mooring::events::EventSinks;
use mooring::pass::{run_pass, PassOptions};

use crate::fixtures::*;

const REGION: &str = "us-east-1";

async fn sdk_config(access_key_id: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            access_key_id,
            "testing",
            None,
            None,
            "tests",
        ))
        .load()
        .await
}

/// An SNS topic with an SQS queue subscribed to it: what the topic delivers, the test reads.
pub struct Inbox {
    pub topic_arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl Inbox {
    pub async fn create(topic: &str) -> Self {
        let config = sdk_config("testing").await;
        let sns = aws_sdk_sns::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let topic_arn = sns
            .create_topic()
            .name(topic)
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating topic {topic}: {e:?}"))
            .topic_arn()
            .unwrap_or_else(|| panic!("topic {topic} has no ARN"))
            .to_owned();
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{topic}-inbox"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("creating the queue for {topic}: {e:?}"))
            .queue_url()
            .unwrap_or_else(|| panic!("queue for {topic} has no URL"))
            .to_owned();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("reading the queue ARN: {e:?}"))
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_else(|| panic!("queue {queue_url} has no ARN"));
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("subscribing the queue to {topic}: {e:?}"));
        Self {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// Every SNS notification delivered since the last call (the SNS envelope, as JSON).
    pub async fn take(&self) -> Vec<serde_json::Value> {
        let mut notifications = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "reading the queue took too long"
            );
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .unwrap_or_else(|e| panic!("receiving from {}: {e:?}", self.queue_url));
            if received.messages().is_empty() {
                return notifications;
            }
            for message in received.messages() {
                let body = message.body().unwrap_or_default();
                notifications.push(
                    serde_json::from_str(body)
                        .unwrap_or_else(|e| panic!("not an SNS envelope ({e}): {body}")),
                );
                if let Some(handle) = message.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("deleting a message: {e:?}"));
                }
            }
        }
    }
}

/// The event carried by an SNS notification (the JSON after the marker in the body).
pub fn event_of(notification: &serde_json::Value) -> serde_json::Value {
    let body = notification["Message"].as_str().unwrap_or_default();
    let (_, json) = body
        .split_once(&format!("{JSON_MARKER}\n"))
        .unwrap_or_else(|| panic!("no event JSON in the message: {body}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("event JSON ({e}): {json}"))
}

fn stack_yaml(stack: &str, topics: &str, events: &str, services: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n{topics}  events:\n{events}  services:\n{services}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_service_is_one_warning_on_the_topic_across_passes_then_one_summary() {
    let cluster = unique("fold");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let topic = unique("mooring-events");
    let inbox = Inbox::create(&topic).await;
    let stack = unique("fold");
    let yaml = stack_yaml(
        &stack,
        &format!("  topics:\n    {topic}: {{ management: paused }}\n"),
        &format!("    topic: {topic}\n    metrics: false\n"),
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n\
             \x20   - {{ cluster: {cluster}, name: ghost, desiredCount: 1 }}\n"
        ),
    );
    let desired = desired_state::parse_sources(&[("stack.yaml".into(), yaml)])
        .unwrap_or_else(|e| panic!("{e}"));
    let clients = Clients::from_sdk_config(sdk_config("testing").await);
    let options = PassOptions {
        concurrency: 4,
        pass_deadline: mooring::pass::DEFAULT_PASS_DEADLINE,
        apply: true,
        revision: Some("fold-test".into()),
        schedule_only: false,
        only_stacks: Vec::new(),
        status: false,
    };
    let mut sinks = EventSinks::new(&desired, &clients);
    for pass in 1..=3 {
        let report = run_pass(&desired, &clients, &options, chrono::Utc::now()).await;
        assert_eq!(report.failed(), 0, "pass {pass}: {:?}", report.events);
        let problems = sinks.publish(report.for_sinks()).await;
        assert!(problems.is_empty(), "pass {pass}: {problems:?}");
    }

    let delivered = inbox.take().await;
    assert_eq!(
        delivered.len(),
        1,
        "one Warning for three passes: {delivered:#?}"
    );
    let subject = delivered[0]["Subject"].as_str().unwrap_or_default();
    // Long test names: the subject is cut below SNS's 100 characters.
    assert!(
        subject.starts_with(&format!(
            "[mooring] Warning ServiceNotFound: ecs-service {cluster}/ghost (stack "
        )) && subject.len() < 100,
        "{subject}"
    );
    let first = event_of(&delivered[0]);
    assert_eq!(first["type"], "Warning");
    assert_eq!(first["reason"], "ServiceNotFound");
    assert_eq!(first["object"], format!("ecs-service {cluster}/ghost"));
    assert_eq!(first["revision"], "fold-test");
    assert_eq!(first["count"], 1);
    assert_eq!(
        delivered[0]["MessageAttributes"]["mooring.reason"]["Value"],
        "ServiceNotFound"
    );

    let problems = sinks.flush().await;
    assert!(problems.is_empty(), "{problems:?}");
    let summary = inbox.take().await;
    assert_eq!(
        summary.len(),
        1,
        "flush publishes the folded summary: {summary:#?}"
    );
    assert!(
        summary[0]["Subject"]
            .as_str()
            .is_some_and(|s| s.contains("ServiceNotFound x3")),
        "{summary:#?}"
    );
    let folded = event_of(&summary[0]);
    assert_eq!(folded["count"], 3);
    assert!(
        folded["message"]
            .as_str()
            .is_some_and(|m| m.contains("(repeated 3 times since ")),
        "{folded}"
    );
    assert!(sinks.flush().await.is_empty());
    assert!(inbox.take().await.is_empty(), "nothing left to summarise");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_publishes_warnings_only_and_metrics_in_the_mooring_namespace() {
    let cluster = unique("sinks");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let topic = unique("mooring-events");
    let inbox = Inbox::create(&topic).await;
    let stack = unique("sinks");
    // Claimed by an earlier pass: these tests are about the events of a count change.
    claim_by_hand(REGION, &cluster, "web", &stack).await;
    // A topic managed elsewhere, by ARN; types and metrics left at their defaults.
    let yaml = stack_yaml(
        &stack,
        "",
        &format!("    topic: \"{}\"\n", inbox.topic_arn),
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n\
             \x20   - {{ cluster: {cluster}, name: ghost, desiredCount: 1 }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let key = unique_access_key();
    start_recording();
    let started = chrono::Utc::now();

    let apply = mooring_as(&key, &["apply", &path, "--stats"]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(
        apply
            .stdout
            .contains("Apply complete: 1 changed; 1 warning (see ! above)."),
        "{apply:?}"
    );
    assert!(
        apply
            .stdout
            .contains("telemetry (events and metrics, not changes to the account):"),
        "{apply:?}"
    );
    assert!(
        apply.stdout.contains("(2 mutating, 2 telemetry"),
        "the count and its record; one Publish, one PutMetricData: {apply:?}"
    );

    // Warnings only: the ghost, not the count of web.
    let delivered = inbox.take().await;
    let reasons: Vec<serde_json::Value> = delivered
        .iter()
        .map(|n| event_of(n)["reason"].clone())
        .collect();
    assert_eq!(reasons, ["ServiceNotFound"], "{delivered:#?}");

    let operations = operations_by(&key);
    assert!(operations.contains(&"Publish".to_owned()), "{operations:?}");
    assert!(
        operations.contains(&"PutMetricData".to_owned()),
        "{operations:?}"
    );
    assert_eq!(
        mutating(&operations),
        ["UpdateService", "TagResource"],
        "telemetry is not mutation"
    );

    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk_config("testing").await);
    let stack_dimension = aws_sdk_cloudwatch::types::DimensionFilter::builder()
        .name("Stack")
        .value(&stack)
        .build();
    let listed = cloudwatch
        .list_metrics()
        .namespace("Mooring")
        .dimensions(stack_dimension)
        .send()
        .await
        .unwrap_or_else(|e| panic!("listing metrics: {e:?}"));
    let mut names: Vec<&str> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names, ["Changes", "Failures", "PassDuration", "Warnings"]);

    let sum = |metric: &'static str, dimensions: Vec<(&'static str, String)>| {
        let cloudwatch = cloudwatch.clone();
        async move {
            let mut request = cloudwatch
                .get_metric_statistics()
                .namespace("Mooring")
                .metric_name(metric)
                .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                    started.timestamp() - 600,
                ))
                .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                    chrono::Utc::now().timestamp() + 600,
                ))
                .period(60)
                .statistics(aws_sdk_cloudwatch::types::Statistic::Sum);
            for (name, value) in dimensions {
                request = request.dimensions(
                    aws_sdk_cloudwatch::types::Dimension::builder()
                        .name(name)
                        .value(value)
                        .build(),
                );
            }
            let output = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("statistics of {metric}: {e:?}"));
            output
                .datapoints()
                .iter()
                .filter_map(|d| d.sum())
                .sum::<f64>()
        }
    };
    assert_eq!(sum("Warnings", vec![("Stack", stack.clone())]).await, 1.0);
    assert_eq!(sum("Failures", vec![("Stack", stack.clone())]).await, 0.0);
    assert_eq!(
        sum(
            "Changes",
            vec![("Stack", stack.clone()), ("Reason", "Updated".into())]
        )
        .await,
        2.0,
        "the count and its record, with no record before: not called drift"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_publishes_nothing_and_jsonl_prints_one_event_a_line() {
    let cluster = unique("jsonl");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let topic = unique("mooring-events");
    let inbox = Inbox::create(&topic).await;
    let stack = unique("jsonl");
    // Claimed by an earlier pass: these tests are about the events of a count change.
    claim_by_hand(REGION, &cluster, "web", &stack).await;
    let yaml = stack_yaml(
        &stack,
        &format!("  topics:\n    {topic}: {{ management: paused }}\n"),
        &format!("    topic: {topic}\n    types: [Normal, Warning]\n"),
        &format!(
            "    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n\
             \x20   - {{ cluster: {cluster}, name: ghost, desiredCount: 1 }}\n"
        ),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let key = unique_access_key();
    start_recording();

    let plan = mooring_as(&key, &["plan", &path, "--output", "jsonl"]).await;
    assert_eq!(plan.code, 2, "changes pending: {plan:?}");
    let events: Vec<serde_json::Value> = plan
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(events.len(), 3, "{plan:?}");
    for event in &events {
        for field in [
            "time", "type", "reason", "object", "message", "stack", "phase", "count",
        ] {
            assert!(!event[field].is_null(), "{field} missing in {event}");
        }
        assert_eq!(event["stack"], stack.as_str());
    }
    assert_eq!(events[0]["reason"], "ServiceNotFound");
    // No record of a previous apply: not called drift.
    assert_eq!(events[1]["reason"], "Updated");
    assert_eq!(events[1]["phase"], "planned");
    assert_eq!(events[1]["diff"][0]["after"], 2);

    let operations = operations_by(&key);
    for telemetry in ["Publish", "PutMetricData", "ListTopics"] {
        assert!(
            !operations.iter().any(|op| op == telemetry),
            "plan called {telemetry}: {operations:?}"
        );
    }
    assert!(inbox.take().await.is_empty(), "plan published nothing");

    // apply with Normal events selected: the correction reaches the topic too.
    let apply = mooring_as(&key, &["apply", &path, "--output", "jsonl"]).await;
    assert_eq!(apply.code, 0, "{apply:?}");
    let applied: Vec<serde_json::Value> = apply
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        applied
            .iter()
            .any(|e| e["phase"] == "applied" && e["reason"] == "Updated"),
        "{apply:?}"
    );
    let mut reasons: Vec<String> = inbox
        .take()
        .await
        .iter()
        .map(|n| {
            event_of(n)["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["ServiceNotFound", "Updated", "Updated"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_events_topic_is_a_warning_not_a_failure() {
    let cluster = unique("notopic");
    seed_services(REGION, &cluster, &[("web", 1)]).await;
    let topic = unique("never-created");
    let stack = unique("notopic");
    let yaml = stack_yaml(
        &stack,
        &format!("  topics:\n    {topic}: {{ management: paused }}\n"),
        &format!("    topic: {topic}\n    metrics: false\n"),
        &format!("    - {{ cluster: {cluster}, name: web, desiredCount: 1 }}\n"),
    );
    let file = DesiredFile::write("stack.yaml", &yaml);
    let path = file.path.to_string_lossy().into_owned();
    let apply = tokio::time::timeout(Duration::from_secs(60), mooring(&["apply", &path]))
        .await
        .unwrap_or_else(|_| panic!("apply hung"));
    assert_eq!(
        apply.code, 0,
        "the account was reconciled all the same: {apply:?}"
    );
    assert!(
        apply.stdout.contains(&format!(
            "! stack {stack}  (EventSinkFailed)\n      ! events topic `{topic}` not found in region {REGION}"
        )),
        "{apply:?}"
    );
}
