//! Property: `mooring init` round-trips. An account built by mooring from a generated
//! stack (the model of `aws_model`), optionally with mooring's tags and markers taken
//! off so that it looks like an account nobody manages, is written by init's pure half
//! (`init::build` + `init::emit`); the text loads with `desired_state` (it must
//! validate), and its plan against the same account changes nothing but ownership:
//! adoption (reason Adopted) and mooring's bookkeeping tags. After applying that plan,
//! the next plan is empty.
//!
//! Off-hours are left out of the generated stacks: init cannot know a schedule, and a
//! service built asleep would be woken by a file without one (a change by design).

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;

use super::aws_model::generate::{desired_yaml, instant, Choices, STACK, TOPICS};
use super::aws_model::{alarm_arn, drift::initial_account, service_arn, topic_arn, Account};
use super::idempotence::{cases, parse};
use super::*;
use crate::init::account::{self as document, Options};
use crate::init::build::build;
use crate::init::emit::emit;
use crate::observed::alerting::{Marker, ObservedAlarm, ObservedTopic};
use crate::observed::{ObservedService, TargetObservation};

/// What init's reads would have given on the model account (every alarm and topic of
/// the region, every service of cluster `c` that exists).
fn discovered(account: &Account) -> document::Account {
    let services = account
        .services
        .iter()
        .map(|(key, service)| {
            let target = match &service.target {
                Some(target) => TargetObservation::Registered(Box::new(target.clone())),
                None => TargetObservation::Absent,
            };
            let observed = ObservedService {
                arn: service_arn(key),
                desired_count: service.desired_count,
                running_count: service.desired_count,
                pending_count: 0,
                status: "ACTIVE".into(),
                tags: service.tags.clone(),
                scalable_target: target,
            };
            (key.clone(), observed)
        })
        .collect();
    let alarms = account
        .alarms
        .iter()
        .map(|(name, alarm)| {
            let (_, marker) = Marker::split(alarm.description.as_deref().unwrap_or(""));
            let observed = ObservedAlarm {
                arn: alarm_arn(name),
                spec: alarm.spec.clone(),
                marker,
                tags: Some(alarm.tags.clone()),
                state: None,
            };
            (name.clone(), observed)
        })
        .collect();
    let topics: BTreeMap<String, ObservedTopic> = account
        .topics
        .iter()
        .map(|(name, topic)| {
            let observed = ObservedTopic {
                arn: topic_arn(name),
                tags: topic.tags.clone(),
                settings: topic.settings.clone(),
                subscriptions: Some(topic.subscriptions.clone()),
            };
            (name.clone(), observed)
        })
        .collect();
    document::Account {
        region: aws_model::REGION.into(),
        account: Some(aws_model::ACCOUNT.into()),
        services,
        alarms,
        topic_arns: topics
            .iter()
            .map(|(n, t)| (n.clone(), t.arn.clone()))
            .collect(),
        topic_stacks: topics
            .iter()
            .filter_map(|(n, t)| Some((n.clone(), t.tags.get(STACK_TAG)?.clone())))
            .collect(),
        topics,
    }
}

/// Takes off every `mooring:` tag and alarm marker: an account nobody manages.
fn forget_mooring(account: &mut Account) {
    let keep = |tags: &mut BTreeMap<String, String>| tags.retain(|k, _| !k.starts_with("mooring:"));
    for service in account.services.values_mut() {
        keep(&mut service.tags);
    }
    for alarm in account.alarms.values_mut() {
        keep(&mut alarm.tags);
        alarm.description = alarm.spec.description.clone();
    }
    for topic in account.topics.values_mut() {
        keep(&mut topic.tags);
    }
    for tags in account.cluster_tags.values_mut() {
        keep(tags);
    }
}

/// A change that only takes ownership or records what mooring applied. The marker of
/// an alarm whose declared notify named a topic that was never created differs (the
/// marker's digest covers the notify list as written: a name then, an ARN now): the
/// alarm itself does not change, only its record.
fn is_ownership(change: &Change) -> bool {
    change.reason == Reason::Adopted
        || change.summary.starts_with("restore mooring's marker")
        || matches!(
            &change.operation,
            Operation::Ecs(EcsOperation::TagService { .. } | EcsOperation::TagCluster { .. })
                | Operation::Alarm(AlarmOperation::TagAlarm { .. })
                | Operation::Topic(TopicOperation::TagTopic { .. })
        )
}

