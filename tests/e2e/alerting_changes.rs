//! Alerting changes made in the desired state, against the emulator: a topic's and a
//! subscription's settings edited, a subscription and a topic removed, an alarm made in
//! the console adopted, a composite alarm declared. Each makes mooring call an API the
//! IAM policy grants (deploy/iam/), so tests/deploy/check_iam.py sees it used.

use crate::alarms::alarm_names;
use crate::fixtures::*;
use crate::reports::*;

/// A region of its own: alarms.rs scans whole regions in one of its tests.
const REGION: &str = "eu-west-3";

fn stack_yaml(stack: &str, body: &str) -> String {
    format!("apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {REGION}\n{body}")
}

fn cpu_alarm(name: &str, extra: &str) -> String {
    format!(
        "    {name}:\n      namespace: AWS/ECS\n      metric: CPUUtilization\n      dimensions: {{ ClusterName: c, ServiceName: s }}\n      statistic: Average\n      period: 60s\n      evaluationPeriods: 2\n      threshold: 80\n      comparison: \">\"\n{extra}"
    )
}

async fn topic_names() -> Vec<String> {
    let output = sns(REGION)
        .await
        .list_topics()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    output
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn()?.rsplit(':').next().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_and_removed_topics_and_subscriptions_are_updated_unsubscribed_and_deleted() {
    let prefix = unique("edits");
    let kept = format!("{prefix}-alerts");
    let dropped = format!("{prefix}-old");
    let stack = unique("edits");
    let topics = |display: &str, severities: &str, with_email: bool, with_old: bool| {
        let email = if with_email {
            "        - { protocol: email, endpoint: ops@example.com }\n"
        } else {
            ""
        };
        let old = if with_old {
            format!("    {dropped}: {{ displayName: Old alerts }}\n")
        } else {
            String::new()
        };
        format!(
            "  topics:\n    {kept}:\n      displayName: {display}\n      subscriptions:\n{email}        - {{ protocol: https, endpoint: https://hooks.example.com/alerts, filterPolicy: {{ severity: [{severities}] }} }}\n{old}"
        )
    };
    let file = DesiredFile::write(
        "topics.yaml",
        &stack_yaml(&stack, &topics("Alerts", "high", true, true)),
    );
    let path = file.path.to_string_lossy().into_owned();
    apply(&path).await;
    assert!(topic_names().await.contains(&dropped));

    // A new display name, critical alerts too, no more email, the old topic gone.
    std::fs::write(
        &file.path,
        stack_yaml(&stack, &topics("Alerts v2", "high, critical", false, false)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = apply(&path).await;
    let updated = event_for(&report, "DesiredChanged", &format!("topic {kept}"));
    assert_eq!(diff_of(updated, "displayName")["after"], "Alerts v2");
    let https = format!("subscription {kept}/https:https://hooks.example.com/alerts");
    let filter = event_for(&report, "DesiredChanged", &https);
    assert_eq!(
        diff_of(filter, "filterPolicy")["after"]["severity"],
        serde_json::json!(["high", "critical"])
    );
    event_for(
        &report,
        "Pruned",
        &format!("subscription {kept}/email:ops@example.com"),
    );
    event_for(&report, "Pruned", &format!("topic {dropped}"));

    // What SNS now holds: the old topic deleted, one subscription left, the new name.
    assert!(!topic_names().await.contains(&dropped));
    let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{kept}");
    let subscriptions = topic_subscriptions(REGION, &arn).await;
    let protocols: Vec<_> = subscriptions.iter().filter_map(|s| s.protocol()).collect();
    assert_eq!(protocols, ["https"]);
    assert_eq!(
        topic_attribute(REGION, &arn, "DisplayName")
            .await
            .as_deref(),
        Some("Alerts v2")
    );
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_made_in_the_console_is_adopted_with_adopt_true() {
    let prefix = unique("adopt");
    let name = format!("{prefix}-cpu-high");
    let stack = unique("adopt");
    // Someone made it by hand, with a lower threshold and no tags.
    put_alarm_by_hand(REGION, &name, "AWS/ECS", "CPUUtilization", 2, 60.0).await;
    let cw = cloudwatch(REGION).await;

    let file = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(
            &stack,
            &format!("  alarms:\n{}", cpu_alarm(&name, "      adopt: true\n")),
        ),
    );
    let path = file.path.to_string_lossy().into_owned();
    let report = apply(&path).await;
    event_for(&report, "Adopted", &format!("alarm {name}"));
    let arn = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}");
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let stack_tag = tags
        .tags()
        .iter()
        .find(|t| t.key() == Some("mooring:stack"))
        .and_then(|t| t.value());
    assert_eq!(stack_tag, Some(stack.as_str()));
    let found = cw
        .describe_alarms()
        .alarm_names(&name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(found.metric_alarms()[0].threshold(), Some(80.0));
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_composite_alarm_is_sent_and_its_failure_does_not_stop_the_alarms_it_watches() {
    let prefix = unique("composite");
    let stack = unique("composite");
    let body = format!(
        "  alarms:\n{}{}    {prefix}-unhealthy:\n      rule: ALARM({prefix}-cpu-high) OR ALARM({prefix}-cpu-very-high)\n",
        cpu_alarm(&format!("{prefix}-cpu-high"), ""),
        cpu_alarm(&format!("{prefix}-cpu-very-high"), "")
    );
    let file = DesiredFile::write("alarms.yaml", &stack_yaml(&stack, &body));
    let path = file.path.to_string_lossy().into_owned();

    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(
        plan.stdout.contains(&format!("{prefix}-unhealthy")) && plan.stdout.contains("ALARM("),
        "the plan shows the composite alarm and its rule: {plan:?}"
    );

    // moto 5.2.5 does not route PutCompositeAlarm (HTTP 500, retried, then failed); on AWS
    // it succeeds. Either way mooring sends it, reports a failure by the alarm's name, and
    // the metric alarms the rule watches are created regardless.
    let (run, report, _) = run_json("apply", &path).await;
    assert_eq!(run.code, 1, "{run:?}");
    let failed = event_for(&report, "ApplyFailed", &format!("alarm {prefix}-unhealthy"));
    assert_eq!(failed["type"], "Warning");
    let mut created = alarm_names(REGION, &prefix).await;
    created.sort();
    assert_eq!(
        created,
        [
            format!("{prefix}-cpu-high"),
            format!("{prefix}-cpu-very-high")
        ]
    );
}
