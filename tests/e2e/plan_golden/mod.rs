//! Golden plans of the shipped examples: every file in `desired-state/examples/`, each on
//! its own, is walked through the scenarios below against the emulator, and what
//! `mooring plan --output json` (and the `apply`s of the walk) reports is compared with
//! the committed files in `tests/e2e/golden/<example>.<scenario>.json`: exit code, stacks,
//! events (reasons, objects, messages, diffs, in order) and the plan (changes with their
//! resources, summaries, diffs, operations and groups; notices). Issue 14 refactors the
//! planner with behaviour unchanged; this test is how "unchanged" is checked.
//!
//! The goldens were first recorded from commit e487b67, before the refactor.
//!
//! Regenerate them with
//!
//! ```sh
//! MOORING_UPDATE_GOLDEN=1 cargo test -p mooring --test e2e plan_golden
//! ```
//!
//! ONLY when behaviour is MEANT to change, and review `git diff tests/e2e/golden/` as you
//! would review code: every line that moves there is something a user sees differently.
//! A refactor that needs new goldens is not behaviour-preserving.
//!
//! The walk, one step per golden (instants below; every step runs with a fixed `--now`):
//! - `fresh-day`, `fresh-night`, `fresh-weekend`: plan on a fresh account (the services
//!   at 0 tasks as a deploy pipeline creates them; no targets, alarms or topics);
//! - `apply-day`, then `converged-day` (plan);
//! - `drifted-day`: plan after the first service was scaled by hand and the threshold of
//!   the first metric alarm raised in the console;
//! - `apply-night` (drift put right, off-hours services put to sleep), then
//!   `asleep-night` and `wake-morning` (plans);
//! - `interrupted-night` (examples with off-hours): plan after a deploy woke the first
//!   off-hours service;
//! - `apply-morning`, then `not-owned-morning`: plan after the first metric alarm and the
//!   first topic were made again by hand (untagged), the stack tag was taken off the first
//!   autoscaled service and a target was registered on the first service without
//!   autoscaling;
//! - `service-gone-morning`: plan after the first service was deleted.
//!
//! Isolation: e2e tests run concurrently against one emulator, and `examples.rs` applies
//! the examples under their real names (so may demo.sh or a person, against the same
//! emulator). Each example is therefore run under a unique token (`<token>-` put in front
//! of its stack, cluster, topic and alarm names, references included), which makes the
//! account fresh for it every run; the token is removed from the output again. A prefix,
//! not a suffix, so that names sort as they do in the example (`a` < `a-b` holds for
//! `t-a` < `t-a-b`, not for `a-t` > `a-b-t`), and without a separator inside, so that
//! the alarm read prefix (the first name segment) is the token itself.
//!
//! Normalised, because it differs from run to run and says nothing about the planner:
//! - the token, and the temporary folder the rewritten example is written to;
//! - random ids in ARNs (subscriptions, scaling policies), should one be reported: `<uuid>`;
//! - the digest in alarm description markers (`[mooring:stack=S <digest>]`): it covers
//!   names, so the token. Each distinct digest becomes `<digest-N>` (numbered in order of
//!   appearance over the example's walk, reading keys sorted), so that "the same marker"
//!   and "another marker" are still told apart; its length is kept in the placeholder;
//! - `calls`, `durationMs` and `tokenWaits` (request counts and timing) are left out.
//!
//! Topic and autoscaling digests cover no names and are kept as they are.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use self::names::{stem, token, with_token};
use self::report::{brief, counts, first_difference, write_json, Normaliser};
use crate::fixtures::*;

pub(crate) mod names;
mod report;
mod text;

/// Wednesday 2026-03-04, 15:00 in London, 10:00 in New York, 18:00 in Bahrain: working
/// hours for every example schedule.
const DAY: &str = AWAKE_INSTANT;
/// Thursday 2026-03-05 03:00 in London, Wednesday 22:00 in New York: every schedule of the
/// examples is asleep (working-hours, staging-nights, office-hours).
const NIGHT: &str = "2026-03-05T03:00:00Z";
/// Saturday 2026-03-07, noon in London, 07:00 in New York: a weekend, asleep all day.
const WEEKEND: &str = "2026-03-07T12:00:00Z";
/// Thursday 2026-03-05 13:00 in London, 08:00 in New York: the morning after NIGHT, every
/// schedule awake again.
const MORNING: &str = "2026-03-05T13:00:00Z";

