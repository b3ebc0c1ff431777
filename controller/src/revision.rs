//! The revision of the desired state: the git commit of the files when they sit in a
//! git work tree (marked `-dirty` when they differ from it), unless one is given.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `given` (from `--revision` or `MOORING_REVISION`) wins; otherwise git is asked about
/// the first path. No git, or not a work tree: `None`.
pub fn revision(given: Option<&str>, paths: &[PathBuf]) -> Option<String> {
    if let Some(given) = given.filter(|g| !g.trim().is_empty()) {
        return Some(given.trim().to_owned());
    }
    let first = paths.first()?;
    let dir = if first.is_dir() {
        first.clone()
    } else {
        first.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let commit = git(&dir, &["rev-parse", "--short=12", "HEAD"])?;
    // Dirty only when the desired-state files themselves differ from the commit.
    let mut status = vec!["status", "--porcelain", "--"];
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let absolute: Vec<String> = names
        .iter()
        .map(|name| {
            std::fs::canonicalize(name)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| name.clone())
        })
        .collect();
    status.extend(absolute.iter().map(String::as_str));
    let dirty = git(&dir, &status).is_some_and(|out| !out.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_revision_wins() {
        assert_eq!(revision(Some(" v1.2 "), &[]), Some("v1.2".into()));
        assert_eq!(revision(Some(""), &[]), None);
    }

    #[test]
    fn outside_a_work_tree_there_is_none() {
        let dir = std::env::temp_dir().join(format!("mooring-revision-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(revision(None, std::slice::from_ref(&dir)), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inside_this_repository_it_is_a_commit() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desired-state/examples");
        // CI checks out a clone, so git is there; the revision is 12 hex digits,
        // perhaps marked dirty while someone edits the examples.
        if let Some(rev) = revision(None, &[examples]) {
            let commit = rev.trim_end_matches("-dirty");
            assert_eq!(commit.len(), 12, "{rev}");
            assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{rev}");
        }
    }
}
