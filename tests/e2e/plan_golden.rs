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
//! - `calls` and `durationMs` (request counts and timing) are left out.
//!
//! Topic and autoscaling digests cover no names and are kept as they are.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use crate::fixtures::*;

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

fn stem(example: &Path) -> String {
    example
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Lowercase letters and digits only: a valid start of every name kind (a stack name is a
/// DNS label), and no separator, so the alarm read prefix is `<token>-`.
fn token() -> String {
    unique("gold").replace('-', "")
}

/// The example with `<token>-` in front of its stack, cluster, topic and alarm names and
/// of every reference to them (notify lists, the events topic, step-scaling alarms,
/// composite rules). Written back as JSON, which is YAML.
fn with_token(yaml: &str, token: &str) -> String {
    let mut doc: Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("example is not YAML: {e}"));
    let prefixed = |name: &str| format!("{token}-{name}");
    let names = |map: &Value| -> Vec<String> {
        map.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let spec = &doc["spec"];
    let topics: BTreeSet<String> = names(&spec["topics"]).into_iter().collect();
    let alarms: BTreeSet<String> = names(&spec["alarms"])
        .into_iter()
        .chain(
            spec["services"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|service| names(&service["alarms"])),
        )
        .collect();

    // `get_mut`, not `[]`: indexing a Value mutably inserts the keys it does not find.
    let rename_keys = |map: Option<&mut Value>| {
        if let Some(map) = map.and_then(Value::as_object_mut) {
            let old = std::mem::take(map);
            for (name, value) in old {
                map.insert(prefixed(&name), value);
            }
        }
    };
    let rename = |value: Option<&mut Value>, known: &BTreeSet<String>| {
        if let Some(value) = value {
            if let Some(name) = value.as_str().filter(|n| known.contains(*n)) {
                *value = Value::String(prefixed(name));
            }
        }
    };
    let rename_alarm_refs = |alarms_map: Option<&mut Value>| {
        let Some(map) = alarms_map.and_then(Value::as_object_mut) else {
            return;
        };
        for alarm in map.values_mut() {
            for list in ["notify", "okNotify", "insufficientDataNotify"] {
                let targets = alarm.get_mut(list).and_then(Value::as_array_mut);
                for target in targets.into_iter().flatten() {
                    rename(Some(target), &topics);
                }
            }
            if let Some(Value::String(rule)) = alarm.get_mut("rule") {
                for name in &alarms {
                    *rule = rule.replace(&format!("({name})"), &format!("({})", prefixed(name)));
                }
            }
        }
    };

    if let Some(Value::String(name)) = doc.pointer_mut("/metadata/name") {
        *name = prefixed(name);
    }
    let Some(spec) = doc.get_mut("spec") else {
        panic!("example has no spec");
    };
    rename_keys(spec.get_mut("topics"));
    rename(spec.pointer_mut("/events/topic"), &topics);
    rename_alarm_refs(spec.get_mut("alarms"));
    rename_keys(spec.get_mut("alarms"));
    let services = spec.get_mut("services").and_then(Value::as_array_mut);
    for service in services.into_iter().flatten() {
        if let Some(Value::String(cluster)) = service.get_mut("cluster") {
            *cluster = prefixed(cluster);
        }
        rename_alarm_refs(service.get_mut("alarms"));
        rename_keys(service.get_mut("alarms"));
        let policies = service
            .pointer_mut("/autoscaling/stepScaling")
            .and_then(Value::as_object_mut);
        for policy in policies.into_iter().flat_map(|p| p.values_mut()) {
            rename(policy.get_mut("alarm"), &alarms);
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| panic!("{e}"))
}

/// Takes out of a report what differs between runs (see the module comment).
struct Normaliser {
    /// `<token>-`
    token: String,
    /// The temporary folder of the rewritten example.
    dir: String,
    /// Alarm marker digests seen so far, numbered in order of appearance.
    digests: BTreeMap<String, usize>,
}

impl Normaliser {
    fn normalise(&mut self, mut recorded: Value) -> Value {
        if let Some(report) = recorded["report"].as_object_mut() {
            report.remove("calls");
            report.remove("durationMs");
        }
        self.strings(&mut recorded);
        recorded
    }

    /// Every string of the value, object keys sorted (so that the digest numbering does
    /// not depend on serde_json's map order).
    fn strings(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.text(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.strings(item)),
            Value::Object(map) => {
                let mut keys: Vec<String> = map.keys().cloned().collect();
                keys.sort();
                for key in keys {
                    if let Some(item) = map.get_mut(&key) {
                        self.strings(item);
                    }
                }
                // Keys may hold names too (tags maps are keyed by tag, not by name, today).
                if map.keys().any(|k| k.contains(&self.token)) {
                    let old = std::mem::take(map);
                    for (key, item) in old {
                        map.insert(key.replace(&self.token, ""), item);
                    }
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) -> String {
        let text = text
            .replace(&self.dir, "desired-state/examples")
            .replace(&self.token, "");
        let text = uuids(&text);
        let text = self.marker_digests(&text);
        assert!(
            !text.contains(self.token.trim_end_matches('-')),
            "the token survived normalisation in {text:?}"
        );
        text
    }

    /// `[mooring:stack=NAME 0123abcd...]` → `[mooring:stack=NAME <digest-N:16>]`.
    fn marker_digests(&mut self, text: &str) -> String {
        const OPEN: &str = "[mooring:stack=";
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(OPEN) {
            let (before, marker) = rest.split_at(at);
            out.push_str(before);
            let Some(end) = marker.find(']') else {
                break;
            };
            let inside = &marker[OPEN.len()..end];
            match inside.split_once(' ') {
                Some((stack, digest)) if is_hex(digest) => {
                    let next = self.digests.len() + 1;
                    let n = *self.digests.entry(digest.to_owned()).or_insert(next);
                    out.push_str(&format!("{OPEN}{stack} <digest-{n}:{}>]", digest.len()));
                }
                _ => out.push_str(&marker[..=end]),
            }
            rest = &marker[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Every UUID (8-4-4-4-12 hex digits) becomes `<uuid>`.
fn uuids(text: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    let is_uuid_at = |start: usize| {
        if start + LEN > bytes.len() {
            return false;
        }
        let mut at = start;
        for (i, len) in SHAPE.iter().enumerate() {
            if !bytes[at..at + len].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            at += len;
            if i < SHAPE.len() - 1 {
                if bytes[at] != b'-' {
                    return false;
                }
                at += 1;
            }
        }
        // Not part of a longer run of hex digits.
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_hexdigit();
        let after_ok = at == bytes.len() || !bytes[at].is_ascii_hexdigit();
        before_ok && after_ok
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_uuid_at(i) {
            out.push_str("<uuid>");
            i += LEN;
        } else {
            // Only ASCII hex digits and '-' start a UUID; copy one char at a time.
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// The first path where two values differ, with both sides there (`Value::Null` standing
/// for "absent" on a side that lacks it).
fn first_difference(golden: &Value, actual: &Value, path: &str) -> Option<(String, Value, Value)> {
    match (golden, actual) {
        (Value::Object(want), Value::Object(got)) => {
            let keys: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
            keys.into_iter()
                .find_map(|key| match (want.get(key), got.get(key)) {
                    (Some(w), Some(g)) => first_difference(w, g, &format!("{path}.{key}")),
                    (w, g) => Some((
                        format!("{path}.{key}"),
                        w.cloned().unwrap_or(json!("<absent>")),
                        g.cloned().unwrap_or(json!("<absent>")),
                    )),
                })
        }
        (Value::Array(want), Value::Array(got)) => {
            let common = want
                .iter()
                .zip(got)
                .enumerate()
                .find_map(|(i, (w, g))| first_difference(w, g, &format!("{path}[{i}]")));
            common.or_else(|| {
                (want.len() != got.len()).then(|| {
                    let i = want.len().min(got.len());
                    (
                        format!(
                            "{path}[{i}] (golden has {}, actual {} items)",
                            want.len(),
                            got.len()
                        ),
                        want.get(i).cloned().unwrap_or(json!("<absent>")),
                        got.get(i).cloned().unwrap_or(json!("<absent>")),
                    )
                })
            })
        }
        (w, g) if w == g => None,
        (w, g) => Some((path.to_owned(), w.clone(), g.clone())),
    }
}

/// How many changes, notices and events a recorded step has: an item added or lost
/// shows here even when the first difference is further up the list.
fn counts(recorded: &Value) -> String {
    let len = |pointer: &str| {
        recorded
            .pointer(pointer)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    format!(
        "exit {}, {} change(s), {} notice(s), {} event(s)",
        recorded["exitCode"],
        len("/report/plan/changes"),
        len("/report/plan/notices"),
        len("/report/events"),
    )
}

/// A value on one line, cut to a readable length.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 400 {
        let cut: String = text.chars().take(400).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn write_json(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("{e}")) + "\n";
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
