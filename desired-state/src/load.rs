//! Files and folders: what gets read, in which order, with which limits. A folder is its
//! `*.yaml`/`*.yml` files (not recursive), sorted by name; all files together are one
//! desired state.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::parse::MAX_FILE_BYTES;

/// A file to parse, or why it could not be read.
pub(crate) struct Source {
    pub path: PathBuf,
    pub text: Result<String, String>,
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

/// Expands folders and reads every file; problems become `Err` texts, never panics.
pub(crate) fn read_sources<P: AsRef<Path>>(paths: &[P]) -> Vec<Source> {
    let mut sources = Vec::new();
    // The same file named twice (a folder and a file in it) is read once.
    let mut seen = BTreeSet::new();
    for path in paths {
        let path = path.as_ref();
        if path.is_dir() {
            match list_folder(path) {
                Ok(files) if files.is_empty() => sources.push(Source {
                    path: path.to_path_buf(),
                    text: Err("folder holds no .yaml or .yml files".to_owned()),
                }),
                Ok(files) => {
                    for file in files {
                        if seen.insert(identity(&file)) {
                            sources.push(read_file(file));
                        }
                    }
                }
                Err(err) => sources.push(Source {
                    path: path.to_path_buf(),
                    text: Err(format!("cannot list folder: {}", io_message(&err))),
                }),
            }
        } else if seen.insert(identity(path)) {
            sources.push(read_file(path.to_path_buf()));
        }
    }
    sources
}

fn identity(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn list_folder(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_file() && is_yaml(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_file(path: PathBuf) -> Source {
    let text = read_limited(&path);
    Source { path, text }
}

/// Reads at most one byte past the limit, so a huge file is refused without loading it.
fn read_limited(path: &Path) -> Result<String, String> {
    let file =
        fs::File::open(path).map_err(|err| format!("cannot read file: {}", io_message(&err)))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_FILE_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read file: {}", io_message(&err)))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is too large: more than {MAX_FILE_BYTES} bytes (1 MiB); split the stack into several files"
        ));
    }
    String::from_utf8(bytes).map_err(|_| crate::parse::NOT_UTF8.to_owned())
}

fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    // "No such file or directory (os error 2)" → "no such file or directory"
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".to_owned(),
    }
}
