//! Every example file loads, validates, and matches the JSON Schema.

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
