//! The mooring desired-state format: parsing and validation, pure (no AWS, no async).
//!
//! Loading runs in two passes. Pass 1 reads each file's YAML into raw serde types that keep
//! positions; its first error per file is reported with line and column. Pass 2 runs on every
//! file that passed pass 1, so a person fixes everything in one round: it checks meaning
//! (references, ranges, names, schedules) across those files, collects every problem, and
//! converts the raw types into the plain model. What depends on a file that failed pass 1
//! (a reference to a name it may declare) is left out, and a note says so.
//! See `docs/desired-state.md` for the format reference.

mod alarm;
mod alarm_checks;
mod autoscaling;
mod autoscaling_checks;
mod cluster_checks;
mod clusters;
mod cron_pair;
mod dashboard_checks;
mod dashboards;
mod diagnostics;
mod duration;
pub mod edit;
mod events;
mod lambda_targets;
mod load;
mod management;
pub mod model;
mod number;
mod parse;
mod raw;
mod raw_scalar;
mod references;
mod report;
mod schedule;
mod schedule_state;
mod schema;
mod span;
pub mod spelling;
mod subscriptions;
mod validate;

use std::path::{Path, PathBuf};

pub use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
pub use crate::lambda_targets::FunctionArn;
pub use crate::model::*;
pub use crate::parse::{closest, API_VERSION, KIND, MAX_FILE_BYTES};
pub use crate::schedule_state::{
    first_instant, is_awake, next_transition, state_at, state_with_override, transitions,
    transitions_with_override, Transition,
};
pub use crate::schema::json_schema;

use crate::diagnostics::Collector;
use crate::report::ParsedFile;
use crate::span::Loc;

/// Loads files and folders (a folder: its `*.yaml`/`*.yml` files, not recursive, sorted by
/// name) as one desired state. I/O problems become diagnostics too.
pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<DesiredState, Diagnostics> {
    let sources = load::read_sources(paths);
    let mut collector = Collector::default();
    let mut readable = Vec::new();
    for (order, source) in sources.iter().enumerate() {
        match &source.text {
            Ok(text) => readable.push((order, source.path.as_path(), text.as_str())),
            Err(message) => collector.report(order, &source.path, Loc::new(1, 1), message.clone()),
        }
    }
    let texts: Vec<&str> = sources
        .iter()
        .map(|s| s.text.as_deref().unwrap_or(""))
        .collect();
    // A folder given is all its files already: "pass the folder" would not help.
    let single_file = texts.len() == 1 && !paths.iter().any(|p| p.as_ref().is_dir());
    check(&readable, collector, &texts, single_file)
}

/// Parses in-memory sources (path, text) as one desired state; for tests and for callers
/// that read files themselves.
pub fn parse_sources(sources: &[(PathBuf, String)]) -> Result<DesiredState, Diagnostics> {
    let readable: Vec<(usize, &Path, &str)> = sources
        .iter()
        .enumerate()
        .map(|(order, (path, text))| (order, path.as_path(), text.as_str()))
        .collect();
    let texts: Vec<&str> = sources.iter().map(|(_, text)| text.as_str()).collect();
    check(&readable, Collector::default(), &texts, texts.len() == 1)
}

/// Pass 1 on every file; pass 2 on every file that passed it.
fn check(
    files: &[(usize, &Path, &str)],
    mut collector: Collector,
    texts: &[&str],
    single_file: bool,
) -> Result<DesiredState, Diagnostics> {
    let mut parsed = Vec::new();
    // Files that could not be read failed before pass 1.
    let unreadable = texts.len().saturating_sub(files.len());
    let mut unparsed = Vec::new();
    for &(order, path, text) in files {
        match parse::parse_document::<raw::RawStack>(text) {
            Ok(raw) => parsed.push(ParsedFile {
                order,
                path,
                text,
                raw,
            }),
            Err(err) => {
                collector.report(order, path, err.loc, err.message);
                unparsed.push(path);
            }
        }
    }
    let incomplete = unreadable + unparsed.len() > 0;
    let scope = references::Scope {
        incomplete,
        single_file,
    };
    if let Some(mut state) = validate::validate(&parsed, &mut collector, scope) {
        state.warnings = collector.take_warnings(texts);
        return Ok(state);
    }
    if incomplete && !parsed.is_empty() {
        let names: Vec<String> = unparsed.iter().map(|p| p.display().to_string()).collect();
        let which = match names.as_slice() {
            [] => "a file that could not be read".to_owned(),
            [one] => format!("{one} (it did not parse)"),
            many => format!("{} (they did not parse)", many.join(", ")),
        };
        collector.note(format!(
            "references to topics and alarms that may be declared in {which}, and names duplicated there, were not checked"
        ));
    }
    Err(collector.finish(texts))
}
