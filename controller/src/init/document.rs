//! PURE: what `mooring init` read from the account → the desired-state document it
//! writes. Every decision of init lives here: which alarms belong to the file and
//! under which service, which defaults are dropped (against the format's own defaults,
//! docs/desired-state.md "Defaults summary"), which actions become topic names, what
//! needs `adopt: true`, what is withheld (secrets) or left out (and why). `emit.rs`
//! only spells the result.

use std::collections::{BTreeMap, BTreeSet};

use crate::observed::alerting::{
    AlarmSpec, ObservedAlarm, ObservedSubscription, ObservedTopic, TopicSettings,
};
use crate::observed::autoscaling::{ScalingPolicy, StepAdjustment, TargetTrackingPolicy};
use crate::observed::{ObservedService, ServiceKey, TargetObservation};
use crate::plan::STACK_TAG;

/// Everything init read from one region of the account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub region: String,
    /// The account id, from the ARNs read.
    pub account: Option<String>,
    /// The ACTIVE services of the clusters asked for, scalable targets read.
    pub services: BTreeMap<ServiceKey, ObservedService>,
    /// Every alarm of the region; `tags` read for those `selected_alarms` names.
    pub alarms: BTreeMap<String, ObservedAlarm>,
    /// Every topic of the region: name → ARN.
    pub topic_arns: BTreeMap<String, String>,
    /// The `mooring:stack` tag of every topic of the region that has one.
    pub topic_stacks: BTreeMap<String, String>,
    /// The topics `wanted_topics` names, read in full (subscriptions included).
    pub topics: BTreeMap<String, ObservedTopic>,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub stack: String,
    /// `--observe`: `management: observe` instead of `adopt: true`.
    pub observe: bool,
    pub alarm_prefix: Option<String>,
    /// `--topic`: topics written even when no alarm notifies them.
    pub topics: Vec<String>,
}

