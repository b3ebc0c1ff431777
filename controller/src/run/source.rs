//! Where `mooring run` reads its desired state from, and how it notices a new one.
//!
//! - Files and folders: read on every poll and compared by a content hash (a folder as a
//!   whole: its `*.yaml`/`*.yml` files, as `desired_state::load` reads them). Reading a few
//!   small files every couple of seconds is cheaper and simpler than a file watcher, and it
//!   works the same on bind mounts and ConfigMap-style symlink swaps.
//! - An S3 object: a conditional GET with the last ETag (`If-None-Match`), so an unchanged
//!   object costs one request answered `304 Not Modified` and no body.
//!
//! A poll returns the raw sources only when they changed; parsing is the caller's.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("reading {path} failed: {message}")]
    Read { path: String, message: String },
    #[error("getting s3://{bucket}/{key} failed: {message}")]
    S3 {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("s3://{bucket}/{key} is not UTF-8 text")]
    NotText { bucket: String, key: String },
}

/// Where the desired state lives, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Files(Vec<PathBuf>),
    S3 { bucket: String, key: String },
}

impl Location {
    /// `s3://bucket/key` is an object; anything else a file or folder.
    pub fn parse(args: &[PathBuf]) -> Result<Self, String> {
        let s3: Vec<&str> = args
            .iter()
            .filter_map(|a| a.to_str())
            .filter(|a| a.starts_with("s3://"))
            .collect();
        match (s3.as_slice(), args.len()) {
            ([], _) => Ok(Self::Files(args.to_vec())),
            ([url], 1) => {
                let rest = url.trim_start_matches("s3://");
                match rest.split_once('/') {
                    Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Self::S3 {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                    }),
                    _ => Err(format!("expected s3://bucket/key, found `{url}`")),
                }
            }
            _ => Err("an s3:// desired state must be the only PATH".to_owned()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Files(paths) => paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            Self::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
        }
    }
}

/// New desired-state sources: (path, text) pairs for `desired_state::parse_sources`.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub sources: Vec<(PathBuf, String)>,
    /// A revision the source itself knows: the object's `revision` metadata (set by CI),
    /// else its ETag. Files have none here (git is asked by the caller).
    pub revision: Option<String>,
}

/// A location plus what was seen last, so that polls report changes only.
pub struct Source {
    location: Location,
    s3: Option<aws_sdk_s3::Client>,
    /// Content hash (files) or ETag (S3) of the last fetch.
    last: Option<String>,
}

impl Source {
    pub fn new(location: Location, s3: Option<aws_sdk_s3::Client>) -> Self {
        Self {
            location,
            s3,
            last: None,
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The sources when they differ from the last poll's, `None` when unchanged.
    pub async fn poll(&mut self) -> Result<Option<Fetched>, SourceError> {
        match &self.location {
            Location::Files(paths) => {
                let sources = read_files(paths)?;
                let hash = content_hash(&sources);
                if self.last.as_deref() == Some(hash.as_str()) {
                    return Ok(None);
                }
                self.last = Some(hash);
                Ok(Some(Fetched {
                    sources,
                    revision: None,
                }))
            }
            Location::S3 { bucket, key } => {
                let Some(client) = &self.s3 else {
                    return Err(SourceError::S3 {
                        bucket: bucket.clone(),
                        key: key.clone(),
                        message: "no S3 client".to_owned(),
                    });
                };
                let fetched = get_if_changed(client, bucket, key, self.last.as_deref()).await?;
                Ok(fetched.map(|(etag, fetched)| {
                    self.last = etag;
                    fetched
                }))
            }
        }
    }
}

/// The files `desired_state::load` would read: each file given, and a folder's
/// `*.yaml`/`*.yml` files sorted by name (not recursive).
fn read_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, SourceError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| read_error(path, &e))?;
            let mut names: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|ext| ext == "yaml" || ext == "yml")
                })
                .collect();
            names.sort();
            files.extend(names);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = read_limited(&path)?;
            Ok((path, text))
        })
        .collect()
}

