//! Property: the planner is idempotent. For a generated desired state and a generated
//! account (converged to another generated desired state at another instant, then drifted
//! by hand), planning, applying every change with a model of AWS (`aws_model`), and
//! planning again at the same instant yields no change.
//!
//! Generation draws from a list of numbers (`Choices`), so proptest shrinks a failure to
//! the simplest choices. Default 48 cases (about a second); `PROPTEST_CASES=5000` for more.

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use desired_state::DesiredState;
use proptest::prelude::*;

use super::aws_model::drift::{drift, initial_account};
use super::aws_model::generate::{desired_yaml, instant, Choices, STACK};
use super::aws_model::{self, Account};
use super::*;

pub(super) fn parse(yaml: &str) -> DesiredState {
    match desired_state::parse_sources(&[(PathBuf::from("generated.yaml"), yaml.to_owned())]) {
        Ok(state) => state,
        Err(diagnostics) => {
            panic!("the generator wrote an invalid desired state:\n{diagnostics}\n{yaml}")
        }
    }
}

/// Plans and applies as `apply/mod.rs` does: a failed change skips the rest of its group.
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

pub(super) fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
}

/// A generated starting point: a desired state (as YAML and parsed), an account that
/// mooring converged to another desired state at another instant and that was then
/// drifted by hand, and the instant to plan at.
pub(super) struct Scenario {
    pub yaml: String,
    pub desired: DesiredState,
    pub account: Account,
    pub now: DateTime<Utc>,
}

pub(super) fn scenario(numbers: Vec<u32>) -> Scenario {
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
    Scenario {
        yaml,
        desired,
        account,
        now,
    }
}

/// The whole scenario, also used by the regression tests below.
fn check_idempotent(numbers: Vec<u32>) -> Result<(), TestCaseError> {
    let Scenario {
        yaml,
        desired,
        mut account,
        now,
    } = scenario(numbers);
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

/// The 400 numbers a generated scenario is drawn from, from a fixed linear congruential
/// sequence: the coverage tests below see the same scenarios on every run.
fn scenario_numbers(seed: &mut u64) -> Vec<u32> {
    (0..400)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // The high 31 bits: the low ones of an LCG repeat quickly.
            (*seed >> 33) as u32
        })
        .collect()
}

/// The generated scenarios reach the wiring of step-scaling policies to their alarms
/// (`alarm_policies`): the property above would pass vacuously otherwise.
#[test]
fn generated_accounts_wire_step_policies_to_alarms() {
    let mut seed = 7u64;
    let mut wired = 0;
    for _ in 0..300 {
        let numbers = scenario_numbers(&mut seed);
        let Scenario {
            desired,
            mut account,
            now,
            ..
        } = scenario(numbers);
        plan_and_apply(&mut account, &desired, now);
        let has_policy_action = account.alarms.values().any(|alarm| {
            alarm
                .spec
                .alarm_actions
                .iter()
                .any(|action| action.contains(":scalingPolicy:"))
        });
        wired += usize::from(has_policy_action);
    }
    assert!(wired >= 10, "only {wired} of 300 scenarios wired a policy");
}

/// The generated scenarios reach every dashboard decision (created, corrected, pruned,
/// another stack's or nobody's): the property above would pass vacuously otherwise.
#[test]
fn generated_accounts_exercise_dashboards() {
    let mut seed = 11u64;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..300 {
        let numbers = scenario_numbers(&mut seed);
        let Scenario {
            desired,
            account,
            now,
            ..
        } = scenario(numbers);
        let planned = plan(&desired, &account.observe(&desired), now);
        let reasons = planned
            .changes
            .iter()
            .filter(|c| matches!(c.resource, Resource::Dashboard { .. }))
            .map(|c| format!("{:?}", c.reason))
            .chain(
                planned
                    .notices
                    .iter()
                    .filter(|n| matches!(n.resource, Some(Resource::Dashboard { .. })))
                    .map(|n| format!("{:?}", n.reason)),
            );
        for reason in reasons {
            *seen.entry(reason).or_default() += 1;
        }
    }
    for reason in ["Created", "DriftCorrected", "Pruned", "NotOwned", "Adopted"] {
        assert!(
            seen.contains_key(reason),
            "no dashboard {reason} in {seen:?}"
        );
    }
}

/// The generated scenarios reach Lambda alert targets (granted, and kept by hand): the
/// idempotence property would pass vacuously for them otherwise.
#[test]
fn generated_accounts_grant_lambda_alert_targets() {
    let mut seed = 11u64;
    let mut granted = 0;
    for _ in 0..300 {
        let numbers = scenario_numbers(&mut seed);
        let Scenario {
            desired,
            mut account,
            now,
            ..
        } = scenario(numbers);
        let planned = crate::plan::plan(&desired, &account.observe(&desired), now);
        for change in &planned.changes {
            // Refusals (a function that does not exist) are part of the scenario.
            let _ = account.apply(change);
        }
        let statements = account
            .functions
            .get(aws_model::lambda::FUNCTION)
            .map_or(0, Vec::len);
        granted += usize::from(statements > 0);
    }
    assert!(
        granted >= 10,
        "only {granted} of 300 scenarios granted a statement"
    );
}
