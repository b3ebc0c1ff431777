//! Property: the planner is idempotent. For a generated desired state and a generated
//! account (converged to another generated desired state at another instant, then drifted
//! by hand), planning, applying every change with a model of AWS (`aws_model`), and
//! planning again at the same instant yields no change.
//!
//! Generation draws from a list of numbers (`Choices`), so proptest shrinks a failure to
//! the simplest choices. Default 48 cases (about a second); `PROPTEST_CASES=2000` for more.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use desired_state::DesiredState;
use proptest::prelude::*;

use super::aws_model::{self, Account, Behaviour};
use super::*;
use crate::observed::alerting::{ObservedSubscription, SubscriptionSettings, TopicSettings};
use crate::observed::autoscaling::{
    ScalableTarget, ScalingPolicy, ScheduledAction, TargetTrackingPolicy, TrackedMetric,
};
use crate::observed::ServiceKey;

/// Numbers drawn by proptest, read one at a time; past the end every choice is 0 (the
/// simplest), so shrinking the list simplifies the scenario.
struct Choices {
    numbers: Vec<u32>,
    next: usize,
}

impl Choices {
    fn new(numbers: Vec<u32>) -> Self {
        Self { numbers, next: 0 }
    }

    /// 0..n
    fn pick(&mut self, n: usize) -> usize {
        let number = self.numbers.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        if n == 0 {
            0
        } else {
            number as usize % n
        }
    }

    fn range(&mut self, low: u32, high: u32) -> u32 {
        low + self.pick((high - low + 1) as usize) as u32
    }

    /// True about `percent` % of the time (false when the choices ran out).
    fn chance(&mut self, percent: usize) -> bool {
        let number = self.pick(100);
        number >= 100 - percent.min(100)
    }

    fn select<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.pick(items.len())]
    }
}

const STACK: &str = "prop";
const CLUSTER: &str = "c";
const TOPICS: [&str; 2] = ["prop-t0", "prop-t1"];
const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

fn management(c: &mut Choices) -> &'static str {
    match c.pick(10) {
        0 => "observe",
        1 => "paused",
        _ => "full",
    }
}

fn schedule_yaml(c: &mut Choices, out: &mut String, name: &str) {
    let _ = writeln!(out, "    {name}:");
    let _ = writeln!(out, "      timezone: {}", c.select(&ZONES));
    let windows = [
        "Mon-Fri 07:00-20:00",
        "Sat 10:00-14:00",
        "Fri 22:00-02:00",
        "Sun",
        "Mon,Wed,Fri 01:30-03:00",
    ];
    match c.pick(3) {
        0 => {
            let _ = writeln!(out, "      awake: [\"{}\"]", c.select(&windows));
        }
        1 => {
            let _ = writeln!(
                out,
                "      asleep: [\"{}\", \"{}\"]",
                c.select(&windows),
                c.select(&windows)
            );
        }
        _ => {
            let crons = [
                "0 20 * * Mon-Fri",
                "30 2 * * *",
                "0 7 * * 1-5",
                "15 0 1 * *",
            ];
            let _ = writeln!(out, "      sleepAt: \"{}\"", c.select(&crons));
            let _ = writeln!(out, "      wakeAt: \"{}\"", c.select(&crons[..3]));
        }
    }
    if c.chance(30) {
        let _ = writeln!(out, "      holidays: [\"12-25\", \"2026-03-29\"]");
    }
}

