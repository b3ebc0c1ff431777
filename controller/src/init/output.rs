//! Where `mooring init` writes, and writing it whole or not at all: a temporary file in
//! the same folder, then a rename (`--force`) or a hard link that fails when the file
//! exists (without it), so a file that appeared meanwhile is not overwritten either.

use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
    /// An existing folder: the file is `<stack>.yaml` in it.
    Dir(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} exists: pass --force to replace it")]
    Exists(String),
    #[error("the folder of {0} does not exist")]
    NoFolder(String),
    #[error("writing {path} failed")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    /// What was asked cannot be done as asked (64), or the disk failed (1).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Exists(_) | Self::NoFolder(_) => crate::exit_code::USAGE,
            Self::Write { .. } => crate::exit_code::ERROR,
        }
    }
}

/// Checked before anything is read, so a refusal costs no AWS call.
pub fn destination(
    output: Option<&Path>,
    stack: &str,
    force: bool,
) -> Result<Destination, OutputError> {
    let Some(path) = output else {
        return Ok(Destination::Stdout);
    };
    let destination = if path.is_dir() {
        Destination::Dir(path.to_owned())
    } else {
        Destination::File(path.to_owned())
    };
    let file = file_of(&destination, stack).unwrap_or_default();
    if !force && file.exists() {
        return Err(OutputError::Exists(file.display().to_string()));
    }
    let folder = folder_of(&file);
    if !folder.is_dir() {
        return Err(OutputError::NoFolder(file.display().to_string()));
    }
    Ok(destination)
}

fn file_of(destination: &Destination, stack: &str) -> Option<PathBuf> {
    match destination {
        Destination::Stdout => None,
        Destination::File(path) => Some(path.clone()),
        Destination::Dir(dir) => Some(dir.join(format!("{stack}.yaml"))),
    }
}

fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Writes `text`; returns what it was written to, for the summary.
pub fn write(
    destination: &Destination,
    stack: &str,
    text: &str,
    force: bool,
) -> Result<String, OutputError> {
    let Some(file) = file_of(destination, stack) else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|source| OutputError::Write {
                path: "stdout".into(),
                source,
            })?;
        return Ok("the desired state to stdout".into());
    };
    let shown = file.display().to_string();
    let failed = |source| OutputError::Write {
        path: shown.clone(),
        source,
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{stack}.yaml"));
    let temp = folder_of(&file).join(format!(".{name}.mooring-init-{}", std::process::id()));
    let written = (|| {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(e));
    }
    let placed = if force {
        std::fs::rename(&temp, &file)
    } else {
        // Fails if the file exists: never replaces one without --force.
        std::fs::hard_link(&temp, &file)
    };
    let _ = std::fs::remove_file(&temp);
    match placed {
        Ok(()) => Ok(shown),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(OutputError::Exists(shown)),
        Err(e) => Err(failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_refused_without_force_and_left_as_it_was() {
        let dir = std::env::temp_dir().join(format!("mooring-init-out-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("shop.yaml");
        std::fs::write(&file, "mine\n").unwrap_or_default();
        assert!(matches!(
            destination(Some(&file), "shop", false),
            Err(OutputError::Exists(_))
        ));
        assert!(matches!(
            destination(Some(&dir), "shop", false),
            Err(OutputError::Exists(_))
        ));
        assert!(matches!(
            write(&Destination::File(file.clone()), "shop", "new\n", false),
            Err(OutputError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), "mine\n");
        assert!(write(&Destination::Dir(dir.clone()), "shop", "new\n", true).is_ok());
        assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), "new\n");
        let leftovers = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_is_refused() {
        let file = Path::new("/nonexistent-mooring-folder/x.yaml");
        assert!(matches!(
            destination(Some(file), "x", false),
            Err(OutputError::NoFolder(_))
        ));
    }
}
