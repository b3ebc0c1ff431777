//! The files `accept` edits: their text as read, the new text, the unified diff between
//! them, and the write — every file checked unchanged on disk before any is replaced,
//! each replaced atomically (a temporary file in the same folder, renamed over it, with
//! the original's permissions).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file to rewrite: the text it had when it was read and the text to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEdit {
    pub path: PathBuf,
    pub read: String,
    pub new: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("{path}: file changed since it was read: run accept again")]
    Changed { path: String },
    #[error("{path}: cannot read it again before writing")]
    Reread {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: writing it failed")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `git diff`'s form: `a/PATH` and `b/PATH` headers, three lines of context.
pub(crate) fn unified_diff(edit: &FileEdit) -> String {
    let shown = edit.path.display().to_string();
    // `git diff` never doubles the slash: an absolute path reads `a/tmp/x.yaml`.
    let shown = shown.strip_prefix('/').unwrap_or(&shown);
    similar::TextDiff::from_lines(&edit.read, &edit.new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// Writes every file, after checking that none changed on disk since it was read; a
/// changed one stops everything before the first write.
pub(crate) fn write_all(edits: &[FileEdit]) -> Result<(), WriteError> {
    for edit in edits {
        let now = fs::read(&edit.path).map_err(|source| WriteError::Reread {
            path: edit.path.display().to_string(),
            source,
        })?;
        if now != edit.read.as_bytes() {
            return Err(WriteError::Changed {
                path: edit.path.display().to_string(),
            });
        }
    }
    for edit in edits {
        replace(&edit.path, edit.new.as_bytes()).map_err(|source| WriteError::Write {
            path: edit.path.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.mooring-accept.{}", std::process::id()));
    let permissions = fs::metadata(path)?.permissions();
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::set_permissions(&temp, permissions)?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mooring-accept-files-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_changed_since_it_was_read_stops_every_write() {
        let dir = folder();
        let (a, b) = (dir.join("a.yaml"), dir.join("b.yaml"));
        fs::write(&a, "a: 1\n").unwrap();
        fs::write(&b, "b: 1\n").unwrap();
        let edits = vec![
            FileEdit {
                path: a.clone(),
                read: "a: 1\n".into(),
                new: "a: 2\n".into(),
            },
            FileEdit {
                path: b.clone(),
                read: "b: 1\n".into(),
                new: "b: 2\n".into(),
            },
        ];
        // Someone saves b.yaml between the read and the write.
        fs::write(&b, "b: 1 # edited\n").unwrap();
        let err = write_all(&edits).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("b.yaml: file changed since it was read: run accept again"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&a).unwrap(), "a: 1\n");
        assert_eq!(fs::read_to_string(&b).unwrap(), "b: 1 # edited\n");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn files_are_replaced_keeping_their_permissions_and_no_temporary_file_is_left() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder();
        let a = dir.join("a.yaml");
        fs::write(&a, "a: 1\n").unwrap();
        fs::set_permissions(&a, fs::Permissions::from_mode(0o640)).unwrap();
        let edit = FileEdit {
            path: a.clone(),
            read: "a: 1\n".into(),
            new: "a: 2\n".into(),
        };
        write_all(std::slice::from_ref(&edit)).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "a: 2\n");
        assert_eq!(
            fs::metadata(&a).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        assert_eq!(
            unified_diff(&edit),
            format!(
                "--- a/{0}\n+++ b/{0}\n@@ -1 +1 @@\n-a: 1\n+a: 2\n",
                a.display().to_string().trim_start_matches('/')
            )
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