fn alarm_yaml(
    c: &mut Choices,
    out: &mut String,
    indent: &str,
    name: &str,
    topics: &[&str],
    namespace: bool,
) {
    let _ = writeln!(out, "{indent}{name}:");
    let notify: Vec<&str> = topics.iter().copied().filter(|_| c.chance(60)).collect();
    if namespace || c.pick(3) != 0 {
        let _ = writeln!(out, "{indent}  namespace: AWS/RDS");
        let _ = writeln!(out, "{indent}  metric: CPUUtilization");
        let _ = writeln!(
            out,
            "{indent}  dimensions: {{ DBInstanceIdentifier: db{} }}",
            c.pick(2)
        );
        let _ = writeln!(
            out,
            "{indent}  statistic: {}",
            c.select(&["Average", "Maximum", "p99"])
        );
    } else {
        let _ = writeln!(out, "{indent}  metrics:");
        let _ = writeln!(out, "{indent}    errors: {{ namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, statistic: Sum }}");
        let _ = writeln!(out, "{indent}    requests: {{ namespace: AWS/ApplicationELB, metric: RequestCount, statistic: Sum }}");
        let _ = writeln!(out, "{indent}  expression: \"100 * errors / requests\"");
    }
    let _ = writeln!(out, "{indent}  period: {}s", 60 * c.range(1, 5));
    let _ = writeln!(out, "{indent}  evaluationPeriods: {}", c.range(1, 3));
    let _ = writeln!(
        out,
        "{indent}  threshold: {}",
        c.select(&["80", "0.5", "1e3"])
    );
    let _ = writeln!(
        out,
        "{indent}  comparison: \"{}\"",
        c.select(&[">", ">=", "<"])
    );
    if c.chance(30) {
        let _ = writeln!(
            out,
            "{indent}  description: \"{}\"",
            c.select(&["CPU high", "", "ünïcode [x]"])
        );
    }
    if !notify.is_empty() {
        let _ = writeln!(out, "{indent}  notify: [{}]", notify.join(", "));
    }
    if c.chance(20) {
        let _ = writeln!(
            out,
            "{indent}  okNotify: [{}]",
            topics
                .first()
                .copied()
                .unwrap_or("arn:aws:sns:us-east-1:123456789012:ext")
        );
    }
    let _ = writeln!(out, "{indent}  management: {}", management(c));
    if c.chance(40) {
        let _ = writeln!(out, "{indent}  adopt: true");
    }
}

fn topic_yaml(c: &mut Choices, out: &mut String, name: &str) {
    let _ = writeln!(out, "    {name}:");
    if c.chance(50) {
        let _ = writeln!(
            out,
            "      displayName: \"{}\"",
            c.select(&["Alerts", "", "Ops"])
        );
    }
    if c.chance(20) {
        let _ = writeln!(out, "      deliveryPolicy: {{ http: {{ defaultHealthyRetryPolicy: {{ numRetries: {} }} }} }}", c.range(1, 5));
    }
    if c.chance(30) {
        let _ = writeln!(out, "      tags: {{ team: {} }}", c.select(&["ops", "dev"]));
    }
    let pool = [
        ("email", "ops@example.com", ""),
        ("https", "https://hooks.example.com/a", ""),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:q", ""),
        (
            "http",
            "http://hooks.example.com/b",
            ", allowInsecureHttp: true",
        ),
        ("email-json", "dev@example.com", ""),
    ];
    let _ = writeln!(out, "      subscriptions:");
    for (protocol, endpoint, extra) in pool {
        if !c.chance(40) {
            continue;
        }
        let mut fields = format!("protocol: {protocol}, endpoint: \"{endpoint}\"{extra}");
        if matches!(protocol, "sqs" | "https" | "http") && c.chance(40) {
            fields.push_str(", rawMessageDelivery: true");
        }
        match c.pick(4) {
            0 => fields.push_str(", filterPolicy: { severity: [high] }"),
            1 if c.chance(50) => fields.push_str(", filterPolicy: {}"),
            _ => {}
        }
        let _ = writeln!(out, "        - {{ {fields} }}");
    }
    let _ = writeln!(out, "      management: {}", management(c));
    if c.chance(40) {
        let _ = writeln!(out, "      adopt: true");
    }
}

