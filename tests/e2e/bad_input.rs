//! The bad-input corpus (issue 9): every file of tests/broken/, plus a 10 MB file made
//! here (not committed), against the real binary and the emulator.
//!
//! - `validate` exits 2 on each (invalid); `plan` and `apply` exit 1 (their "error" code:
//!   for `plan`, 2 means "changes pending", which a refused file must never look like).
//!   All three name `file:line:col` and what was expected, and none makes an AWS call
//!   (moto's recorder, filtered by this test's own access key).
//! - `mooring run` keeps its last good state through every one of them: each case is
//!   swapped in (atomically, through a symlink), a DesiredStateInvalid Warning follows, and
//!   a drift is still corrected to the last good state.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::fixtures::*;
use crate::run::{within, Controller};

const REGION: &str = "us-east-1";

/// A case: its name and the files it is made of (name in the folder, bytes).
struct Case {
    name: String,
    path: PathBuf,
    files: Vec<(String, Vec<u8>)>,
}

/// The committed corpus, sorted, and the generated 10 MB file (in `scratch`).
fn corpus(scratch: &Path) -> Vec<Case> {
    let dir = repo_root().join("tests/broken");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut cases: Vec<Case> = paths
        .into_iter()
        .map(|path| {
            let files = if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect();
                files.sort();
                files.iter().map(|f| (file_name(f), read(f))).collect()
            } else {
                vec![("stack.yaml".to_owned(), read(&path))]
            };
            Case {
                name: file_name(&path),
                path,
                files,
            }
        })
        .collect();
    // 10 MB of plausible YAML: refused by size before it is parsed (or even read whole).
    let mut huge = String::from(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: huge }\nspec:\n  services:\n",
    );
    while huge.len() < 10 * 1024 * 1024 {
        huge.push_str("    - { cluster: c, name: s, desiredCount: 1 }\n");
    }
    let path = scratch.join("ten-megabytes.yaml");
    std::fs::write(&path, &huge).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    cases.push(Case {
        name: "ten-megabytes.yaml (generated)".into(),
        path,
        files: vec![("stack.yaml".into(), huge.into_bytes())],
    });
    cases
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `error: <path>:<line>:<col>: <message>` lines of a run's stderr, as (path, line, col,
/// message).
fn diagnostics(stderr: &str) -> Vec<(String, usize, usize, String)> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .filter_map(|rest| {
            // Paths here have no `:`; the message may.
            let mut parts = rest.splitn(4, ':');
            let path = parts.next()?.to_owned();
            let line = parts.next()?.parse().ok()?;
            let col = parts.next()?.parse().ok()?;
            Some((path, line, col, parts.next()?.trim().to_owned()))
        })
        .collect()
}