/// The count someone sets by hand on the example's first service in `drifted-day`.
const DRIFT_COUNT: i32 = 5;
/// What someone adds by hand to the threshold of the example's first metric alarm.
const DRIFT_THRESHOLD: f64 = 10.0;

const UPDATE_ENV: &str = "MOORING_UPDATE_GOLDEN";

fn golden_dir() -> PathBuf {
    repo_root().join("tests/e2e/golden")
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_golden_every_example_in_every_scenario() {
    let started = Instant::now();
    let examples_dir = repo_root().join("desired-state/examples");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(&examples_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", examples_dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    examples.sort();
    assert!(
        examples.len() >= 5,
        "fewer examples than expected in {}",
        examples_dir.display()
    );

    // The examples are independent (each has its own token): walk them concurrently.
    let walks: Vec<_> = examples
        .iter()
        .cloned()
        .map(|example| tokio::spawn(async move { walk(&example).await }))
        .collect();
    let mut produced: Vec<(String, Vec<(&'static str, Value)>)> = Vec::new();
    for (example, walk) in examples.iter().zip(walks) {
        let stem = stem(example);
        let scenarios = walk
            .await
            .unwrap_or_else(|e| panic!("walking example {stem}: {e}"));
        produced.push((stem, scenarios));
    }

    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let dir = golden_dir();
    let mut expected_files = BTreeSet::new();
    let mut failures = Vec::new();
    for (stem, scenarios) in &produced {
        for (scenario, actual) in scenarios {
            let name = format!("{stem}.{scenario}.json");
            let path = dir.join(&name);
            expected_files.insert(name.clone());
            if update {
                write_json(&path, actual);
                continue;
            }
            let golden: Value = match std::fs::read_to_string(&path) {
                Ok(text) => serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
                Err(e) => {
                    failures.push(format!(
                        "example {stem}, scenario {scenario}: no golden file {} ({e})",
                        path.display()
                    ));
                    continue;
                }
            };
            if let Some((at, want, got)) = first_difference(&golden, actual, "") {
                let actual_path = std::env::temp_dir()
                    .join("mooring-plan-golden-actual")
                    .join(&name);
                write_json(&actual_path, actual);
                failures.push(format!(
                    "example {stem}, scenario {scenario}: differs from {} at `{at}`\n    golden: {}\n    actual: {}\n    counts: golden {} | actual {}\n    whole output: {} (diff -u the two files)",
                    path.display(),
                    brief(&want),
                    brief(&got),
                    counts(&golden),
                    counts(actual),
                    actual_path.display(),
                ));
            }
        }
    }
    // A golden nobody produces any more: an example or scenario was removed or renamed.
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    for stale in on_disk.difference(&expected_files) {
        if update {
            let _ = std::fs::remove_file(dir.join(stale));
        } else {
            failures.push(format!(
                "golden file {} matches no example and scenario",
                dir.join(stale).display()
            ));
        }
    }
    eprintln!(
        "plan_golden: {} examples, {} golden files, {:.1} s",
        produced.len(),
        expected_files.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} golden plan(s) differ. If (and only if) the behaviour is MEANT to change, \
         regenerate with `{UPDATE_ENV}=1 cargo test -p mooring --test e2e plan_golden` and \
         review the diff of tests/e2e/golden/.\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// One example through every scenario, in order: what each step reported, normalised.
async fn walk(example: &Path) -> Vec<(&'static str, Value)> {
    let file_name = example
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let token = token();
    let yaml = std::fs::read_to_string(example)
        .unwrap_or_else(|e| panic!("reading {}: {e}", example.display()));
    let file = DesiredFile::write(&file_name, &with_token(&yaml, &token));
    let desired = desired_state::load(&[&file.path])
        .unwrap_or_else(|e| panic!("{file_name} with its names prefixed: {e}"));
    let mut walk = Walk {
        path: file.path.to_string_lossy().into_owned(),
        file_name,
        normaliser: Normaliser {
            token: format!("{token}-"),
            dir: file.dir.to_string_lossy().into_owned(),
            digests: BTreeMap::new(),
        },
        steps: Vec::new(),
    };

    // 1. A fresh account: the services exist at 0 tasks, as a deploy pipeline made them;
    //    no scalable targets, alarms or topics.
    for stack in &desired.stacks {
        for service in &stack.services {
            seed_services(
                region(stack),
                &service.cluster,
                &[(service.name.as_str(), 0)],
            )
            .await;
        }
    }
    // So are the Lambda functions its alert targets name (the tap example's notifier).
    crate::lambda_targets::create_declared_functions(&desired).await;
    walk.step("fresh-day", "plan", DAY).await;
    walk.step("fresh-night", "plan", NIGHT).await;
    walk.step("fresh-weekend", "plan", WEEKEND).await;

    // 2. Applied in the day, then converged; then drift made by hand.
    walk.step("apply-day", "apply", DAY).await;
    walk.step("converged-day", "plan", DAY).await;
    drift_by_hand(&desired).await;
    walk.step("drifted-day", "plan", DAY).await;

    // 3. Put right and to sleep at night; asleep the same night; woken the next morning.
    walk.step("apply-night", "apply", NIGHT).await;
    walk.step("asleep-night", "plan", NIGHT).await;
    walk.step("wake-morning", "plan", MORNING).await;
    // A deploy wakes a sleeping service in the night (examples with off-hours only).
    if deploy_wakes_a_sleeping_service(&desired).await {
        walk.step("interrupted-night", "plan", NIGHT).await;
    }

    // 4. Awake again; then resources mooring does not own, and a service that is gone.
    walk.step("apply-morning", "apply", MORNING).await;
    take_ownership_away_by_hand(&desired).await;
    walk.step("not-owned-morning", "plan", MORNING).await;
    delete_first_service_by_hand(&desired).await;
    walk.step("service-gone-morning", "plan", MORNING).await;
    walk.steps
}

/// One example's walk: its rewritten file, and what each step reported so far.
struct Walk {
    path: String,
    file_name: String,
    normaliser: Normaliser,
    steps: Vec<(&'static str, Value)>,
}

impl Walk {
    /// `mooring COMMAND FILE --output json --now NOW`, recorded under `scenario`.
    async fn step(&mut self, scenario: &'static str, command: &str, now: &str) {
        let run = mooring(&[
            command,
            &self.path,
            "--output",
            "json",
            "--now",
            now,
            "--revision",
            "golden",
        ])
        .await;
        let file_name = &self.file_name;
        let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!("{file_name} {scenario}: {command} printed no JSON report ({e}): {run:?}")
        });
        let recorded = json!({
            "command": format!("mooring {command} desired-state/examples/{file_name} --output json --now {now}"),
            "exitCode": run.code,
            "report": report,
        });
        let normalised = self.normaliser.normalise(recorded);
        self.steps.push((scenario, normalised));
    }
}

/// Someone scales the first service by hand and raises the threshold of the first metric
/// alarm (by name) in the console, keeping the rest of the alarm as it is.
async fn drift_by_hand(desired: &desired_state::DesiredState) {
    for stack in &desired.stacks {
        let region = region(stack);
        if let Some(service) = stack.services.first() {
            scale_behind_moorings_back(region, &service.cluster, &service.name, DRIFT_COUNT).await;
        }
        if let Some(name) = metric_alarms(stack).first() {
            raise_threshold_by_hand(region, name).await;
        }
    }
}

async fn raise_threshold_by_hand(region: &str, name: &str) {
    let alarm = metric_alarm(region, name)
        .await
        .unwrap_or_else(|| panic!("alarm {name} was not created by apply"));
    cloudwatch(region)
        .await
        .put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(alarm.alarm_description().map(str::to_owned))
        .set_actions_enabled(alarm.actions_enabled())
        .set_ok_actions(Some(alarm.ok_actions().to_vec()))
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .set_insufficient_data_actions(Some(alarm.insufficient_data_actions().to_vec()))
        .set_metric_name(alarm.metric_name().map(str::to_owned))
        .set_namespace(alarm.namespace().map(str::to_owned))
        .set_statistic(alarm.statistic().cloned())
        .set_extended_statistic(alarm.extended_statistic().map(str::to_owned))
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .set_period(alarm.period())
        .set_unit(alarm.unit().cloned())
        .set_evaluation_periods(alarm.evaluation_periods())
        .set_datapoints_to_alarm(alarm.datapoints_to_alarm())
        .threshold(alarm.threshold().unwrap_or_default() + DRIFT_THRESHOLD)
        .set_comparison_operator(alarm.comparison_operator().cloned())
        .set_treat_missing_data(alarm.treat_missing_data().map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("changing the threshold of alarm {name}: {e:?}"));
}

fn region(stack: &desired_state::Stack) -> &str {
    stack.region.as_deref().unwrap_or("us-east-1")
}

/// The stack's plain metric alarms (not metric math, not composite), by name.
fn metric_alarms(stack: &desired_state::Stack) -> Vec<&str> {
    let mut names: Vec<&str> = stack
        .all_alarms()
        .filter(|(_, alarm)| {
            matches!(
                alarm.condition,
                desired_state::AlarmCondition::Metric { .. }
            )
        })
        .map(|(name, _)| name)
        .collect();
    names.sort_unstable();
    names
}

/// A deploy sets the first service with off-hours back to 1 task while it sleeps.
/// Whether the example has such a service.
async fn deploy_wakes_a_sleeping_service(desired: &desired_state::DesiredState) -> bool {
    let mut woken = false;
    for stack in &desired.stacks {
        if let Some(service) = stack.services.iter().find(|s| s.off_hours.is_some()) {
            scale_behind_moorings_back(region(stack), &service.cluster, &service.name, 1).await;
            woken = true;
        }
    }
    woken
}

/// What a console user does to resources mooring manages, so that they are no longer
/// provably this stack's: the first metric alarm deleted and made again by hand (no tag,
/// no marker); the first topic deleted and created again untagged; the `mooring:stack`
/// tag taken off the first service with autoscaling; a scalable target registered on the
/// first service without autoscaling.
async fn take_ownership_away_by_hand(desired: &desired_state::DesiredState) {
    for stack in &desired.stacks {
        let region = region(stack);
        if let Some(name) = metric_alarms(stack).first() {
            let alarm = metric_alarm(region, name)
                .await
                .unwrap_or_else(|| panic!("alarm {name} is gone"));
            cloudwatch(region)
                .await
                .delete_alarms()
                .alarm_names(*name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("deleting alarm {name}: {e:?}"));
            put_alarm_by_hand(
                region,
                name,
                alarm.namespace().unwrap_or_default(),
                alarm.metric_name().unwrap_or_default(),
                alarm.evaluation_periods().unwrap_or(1),
                alarm.threshold().unwrap_or_default(),
            )
            .await;
            // AWS deletes an alarm's tags with it; moto keeps them for the next alarm of
            // that name. Take the stack tag off, as AWS would have.
            let arn = alarm.alarm_arn().unwrap_or_default();
            cloudwatch(region)
                .await
                .untag_resource()
                .resource_arn(arn)
                .tag_keys("mooring:stack")
                .send()
                .await
                .unwrap_or_else(|e| panic!("untagging alarm {name}: {e:?}"));
        }
        if let Some(topic) = stack.topics.keys().next() {
            let client = sns(region).await;
            client
                .delete_topic()
                .topic_arn(format!("arn:aws:sns:{region}:{ACCOUNT}:{topic}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("deleting topic {topic}: {e:?}"));
            client
                .create_topic()
                .name(topic)
                .send()
                .await
                .unwrap_or_else(|e| panic!("creating topic {topic}: {e:?}"));
        }
        if let Some(service) = stack.services.iter().find(|s| s.autoscaling.is_some()) {
            let arn = format!(
                "arn:aws:ecs:{region}:{ACCOUNT}:service/{}/{}",
                service.cluster, service.name
            );
            ecs(region)
                .await
                .untag_resource()
                .resource_arn(&arn)
                .tag_keys("mooring:stack")
                .send()
                .await
                .unwrap_or_else(|e| panic!("untagging {arn}: {e:?}"));
        }
        if let Some(service) = stack.services.iter().find(|s| s.autoscaling.is_none()) {
            use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
            let id = format!("service/{}/{}", service.cluster, service.name);
            autoscaling(region)
                .await
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(&id)
                .min_capacity(1)
                .max_capacity(2)
                .send()
                .await
                .unwrap_or_else(|e| panic!("registering {id}: {e:?}"));
        }
    }
}

/// The deploy pipeline deletes the first service.
async fn delete_first_service_by_hand(desired: &desired_state::DesiredState) {
    for stack in &desired.stacks {
        if let Some(service) = stack.services.first() {
            ecs(region(stack))
                .await
                .delete_service()
                .cluster(&service.cluster)
                .service(&service.name)
                .force(true)
                .send()
                .await
                .unwrap_or_else(|e| panic!("deleting {}/{}: {e:?}", service.cluster, service.name));
        }
    }
}
