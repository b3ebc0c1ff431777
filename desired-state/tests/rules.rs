//! Pass-2 rules not covered by the corpus, checked through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::PathBuf;

fn stack(name: &str, spec: &str) -> (PathBuf, String) {
    let text =
        format!("apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {name}\nspec:\n{spec}");
    (PathBuf::from(format!("{name}.yaml")), text)
}

fn messages(sources: &[(PathBuf, String)]) -> Vec<String> {
    match desired_state::parse_sources(sources) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(|d| d.message.clone()).collect(),
    }
}

const SERVICE_WITH_STEPS: &str = "  services:
    - cluster: c
      name: s
      autoscaling:
        min: 1
        max: 4
        stepScaling:
          burst:
            alarm: queue-deep
            steps:
              - { lower: 0, upper: 10, adjustment: 1 }
              - { lower: 10, adjustment: 2 }
  alarms:
    queue-deep: { namespace: AWS/SQS, metric: ApproximateNumberOfMessagesVisible, statistic: Maximum, period: 60s, evaluationPeriods: 1, threshold: 100, comparison: \">=\" }
";

#[test]
fn step_scaling_is_accepted_and_checked() {
    assert_eq!(
        messages(&[stack("steps", SERVICE_WITH_STEPS)]),
        Vec::<String>::new()
    );
    let gap = SERVICE_WITH_STEPS.replace("lower: 10, adjustment: 2", "lower: 20, adjustment: 2");
    assert!(messages(&[stack("steps", &gap)])[0].contains("leave a gap"));
    let unknown = SERVICE_WITH_STEPS.replace("alarm: queue-deep", "alarm: queue-deeper");
    assert!(messages(&[stack("steps", &unknown)])[0].contains("unknown alarm `queue-deeper`"));
    // Only a metric (or metric-math) alarm can run a scaling policy.
    let composite = SERVICE_WITH_STEPS
        .replace(
            "  alarms:\n",
            "  alarms:\n    queue-any: { rule: \"ALARM(queue-deep)\" }\n",
        )
        .replace("alarm: queue-deep", "alarm: queue-any");
    assert!(messages(&[stack("steps", &composite)])[0]
        .contains("composite alarm `queue-any` cannot run step-scaling policy `burst`"));
}

#[test]
fn references_may_cross_files_but_names_may_not_repeat() {
    let a = stack("a", "  topics:\n    shared-alerts: {}\n");
    let b = stack(
        "b",
        "  alarms:\n    x: { namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: \">\", notify: [shared-alerts, \"arn:aws:sns:us-east-1:123456789012:elsewhere\"] }\n",
    );
    assert_eq!(messages(&[a, b]), Vec::<String>::new());
}

#[test]
fn alarm_kind_rules() {
    let composite_self = stack("c", "  alarms:\n    me: { rule: ALARM(me) }\n");
    assert!(messages(&[composite_self])[0].contains("refers to itself"));
    let mixed = stack("m", "  alarms:\n    both: { metric: X, rule: ALARM(y) }\n");
    assert!(messages(&[mixed])[0].contains("mixes alarm kinds"));
    let nothing = stack("n", "  alarms:\n    empty: { threshold: 1 }\n");
    assert!(messages(&[nothing])[0].contains("says nothing to watch"));
    let missing = stack("s", "  alarms:\n    rds: { metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 1, threshold: 1, comparison: \">\" }\n");
    assert!(messages(&[missing])[0].contains("missing `namespace`"));
    let too_many = stack("d", "  alarms:\n    rds: { namespace: AWS/RDS, metric: CPUUtilization, statistic: Average, period: 60s, evaluationPeriods: 2, datapointsToAlarm: 3, threshold: 1, comparison: \">\" }\n");
    assert!(messages(&[too_many])[0].contains("more than its evaluationPeriods"));
}

#[test]
fn schedule_rules() {
    let half_pair = stack("h", "  schedules:\n    n: { sleepAt: \"0 20 * * *\" }\n");
    assert!(messages(&[half_pair])[0].contains("needs both `sleepAt` and `wakeAt`"));
    let both = stack(
        "b",
        "  schedules:\n    n: { awake: [Mon], asleep: [Sun] }\n",
    );
    assert!(messages(&[both])[0].contains("mixes ways"));
    let overnight = stack(
        "o",
        "  schedules:\n    n: { awake: [\"Fri 22:00-02:00\"] }\n",
    );
    assert_eq!(messages(&[overnight]), Vec::<String>::new());
}

#[test]
fn alb_request_count_needs_a_resource_label() {
    let spec = "  services:\n    - cluster: c\n      name: s\n      autoscaling:\n        min: 1\n        max: 2\n        targetTracking:\n          rq: { metric: ALBRequestCountPerTarget, target: 100 }\n";
    assert!(messages(&[stack("alb", spec)])[0].contains("no `resourceLabel`"));
}

#[test]
fn sleeping_above_max_is_an_error() {
    let spec = "  schedules:\n    n: { awake: [Mon-Fri] }\n  services:\n    - cluster: c\n      name: s\n      autoscaling: { min: 1, max: 2 }\n      offHours: { schedule: n, desiredCount: 3 }\n";
    assert!(messages(&[stack("sleep", spec)])[0].contains("above its autoscaling max"));
}

#[test]
fn events_defaults_and_topic_references() {
    use desired_state::{EventKind, TopicRef};
    let a = stack("a", "  topics:\n    shared-alerts: {}\n");
    let b = stack("b", "  events:\n    topic: shared-alerts\n");
    let state = desired_state::parse_sources(&[a, b]).unwrap();
    let events = state.stacks[1].events.as_ref().unwrap();
    assert_eq!(events.topic, Some(TopicRef::Name("shared-alerts".into())));
    assert_eq!(
        events.types.iter().copied().collect::<Vec<_>>(),
        [EventKind::Warning]
    );
    assert_eq!(events.fold_window.as_secs(), 3600);
    assert!(events.metrics);
    assert_eq!(state.stacks[0].events, None, "no section: no sinks");

    let arn = stack(
        "c",
        "  events:\n    topic: \"arn:aws:sns:eu-west-1:123456789012:elsewhere\"\n    types: [Normal, Warning]\n    foldWindow: 10m\n    metrics: false\n",
    );
    let state = desired_state::parse_sources(&[arn]).unwrap();
    let events = state.stacks[0].events.as_ref().unwrap();
    assert_eq!(
        events.topic,
        Some(TopicRef::Arn(
            "arn:aws:sns:eu-west-1:123456789012:elsewhere".into()
        ))
    );
    assert_eq!(events.types.len(), 2);
    assert_eq!(events.fold_window.as_secs(), 600);
    assert!(!events.metrics);
}

#[test]
fn events_rules() {
    let bad = stack(
        "d",
        "  events:\n    topic: \"arn:aws:sqs:us-east-1:123456789012:q\"\n    types: []\n    foldWindow: 0s\n",
    );
    let found = messages(&[bad]);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found.iter().any(|m| m.contains("invalid topic ARN")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m.contains("`events.types` is empty")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m.contains("longer than 0s")),
        "{found:?}"
    );
    let no_topics = stack("e", "  events:\n    topic: alerts\n");
    assert!(messages(&[no_topics])[0].contains("no topics are declared"));
    let bad_type = stack("f", "  events:\n    types: [Error]\n");
    assert!(!messages(&[bad_type]).is_empty());
}