/// Reads at most one byte past the format's limit: a huge file (or a device) at the
/// source path costs a megabyte, not the task's memory.
fn read_limited(path: &Path) -> Result<String, SourceError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| read_error(path, &e))?;
    let limit = u64::try_from(desired_state::MAX_FILE_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, &e))?;
    if bytes.len() > desired_state::MAX_FILE_BYTES {
        return Err(SourceError::Read {
            path: path.display().to_string(),
            message: format!(
                "file is too large: more than {} bytes (1 MiB); split the stack into several files",
                desired_state::MAX_FILE_BYTES
            ),
        });
    }
    String::from_utf8(bytes).map_err(|_| SourceError::Read {
        path: path.display().to_string(),
        message: "file is not valid UTF-8: expected a YAML text file (is it binary or compressed?)"
            .to_owned(),
    })
}

fn read_error(path: &Path, error: &std::io::Error) -> SourceError {
    SourceError::Read {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

/// Names and contents: a renamed file is a change too.
fn content_hash(sources: &[(PathBuf, String)]) -> String {
    let mut hasher = Sha256::new();
    for (path, text) in sources {
        hasher.update(path.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(text.len().to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `Ok(None)`: the object still has ETag `etag` (304).
async fn get_if_changed(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
) -> Result<Option<(Option<String>, Fetched)>, SourceError> {
    let failed = |message: String| SourceError::S3 {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        message,
    };
    let result = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_if_none_match(etag.map(str::to_owned))
        .send()
        .await;
    let output = match result {
        Ok(output) => output,
        // 304 Not Modified arrives as an error response without a body.
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(304) => return Ok(None),
        Err(e) => return Err(failed(crate::aws::error_chain(&e))),
    };
    let new_etag = output.e_tag().map(str::to_owned);
    let revision = output
        .metadata()
        .and_then(|m| m.get("revision").cloned())
        .or_else(|| new_etag.as_ref().map(|e| e.trim_matches('"').to_owned()));
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|e| failed(e.to_string()))?
        .into_bytes();
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| SourceError::NotText {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    })?;
    Ok(Some((
        new_etag,
        Fetched {
            sources: vec![(PathBuf::from(format!("s3://{bucket}/{key}")), text)],
            revision,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_and_paths() {
        assert_eq!(
            Location::parse(&["s3://b/dir/stack.yaml".into()]),
            Ok(Location::S3 {
                bucket: "b".into(),
                key: "dir/stack.yaml".into()
            })
        );
        assert_eq!(
            Location::parse(&["a.yaml".into(), "dir".into()]),
            Ok(Location::Files(vec!["a.yaml".into(), "dir".into()]))
        );
        assert!(Location::parse(&["s3://b".into()]).is_err());
        assert!(Location::parse(&["s3://b/k".into(), "a.yaml".into()]).is_err());
    }

    #[tokio::test]
    async fn huge_and_binary_files_are_refused_without_reading_them_whole() {
        let dir = std::env::temp_dir().join(format!("mooring-source-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stack.yaml");
        std::fs::write(&file, vec![b'#'; 10 * 1024 * 1024]).unwrap();
        let mut source = Source::new(Location::Files(vec![file.clone()]), None);
        let error = source.poll().await.unwrap_err().to_string();
        assert!(error.contains("file is too large"), "{error}");
        std::fs::write(&file, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]).unwrap();
        let error = source.poll().await.unwrap_err().to_string();
        assert!(error.contains("not valid UTF-8"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_folder_changes_when_any_file_does() {
        let dir = std::env::temp_dir().join(format!("mooring-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "one").unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let mut source = Source::new(Location::Files(vec![dir.clone()]), None);
        let first = source.poll().await.unwrap().unwrap();
        assert_eq!(first.sources.len(), 1);
        assert!(source.poll().await.unwrap().is_none(), "unchanged");
        std::fs::write(dir.join("notes.txt"), "still ignored").unwrap();
        assert!(
            source.poll().await.unwrap().is_none(),
            "not a desired-state file"
        );
        std::fs::write(dir.join("b.yml"), "two").unwrap();
        assert_eq!(source.poll().await.unwrap().unwrap().sources.len(), 2);
        std::fs::write(dir.join("a.yaml"), "three").unwrap();
        assert!(source.poll().await.unwrap().is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
