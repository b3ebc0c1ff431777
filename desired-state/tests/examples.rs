//! Every example file loads, validates, and matches the JSON Schema.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::{Path, PathBuf};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_is_valid_on_its_own() {
    let files = example_files();
    assert!(!files.is_empty());
    for file in files {
        if let Err(diagnostics) = desired_state::load(&[&file]) {
            panic!("{} is invalid:\n{diagnostics}", file.display());
        }
    }
}

#[test]
fn the_examples_folder_is_one_valid_desired_state() {
    match desired_state::load(&[examples_dir()]) {
        Ok(state) => assert_eq!(state.stacks.len(), example_files().len()),
        Err(diagnostics) => panic!("examples/ as one desired state:\n{diagnostics}"),
    }
}

fn schema_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/mooring-v1.schema.json")
}

/// The committed schema (what editors point at) is what `json_schema()` generates.
/// Regenerate with `UPDATE_SCHEMA=1 cargo test -p desired-state --test examples`.
#[test]
fn committed_schema_is_up_to_date() {
    let generated = serde_json::to_string_pretty(&desired_state::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_file(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(schema_file()).unwrap_or_default();
    assert!(
        committed == generated,
        "desired-state/schema/mooring-v1.schema.json is stale: run UPDATE_SCHEMA=1 cargo test -p desired-state --test examples"
    );
}

#[test]
fn every_example_matches_the_json_schema() {
    let schema = desired_state::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema itself is valid");
    for file in example_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let instance: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn the_schema_rejects_what_pass_one_rejects() {
    let schema = desired_state::json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let typo: serde_json::Value = serde_json::json!({
        "apiVersion": "mooring/v1", "kind": "Stack", "metadata": { "name": "x" },
        "spec": { "services": [ { "cluster": "c", "name": "s", "desiredCount": 1, "desiredcount": 2 } ] }
    });
    assert!(!validator.is_valid(&typo));
    let unquoted_account: serde_json::Value = serde_json::json!({
        "apiVersion": "mooring/v1", "kind": "Stack", "metadata": { "name": "x" },
        "spec": { "account": 123456789012u64 }
    });
    assert!(!validator.is_valid(&unquoted_account));
}

#[test]
fn portfolio_dev_reads_as_the_seed_describes() {
    use desired_state::{AlarmCondition, Comparison, Management, TrackedMetric};
    let state = desired_state::load(&[examples_dir().join("portfolio-dev.yaml")]).unwrap();
    let stack = &state.stacks[0];
    assert_eq!(stack.name, "portfolio-dev");
    assert_eq!(stack.timezone, Some(chrono_tz::America::New_York));
    assert_eq!(
        stack.clusters["portfolio-dev"].container_insights,
        desired_state::ContainerInsights::Enabled
    );
    let backend = &stack.services[0];
    assert_eq!(
        (backend.cluster.as_str(), backend.name.as_str()),
        ("portfolio-dev", "backend")
    );
    assert_eq!(backend.management, Management::Full);
    let scaling = backend.autoscaling.as_ref().unwrap();
    assert_eq!((scaling.min, scaling.max), (1, 4));
    let cpu = &scaling.target_tracking["cpu70"];
    assert!(matches!(cpu.metric, TrackedMetric::Predefined { .. }));
    assert_eq!(cpu.scale_in_cooldown.map(|d| d.as_secs()), Some(300));
    let off = backend.off_hours.as_ref().unwrap();
    assert_eq!(
        (off.schedule.as_str(), off.desired_count),
        ("office-hours", 0)
    );
    assert_eq!(
        stack.schedules["office-hours"].timezone,
        chrono_tz::America::New_York
    );
    let alarm = &backend.alarms["portfolio-dev-backend-cpu-high"];
    assert_eq!(alarm.notify, vec!["portfolio-dev-alerts"]);
    let AlarmCondition::Metric { metric, evaluation } = &alarm.condition else {
        panic!()
    };
    assert_eq!(metric.namespace, "AWS/ECS");
    assert_eq!(metric.dimensions["ClusterName"], "portfolio-dev");
    assert_eq!(metric.dimensions["ServiceName"], "backend");
    assert_eq!(evaluation.comparison, Comparison::GreaterThanThreshold);
    assert_eq!(
        (
            evaluation.period.as_secs(),
            evaluation.evaluation_periods,
            evaluation.datapoints_to_alarm
        ),
        (60, 2, 2)
    );
}

#[test]
fn saas_error_rate_is_a_metric_math_alarm() {
    let state = desired_state::load(&[examples_dir().join("saas.yaml")]).unwrap();
    let alarm = &state.stacks[0].alarms["saas-backend-5xx-rate-high"];
    let desired_state::AlarmCondition::MetricMath {
        metrics,
        expression,
        ..
    } = &alarm.condition
    else {
        panic!()
    };
    assert_eq!(metrics.len(), 2);
    assert!(expression.contains("errors"));
}