// Subscriptions: plain http only when allowed on purpose (issue 9). Checked through the
// public API, so that subscriptions.rs does not call back into the crate root that runs it.
fn stack_with(
    subscription: &str,
) -> Result<desired_state::DesiredState, desired_state::Diagnostics> {
    let text = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: s }}\nspec:\n  topics:\n    alerts:\n      subscriptions:\n        - {subscription}\n"
    );
    desired_state::parse_sources(&[(PathBuf::from("s.yaml"), text)])
}

#[test]
fn plain_http_is_refused_at_the_protocol_and_says_how_to_allow_it() {
    let diagnostics =
        stack_with("{ protocol: http, endpoint: \"http://hooks.example.com/a\" }").unwrap_err();
    let first = diagnostics.iter().next().unwrap();
    assert_eq!((first.line, first.column), (8, 23), "{first}");
    assert!(
        first.message.contains("expected `protocol: https`"),
        "{first}"
    );
    assert!(first.message.contains("allowInsecureHttp: true"), "{first}");
}

#[test]
fn plain_http_is_accepted_when_allowed() {
    let state = stack_with(
        "{ protocol: http, endpoint: \"http://hooks.example.com/a\", allowInsecureHttp: true }",
    );
    assert!(state.is_ok(), "{}", state.unwrap_err());
    let https = stack_with("{ protocol: https, endpoint: \"https://hooks.example.com/a\" }");
    assert!(https.is_ok(), "{}", https.unwrap_err());
}

