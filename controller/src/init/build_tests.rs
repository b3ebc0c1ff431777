//! init's decisions, one at a time, on small hand-made accounts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::init::emit::emit;
use crate::observed::alerting::{
    AlarmSpec, Marker, ObservedSubscription, SubscriptionSettings, TopicSettings,
};
use crate::observed::autoscaling::{ScalableTarget, StepAdjustment, StepScalingPolicy};

const ACCOUNT: &str = "123456789012";

fn service(tags: &[(&str, &str)], target: TargetObservation) -> ObservedService {
    ObservedService {
        arn: format!("arn:aws:ecs:us-east-1:{ACCOUNT}:service/shop/api"),
        desired_count: 2,
        running_count: 2,
        pending_count: 0,
        status: "ACTIVE".into(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        scalable_target: target,
    }
}

fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:us-east-1:{ACCOUNT}:{name}")
}

/// CPU of shop/api above 80 over two 5-minute periods, notifying `actions`.
fn cpu_alarm(actions: &[String]) -> ObservedAlarm {
    ObservedAlarm {
        arn: format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:x"),
        spec: AlarmSpec {
            namespace: Some("AWS/ECS".into()),
            metric: Some("CPUUtilization".into()),
            dimensions: BTreeMap::from([
                ("ClusterName".into(), "shop".into()),
                ("ServiceName".into(), "api".into()),
            ]),
            statistic: Some("Average".into()),
            period: Some(300),
            evaluation_periods: Some(2),
            datapoints_to_alarm: Some(2),
            threshold: Some(80.0),
            comparison: Some("GreaterThanThreshold".into()),
            treat_missing_data: Some("missing".into()),
            alarm_actions: actions.to_vec(),
            ..AlarmSpec::default()
        },
        marker: None,
        tags: Some(BTreeMap::new()),
        state: None,
    }
}

