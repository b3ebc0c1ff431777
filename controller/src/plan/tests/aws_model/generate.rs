//! Generated desired states for the planner's property tests: a list of numbers drawn by
//! proptest (`Choices`) becomes a valid YAML stack of services (counts, autoscaling with
//! policies and scheduled actions, off-hours), schedules, topics with subscriptions and
//! alarms, and an instant in 2026.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{ACCOUNT, REGION};

/// Numbers drawn by proptest, read one at a time; past the end every choice is 0 (the
/// simplest), so shrinking the list simplifies the scenario.
pub(in crate::plan) struct Choices {
    numbers: Vec<u32>,
    next: usize,
}

impl Choices {
    pub(in crate::plan) fn new(numbers: Vec<u32>) -> Self {
        Self { numbers, next: 0 }
    }

    /// 0..n
    pub(in crate::plan) fn pick(&mut self, n: usize) -> usize {
        let number = self.numbers.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        if n == 0 {
            0
        } else {
            number as usize % n
        }
    }

    pub(in crate::plan) fn range(&mut self, low: u32, high: u32) -> u32 {
        low + self.pick((high - low + 1) as usize) as u32
    }

    /// True about `percent` % of the time (false when the choices ran out).
    pub(in crate::plan) fn chance(&mut self, percent: usize) -> bool {
        let number = self.pick(100);
        number >= 100 - percent.min(100)
    }

    pub(in crate::plan) fn select<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.pick(items.len())]
    }
}

pub(in crate::plan) const STACK: &str = "prop";
pub(in crate::plan) const CLUSTER: &str = "c";
/// A cluster a stack may declare settings for that does not exist in the account.
pub(in crate::plan) const GONE_CLUSTER: &str = "gone";
pub(in crate::plan) const INSIGHTS: [&str; 3] = ["enabled", "enhanced", "disabled"];
pub(in crate::plan) const TOPICS: [&str; 2] = ["prop-t0", "prop-t1"];
pub(in crate::plan) const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

pub(in crate::plan) fn management(c: &mut Choices) -> &'static str {
    match c.pick(10) {
        0 => "observe",
        1 => "paused",
        _ => "full",
    }
}

pub(in crate::plan) fn schedule_yaml(c: &mut Choices, out: &mut String, name: &str) {
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
            // A pair that fires together is refused by validation (waking would win forever).
            let sleep = c.select(&crons);
            let wakes: Vec<&str> = crons[..3].iter().copied().filter(|w| *w != sleep).collect();
            let _ = writeln!(out, "      sleepAt: \"{sleep}\"");
            let _ = writeln!(out, "      wakeAt: \"{}\"", c.select(&wakes));
        }
    }
    if c.chance(30) {
        let _ = writeln!(out, "      holidays: [\"12-25\", \"2026-03-29\"]");
    }
}

pub(in crate::plan) fn alarm_yaml(
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
    let mut notify: Vec<String> = notify.iter().map(|t| (*t).to_owned()).collect();
    if c.chance(20) {
        notify.push(format!("\"{}\"", super::lambda::FUNCTION));
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

pub(in crate::plan) fn topic_yaml(c: &mut Choices, out: &mut String, name: &str) {
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
        ("lambda", super::lambda::FUNCTION, ""),
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

pub(in crate::plan) fn service_yaml(
    c: &mut Choices,
    out: &mut String,
    index: usize,
    topics: &[&str],
    schedules: usize,
    stack_alarms: usize,
) {
    let _ = writeln!(out, "    - cluster: {CLUSTER}");
    let _ = writeln!(out, "      name: s{index}");
    let own_alarm = c.chance(30);
    // What a step-scaling policy may name: this service's alarm or one of the stack's
    // (shared by several services' policies).
    let mut alarm_names: Vec<String> = (0..stack_alarms).map(|i| format!("prop-a{i}")).collect();
    if own_alarm {
        alarm_names.push(format!("prop-s{index}-cpu"));
    }
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
            if !alarm_names.is_empty() && c.chance(70) {
                let _ = writeln!(
                    out,
                    "            alarm: {}",
                    alarm_names[c.pick(alarm_names.len())]
                );
            }
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
    if own_alarm {
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
pub(in crate::plan) fn desired_yaml(c: &mut Choices) -> String {
    let mut out = format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {{ name: {STACK} }}\nspec:\n  region: {}\n",
        REGION
    );
    if c.chance(30) {
        let _ = writeln!(out, "  account: \"{}\"", ACCOUNT);
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
    let alarms = c.pick(3);
    out.push_str("  services:\n");
    for index in 0..c.range(1, 3) as usize {
        service_yaml(c, &mut out, index, &topics, schedules, alarms);
    }
    if alarms > 0 {
        out.push_str("  alarms:\n");
        for i in 0..alarms {
            alarm_yaml(c, &mut out, "    ", &format!("prop-a{i}"), &topics, true);
        }
    }
    if c.chance(20) {
        out.push_str("  prune: { allowEmpty: true }\n");
    }
    // Last, so that the choices above draw the same scenarios as before clusters existed.
    if c.chance(40) {
        out.push_str("  clusters:\n");
        for cluster in [CLUSTER, GONE_CLUSTER] {
            if cluster == CLUSTER || c.chance(30) {
                let _ = writeln!(
                    out,
                    "    {cluster}: {{ containerInsights: {}, management: {} }}",
                    c.select(&INSIGHTS),
                    management(c)
                );
            }
        }
    }
    let dashboards = c.pick(3);
    if dashboards > 0 {
        out.push_str("  dashboards:\n");
        for i in 0..dashboards {
            dashboard_yaml(c, &mut out, &format!("prop-d{i}"), alarms);
        }
    }
    out
}

/// A dashboard in one of the three forms; its alarms widget names a stack alarm.
fn dashboard_yaml(c: &mut Choices, out: &mut String, name: &str, alarms: usize) {
    let _ = writeln!(out, "    {name}:");
    let _ = writeln!(out, "      management: {}", management(c));
    if c.chance(20) {
        let _ = writeln!(out, "      adopt: true");
    }
    match c.pick(3) {
        0 => {
            let _ = writeln!(out, "      generated: true");
        }
        1 => {
            let _ = writeln!(out, "      widgets:");
            let _ = writeln!(
                out,
                "        - {{ type: text, markdown: \"# {name}\", width: {} }}",
                c.range(1, 24)
            );
            let _ = writeln!(out, "        - {{ type: metric, title: t{}, metrics: [{{ namespace: AWS/ECS, metric: CPUUtilization, dimensions: {{ ClusterName: c }} }}] }}", c.pick(3));
            if alarms > 0 {
                let _ = writeln!(out, "        - {{ type: alarms, alarms: [prop-a0] }}");
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "      body: '{{\"widgets\": [{{\"type\": \"text\", \"width\": {}.0, \"properties\": {{\"markdown\": \"x\"}}}}]}}'",
                c.range(1, 24)
            );
        }
    }
}

/// An instant in 2026 on a quarter hour, DST days included.
pub(in crate::plan) fn instant(c: &mut Choices) -> DateTime<Utc> {
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    base + Duration::minutes(15 * i64::from(c.range(0, 365 * 24 * 4 - 1)))
}