#[test]
fn the_flag_is_refused_where_it_means_nothing() {
    for flag in ["true", "false"] {
        let diagnostics = stack_with(&format!(
            "{{ protocol: https, endpoint: \"https://h.example.com\", allowInsecureHttp: {flag} }}"
        ))
        .unwrap_err();
        assert!(
            diagnostics
                .to_string()
                .contains("applies to `http` subscriptions only"),
            "{diagnostics}"
        );
    }
    // `false` on http is the default spelled out: still refused.
    let diagnostics = stack_with(
        "{ protocol: http, endpoint: \"http://h.example.com\", allowInsecureHttp: false }",
    )
    .unwrap_err();
    assert!(
        diagnostics.to_string().contains("plain `http`"),
        "{diagnostics}"
    );
}

/// The example: in Europe/Berlin, `wakeAt 15 2 * * Sun` / `sleepAt 45 2 * * Sun`
/// fire together on the spring change (02:00-03:00 is skipped), waking wins, and the
/// service stays awake for a week. The file is valid; a warning names the date.
#[test]
fn a_cron_pair_that_fires_together_on_a_dst_day_is_warned_with_the_date() {
    let spec = "  schedules:
    sundays:
      timezone: Europe/Berlin
      wakeAt: \"15 2 * * Sun\"
      sleepAt: \"45 2 * * Sun\"
  services:
    - { cluster: c, name: s, desiredCount: 1, offHours: { schedule: sundays } }
";
    let desired = desired_state::parse_sources(&[stack("dst-pair", spec)]).unwrap();
    let warnings: Vec<_> = desired.warnings.iter().collect();
    assert_eq!(warnings.len(), 1, "{}", desired.warnings);
    let warning = warnings[0];
    assert_eq!(warning.severity, desired_state::Severity::Warning);
    assert_eq!((warning.line, warning.column), (10, 16));
    // The next last Sunday of March, whatever year the test runs in.
    let date = warning
        .message
        .split("on ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    use chrono::Datelike;
    assert_eq!((date.month(), date.weekday()), (3, chrono::Weekday::Sun));
    assert!(date.day() > 24, "the last Sunday of March: {date}");
    assert!(
        warning.message.contains("both fire at 03:00 CEST"),
        "{}",
        warning.message
    );
    assert!(desired
        .warnings
        .to_string()
        .starts_with("warning: dst-pair.yaml:10:16:"));
}

#[test]
fn a_cron_pair_that_never_fires_together_has_no_warning() {
    let spec = "  schedules:
    nights:
      timezone: Europe/Berlin
      sleepAt: \"0 20 * * Mon-Fri\"
      wakeAt: \"0 7 * * Mon-Fri\"
";
    let desired = desired_state::parse_sources(&[stack("office", spec)]).unwrap();
    assert!(desired.warnings.is_empty(), "{}", desired.warnings);
}
