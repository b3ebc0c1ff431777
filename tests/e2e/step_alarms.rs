//! Step-scaling policies wired to their alarm against the emulator: the policy's ARN (as
//! DescribeScalingPolicies reports it) in the alarm's AlarmActions next to its topic,
//! whether the policy is created in the same pass or existed already; drift corrected,
//! the ARN removed with the policy. (moto never runs a policy when an alarm fires: only
//! the wiring can be checked.)

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use serde_json::Value;

use crate::fixtures::*;
use crate::reports::*;
use crate::scaling_by_hand::{scaling_policies, REGION};

/// One stack: service `api` with step-scaling policy `burst` (naming the alarm when
/// `wired`; no policy at all when `policy` is false), the alarm notifying a topic.
fn stack_yaml(stack: &str, cluster: &str, prefix: &str, policy: bool, wired: bool) -> String {
    let alarm_line = if wired {
        format!("            alarm: {prefix}-queue-deep\n")
    } else {
        String::new()
    };
    let scaling = if policy {
        format!("      autoscaling:\n        min: 1\n        max: 4\n        stepScaling:\n          burst:\n            cooldown: 60s\n{alarm_line}            steps:\n              - {{ lower: 0, upper: 10, adjustment: 1 }}\n              - {{ lower: 10, adjustment: 2 }}\n")
    } else {
        "      autoscaling: { min: 1, max: 4 }\n".to_owned()
    };
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {stack}\nspec:\n  account: \"{ACCOUNT}\"\n  region: {REGION}\n  topics:\n    {prefix}-alerts: {{ displayName: Alerts }}\n  services:\n    - cluster: {cluster}\n      name: api\n{scaling}  alarms:\n    {prefix}-queue-deep: {{ namespace: Shop, metric: QueueDepth, statistic: Average, period: 60s, evaluationPeriods: 2, threshold: 100, comparison: \">\", notify: [{prefix}-alerts] }}\n"
    )
}

/// PolicyARN of the service's policy `burst`, as DescribeScalingPolicies reports it.
async fn policy_arn(cluster: &str) -> Option<String> {
    scaling_policies(REGION, cluster, "api")
        .await
        .iter()
        .find(|p| p.policy_name() == "burst")
        .map(|p| p.policy_arn().to_owned())
}

/// The alarm's ALARM actions as DescribeAlarms reports them, sorted.
async fn alarm_actions(name: &str) -> Vec<String> {
    let alarm = metric_alarm(REGION, name)
        .await
        .unwrap_or_else(|| panic!("no alarm {name}"));
    let mut actions = alarm.alarm_actions().to_vec();
    actions.sort();
    actions
}

fn sorted(mut actions: Vec<String>) -> Vec<String> {
    actions.sort();
    actions
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

struct Setup {
    stack: String,
    cluster: String,
    prefix: String,
    alarm: String,
    topic_arn: String,
    file: DesiredFile,
}

impl Setup {
    async fn new(label: &str) -> Self {
        let prefix = unique(label);
        let cluster = format!("{prefix}-cluster");
        seed_services(REGION, &cluster, &[("api", 1)]).await;
        Self {
            stack: format!("{prefix}-stack"),
            alarm: format!("{prefix}-queue-deep"),
            topic_arn: format!("arn:aws:sns:{REGION}:{ACCOUNT}:{prefix}-alerts"),
            cluster,
            file: DesiredFile::write("stack.yaml", ""),
            prefix,
        }
    }

    /// Writes the desired state and returns its path.
    fn write(&self, policy: bool, wired: bool) -> String {
        let yaml = stack_yaml(&self.stack, &self.cluster, &self.prefix, policy, wired);
        std::fs::write(&self.file.path, yaml).unwrap_or_else(|e| panic!("{e}"));
        self.file.path.to_string_lossy().into_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_policy_created_with_its_alarm_is_wired_in_one_pass_and_unwired_when_removed() {
    let setup = Setup::new("stepwire").await;
    let path = setup.write(true, true);

    let created = apply(&path).await;
    event_for(
        &created,
        "Created",
        &format!("scaling-policy {}/api/burst", setup.cluster),
    );
    event_for(&created, "Created", &format!("alarm {}", setup.alarm));
    let arn = policy_arn(&setup.cluster)
        .await
        .unwrap_or_else(|| panic!("policy burst not created: {:#}", created["events"]));
    assert_eq!(
        alarm_actions(&setup.alarm).await,
        sorted(vec![arn.clone(), setup.topic_arn.clone()])
    );
    // A second pass plans nothing and writes nothing.
    assert_converged(&path).await;

    // The ARN removed in the console: put back as drift, with its diff.
    cloudwatch(REGION)
        .await
        .put_metric_alarm()
        .alarm_name(&setup.alarm)
        .namespace("Shop")
        .metric_name("QueueDepth")
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(2)
        .threshold(100.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions(&setup.topic_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let corrected = apply(&path).await;
    let objects: Vec<&Value> = events(&corrected, "DriftCorrected")
        .into_iter()
        .chain(events(&corrected, "Updated"))
        .filter(|e| e["object"] == format!("alarm {}", setup.alarm))
        .collect();
    assert_eq!(objects.len(), 1, "{:#}", corrected["events"]);
    assert_eq!(
        strings(&diff_of(objects[0], "alarmActions")["after"]),
        sorted(vec![arn.clone(), setup.topic_arn.clone()])
    );
    assert_eq!(
        alarm_actions(&setup.alarm).await,
        sorted(vec![arn.clone(), setup.topic_arn.clone()])
    );
    assert_converged(&path).await;

    // The policy leaves the desired state: deleted, and its ARN leaves the alarm.
    let path = setup.write(false, false);
    let removed = apply(&path).await;
    event_for(
        &removed,
        "Pruned",
        &format!("scaling-policy {}/api/burst", setup.cluster),
    );
    let alarm = event_for(
        &removed,
        "DesiredChanged",
        &format!("alarm {}", setup.alarm),
    );
    assert!(strings(&diff_of(alarm, "alarmActions")["before"]).contains(&arn));
    assert_eq!(policy_arn(&setup.cluster).await, None);
    assert_eq!(
        alarm_actions(&setup.alarm).await,
        vec![setup.topic_arn.clone()]
    );
    assert_converged(&path).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_step_policy_is_wired_when_it_names_the_alarm() {
    let setup = Setup::new("stepexist").await;
    let path = setup.write(true, false);
    apply(&path).await;
    let arn = policy_arn(&setup.cluster)
        .await
        .unwrap_or_else(|| panic!("policy burst not created"));
    assert_eq!(
        alarm_actions(&setup.alarm).await,
        vec![setup.topic_arn.clone()]
    );

    let path = setup.write(true, true);
    let plan = mooring(&["plan", &path]).await;
    assert_eq!(plan.code, 2, "changes pending: {plan:?}");
    assert!(
        plan.stdout.contains(&arn),
        "the plan names the ARN: {plan:?}"
    );
    let wired = apply(&path).await;
    let alarm = event_for(&wired, "DesiredChanged", &format!("alarm {}", setup.alarm));
    assert_eq!(
        strings(&diff_of(alarm, "alarmActions")["after"]),
        sorted(vec![arn.clone(), setup.topic_arn.clone()])
    );
    // Only the alarm changed: the policy is the same policy (same ARN).
    assert_eq!(policy_arn(&setup.cluster).await, Some(arn.clone()));
    assert_eq!(
        alarm_actions(&setup.alarm).await,
        sorted(vec![arn, setup.topic_arn.clone()])
    );
    assert_converged(&path).await;
}