/// How a resource is written: taken over on the first apply, already this stack's, or
/// only watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Management {
    /// Already tagged for this stack: nothing to write.
    Owned,
    /// Not tagged yet: `adopt: true`.
    Adopt,
    /// `management: observe`, with the comment that says why (none for `--observe`).
    Observe(Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub stack: String,
    pub region: String,
    pub account: Option<String>,
    pub topics: BTreeMap<String, TopicDoc>,
    /// Sorted by cluster, then name.
    pub services: Vec<ServiceDoc>,
    /// Alarms not tied to one service.
    pub alarms: BTreeMap<String, AlarmDoc>,
    pub left_out: LeftOut,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDoc {
    pub cluster: String,
    pub name: String,
    /// Written only without autoscaling (with it, the autoscaler owns the count).
    pub desired_count: Option<u32>,
    pub autoscaling: Option<AutoscalingDoc>,
    pub alarms: BTreeMap<String, AlarmDoc>,
    pub management: Management,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutoscalingDoc {
    pub min: u32,
    pub max: u32,
    /// The `suspended` flags that are on (all default to off).
    pub suspended: Vec<&'static str>,
    pub target_tracking: BTreeMap<String, TargetTrackingPolicy>,
    pub step_scaling: BTreeMap<String, StepDoc>,
    pub scheduled_actions: BTreeMap<String, ActionDoc>,
    /// Comments on what could not be written (a policy type the format has no words for).
    pub comments: Vec<String>,
}

/// A step-scaling policy; `None` fields are the format's defaults and are not written.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDoc {
    pub adjustment_type: Option<String>,
    pub cooldown: Option<u32>,
    pub metric_aggregation_type: Option<String>,
    pub min_adjustment_magnitude: Option<i32>,
    pub steps: Vec<StepAdjustment>,
    /// The alarm whose ALARM actions run the policy.
    pub alarm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDoc {
    pub schedule: String,
    /// `None`: UTC, the default when the stack names no zone (init writes none).
    pub timezone: Option<String>,
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// Local time in the action's zone, `YYYY-MM-DDTHH:MM:SS`.
    pub start: Option<String>,
    pub end: Option<String>,
}

/// An alarm as written: `spec` holds only what is written (`None` is a default left
/// out; dimensions the format fills in removed), actions as topic names or ARNs.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmDoc {
    pub spec: AlarmSpec,
    pub notify: Vec<String>,
    pub ok_notify: Vec<String>,
    pub insufficient_data_notify: Vec<String>,
    pub management: Management,
    /// Written above the alarm: why an action is an ARN, what was left out.
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicDoc {
    pub settings: TopicSettings,
    /// The user's tags (mooring's own left out).
    pub tags: BTreeMap<String, String>,
    pub subscriptions: Vec<SubscriptionDoc>,
    pub management: Management,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionDoc {
    Written(ObservedSubscription),
    /// The endpoint carries a secret: written as a comment with the secret masked.
    Withheld {
        protocol: String,
        shown: String,
    },
    /// A protocol the format does not manage (application, firehose): a comment.
    Unmanaged {
        protocol: String,
        shown: String,
    },
}

/// What was left out, counted for the summary on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Alarms Application Auto Scaling made for target-tracking policies.
    pub target_tracking_alarms: usize,
    /// Alarms, topics and services of other stacks, by stack.
    pub other_stacks: BTreeMap<String, OtherStack>,
    /// Alarms the format cannot express (anomaly detection, an unknown statistic), and
    /// composite alarms naming an alarm that is not written.
    pub unsupported_alarms: Vec<String>,
    /// `--topic` names that no topic of the region has.
    pub missing_topics: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherStack {
    pub services: usize,
    pub alarms: usize,
    pub topics: usize,
}

/// Namespaces whose alarms under a service get `ClusterName`/`ServiceName` filled in
/// (desired-state's `alarm_checks`).
const SERVICE_NAMESPACES: [&str; 2] = ["AWS/ECS", "ECS/ContainerInsights"];
/// The namespace a service alarm has when it writes none.
const SERVICE_DEFAULT_NAMESPACE: &str = "AWS/ECS";

/// The alarm Application Auto Scaling creates (and deletes) with a target-tracking
/// policy: named `TargetTracking-<resource id>-AlarmHigh-<uuid>` (or `AlarmLow`), its
/// action the policy.
pub fn is_target_tracking_alarm(name: &str, spec: &AlarmSpec) -> bool {
    name.starts_with("TargetTracking-")
        && spec
            .alarm_actions
            .iter()
            .any(|action| action.contains(":scalingPolicy:"))
}

/// The service an alarm watches through its ECS dimensions, if it is one of `services`.
fn watched_service<'a>(
    spec: &AlarmSpec,
    services: &'a BTreeMap<ServiceKey, ObservedService>,
) -> Option<&'a ServiceKey> {
    let of = |dimensions: &BTreeMap<String, String>| {
        let key = ServiceKey::new(
            dimensions.get("ClusterName")?.as_str(),
            dimensions.get("ServiceName")?.as_str(),
        );
        services.get_key_value(&key).map(|(key, _)| key)
    };
    of(&spec.dimensions).or_else(|| spec.metrics.values().find_map(|m| of(&m.dimensions)))
}

/// Step-scaling policy ARN → (service, policy name), for the services read.
fn step_policy_arns(
    services: &BTreeMap<ServiceKey, ObservedService>,
) -> BTreeMap<String, (ServiceKey, String)> {
    let mut arns = BTreeMap::new();
    for (key, service) in services {
        if let TargetObservation::Registered(target) = &service.scalable_target {
            for (name, arn) in &target.policy_arns {
                if matches!(
                    target.policies.get(name),
                    Some(ScalingPolicy::StepScaling(_))
                ) {
                    arns.insert(arn.clone(), (key.clone(), name.clone()));
                }
            }
        }
    }
    arns
}

/// The alarms that belong in the file, before ownership is known: those that watch a
/// service read (by dimension), run one of its step policies, or start with the
/// prefix, and the composite alarms over them (with every alarm their rule names).
/// Application Auto Scaling's target-tracking alarms never. Tags are read for these.
pub fn selected_alarms(account: &Account, options: &Options) -> BTreeSet<String> {
    let policies = step_policy_arns(&account.services);
    let mut selected = BTreeSet::new();
    for (name, alarm) in &account.alarms {
        if is_target_tracking_alarm(name, &alarm.spec) {
            continue;
        }
        let ours = alarm
            .marker
            .as_ref()
            .is_some_and(|m| m.stack == options.stack);
        let by_prefix = options
            .alarm_prefix
            .as_deref()
            .is_some_and(|prefix| name.starts_with(prefix));
        let runs_policy = alarm
            .spec
            .alarm_actions
            .iter()
            .any(|a| policies.contains_key(a));
        if ours
            || by_prefix
            || runs_policy
            || (!alarm.spec.is_composite()
                && watched_service(&alarm.spec, &account.services).is_some())
        {
            selected.insert(name.clone());
        }
    }
    // Composite alarms over selected ones, and what they name (to a fixed point: a
    // composite may name a composite).
    loop {
        let mut added = false;
        for (name, alarm) in &account.alarms {
            let Some(rule) = &alarm.spec.rule else {
                continue;
            };
            let names = desired_state::model::rule_alarms(rule).unwrap_or_default();
            let wanted = selected.contains(name) || names.iter().any(|n| selected.contains(n));
            if !wanted {
                continue;
            }
            for named in names.iter().chain(std::iter::once(name)) {
                if account.alarms.contains_key(named) && selected.insert(named.clone()) {
                    added = true;
                }
            }
        }
        if !added {
            return selected;
        }
    }
}

/// The topic names to read in full: those the selected alarms notify (in this region),
/// those asked for with `--topic`, and those tagged for this stack (an apply of a file
/// without them would delete them).
pub fn wanted_topics(account: &Account, options: &Options) -> BTreeSet<String> {
    let by_arn: BTreeMap<&str, &str> = account
        .topic_arns
        .iter()
        .map(|(name, arn)| (arn.as_str(), name.as_str()))
        .collect();
    let mut wanted: BTreeSet<String> = options
        .topics
        .iter()
        .filter(|t| account.topic_arns.contains_key(*t))
        .cloned()
        .chain(
            account
                .topic_stacks
                .iter()
                .filter(|(_, stack)| **stack == options.stack)
                .map(|(name, _)| name.clone()),
        )
        .collect();
    for name in selected_alarms(account, options) {
        let Some(alarm) = account.alarms.get(&name) else {
            continue;
        };
        let spec = &alarm.spec;
        for action in spec
            .alarm_actions
            .iter()
            .chain(&spec.ok_actions)
            .chain(&spec.insufficient_data_actions)
        {
            if let Some(topic) = by_arn.get(action.as_str()) {
                wanted.insert((*topic).to_owned());
            }
        }
    }
    wanted
}

/// The stack an alarm or topic belongs to, by its marker or `mooring:stack` tag.
fn stack_of(marker: Option<&str>, tags: Option<&BTreeMap<String, String>>) -> Option<String> {
    marker
        .map(str::to_owned)
        .or_else(|| tags.and_then(|t| t.get(STACK_TAG)).cloned())
}

fn management(options: &Options, ours: bool) -> Management {
    match (ours, options.observe) {
        (true, _) => Management::Owned,
        (false, true) => Management::Observe(None),
        (false, false) => Management::Adopt,
    }
}

/// The account as the document init writes.
pub fn build(account: &Account, options: &Options) -> Document {
    let mut left_out = LeftOut {
        target_tracking_alarms: account
            .alarms
            .iter()
            .filter(|(name, alarm)| {
                is_target_tracking_alarm(name, &alarm.spec)
                    && watched_service(&alarm.spec, &account.services).is_some()
            })
            .count(),
        missing_topics: options
            .topics
            .iter()
            .filter(|t| !account.topic_arns.contains_key(*t))
            .cloned()
            .collect(),
        ..LeftOut::default()
    };

    // Services: another stack's are left out.
    let services: BTreeMap<ServiceKey, &ObservedService> = account
        .services
        .iter()
        .filter(|(_, service)| match service.tags.get(STACK_TAG) {
            Some(other) if *other != options.stack => {
                left_out
                    .other_stacks
                    .entry(other.clone())
                    .or_default()
                    .services += 1;
                false
            }
            _ => true,
        })
        .map(|(key, service)| (key.clone(), service))
        .collect();
    let kept_services: BTreeMap<ServiceKey, ObservedService> = services
        .iter()
        .map(|(k, s)| (k.clone(), (*s).clone()))
        .collect();
    let policies = step_policy_arns(&kept_services);

    // Topics: another stack's are left out (alarms name them by ARN).
    let mut topics = BTreeMap::new();
    for (name, topic) in &account.topics {
        match topic.tags.get(STACK_TAG) {
            Some(other) if *other != options.stack => {
                left_out
                    .other_stacks
                    .entry(other.clone())
                    .or_default()
                    .topics += 1;
            }
            tag => {
                let ours = tag.is_some();
                topics.insert(name.clone(), topic_doc(topic, management(options, ours)));
            }
        }
    }

    // Alarms: selected, not another stack's, expressible; composites only over written ones.
    let selected = selected_alarms(
        &Account {
            services: kept_services.clone(),
            ..account.clone()
        },
        options,
    );
    let mut written: BTreeMap<String, &ObservedAlarm> = BTreeMap::new();
    for name in &selected {
        let Some(alarm) = account.alarms.get(name) else {
            continue;
        };
        let owner = stack_of(
            alarm.marker.as_ref().map(|m| m.stack.as_str()),
            alarm.tags.as_ref(),
        );
        match owner {
            Some(other) if other != options.stack => {
                left_out.other_stacks.entry(other).or_default().alarms += 1;
            }
            _ if !expressible(&alarm.spec) => left_out.unsupported_alarms.push(name.clone()),
            _ => {
                written.insert(name.clone(), alarm);
            }
        }
    }
    // A composite naming an alarm that is not written cannot validate.
    loop {
        let dangling: Vec<String> = written
            .iter()
            .filter(|(_, alarm)| {
                alarm.spec.rule.as_deref().is_some_and(|rule| {
                    desired_state::model::rule_alarms(rule)
                        .unwrap_or_default()
                        .iter()
                        .any(|n| !written.contains_key(n))
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if dangling.is_empty() {
            break;
        }
        for name in dangling {
            written.remove(&name);
            left_out.unsupported_alarms.push(name);
        }
    }
    left_out.unsupported_alarms.sort();

    // Which step policy each written alarm runs (the first alarm naming a policy links it).
    let mut step_alarms: BTreeMap<(ServiceKey, String), String> = BTreeMap::new();
    for (name, alarm) in &written {
        for action in &alarm.spec.alarm_actions {
            if let Some(policy) = policies.get(action) {
                step_alarms
                    .entry(policy.clone())
                    .or_insert_with(|| name.clone());
            }
        }
    }

    let mut service_docs: Vec<ServiceDoc> = services
        .iter()
        .map(|(key, service)| service_doc(key, service, &step_alarms, options))
        .collect();
    let mut stack_alarms = BTreeMap::new();
    for (name, alarm) in &written {
        let ours = alarm
            .marker
            .as_ref()
            .is_some_and(|m| m.stack == options.stack)
            || alarm.tags.as_ref().and_then(|t| t.get(STACK_TAG)) == Some(&options.stack);
        let home = if alarm.spec.is_composite() || !alarm.spec.metrics.is_empty() {
            None
        } else {
            watched_service(&alarm.spec, &kept_services).cloned()
        };
        let doc = alarm_doc(
            name,
            alarm,
            home.as_ref(),
            account,
            &topics,
            &policies,
            &step_alarms,
            management(options, ours),
        );
        match home.and_then(|key| {
            service_docs
                .iter_mut()
                .find(|s| s.cluster == key.cluster && s.name == key.name)
        }) {
            Some(service) => {
                service.alarms.insert(name.clone(), doc);
            }
            None => {
                stack_alarms.insert(name.clone(), doc);
            }
        }
    }
    service_docs.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));

    Document {
        stack: options.stack.clone(),
        region: account.region.clone(),
        account: account.account.clone(),
        topics,
        services: service_docs,
        alarms: stack_alarms,
        left_out,
    }
}

/// Whether the format can say what the alarm does: a statistic and comparison it knows
/// (not anomaly detection's band comparisons), a standard unit.
fn expressible(spec: &AlarmSpec) -> bool {
    if spec.is_composite() {
        return desired_state::model::rule_alarms(spec.rule.as_deref().unwrap_or("")).is_ok();
    }
    let statistic_ok = |s: &str| desired_state::Statistic::parse(s).is_ok();
    let metric_ok = if spec.metrics.is_empty() {
        spec.namespace.is_some()
            && spec.metric.is_some()
            && spec.statistic.as_deref().is_some_and(statistic_ok)
    } else {
        spec.expression.is_some() && spec.metrics.values().all(|m| statistic_ok(&m.statistic))
    };
    metric_ok
        && spec.period.is_some()
        && spec.evaluation_periods.is_some()
        && spec.threshold.is_some()
        && spec.comparison.as_deref().and_then(comparison).is_some()
        && spec
            .unit
            .as_deref()
            .is_none_or(|u| desired_state::STANDARD_UNITS.contains(&u))
}

/// CloudWatch's comparison operator as the format's type.
pub fn comparison(aws: &str) -> Option<desired_state::Comparison> {
    use desired_state::Comparison as C;
    Some(match aws {
        "GreaterThanThreshold" => C::GreaterThanThreshold,
        "GreaterThanOrEqualToThreshold" => C::GreaterThanOrEqualToThreshold,
        "LessThanThreshold" => C::LessThanThreshold,
        "LessThanOrEqualToThreshold" => C::LessThanOrEqualToThreshold,
        _ => return None,
    })
}

fn service_doc(
    key: &ServiceKey,
    service: &ObservedService,
    step_alarms: &BTreeMap<(ServiceKey, String), String>,
    options: &Options,
) -> ServiceDoc {
    let ours = service.tags.get(STACK_TAG) == Some(&options.stack);
    let autoscaling = match &service.scalable_target {
        TargetObservation::Registered(target) => {
            let mut doc = AutoscalingDoc {
                min: target.min,
                max: target.max,
                suspended: [
                    (
                        target.suspended.dynamic_scaling_in_suspended,
                        "dynamicScalingIn",
                    ),
                    (
                        target.suspended.dynamic_scaling_out_suspended,
                        "dynamicScalingOut",
                    ),
                    (
                        target.suspended.scheduled_scaling_suspended,
                        "scheduledScaling",
                    ),
                ]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect(),
                target_tracking: BTreeMap::new(),
                step_scaling: BTreeMap::new(),
                scheduled_actions: BTreeMap::new(),
                comments: Vec::new(),
            };
            for (name, policy) in &target.policies {
                match policy {
                    ScalingPolicy::TargetTracking(policy) => {
                        doc.target_tracking.insert(name.clone(), policy.clone());
                    }
                    ScalingPolicy::StepScaling(policy) => {
                        let alarm = step_alarms.get(&(key.clone(), name.clone())).cloned();
                        doc.step_scaling.insert(
                            name.clone(),
                            StepDoc {
                                adjustment_type: Some(policy.adjustment_type.clone())
                                    .filter(|t| t != "ChangeInCapacity" && !t.is_empty()),
                                cooldown: policy.cooldown,
                                metric_aggregation_type: Some(
                                    policy.metric_aggregation_type.clone(),
                                )
                                .filter(|t| t != "Average" && !t.is_empty()),
                                min_adjustment_magnitude: policy.min_adjustment_magnitude,
                                steps: policy.steps.clone(),
                                alarm,
                            },
                        );
                    }
                    ScalingPolicy::Other { policy_type } => doc.comments.push(format!(
                        "left out: {policy_type} policy `{name}` (mooring does not manage this type; an apply deletes it)"
                    )),
                }
            }
            for (name, action) in &target.scheduled_actions {
                let zone: Option<chrono_tz::Tz> = action.timezone.parse().ok();
                let local = |instant: Option<chrono::DateTime<chrono::Utc>>| {
                    instant.map(|i| match zone {
                        Some(zone) => i
                            .with_timezone(&zone)
                            .naive_local()
                            .format("%Y-%m-%dT%H:%M:%S")
                            .to_string(),
                        None => i.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    })
                };
                doc.scheduled_actions.insert(
                    name.clone(),
                    ActionDoc {
                        schedule: action.schedule.clone(),
                        timezone: Some(action.timezone.clone()).filter(|z| z != "UTC"),
                        min: action.min,
                        max: action.max,
                        start: local(action.start),
                        end: local(action.end),
                    },
                );
            }
            Some(doc)
        }
        _ => None,
    };
    // A service needs adopting only for what hangs off it: its scalable target.
    let management = match (&autoscaling, ours) {
        (Some(_), false) => management(options, false),
        _ => Management::Owned,
    };
    ServiceDoc {
        cluster: key.cluster.clone(),
        name: key.name.clone(),
        desired_count: autoscaling.is_none().then_some(service.desired_count),
        autoscaling,
        alarms: BTreeMap::new(),
        management,
    }
}

#[allow(clippy::too_many_arguments)]
fn alarm_doc(
    name: &str,
    alarm: &ObservedAlarm,
    home: Option<&ServiceKey>,
    account: &Account,
    topics: &BTreeMap<String, TopicDoc>,
    policies: &BTreeMap<String, (ServiceKey, String)>,
    step_alarms: &BTreeMap<(ServiceKey, String), String>,
    management: Management,
) -> AlarmDoc {
    let mut spec = alarm.spec.clone();
    let mut comments = Vec::new();
    if let Some(home) = home {
        let namespace = spec.namespace.as_deref().unwrap_or_default();
        if SERVICE_NAMESPACES.contains(&namespace) {
            // Filled in by the format under a service.
            if spec.dimensions.get("ClusterName") == Some(&home.cluster)
                && spec.dimensions.get("ServiceName") == Some(&home.name)
            {
                spec.dimensions.remove("ClusterName");
                spec.dimensions.remove("ServiceName");
            }
        }
        if namespace == SERVICE_DEFAULT_NAMESPACE {
            spec.namespace = None;
        }
    }
    if spec.datapoints_to_alarm == spec.evaluation_periods {
        spec.datapoints_to_alarm = None;
    }
    if spec.treat_missing_data.as_deref() == Some("missing") {
        spec.treat_missing_data = None;
    }
    let mut unwritable = Vec::new();
    let mut targets = |actions: &[String], alarm_state: bool| -> Vec<String> {
        let mut written = Vec::new();
        for action in actions {
            if alarm_state {
                if let Some(policy) = policies.get(action) {
                    if step_alarms.get(policy).map(String::as_str) == Some(name) {
                        // Written as `alarm:` on the step-scaling policy.
                        continue;
                    }
                }
            }
            match topic_name(action, account) {
                Some(topic) if topics.contains_key(&topic) => written.push(topic),
                _ if is_sns_arn(action) => {
                    comments.push(format!("{action}: {}", outside_why(action, account)));
                    written.push(action.clone());
                }
                _ => unwritable.push(action.clone()),
            }
        }
        written.sort();
        written.dedup();
        written
    };
    let notify = targets(&spec.alarm_actions, true);
    let ok_notify = targets(&spec.ok_actions, false);
    let insufficient_data_notify = targets(&spec.insufficient_data_actions, false);
    let management = if unwritable.is_empty() {
        management
    } else {
        // The format names only SNS topics and step policies it declares; a full apply
        // would drop any other action, so the alarm is only watched.
        Management::Observe(Some(format!(
            "observe: its actions include {} (not an SNS topic or a step-scaling policy of this file), which an apply would remove; switch to full once you no longer need them",
            unwritable.join(", ")
        )))
    };
    AlarmDoc {
        spec,
        notify,
        ok_notify,
        insufficient_data_notify,
        management,
        comments,
    }
}

fn is_sns_arn(action: &str) -> bool {
    let parts: Vec<&str> = action.split(':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns"
}

/// The name of the topic an action names, when it is a topic of this region.
fn topic_name(action: &str, account: &Account) -> Option<String> {
    account
        .topic_arns
        .iter()
        .find(|(_, arn)| *arn == action)
        .map(|(name, _)| name.clone())
}

/// Why an SNS action is written as an ARN.
fn outside_why(action: &str, account: &Account) -> String {
    match topic_name(action, account)
        .and_then(|name| account.topics.get(&name))
        .and_then(|topic| topic.tags.get(STACK_TAG))
    {
        Some(stack) => format!("a topic of stack `{stack}`, not written here"),
        None if topic_name(action, account).is_some() => {
            "a topic not written here (add it with --topic to manage it)".into()
        }
        None => "a topic outside this region or account, or one that does not exist".into(),
    }
}

fn topic_doc(topic: &ObservedTopic, management: Management) -> TopicDoc {
    let mut withheld = false;
    let subscriptions = topic
        .subscriptions
        .iter()
        .flatten()
        .map(|s| {
            let shown = crate::redact::endpoint(&s.endpoint);
            const MANAGED: [&str; 7] = [
                "email",
                "email-json",
                "http",
                "https",
                "sqs",
                "lambda",
                "sms",
            ];
            if !MANAGED.contains(&s.protocol.as_str()) {
                withheld = true;
                SubscriptionDoc::Unmanaged {
                    protocol: s.protocol.clone(),
                    shown: shown.into_owned(),
                }
            } else if shown != s.endpoint {
                withheld = true;
                SubscriptionDoc::Withheld {
                    protocol: s.protocol.clone(),
                    shown: shown.into_owned(),
                }
            } else {
                SubscriptionDoc::Written(s.clone())
            }
        })
        .collect();
    let management = if withheld {
        // A full apply unsubscribes what the file does not list: only watch the topic
        // until the withheld endpoints are filled in.
        Management::Observe(Some(
            "observe: a subscription below is withheld; an apply in full would unsubscribe it. Fill in its endpoint, then remove this line (and set `adopt: true` if the topic is not yet this stack's)".into(),
        ))
    } else {
        management
    };
    TopicDoc {
        settings: topic.settings.clone(),
        tags: topic
            .tags
            .iter()
            .filter(|(k, _)| !k.starts_with("mooring:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        subscriptions,
        management,
    }
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
