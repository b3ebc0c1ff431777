//! CloudWatch alarms and SNS topics against the emulator: convergence, drift made by
//! hand (each corrected with its diff), ownership, prune safety, the plan's field-level
//! diff, and the read cost of a converged pass over 1,000 alarms.

use std::collections::BTreeMap;

use crate::fixtures::*;
use crate::reports::*;

/// Regions no other test file uses: the emptied-stack test scans a whole region.
const REGION: &str = "ap-southeast-2";
const BIG_REGION: &str = "ca-central-1";

fn stack_yaml(stack: &str, region: &str, body: &str) -> String {
    format!("apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  region: {region}\n{body}")
}

pub async fn alarm_names(region: &str, prefix: &str) -> Vec<String> {
    let output = cloudwatch(region)
        .await
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    output
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_owned))
        .collect()
}

fn alerting_body(topic: &str, prefix: &str, threshold: u32) -> String {
    format!(
        "  topics:\n    {topic}:\n      displayName: Alerts\n      subscriptions:\n        - {{ protocol: email, endpoint: ops@example.com }}\n        - {{ protocol: https, endpoint: https://hooks.example.com/alerts, filterPolicy: {{ severity: [high] }}, rawMessageDelivery: true }}\n  alarms:\n    {prefix}-cpu-high:\n      namespace: AWS/ECS\n      metric: CPUUtilization\n      dimensions: {{ ClusterName: c, ServiceName: s }}\n      statistic: Average\n      period: 60s\n      evaluationPeriods: 2\n      threshold: {threshold}\n      comparison: \">\"\n      unit: Percent\n      notify: [{topic}]\n    {prefix}-latency-p99:\n      namespace: AWS/ApplicationELB\n      metric: TargetResponseTime\n      dimensions: {{ LoadBalancer: app/x/1 }}\n      statistic: p99\n      period: 60s\n      evaluationPeriods: 5\n      datapointsToAlarm: 3\n      threshold: 5\n      comparison: \">\"\n      treatMissingData: notBreaching\n      notify: [{topic}]\n      okNotify: [{topic}]\n    {prefix}-5xx-rate:\n      metrics:\n        errors: {{ namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: {{ LoadBalancer: app/x/1 }}, statistic: Sum }}\n        requests: {{ namespace: AWS/ApplicationELB, metric: RequestCount, dimensions: {{ LoadBalancer: app/x/1 }}, statistic: Sum }}\n      expression: 100 * FILL(errors, 0) / requests\n      period: 300s\n      evaluationPeriods: 1\n      threshold: 1\n      comparison: \">\"\n      notify: [{topic}]\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_and_topics_converge_and_every_drift_is_corrected_with_its_diff() {
    let prefix = unique("drift");
    let topic = format!("{prefix}-alerts");
    let stack = unique("alerting");
    let file = DesiredFile::write(
        "alerting.yaml",
        &stack_yaml(&stack, REGION, &alerting_body(&topic, &prefix, 80)),
    );
    let path = file.path.to_string_lossy().into_owned();
    let created = apply(&path).await;
    // Three alarms, the topic, two subscriptions, and the topic's digest tag written last.
    assert_eq!(
        events(&created, "Created").len(),
        3 + 1 + 2 + 1,
        "{:#}",
        created["events"]
    );
    assert_converged(&path).await;

    // Console edits: a threshold raised, an alarm action removed, an alarm deleted, the
    // topic deleted (its subscriptions go with it).
    let cw = cloudwatch(REGION).await;
    let found = cw
        .describe_alarms()
        .alarm_names(format!("{prefix}-cpu-high"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let cpu = &found.metric_alarms()[0];
    cw.put_metric_alarm()
        .alarm_name(format!("{prefix}-cpu-high"))
        .set_alarm_description(cpu.alarm_description().map(str::to_owned))
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .set_dimensions(Some(cpu.dimensions().to_vec()))
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(2)
        .datapoints_to_alarm(2)
        .threshold(95.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .treat_missing_data("missing")
        .unit(aws_sdk_cloudwatch::types::StandardUnit::Percent)
        // alarm action removed as well
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    cw.delete_alarms()
        .alarm_names(format!("{prefix}-5xx-rate"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let corrected = apply(&path).await;
    let event = event_for(
        &corrected,
        "DriftCorrected",
        &format!("alarm {prefix}-cpu-high"),
    );
    assert_eq!(diff_of(event, "threshold")["before"], 95.0);
    assert_eq!(diff_of(event, "threshold")["after"], 80.0);
    assert_eq!(
        diff_of(event, "alarmActions")["before"],
        serde_json::json!([])
    );
    let event = event_for(&corrected, "Created", &format!("alarm {prefix}-5xx-rate"));
    assert_eq!(
        diff_of(event, "expression")["after"],
        "100 * FILL(errors, 0) / requests"
    );
    assert_converged(&path).await;

    // The topic deleted, then a subscription removed.
    let sns = sns(REGION).await;
    let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
    sns.delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let corrected = apply(&path).await;
    let event = event_for(&corrected, "Created", &format!("topic {topic}"));
    assert_eq!(diff_of(event, "displayName")["after"], "Alerts");
    assert_converged(&path).await;

    let subscriptions = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let https = subscriptions
        .subscriptions()
        .iter()
        .find(|s| s.protocol() == Some("https"))
        .and_then(|s| s.subscription_arn())
        .unwrap_or_else(|| panic!("no https subscription"))
        .to_owned();
    sns.unsubscribe()
        .subscription_arn(&https)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let corrected = apply(&path).await;
    let event = event_for(
        &corrected,
        "DriftCorrected",
        &format!("subscription {topic}/https:https://hooks.example.com/alerts"),
    );
    assert_eq!(diff_of(event, "settings.rawMessageDelivery")["after"], true);
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_shows_alarm_changes_field_by_field_in_text_and_json() {
    let prefix = unique("planned");
    let topic = format!("{prefix}-alerts");
    let stack = unique("planned");
    let file = DesiredFile::write(
        "alerting.yaml",
        &stack_yaml(&stack, REGION, &alerting_body(&topic, &prefix, 80)),
    );
    let path = file.path.to_string_lossy().into_owned();
    apply(&path).await;
    let changed = DesiredFile::write(
        "alerting.yaml",
        &stack_yaml(&stack, REGION, &alerting_body(&topic, &prefix, 90)),
    );
    let changed_path = changed.path.to_string_lossy().into_owned();
    let text = mooring(&["plan", &changed_path]).await;
    assert_eq!(text.code, 2, "{text:?}");
    assert!(
        text.stdout.contains(&format!("alarm {prefix}-cpu-high"))
            && text.stdout.contains("threshold: 80.0 → 90.0"),
        "{}",
        text.stdout
    );
    let (run, report, operations) = run_json("plan", &changed_path).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(mutating(&operations), Vec::<String>::new());
    let event = event_for(
        &report,
        "DesiredChanged",
        &format!("alarm {prefix}-cpu-high"),
    );
    assert_eq!(diff_of(event, "threshold")["before"], 80.0);
    assert_eq!(diff_of(event, "threshold")["after"], 90.0);
    assert_eq!(event["diff"].as_array().map(Vec::len), Some(1), "{event:#}");
}

fn numbered_alarms(prefix: &str, range: std::ops::Range<usize>) -> String {
    let mut body = String::from("  alarms:\n");
    for i in range {
        body.push_str(&format!(
            "    {prefix}-{i:04}: {{ namespace: Custom, metric: M{i}, statistic: Sum, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: \">\" }}\n"
        ));
    }
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn pruning_is_capped_per_pass_and_never_touches_an_alarm_without_the_tag() {
    let prefix = unique("prune");
    let stack = unique("prune");
    let file = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(&stack, REGION, &numbered_alarms(&prefix, 0..31)),
    );
    let path = file.path.to_string_lossy().into_owned();
    apply(&path).await;
    // Made in the console, under the same prefix, without the tag.
    put_alarm_by_hand(REGION, &format!("{prefix}-by-hand"), "Custom", "M", 1, 1.0).await;

    let file = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(&stack, REGION, &numbered_alarms(&prefix, 0..1)),
    );
    let path = file.path.to_string_lossy().into_owned();
    for (pass, left) in [(1, 22), (2, 12), (3, 2)] {
        let report = apply(&path).await;
        assert_eq!(
            events(&report, "Pruned").len(),
            10,
            "pass {pass}: {:#}",
            report["events"]
        );
        let blocked = events(&report, "PruneBlocked");
        assert_eq!(
            blocked.len(),
            usize::from(pass < 3),
            "pass {pass}: {blocked:#?}"
        );
        assert_eq!(
            alarm_names(REGION, &prefix).await.len(),
            left,
            "pass {pass}"
        );
    }
    assert_converged(&path).await;
    let mut left = alarm_names(REGION, &prefix).await;
    left.sort();
    assert_eq!(
        left,
        [format!("{prefix}-0000"), format!("{prefix}-by-hand")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_desired_state_deletes_nothing_and_says_why() {
    let prefix = unique("emptied");
    let stack = unique("emptied");
    let file = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(&stack, REGION, &numbered_alarms(&prefix, 0..3)),
    );
    let path = file.path.to_string_lossy().into_owned();
    apply(&path).await;
    let empty = DesiredFile::write("alarms.yaml", &stack_yaml(&stack, REGION, "  alarms: {}\n"));
    let empty_path = empty.path.to_string_lossy().into_owned();
    let report = apply(&empty_path).await;
    assert!(
        events(&report, "Pruned").is_empty(),
        "{:#}",
        report["events"]
    );
    let blocked = events(&report, "PruneBlocked");
    assert_eq!(blocked.len(), 1, "{:#}", report["events"]);
    let message = blocked[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("allowEmpty"), "{message}");
    assert!(message.contains("3 alarm(s)"), "{message}");
    assert_eq!(alarm_names(REGION, &prefix).await.len(), 3);

    // Said explicitly, the stack gives them up (within the cap).
    let allowed = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(&stack, REGION, "  prune: { allowEmpty: true }\n"),
    );
    let report = apply(&allowed.path.to_string_lossy()).await;
    assert_eq!(events(&report, "Pruned").len(), 3, "{:#}", report["events"]);
    assert!(alarm_names(REGION, &prefix).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_converged_pass_over_a_thousand_alarms_stays_within_the_batched_read_minimum() {
    const N: usize = 1000;
    let prefix = unique("many");
    let stack = unique("many");
    let file = DesiredFile::write(
        "alarms.yaml",
        &stack_yaml(&stack, BIG_REGION, &numbered_alarms(&prefix, 0..N)),
    );
    let path = file.path.to_string_lossy().into_owned();
    // Created unpaced: at PutMetricAlarm's 3/s a cold thousand takes minutes, and this
    // test is about the converged pass's reads (which stay paced).
    let (created, _) = crate::pacing::mooring_env(
        &[("MOORING_AWS_PACING", "off")],
        &["apply", &path, "--output", "json"],
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");
    let created: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    assert_eq!(events(&created, "Created").len(), N);
    let report = assert_converged(&path).await;
    let made = calls(&report);
    // One prefix (the names' first segment), pages of 100; the topics of the region in
    // pages of 100; no tags (every alarm carries this stack's marker).
    let bounds = BTreeMap::from([
        ("DescribeAlarms".to_owned(), N.div_ceil(100) as u64),
        ("ListTopics".to_owned(), 1),
    ]);
    eprintln!("{N} alarms, converged pass: calls {made:?}, bounds {bounds:?}");
    for (operation, count) in &made {
        let bound = bounds
            .get(operation)
            .unwrap_or_else(|| panic!("unexpected {operation} ({count}): {made:?}"));
        assert!(count <= bound, "{operation}: {count} > {bound}");
    }
}
