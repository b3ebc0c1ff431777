//! `mooring validate` on the broken-file corpus (tests/broken/, one file per rule):
//! every entry exits 2 and prints exactly the diagnostics pinned by the desired-state
//! crate's snapshots (desired-state/tests/snapshots/broken/), file:line:col included.
//! The examples exit 0.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn validate(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mooring"))
        .arg("validate")
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("running mooring validate failed: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The body of an insta snapshot: everything after its front matter.
fn snapshot_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading snapshot {}: {e}", path.display()));
    let body = text
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{} is not an insta snapshot", path.display()));
    body.to_owned()
}

#[test]
fn every_broken_file_exits_2_with_its_pinned_diagnostics() {
    let corpus = repo_root().join("tests/broken");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("reading {}: {e}", corpus.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 40,
        "the corpus has only {} entries",
        entries.len()
    );
    for entry in entries {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.trim_end_matches(".yaml");
        let relative = format!("tests/broken/{name}");
        let (code, stdout, stderr) = validate(&[&relative]);
        assert_eq!(code, 2, "{relative}: exit {code}\n{stdout}{stderr}");
        assert!(
            stdout.is_empty(),
            "{relative}: nothing on stdout, got {stdout}"
        );
        let pinned = snapshot_body(
            &repo_root().join(format!("desired-state/tests/snapshots/broken/{stem}.snap")),
        );
        assert_eq!(stderr.trim_end(), pinned.trim_end(), "{relative}");
        assert!(
            stderr.starts_with(&format!("error: {relative}")),
            "{relative}: the first line names the file: {stderr}"
        );
    }
}

#[test]
fn the_examples_are_valid_one_by_one_and_as_one_folder() {
    let examples = repo_root().join("desired-state/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("reading {}: {e}", examples.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "one example per seed architecture");
    for file in &files {
        let path = file.to_string_lossy();
        let (code, stdout, stderr) = validate(&[&path]);
        assert_eq!(code, 0, "{path}\n{stdout}{stderr}");
        assert!(stdout.starts_with("valid: 1 stack(s)"), "{stdout}");
    }
    let (code, stdout, stderr) = validate(&["desired-state/examples"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("valid: 5 stack(s)"), "{stdout}");
}

#[test]
fn a_path_that_does_not_exist_is_an_error_not_a_panic() {
    let (code, _, stderr) = validate(&["tests/broken/no-such-file.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("tests/broken/no-such-file.yaml"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_readme_example_is_valid() {
    let readme = std::fs::read_to_string(repo_root().join("README.md"))
        .unwrap_or_else(|e| panic!("reading README.md: {e}"));
    let yaml = readme
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("README.md has no yaml block"));
    let dir = std::env::temp_dir().join(format!("mooring-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("readme.yaml");
    std::fs::write(&file, yaml).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = validate(&[&file.to_string_lossy()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stdout}{stderr}");
}
