//! `MOORING_CALL_LOG=<file>`: one line per AWS request sent, `<service>\t<operation>`
//! (the SDK's own names, e.g. `Application Auto Scaling\tRegisterScalableTarget`), appended
//! by every mooring process. The IAM check (tests/deploy/check_iam.py) compares the
//! operations a whole test-suite run made with what deploy/iam/ grants.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The variable that turns recording on; unset or empty records nothing.
pub const CALL_LOG_VARIABLE: &str = "MOORING_CALL_LOG";

#[derive(Debug)]
pub struct CallLog {
    path: PathBuf,
    warned: AtomicBool,
}

impl CallLog {
    /// The log `MOORING_CALL_LOG` names, if any.
    pub fn from_environment() -> Option<Self> {
        std::env::var_os(CALL_LOG_VARIABLE)
            .filter(|path| !path.is_empty())
            .map(|path| Self::at(PathBuf::from(path)))
    }

    pub fn at(path: PathBuf) -> Self {
        Self {
            path,
            warned: AtomicBool::new(false),
        }
    }

    /// Appends one line. The file is opened with O_APPEND for every line and the line is
    /// one `write`, so processes sharing the file (the test suite runs many) interleave
    /// whole lines. A log that cannot be written never fails the request: one warning per
    /// process, then silence.
    pub fn record(&self, service: &str, operation: &str) {
        let line = format!("{}\t{}\n", one_field(service), one_field(operation));
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = written {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    path = %self.path.display(),
                    %error,
                    "writing the AWS call log ({CALL_LOG_VARIABLE}) failed; requests go on unrecorded"
                );
            }
        }
    }
}

/// SDK names contain spaces but never tabs or line breaks; make sure a field cannot
/// split a line anyway.
fn one_field(name: &str) -> String {
    name.replace(['\t', '\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_tab_separated_line_per_request() {
        let dir = std::env::temp_dir().join(format!("mooring-call-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("calls.log");
        let _ = std::fs::remove_file(&path);
        let first = CallLog::at(path.clone());
        let second = CallLog::at(path.clone());
        first.record("ECS", "UpdateService");
        second.record("Application Auto Scaling", "RegisterScalableTarget");
        first.record("ECS", "DescribeServices");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "ECS\tUpdateService\nApplication Auto Scaling\tRegisterScalableTarget\nECS\tDescribeServices\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_log_warns_once_and_fails_nothing() {
        let log = CallLog::at(PathBuf::from("/nonexistent-dir/mooring/calls.log"));
        log.record("ECS", "UpdateService");
        assert!(log.warned.load(Ordering::Relaxed));
        log.record("ECS", "UpdateService");
    }
}