fn service_yaml(
    c: &mut Choices,
    out: &mut String,
    index: usize,
    topics: &[&str],
    schedules: usize,
) {
    let _ = writeln!(out, "    - cluster: {CLUSTER}");
    let _ = writeln!(out, "      name: s{index}");
    let autoscaling = c.chance(50).then(|| {
        let min = c.range(0, 2);
        (min, min + c.range(0, 3))
    });
    let count = match autoscaling {
        Some((min, max)) => c.chance(60).then(|| c.range(min, max)),
        None => c.chance(80).then(|| c.range(0, 5)),
    };
    if let Some(count) = count {
        let _ = writeln!(out, "      desiredCount: {count}");
    }
    if let Some((min, max)) = autoscaling {
        let _ = writeln!(out, "      autoscaling:");
        let _ = writeln!(out, "        min: {min}");
        let _ = writeln!(out, "        max: {max}");
        if c.chance(20) {
            let _ = writeln!(out, "        suspended: {{ dynamicScalingIn: true }}");
        }
        if c.chance(60) {
            let _ = writeln!(out, "        targetTracking:");
            let _ = writeln!(
                out,
                "          cpu: {{ metric: {}, target: {}{} }}",
                c.select(&[
                    "ECSServiceAverageCPUUtilization",
                    "ECSServiceAverageMemoryUtilization"
                ]),
                c.select(&["70", "55.5"]),
                c.select(&[
                    "",
                    ", scaleInCooldown: 300s",
                    ", scaleInCooldown: 120s, scaleOutCooldown: 60s"
                ])
            );
        }
        if c.chance(30) {
            let _ = writeln!(out, "        stepScaling:");
            let _ = writeln!(out, "          burst:");
            let _ = writeln!(out, "            cooldown: {}", c.select(&["60s", "300s"]));
            let _ = writeln!(out, "            steps:");
            let _ = writeln!(
                out,
                "              - {{ lower: 0, upper: 10, adjustment: 1 }}"
            );
            let _ = writeln!(
                out,
                "              - {{ lower: 10, adjustment: {} }}",
                c.range(1, 3)
            );
        }
        if c.chance(40) {
            let _ = writeln!(out, "        scheduledActions:");
            let _ = writeln!(
                out,
                "          morning: {{ schedule: \"{}\", timezone: {}, min: {min}, max: {max}{} }}",
                c.select(&[
                    "cron(0 7 ? * MON-FRI *)",
                    "rate(5 minutes)",
                    "at(2026-12-24T18:00:00)"
                ]),
                c.select(&ZONES),
                c.select(&[
                    "",
                    ", start: 2026-03-29T02:30:00",
                    ", start: 2026-01-01T00:00:00, end: 2026-12-31T23:59:59"
                ])
            );
        }
    }
    if schedules > 0 && c.chance(60) {
        let cap = autoscaling.map(|(_, max)| max).or(count).unwrap_or(3);
        let _ = writeln!(
            out,
            "      offHours: {{ schedule: sch{}, desiredCount: {} }}",
            c.pick(schedules),
            c.range(0, cap.min(1))
        );
    }
    if c.chance(30) {
        let _ = writeln!(out, "      alarms:");
        alarm_yaml(
            c,
            out,
            "        ",
            &format!("prop-s{index}-cpu"),
            topics,
            false,
        );
    }
    let _ = writeln!(out, "      management: {}", management(c));
    if c.chance(40) {
        let _ = writeln!(out, "      adopt: true");
    }
}

/// A desired state of stack `prop`: services s0.. in cluster `c`, schedules, topics,
/// alarms; valid by construction.
fn desired_yaml(c: &mut Choices) -> String {
    let mut out = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {STACK} }}\nspec:\n  region: {}\n",
        aws_model::REGION
    );
    if c.chance(30) {
        let _ = writeln!(out, "  account: \"{}\"", aws_model::ACCOUNT);
    }
    let schedules = c.pick(3);
    if schedules > 0 {
        out.push_str("  schedules:\n");
        for i in 0..schedules {
            schedule_yaml(c, &mut out, &format!("sch{i}"));
        }
    }
    let topics: Vec<&str> = TOPICS.iter().copied().filter(|_| c.chance(50)).collect();
    if !topics.is_empty() {
        out.push_str("  topics:\n");
        for topic in &topics {
            topic_yaml(c, &mut out, topic);
        }
    }
    out.push_str("  services:\n");
    for index in 0..c.range(1, 3) as usize {
        service_yaml(c, &mut out, index, &topics, schedules);
    }
    let alarms = c.pick(3);
    if alarms > 0 {
        out.push_str("  alarms:\n");
        for i in 0..alarms {
            alarm_yaml(c, &mut out, "    ", &format!("prop-a{i}"), &topics, true);
        }
    }
    if c.chance(20) {
        out.push_str("  prune: { allowEmpty: true }\n");
    }
    out
}

fn parse(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("generated.yaml"), yaml.to_owned())]) {
        Ok(state) => state,
        Err(diagnostics) => {
            panic!("the generator wrote an invalid desired state:\n{diagnostics}\n{yaml}")
        }
    }
}

/// An instant in 2026 on a quarter hour, DST days included.
fn instant(c: &mut Choices) -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::minutes(15 * i64::from(c.range(0, 365 * 24 * 4 - 1)))
}

/// The services as the deploy pipeline left them: most exist, at some count.
fn initial_account(c: &mut Choices) -> Account {
    let mut account = Account {
        behaviour: Behaviour {
            fills_default_cooldowns: c.chance(50),
            clamps_count_on_register: c.chance(50),
            email_needs_confirmation: c.chance(50),
        },
        ..Account::default()
    };
    for index in 0..3 {
        if c.chance(10) {
            continue;
        }
        let mut tags = BTreeMap::new();
        if c.chance(10) {
            tags.insert(STACK_TAG.to_owned(), "other".to_owned());
        }
        account.services.insert(
            ServiceKey::new(CLUSTER, format!("s{index}")),
            aws_model::Service {
                desired_count: c.range(0, 6),
                tags,
                target: None,
                target_unreadable: false,
            },
        );
    }
    account
}

