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