fn topic(tags: &[(&str, &str)], endpoints: &[(&str, &str)]) -> ObservedTopic {
    ObservedTopic {
        arn: String::new(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        settings: TopicSettings::default(),
        subscriptions: Some(
            endpoints
                .iter()
                .map(|(protocol, endpoint)| ObservedSubscription {
                    arn: None,
                    protocol: (*protocol).into(),
                    endpoint: (*endpoint).into(),
                    settings: SubscriptionSettings::default(),
                })
                .collect(),
        ),
    }
}

fn account() -> Account {
    Account {
        region: "us-east-1".into(),
        account: Some(ACCOUNT.into()),
        services: BTreeMap::from([(
            ServiceKey::new("shop", "api"),
            service(&[], TargetObservation::Absent),
        )]),
        ..Account::default()
    }
}

fn with_topic(account: &mut Account, name: &str, topic: ObservedTopic) {
    account.topic_arns.insert(name.into(), topic_arn(name));
    account.topics.insert(
        name.into(),
        ObservedTopic {
            arn: topic_arn(name),
            ..topic
        },
    );
}

fn options() -> Options {
    Options {
        stack: "shop".into(),
        ..Options::default()
    }
}

/// The document, emitted and loaded: every test's file must validate.
fn built(account: &Account, options: &Options) -> (Document, String) {
    let document = build(account, options);
    let text = emit(&document, "2026-01-01T00:00:00Z").text;
    if let Err(e) = desired_state::parse_sources(&[(PathBuf::from("t.yaml"), text.clone())]) {
        panic!("invalid:\n{e}\n{text}");
    }
    (document, text)
}

#[test]
fn a_service_alarm_goes_under_its_service_without_what_the_format_fills_in() {
    let mut account = account();
    with_topic(&mut account, "alerts", topic(&[], &[]));
    account
        .alarms
        .insert("api-cpu".into(), cpu_alarm(&[topic_arn("alerts")]));
    let (document, text) = built(&account, &options());
    let alarm = &document.services[0].alarms["api-cpu"];
    assert_eq!(alarm.spec.namespace, None, "AWS/ECS is the default");
    assert!(alarm.spec.dimensions.is_empty(), "{text}");
    assert_eq!(alarm.spec.datapoints_to_alarm, None, "= evaluationPeriods");
    assert_eq!(
        alarm.spec.treat_missing_data, None,
        "missing is the default"
    );
    assert_eq!(alarm.notify, vec!["alerts".to_owned()]);
    assert_eq!(alarm.management, Management::Adopt);
    assert!(
        text.contains("period: 5m") && text.contains("comparison: \">\""),
        "{text}"
    );
    assert!(text.contains("desiredCount: 2"), "{text}");
}

#[test]
fn application_auto_scalings_alarms_and_another_stacks_are_left_out_and_counted() {
    let mut account = account();
    let policy = format!("arn:aws:autoscaling:us-east-1:{ACCOUNT}:scalingPolicy:u:resource/ecs/service/shop/api:policyName/cpu");
    account.alarms.insert(
        "TargetTracking-service/shop/api-AlarmHigh-1".into(),
        cpu_alarm(std::slice::from_ref(&policy)),
    );
    let mut theirs = cpu_alarm(&[]);
    theirs.marker = Some(Marker {
        stack: "billing".into(),
        digest: "0".into(),
    });
    account.alarms.insert("billing-cpu".into(), theirs);
    let mut tagged = cpu_alarm(&[]);
    tagged.tags = Some(BTreeMap::from([(STACK_TAG.into(), "billing".into())]));
    account.alarms.insert("billing-cpu-2".into(), tagged);
    let (document, text) = built(&account, &options());
    assert_eq!(document.left_out.target_tracking_alarms, 1);
    assert_eq!(document.left_out.other_stacks["billing"].alarms, 2);
    assert!(document.services[0].alarms.is_empty(), "{text}");
    assert!(
        text.contains("# left out: alarm billing-cpu of stack `billing`")
            && text.contains("# left out: alarm TargetTracking-service/shop/api-AlarmHigh-1, made by Application Auto Scaling"),
        "said where they would be: {text}"
    );
}

#[test]
fn an_action_to_a_topic_not_written_stays_an_arn_with_a_comment_why() {
    let mut account = account();
    with_topic(
        &mut account,
        "theirs",
        topic(&[(STACK_TAG, "billing")], &[]),
    );
    let elsewhere = format!("arn:aws:sns:eu-west-1:{ACCOUNT}:far");
    account.alarms.insert(
        "api-cpu".into(),
        cpu_alarm(&[topic_arn("theirs"), elsewhere.clone()]),
    );
    let (document, text) = built(&account, &options());
    assert!(document.topics.is_empty(), "another stack's topic: {text}");
    assert_eq!(document.left_out.other_stacks["billing"].topics, 1);
    let alarm = &document.services[0].alarms["api-cpu"];
    assert_eq!(alarm.notify, vec![elsewhere, topic_arn("theirs")], "sorted");
    assert!(text.contains("a topic of stack `billing`"), "{text}");
    assert!(text.contains("outside this region or account"), "{text}");
}

#[test]
fn an_alarm_running_a_step_policy_is_linked_by_alarm_on_the_policy() {
    let mut account = account();
    let arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:u:resource/ecs/service/shop/api:policyName/burst";
    let target = ScalableTarget {
        min: 1,
        max: 4,
        policies: BTreeMap::from([(
            "burst".into(),
            ScalingPolicy::StepScaling(StepScalingPolicy {
                adjustment_type: "ChangeInCapacity".into(),
                cooldown: Some(60),
                metric_aggregation_type: "Average".into(),
                min_adjustment_magnitude: None,
                steps: vec![StepAdjustment {
                    lower_bound: Some(0.0),
                    upper_bound: None,
                    scaling_adjustment: 2,
                }],
            }),
        )]),
        policy_arns: BTreeMap::from([("burst".into(), arn.into())]),
        ..ScalableTarget::default()
    };
    account.services.insert(
        ServiceKey::new("shop", "api"),
        service(&[], TargetObservation::Registered(Box::new(target))),
    );
    // A queue alarm (no service dimensions): written because it runs the policy.
    let mut queue = cpu_alarm(&[arn.to_owned()]);
    queue.spec.namespace = Some("Shop".into());
    queue.spec.dimensions = BTreeMap::new();
    account.alarms.insert("queue-deep".into(), queue);
    let (document, text) = built(&account, &options());
    let service = &document.services[0];
    let step = &service
        .autoscaling
        .as_ref()
        .map(|a| a.step_scaling["burst"].clone());
    assert_eq!(
        step.as_ref().and_then(|s| s.alarm.as_deref()),
        Some("queue-deep")
    );
    assert_eq!(step.as_ref().and_then(|s| s.adjustment_type.clone()), None);
    assert!(document.alarms["queue-deep"].notify.is_empty(), "{text}");
    assert_eq!(service.desired_count, None, "the autoscaler owns the count");
    assert_eq!(
        service.management,
        Management::Adopt,
        "its target is taken over"
    );
}

#[test]
fn a_secret_endpoint_is_withheld_and_its_topic_only_observed() {
    let mut account = account();
    let secret = "https://hooks.example.com/services/T000/B000/s3cr3tT0kenAbcdefgh";
    with_topic(
        &mut account,
        "hooks",
        topic(&[], &[("https", secret), ("email", "ops@example.com")]),
    );
    let options = Options {
        topics: vec!["hooks".into(), "nope".into()],
        ..options()
    };
    let document = build(&account, &options);
    let emitted = emit(&document, "t");
    assert!(!emitted.text.contains("s3cr3t"), "{}", emitted.text);
    assert!(matches!(
        document.topics["hooks"].management,
        Management::Observe(Some(_))
    ));
    assert_eq!(emitted.withheld_lines.len(), 1);
    let line = emitted
        .text
        .lines()
        .nth(emitted.withheld_lines[0] - 1)
        .unwrap_or_default();
    assert!(
        line.contains("# - { protocol: https") && line.contains("***"),
        "{line}"
    );
    assert_eq!(document.left_out.missing_topics, vec!["nope".to_owned()]);
    assert!(desired_state::parse_sources(&[(PathBuf::from("t.yaml"), emitted.text)]).is_ok());
}

#[test]
fn what_is_already_this_stacks_needs_no_adoption_and_observe_replaces_adopt() {
    let mut account = account();
    let mut ours = cpu_alarm(&[]);
    ours.marker = Some(Marker {
        stack: "shop".into(),
        digest: "0".into(),
    });
    account.alarms.insert("api-cpu".into(), ours);
    account.alarms.insert("api-cpu-2".into(), cpu_alarm(&[]));
    let (document, _) = built(&account, &options());
    let alarms = &document.services[0].alarms;
    assert_eq!(alarms["api-cpu"].management, Management::Owned);
    assert_eq!(alarms["api-cpu-2"].management, Management::Adopt);
    let observe = Options {
        observe: true,
        ..options()
    };
    let (document, text) = built(&account, &observe);
    assert_eq!(
        document.services[0].alarms["api-cpu-2"].management,
        Management::Observe(None)
    );
    assert!(text.contains("management: observe"), "{text}");
    assert_eq!(
        document.services[0].management,
        Management::Observe(None),
        "its count is only watched too"
    );
    assert!(!text.lines().any(|l| l.trim() == "adopt: true"), "{text}");
}

#[test]
fn an_action_the_format_cannot_name_makes_the_alarm_observed() {
    let mut account = account();
    account.alarms.insert(
        "api-cpu".into(),
        cpu_alarm(&["arn:aws:automate:us-east-1:ec2:stop".into()]),
    );
    let (document, text) = built(&account, &options());
    let alarm = &document.services[0].alarms["api-cpu"];
    assert!(
        matches!(alarm.management, Management::Observe(Some(_))),
        "{text}"
    );
    assert!(alarm.notify.is_empty());
}

#[test]
fn a_lambda_action_of_the_region_is_written_and_one_elsewhere_observed() {
    let here = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:chat-notify");
    let mut account = account();
    account
        .alarms
        .insert("api-cpu".into(), cpu_alarm(std::slice::from_ref(&here)));
    let (document, text) = built(&account, &options());
    let alarm = &document.services[0].alarms["api-cpu"];
    assert_eq!(alarm.notify, vec![here], "{text}");
    assert!(
        !matches!(alarm.management, Management::Observe(Some(_))),
        "{text}"
    );

    // Another region's function: the file could not name it (validation refuses it).
    let elsewhere = format!("arn:aws:lambda:eu-west-1:{ACCOUNT}:function:chat-notify");
    account
        .alarms
        .insert("api-cpu".into(), cpu_alarm(&[elsewhere]));
    let (document, text) = built(&account, &options());
    let alarm = &document.services[0].alarms["api-cpu"];
    assert!(
        matches!(alarm.management, Management::Observe(Some(_))),
        "{text}"
    );
    assert!(alarm.notify.is_empty());
}

#[test]
fn a_composite_over_an_alarm_left_out_is_left_out_too() {
    let mut account = account();
    let mut theirs = cpu_alarm(&[]);
    theirs.tags = Some(BTreeMap::from([(STACK_TAG.into(), "billing".into())]));
    account.alarms.insert("billing-cpu".into(), theirs);
    account.alarms.insert("api-cpu".into(), cpu_alarm(&[]));
    let composite = |rule: &str| ObservedAlarm {
        arn: String::new(),
        spec: AlarmSpec {
            rule: Some(rule.into()),
            ..AlarmSpec::default()
        },
        marker: None,
        tags: Some(BTreeMap::new()),
        state: None,
    };
    account.alarms.insert(
        "both".into(),
        composite("ALARM(api-cpu) AND ALARM(billing-cpu)"),
    );
    account
        .alarms
        .insert("api-only".into(), composite("ALARM(api-cpu)"));
    let (document, text) = built(&account, &options());
    assert!(document.alarms.contains_key("api-only"), "{text}");
    assert!(!document.alarms.contains_key("both"), "{text}");
    assert_eq!(
        document.left_out.unsupported_alarms,
        vec!["both".to_owned()]
    );
}

#[test]
fn a_policy_the_format_cannot_hold_makes_its_service_observed() {
    let mut account = account();
    let target = ScalableTarget {
        min: 1,
        max: 4,
        policies: BTreeMap::from([(
            "forecast".into(),
            ScalingPolicy::Other {
                policy_type: "PredictiveScaling".into(),
            },
        )]),
        ..ScalableTarget::default()
    };
    account.services.insert(
        ServiceKey::new("shop", "api"),
        service(&[], TargetObservation::Registered(Box::new(target))),
    );
    let (document, text) = built(&account, &options());
    assert!(
        matches!(
            document.services[0].management,
            Management::Observe(Some(_))
        ),
        "{text}"
    );
    assert!(
        text.contains("PredictiveScaling policy `forecast`"),
        "{text}"
    );
}