/// The round trip of one generated case; returns the file init wrote.
fn check_round_trip(numbers: Vec<u32>) -> Result<String, TestCaseError> {
    let mut c = Choices::new(numbers);
    let yaml: String = desired_yaml(&mut c)
        .lines()
        .filter(|line| !line.trim_start().starts_with("offHours:"))
        .map(|line| format!("{line}\n"))
        .collect();
    let built_from = parse(&yaml);
    let then = instant(&mut c);
    let mut account = initial_account(&mut c);
    for _ in 0..3 {
        let planned = plan(&built_from, &account.observe(&built_from), then);
        for change in &planned.changes {
            let _ = account.apply(change);
        }
    }
    let untagged = c.chance(50);
    if untagged {
        forget_mooring(&mut account);
    }
    let options = Options {
        stack: STACK.into(),
        observe: false,
        alarm_prefix: Some("prop-".into()),
        topics: TOPICS.iter().map(|t| (*t).to_owned()).collect(),
    };
    let written = emit(
        &build(&discovered(&account), &options),
        "2026-01-01T00:00:00Z",
    )
    .text;
    let init_state = desired_state::parse_sources(&[(PathBuf::from("init.yaml"), written.clone())]);
    let init_state = match init_state {
        Ok(state) => state,
        Err(diagnostics) => {
            return Err(TestCaseError::fail(format!(
                "init wrote an invalid file:\n{diagnostics}\n--- written\n{written}\n--- built from\n{yaml}"
            )))
        }
    };
    let first = plan(&init_state, &account.observe(&init_state), then);
    let unexpected: Vec<String> = first
        .changes
        .iter()
        .filter(|change| !is_ownership(change))
        .map(|ch| format!("{:?} {}: {}", ch.reason, ch.resource, ch.summary))
        .collect();
    prop_assert!(
        unexpected.is_empty(),
        "init's file plans more than ownership (untagged: {untagged}):\n{unexpected:#?}\n--- written\n{written}\n--- built from\n{yaml}"
    );
    for change in &first.changes {
        let applied = account.apply(change);
        prop_assert!(applied.is_ok(), "{applied:?}\n{written}");
    }
    let second = plan(&init_state, &account.observe(&init_state), then);
    prop_assert!(
        second.changes.is_empty(),
        "after applying the adoption, planning again changes:\n{:#?}\n--- written\n{written}",
        second
            .changes
            .iter()
            .map(|ch| format!("{:?} {}: {}", ch.reason, ch.resource, ch.summary))
            .collect::<Vec<_>>()
    );
    Ok(written)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    })]

    #[test]
    fn init_of_a_generated_account_plans_only_its_adoption(numbers in proptest::collection::vec(any::<u32>(), 0..400)) {
        check_round_trip(numbers)?;
    }
}

/// The generated cases reach what init has to get right: adoption, step policies linked
/// to their alarms, topics with subscriptions, alarms. The property above would pass
/// vacuously otherwise. (The generator's alarms watch no service by dimension: alarms
/// placed under their service are covered by `init::build`'s tests and the e2e tests.)
#[test]
fn generated_cases_reach_adoption_and_step_policy_links() {
    let mut seed = 11u64;
    let mut reached = BTreeMap::<&str, usize>::new();
    for _ in 0..300 {
        let numbers = (0..400)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (seed >> 33) as u32
            })
            .collect();
        let written = check_round_trip(numbers).unwrap_or_else(|e| panic!("{e}"));
        for (what, needle) in [
            ("adopt", "adopt: true\n"),
            ("step alarm", "            alarm: "),
            ("subscription", "- { protocol: "),
            ("stack alarm", "\n  alarms:"),
            ("target tracking", "targetTracking:"),
        ] {
            if written.contains(needle) {
                *reached.entry(what).or_default() += 1;
            }
        }
    }
    for what in [
        "adopt",
        "step alarm",
        "subscription",
        "stack alarm",
        "target tracking",
    ] {
        let n = reached.get(what).copied().unwrap_or(0);
        assert!(n >= 10, "only {n} of 300 cases reached {what}: {reached:?}");
    }
}