/// Plans and applies as `apply.rs` does: a failed change skips the rest of its group.
/// Returns the plan and the resources whose changes failed or were skipped.
fn plan_and_apply(
    account: &mut Account,
    desired: &DesiredState,
    now: DateTime<Utc>,
) -> (Plan, Vec<Resource>) {
    let planned = plan(desired, &account.observe(desired), now);
    let mut failed_groups: Vec<&str> = Vec::new();
    let mut failed = Vec::new();
    for change in &planned.changes {
        if failed_groups.contains(&change.group.as_str()) {
            failed.push(change.resource.clone());
            continue;
        }
        if account.apply(change).is_err() {
            failed_groups.push(&change.group);
            failed.push(change.resource.clone());
        }
    }
    (planned, failed)
}

/// Someone (a person, a pipeline, another tool) changes things behind mooring's back.
fn drift(c: &mut Choices, account: &mut Account) {
    for _ in 0..c.pick(7) {
        let key = ServiceKey::new(CLUSTER, format!("s{}", c.pick(3)));
        let alarm = c
            .select(&["prop-a0", "prop-a1", "prop-s0-cpu", "prop-old"])
            .to_owned();
        let topic = c.select(&TOPICS).to_owned();
        match c.pick(16) {
            0 => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.desired_count = c.range(0, 6);
                }
            }
            1 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let tag = c.select(&[
                        STACK_TAG,
                        AUTOSCALING_HASH_TAG,
                        WAKE_COUNT_TAG,
                        ASLEEP_SINCE_TAG,
                        SLEEP_INTERRUPTIONS_TAG,
                    ]);
                    match c.pick(3) {
                        0 => {
                            s.tags.remove(tag);
                        }
                        1 => {
                            s.tags.insert(tag.to_owned(), "other".to_owned());
                        }
                        _ => {
                            s.tags.insert(tag.to_owned(), c.range(0, 4).to_string());
                        }
                    }
                }
            }
            2 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let min = c.range(0, 3);
                    let target = s.target.get_or_insert_with(ScalableTarget::default);
                    target.min = min;
                    target.max = min + c.range(0, 3);
                    target.suspended.dynamic_scaling_out_suspended = c.chance(30);
                }
            }
            3 => {
                if let Some(target) = account
                    .services
                    .get_mut(&key)
                    .and_then(|s| s.target.as_mut())
                {
                    if c.chance(50) {
                        target.policies.pop_first();
                    } else {
                        target.policies.insert(
                            "by-hand".into(),
                            ScalingPolicy::TargetTracking(TargetTrackingPolicy {
                                metric: TrackedMetric::Predefined {
                                    predefined_metric_type: "ECSServiceAverageCPUUtilization"
                                        .into(),
                                    resource_label: None,
                                },
                                target_value: 50.0,
                                scale_in_cooldown: None,
                                scale_out_cooldown: Some(30),
                                disable_scale_in: false,
                            }),
                        );
                        target.scheduled_actions.insert(
                            "by-hand".into(),
                            ScheduledAction {
                                schedule: "rate(1 hour)".into(),
                                timezone: "UTC".into(),
                                min: Some(1),
                                max: None,
                                start: None,
                                end: None,
                            },
                        );
                    }
                }
            }
            4 => {
                if let Some(s) = account.services.get_mut(&key) {
                    let tag = c.select(&[AWAKE_UNTIL_TAG, ASLEEP_UNTIL_TAG]);
                    let value = c.select(&[
                        "2026-06-01T12:00:00Z",
                        "2099-01-01T00:00:00+01:00",
                        "tonight",
                    ]);
                    s.tags.insert(tag.to_owned(), value.to_owned());
                }
            }
            5 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.spec.threshold = Some(f64::from(c.range(1, 99)));
                }
            }
            6 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.description = Some(c.select(&["edited by hand", ""]).to_owned());
                    a.spec.description = a.description.clone().filter(|d| !d.is_empty());
                }
            }
            7 => {
                account.topics.remove(&topic);
            }
            8 => {
                account.next_id += 1;
                let arn = c
                    .chance(70)
                    .then(|| format!("{}:{}", aws_model::topic_arn(&topic), account.next_id));
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.subscriptions.push(ObservedSubscription {
                        arn,
                        protocol: "email".into(),
                        endpoint: "someone@example.com".into(),
                        settings: SubscriptionSettings::default(),
                    });
                }
            }
            9 => {
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.settings.display_name = Some("by hand".into());
                    if let Some(s) = t.subscriptions.first_mut() {
                        s.settings.raw_message_delivery = !s.settings.raw_message_delivery;
                        s.settings.filter_policy = Some(serde_json::json!({ "team": ["x"] }));
                    }
                }
            }
            10 => {
                // Someone else's alarm or topic under a declared name, maybe tagged.
                let tags = match c.pick(3) {
                    0 => aws_model::alerting_tags(&[(STACK_TAG, "other")]),
                    1 => aws_model::alerting_tags(&[(STACK_TAG, STACK)]),
                    _ => BTreeMap::new(),
                };
                if c.chance(50) {
                    account
                        .alarms
                        .entry(alarm)
                        .or_insert_with(|| aws_model::Alarm {
                            spec: crate::observed::alerting::AlarmSpec {
                                namespace: Some("AWS/RDS".into()),
                                metric: Some("CPUUtilization".into()),
                                threshold: Some(90.0),
                                ..Default::default()
                            },
                            description: None,
                            tags,
                        });
                } else {
                    account
                        .topics
                        .entry(topic)
                        .or_insert_with(|| aws_model::Topic {
                            settings: TopicSettings::default(),
                            tags,
                            subscriptions: Vec::new(),
                        });
                }
            }
            11 => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.target_unreadable = true;
                }
            }
            12 => {
                account.services.remove(&key);
            }
            13 => {
                if let Some(a) = account.alarms.get_mut(&alarm) {
                    a.tags.remove(STACK_TAG);
                }
            }
            14 => {
                if let Some(t) = account.topics.get_mut(&topic) {
                    t.tags.insert(TOPIC_DIGEST_TAG.to_owned(), "stale".into());
                    t.tags.remove("team");
                }
            }
            _ => {
                if let Some(s) = account.services.get_mut(&key) {
                    s.target = None;
                }
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

/// The whole scenario, also used by the regression tests below.
fn check_idempotent(numbers: Vec<u32>) -> Result<(), TestCaseError> {
    let mut c = Choices::new(numbers);
    let before_yaml = desired_yaml(&mut c);
    let before = parse(&before_yaml);
    let yaml = if c.chance(30) {
        before_yaml.clone()
    } else {
        desired_yaml(&mut c)
    };
    let desired = parse(&yaml);
    let then = instant(&mut c);
    let now = if c.chance(30) {
        then + Duration::minutes(15 * i64::from(c.range(1, 96)))
    } else {
        instant(&mut c)
    };
    let mut account = initial_account(&mut c);
    // What mooring left behind under the earlier desired state (a few passes, so that
    // prune caps and adoptions settle).
    for _ in 0..3 {
        plan_and_apply(&mut account, &before, then);
    }
    drift(&mut c, &mut account);
    let (first, failed) = plan_and_apply(&mut account, &desired, now);
    let second = plan(&desired, &account.observe(&desired), now);
    // Only what AWS refused is planned again (an alarm notifying a topic that nobody
    // creates, say): everything that succeeded is converged.
    let unexpected: Vec<&Change> = second
        .changes
        .iter()
        .filter(|change| !failed.contains(&change.resource))
        .collect();
    prop_assert!(
        unexpected.is_empty(),
        "planning again after applying planned more changes.\n--- desired (at {now})\n{yaml}\n--- first plan\n{:#?}\n--- second plan\n{:#?}\n--- account\n{account:#?}",
        first.changes.iter().map(|ch| format!("{:?} {}: {}", ch.reason, ch.resource, ch.summary)).collect::<Vec<_>>(),
        unexpected,
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // Every draw is a valid scenario; failures are what shrinking is for.
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    })]

    #[test]
    fn planning_after_applying_a_plan_changes_nothing(numbers in proptest::collection::vec(any::<u32>(), 0..400)) {
        check_idempotent(numbers)?;
    }
}

/// Found by the property above: `filterPolicy: {}` (no filtering) was compared with SNS's
/// "no policy" and re-set on every pass.
#[test]
fn an_empty_filter_policy_is_no_policy() {
    let desired = parse(&format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {STACK} }}\nspec:\n  region: {}\n  topics:\n    prop-t0:\n      subscriptions:\n        - {{ protocol: email, endpoint: ops@example.com, filterPolicy: {{}} }}\n  services: []\n",
        aws_model::REGION
    ));
    let now = Utc
        .with_ymd_and_hms(2026, 3, 4, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let mut account = Account::default();
    let (first, failed) = plan_and_apply(&mut account, &desired, now);
    assert!(failed.is_empty(), "{first:#?}");
    let second = plan(&desired, &account.observe(&desired), now);
    assert_eq!(second.changes, Vec::new(), "{second:#?}");
}
