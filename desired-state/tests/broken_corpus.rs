//! The broken-file corpus in `tests/broken/` (one file per rule): every entry is rejected,
//! and the rendered diagnostics are pinned with snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/broken")
}

/// Entries: each `*.yaml` file, and each folder (loaded as one desired state).
fn corpus_entries() -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    entries
}

/// Loads with a path relative to the repository root, so snapshots do not depend on where
/// the checkout lives.
fn render(entry: &Path) -> String {
    let name = entry.file_name().unwrap().to_string_lossy().into_owned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let relative = Path::new("tests/broken").join(&name);
    let previous = std::env::current_dir().unwrap();
    // `load` takes paths as given; run it from the repository root.
    std::env::set_current_dir(&root).unwrap();
    let result = desired_state::load(&[&relative]);
    std::env::set_current_dir(previous).unwrap();
    match result {
        Ok(_) => panic!(
            "{} was accepted, but the corpus holds only broken files",
            relative.display()
        ),
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            for d in diagnostics.iter() {
                assert!(d.line >= 1 && d.column >= 1, "{d}");
                assert!(
                    d.message.chars().next().is_some_and(|c| !c.is_uppercase()),
                    "not lowercase: {d}"
                );
            }
            format!(
                "{diagnostics}\nerror: {} problem(s) found; nothing was applied\n",
                diagnostics.len()
            )
        }
    }
}

#[test]
fn every_corpus_entry_is_rejected_with_pinned_diagnostics() {
    let entries = corpus_entries();
    assert!(
        entries.len() >= 40,
        "the corpus shrank: {} entries",
        entries.len()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/broken");
    settings.bind(|| {
        for entry in entries {
            let name = entry.file_stem().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(name, render(&entry));
        }
    });
}

#[test]
fn several_errors_are_all_reported_at_once() {
    let diagnostics =
        desired_state::load(&[corpus_dir().join("several-errors-at-once.yaml")]).unwrap_err();
    assert!(diagnostics.len() >= 8, "{diagnostics}");
    let lines: Vec<usize> = diagnostics.iter().map(|d| d.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "diagnostics are in line order");
}

#[test]
fn unknown_field_names_the_nearest_valid_one() {
    let diagnostics =
        desired_state::load(&[corpus_dir().join("unknown-field-typo.yaml")]).unwrap_err();
    let first = diagnostics.iter().next().unwrap();
    assert_eq!((first.line, first.column), (17, 11));
    assert_eq!(
        first.message,
        "unknown field `evaluationPeriod`, did you mean `evaluationPeriods`?"
    );
}

#[test]
fn oversized_input_is_refused_with_the_file_named() {
    let big = format!(
        "apiVersion: mooring/v1\n# {}\n",
        "x".repeat(desired_state::MAX_FILE_BYTES)
    );
    let path = PathBuf::from("big.yaml");
    let diagnostics = desired_state::parse_sources(&[(path.clone(), big.clone())]).unwrap_err();
    let first = diagnostics.iter().next().unwrap();
    assert_eq!(first.file, path);
    assert!(first.message.contains("too large"), "{first}");

    let dir = std::env::temp_dir().join(format!("mooring-oversized-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.yaml");
    std::fs::write(&file, big).unwrap();
    let diagnostics = desired_state::load(&[&file]).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    let first = diagnostics.iter().next().unwrap();
    assert_eq!(first.file, file);
    assert!(first.message.contains("too large"), "{first}");
}

#[test]
fn missing_paths_and_empty_folders_are_diagnostics() {
    let diagnostics = desired_state::load(&[Path::new("/nonexistent/mooring.yaml")]).unwrap_err();
    assert!(
        diagnostics
            .to_string()
            .starts_with("error: /nonexistent/mooring.yaml:1:1: cannot read file"),
        "{diagnostics}"
    );
    let dir = std::env::temp_dir().join(format!("mooring-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let diagnostics = desired_state::load(&[&dir]).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        diagnostics
            .to_string()
            .contains("folder holds no .yaml or .yml files"),
        "{diagnostics}"
    );
}

/// Pass two runs on every file that parsed (CONVENTIONS rule 5): the meaning of b is checked
/// though a did not parse, and b's reference to a topic that a may declare is not reported
/// as unknown; a note says what was left out.
#[test]
fn files_that_parsed_are_checked_though_another_did_not() {
    let diagnostics =
        desired_state::load(&[corpus_dir().join("one-file-does-not-parse")]).unwrap_err();
    let files: Vec<String> = diagnostics
        .iter()
        .map(|d| d.file.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(files.contains(&"a-topics.yaml".to_owned()), "{diagnostics}");
    assert_eq!(
        files.iter().filter(|f| *f == "b-services.yaml").count(),
        3,
        "{diagnostics}"
    );
    assert!(
        diagnostics
            .iter()
            .all(|d| !d.message.contains("unknown topic")),
        "{diagnostics}"
    );
    assert_eq!(diagnostics.notes().len(), 1);
    assert!(diagnostics.notes()[0].contains("a-topics.yaml (it did not parse)"));
}

/// "Pass the folder" helps only when a single file was given, not a folder of one file.
#[test]
fn a_folder_of_one_file_is_not_told_to_pass_the_folder() {
    let dir = std::env::temp_dir().join(format!("mooring-one-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        corpus_dir().join("topic-in-another-file.yaml"),
        dir.join("stack.yaml"),
    )
    .unwrap();
    let from_folder = desired_state::load(&[&dir]).unwrap_err();
    let from_file = desired_state::load(&[dir.join("stack.yaml")]).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        !from_folder.to_string().contains("pass the folder"),
        "{from_folder}"
    );
    assert!(
        from_file.to_string().contains("pass the folder"),
        "{from_file}"
    );
}
