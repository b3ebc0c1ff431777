//! Garbage in, diagnostics out: truncated and mutated examples never panic, and every
//! diagnostic points inside its file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

use std::path::{Path, PathBuf};

fn examples() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn check(path: &Path, text: String) {
    let lines = text.lines().count().max(1);
    let result = desired_state::parse_sources(&[(path.to_path_buf(), text)]);
    if let Err(diagnostics) = result {
        assert!(!diagnostics.is_empty());
        for d in diagnostics.iter() {
            assert!(
                d.line >= 1 && d.line <= lines + 1,
                "{d} (file has {lines} lines)"
            );
            assert!(d.column >= 1);
        }
        let _ = diagnostics.to_string();
    }
}

#[test]
fn truncated_examples_never_panic() {
    for (path, text) in examples() {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(5).collect();
        for cut in cuts {
            check(&path, text[..cut].to_owned());
        }
    }
}

#[test]
fn mutated_examples_never_panic() {
    // A small deterministic generator: the same mutations on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let junk = [
        "",
        ":",
        "-",
        "- ",
        "&a",
        "*a",
        "!!binary",
        "{",
        "}",
        "[",
        "]",
        "\"",
        "'",
        "#",
        "\t",
        "\n",
        "~",
        "null",
        "-1",
        "1e999",
        "99999999999999999999",
        "<<: *a",
        "---",
        "...",
        "%YAML 1.2",
        "é",
        "\u{0}",
        "? ",
        "|",
        ">",
        "0x1F",
        ".nan",
    ];
    for (path, text) in examples() {
        for _ in 0..300 {
            let chars: Vec<char> = text.chars().collect();
            let at = (next() as usize) % chars.len();
            let len = (next() as usize) % 8;
            let insert = junk[(next() as usize) % junk.len()];
            let mut mutated: String = chars[..at].iter().collect();
            mutated.push_str(insert);
            mutated.extend(chars[(at + len).min(chars.len())..].iter());
            check(&path, mutated);
        }
    }
}

#[test]
fn odd_whole_documents_never_panic() {
    let path = Path::new("odd.yaml");
    for text in [
        "",
        "~",
        "[]",
        "{}",
        "42",
        "\"just a string\"",
        "- a\n- b\n",
        "apiVersion: mooring/v1\n",
        "apiVersion: [1]\nkind: Stack\n",
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: {}\nspec: {}\n",
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: x }\nspec: ~\n",
        "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: x }\nspec: { services: [~] }\n",
        "\u{feff}apiVersion: mooring/v1\n",
        "a: &a [*a]\n",
        "&a a: b\n*a : c\n",
    ] {
        check(path, text.to_owned());
    }
}

#[test]
fn empty_sections_are_accepted() {
    let text = "apiVersion: mooring/v1\nkind: Stack\nmetadata: { name: empty }\nspec:\n  schedules:\n  topics:\n  services: []\n  alarms: {}\n";
    let state = desired_state::parse_sources(&[(PathBuf::from("e.yaml"), text.to_owned())]);
    assert!(state.is_ok(), "{}", state.unwrap_err());
}