/// Whether a message tells the reader what would have been right.
fn names_what_was_expected(message: &str) -> bool {
    [
        "expected",
        "did you mean",
        "must",
        "at most",
        "at least",
        "unique",
        "limit",
        "use ",
        "set ",
        "remove",
        "split",
        "once",
        "needs",
        "above its",
        "below its",
        "pass the folder",
    ]
    .iter()
    .any(|hint| message.contains(hint))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_case_exits_2_at_a_position_and_makes_no_aws_call() {
    let scratch = std::env::temp_dir().join(unique("mooring-bad-input"));
    std::fs::create_dir_all(&scratch).unwrap_or_else(|e| panic!("{e}"));
    let cases = corpus(&scratch);
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    start_recording();
    let key = unique_access_key();
    let mut slowest = (Duration::ZERO, String::new());
    for case in &cases {
        let path = case.path.to_string_lossy().into_owned();
        for (command, exit) in [("validate", 2), ("plan", 1), ("apply", 1)] {
            let mut args = vec![command, path.as_str()];
            if command != "validate" {
                args.extend(["--output", "json", "--stats"]);
            }
            let started = Instant::now();
            let run = mooring_as(&key, &args).await;
            let took = started.elapsed();
            if took > slowest.0 {
                slowest = (took, case.name.clone());
            }
            assert_eq!(run.code, exit, "{} {}: {run:?}", command, case.name);
            assert!(
                run.stdout.is_empty(),
                "{}: nothing on stdout: {run:?}",
                case.name
            );
            assert!(!run.stderr.contains("panicked"), "{}: {run:?}", case.name);
            let found = diagnostics(&run.stderr);
            assert!(
                !found.is_empty(),
                "{}: no file:line:col: {run:?}",
                case.name
            );
            for (file, line, col, message) in &found {
                assert!(
                    file.starts_with(path.as_str()),
                    "{}: names {file}, not the input",
                    case.name
                );
                assert!(*line >= 1 && *col >= 1, "{}: {line}:{col}", case.name);
                assert!(
                    names_what_was_expected(message),
                    "{}: the message does not say what was expected: {message}",
                    case.name
                );
            }
            assert!(
                run.stderr.contains("nothing was applied"),
                "{}: {run:?}",
                case.name
            );
        }
    }
    // Alias bombs and the 10 MB file are refused as fast as the rest (the budget stops
    // them early; nothing expands or reads them whole).
    assert!(
        slowest.0 < Duration::from_secs(5),
        "slowest case {} took {:?}",
        slowest.1,
        slowest.0
    );
    let operations = operations_by(&key);
    // The recorder does see this key: a valid file makes its reads.
    let good = DesiredFile::write("good.yaml", &good_stack(&unique("bad-input-control")));
    let control = mooring_as(&key, &["plan", &good.path.to_string_lossy()]).await;
    assert!(control.code == 0 || control.code == 2, "{control:?}");
    assert!(
        operations_by(&key)
            .iter()
            .any(|op| op == "DescribeServices"),
        "the recorder saw nothing from {key}: the zero above would prove nothing"
    );
    // Bombs and the big file in bounded memory: peak RSS of the whole process.
    let mut peaks = Vec::new();
    for case in cases.iter().filter(|c| {
        [
            "alias-bomb",
            "billion-laughs",
            "deep-nesting",
            "ten-megabytes",
        ]
        .iter()
        .any(|bomb| c.name.starts_with(bomb))
    }) {
        let kib = peak_rss_kib(&case.path);
        assert!(kib < 64 * 1024, "{}: peak RSS {kib} KiB", case.name);
        peaks.push(format!("{} {} MiB", case.name, kib / 1024));
    }
    assert_eq!(peaks.len(), 4, "{peaks:?}");
    assert_eq!(
        operations,
        Vec::<String>::new(),
        "AWS calls on refused input"
    );
    // Straight to stderr: libtest captures `println!` of passing tests, and this line is
    // meant for the CI log (docs/reliability.md takes its figures from it).
    summary(format!(
        "bad input: {} corpus cases rejected with file:line:col by validate (exit 2), plan and apply (exit 1), AWS calls made: {}, slowest {:?} ({}), peak RSS: {}",
        cases.len(),
        operations.len(),
        slowest.0,
        slowest.1,
        peaks.join(", ")
    ));
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Peak resident memory of `mooring validate PATH`, by GNU time (package `time`, in the
/// machine image; tests/bench/run.sh needs it too).
fn peak_rss_kib(path: &Path) -> u64 {
    let output = std::process::Command::new("/usr/bin/time")
        .args([
            "-f",
            "peak-rss-kib %M",
            env!("CARGO_BIN_EXE_mooring"),
            "validate",
        ])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("/usr/bin/time (apt-get install time): {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time: {stderr}"))
}

/// Prints a figure for the CI log and, when tests/run.sh asks (`MOORING_BAD_INPUT_SUMMARY`
/// names a file), appends it there for the reliability report (docs/reliability.md).
fn summary(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Some(path) = std::env::var_os("MOORING_BAD_INPUT_SUMMARY") {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| writeln!(file, "{line}"));
        if let Err(e) = appended {
            panic!("writing {}: {e}", Path::new(&path).display());
        }
    }
}

fn good_stack(cluster: &str) -> String {
    format!(
        "apiVersion: mooring/v1\nkind: Stack\nmetadata:\n  name: {cluster}\nspec:\n  region: {REGION}\n  services:\n    - {{ cluster: {cluster}, name: web, desiredCount: 2 }}\n"
    )
}

/// Points `link` at a new folder holding `files`, atomically (a new symlink renamed over
/// the old one), so the controller never sees half a case.
fn swap_in(root: &Path, link: &Path, index: usize, files: &[(String, Vec<u8>)]) {
    let folder = root.join(format!("case-{index}"));
    std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
    for (name, bytes) in files {
        std::fs::write(folder.join(name), bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let next = root.join("next");
    let _ = std::fs::remove_file(&next);
    std::os::unix::fs::symlink(&folder, &next).unwrap_or_else(|e| panic!("symlink: {e}"));
    std::fs::rename(&next, link).unwrap_or_else(|e| panic!("rename: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn run_keeps_the_last_good_state_through_every_corpus_case() {
    let started = Instant::now();
    let cluster = unique("bad-input-run");
    seed_services(REGION, &cluster, &[("web", 0)]).await;
    let root = std::env::temp_dir().join(unique("mooring-bad-input-run"));
    std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
    let link = root.join("current");
    swap_in(
        &root,
        &link,
        0,
        &[("stack.yaml".into(), good_stack(&cluster).into_bytes())],
    );
    let cases = corpus(&root);
    let mut controller = Controller::start(
        &link.to_string_lossy(),
        &["--interval", "1s", "--poll", "100ms"],
    );
    within(WAIT, "converged on the good state", || async {
        desired_count(REGION, &cluster, "web").await == 2
    })
    .await;

    for (index, case) in cases.iter().enumerate() {
        swap_in(&root, &link, index + 1, &case.files);
        within(
            Duration::from_secs(15),
            &format!("DesiredStateInvalid for {}", case.name),
            || async { controller.events("DesiredStateInvalid").len() > index },
        )
        .await;
        let (_, status) = controller.get("/status");
        let status: serde_json::Value = serde_json::from_str(&status)
            .unwrap_or_else(|e| panic!("{}: /status is not JSON: {e}", case.name));
        assert_eq!(status["loaded"], true, "{}: {status:#}", case.name);
        assert!(
            status["rejected"].as_str().is_some_and(|r| !r.is_empty()),
            "{}: {status:#}",
            case.name
        );
        // Every few cases, a drift: still corrected to the last good state.
        if index % 8 == 7 {
            scale_behind_moorings_back(REGION, &cluster, "web", 5).await;
            within(
                Duration::from_secs(15),
                &format!("drift corrected after {}", case.name),
                || async { desired_count(REGION, &cluster, "web").await == 2 },
            )
            .await;
        }
    }
    scale_behind_moorings_back(REGION, &cluster, "web", 7).await;
    within(
        Duration::from_secs(15),
        "drift corrected at the end",
        || async { desired_count(REGION, &cluster, "web").await == 2 },
    )
    .await;
    let invalid = controller.events("DesiredStateInvalid");
    assert_eq!(invalid.len(), cases.len(), "one Warning per case");
    assert!(invalid
        .iter()
        .all(|e| e["type"] == "Warning" && e["stack"] == cluster.as_str()));
    assert_eq!(
        controller.events("DesiredStateLoaded").len(),
        1,
        "only the good state loaded"
    );
    let (_, metrics) = controller.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "mooring_failures_total{{kind=\"DesiredStateInvalid\"}} {}",
            cases.len()
        )),
        "{metrics}"
    );
    let (code, _) = controller.terminate();
    assert_eq!(code, Some(0));
    // Straight to stderr: libtest captures `println!` of passing tests, and this line is
    // meant for the CI log (docs/reliability.md takes its figures from it).
    summary(format!(
        "bad input: mooring run refused {} cases in turn and kept the last good state, in {:?}",
        cases.len(),
        started.elapsed()
    ));
    let _ = std::fs::remove_dir_all(&root);
}
