//! `mooring accept PATH`: keep drift instead of reverting it. One read-only pass, as
//! `mooring plan` runs it; the changes that would revert drift (`DriftCorrected`, and
//! `Updated` where nothing recorded tells) become edits of the files that declare the
//! resources (`mapping.rs`), made in place by `desired_state::edit` so that every other
//! byte stays; the edited files must load before anything is written, and are written
//! only if none changed on disk meanwhile (`files.rs`).
//!
//! The account already holds the accepted values, but mooring's records of the last
//! apply (the `mooring:count` and autoscaling tags, an alarm's marker digest, a topic's
//! digest) still describe the old file: left so, the next plan would list them and a
//! later drift would read as a file change. So once the files are written, the records
//! of the accepted resources are rewritten — only where the new plan of that resource's
//! apply group holds nothing but records.

mod files;
mod mapping;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use desired_state::edit::Document;
use desired_state::DesiredState;

use crate::aws::Clients;
use crate::durations::{parse_instant, parse_timeout};
use crate::exit_code::{ERROR, OK, PENDING_OR_INVALID, USAGE};
use crate::pacing::args::PacingArgs;
use crate::pass::{run_pass, PassOptions, PassReport, DEFAULT_CONCURRENCY};
use crate::plan::{Change, Clock};

use self::files::FileEdit;

#[derive(Debug, clap::Args)]
pub struct AcceptArgs {
    /// Desired-state files or folders (a folder is one desired state), as for `plan`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only this stack's drift (repeatable).
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Only this resource's drift (repeatable), as `mooring plan` names it
    /// (`alarm api-5xx`, `ecs-service prod/api`) or without its kind (`api-5xx`,
    /// `prod/api`). A resource named here is accepted even when the file changed since
    /// the last apply (DesiredChanged).
    #[arg(long = "resource", value_name = "RESOURCE")]
    pub resources: Vec<String>,
    /// Print the diff of each file and write nothing (exit 2 when there is something to
    /// accept, like `plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Upper bound on one AWS call, retries included.
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub call_timeout: Duration,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// Evaluate off-hours schedules at this instant (RFC 3339), as `plan --now` does.
    #[arg(long, env = "MOORING_NOW", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why nothing was written.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("loading the desired state failed:\n{0}")]
    Invalid(String),
    #[error("{path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("the desired-state files changed while they were read: run accept again")]
    ChangedWhileRead,
    /// `FILE:LINE:COL: why` where the edit layer knows the position, else `FILE: why`.
    #[error("{path}{}{edit}", if edit.has_position() { ":" } else { ": " })]
    Edit {
        path: String,
        edit: desired_state::edit::EditError,
    },
    #[error("the edited files would not load, so nothing was written (please report this):\n{0}")]
    WouldNotLoad(String),
    #[error(
        "the pass could not read everything it needs ({0} failure(s) above): nothing was accepted"
    )]
    PassFailed(usize),
    #[error(transparent)]
    Write(#[from] files::WriteError),
}

pub async fn run(args: AcceptArgs) -> ExitCode {
    match accept(&args).await {
        Ok(code) => ExitCode::from(code),
        Err(refused) => {
            eprintln!("error: {}", crate::redact::urls_in(&refused.to_string()));
            ExitCode::from(ERROR)
        }
    }
}

/// The files as read and parsed for editing, by path.
struct Sources {
    texts: BTreeMap<PathBuf, String>,
    documents: BTreeMap<PathBuf, Document>,
}

async fn accept(args: &AcceptArgs) -> Result<u8, Refused> {
    let desired = desired_state::load(&args.paths)
        .map_err(|d| Refused::Invalid(crate::redact::urls_in(&d.to_string()).into_owned()))?;
    crate::command_input::print_warnings(&desired);
    if crate::stack_selection::check(&desired, &args.stacks).is_err() {
        return Ok(USAGE);
    }
    let sources = read_sources(&desired)?;
    let policy = match args.pacing.call_policy_or_usage(args.call_timeout) {
        Ok(policy) => policy,
        Err(_) => return Ok(USAGE),
    };
    let clients = Clients::from_environment(policy).await;
    let options = PassOptions {
        concurrency: usize::from(DEFAULT_CONCURRENCY),
        pass_deadline: args.pacing.pass_deadline,
        apply: false,
        revision: None,
        schedule_only: false,
        only_stacks: args.stacks.clone(),
        status: false,
    };
    let wall = chrono::Utc::now();
    let clock = Clock::new(args.now.unwrap_or(wall), wall);
    let report = run_pass(&desired, &clients, &options, clock).await;
    let failed = report.failed();
    if failed > 0 {
        print_failures(&report);
        return Err(Refused::PassFailed(failed));
    }
    let changes: Vec<&Change> = report.plan.changes.iter().map(Arc::as_ref).collect();
    if let Some(code) = unknown_resources(args, &changes, &report) {
        return Ok(code);
    }
    let accepting = mapping::accepting(
        &desired,
        &sources.documents,
        &changes,
        &report.plan.notices,
        &args.resources,
    );
    let edits = edited_files(&sources, &accepting)?;
    for edit in &edits {
        // CI posts this in pull requests: URLs (subscription endpoints in the context
        // lines) are shown redacted, as everywhere mooring prints them.
        print!("{}", crate::redact::urls_in(&files::unified_diff(edit)));
    }
    for (resource, why) in &accepting.not_accepted {
        eprintln!("not accepted: {resource}: {why}");
    }
    if edits.is_empty() {
        eprintln!("nothing to accept{}", not_accepted_count(&accepting));
        return Ok(OK);
    }
    if args.dry_run {
        eprintln!(
            "would accept {} change(s) into {}{}; nothing written (--dry-run)",
            accepting.accepted.len(),
            file_list(&edits),
            not_accepted_count(&accepting)
        );
        return Ok(PENDING_OR_INVALID);
    }
    files::write_all(&edits)?;
    eprintln!(
        "accepted {} change(s) into {}{}",
        accepting.accepted.len(),
        file_list(&edits),
        not_accepted_count(&accepting)
    );
    record(
        &edits,
        &sources,
        &clients,
        &options,
        clock,
        &accepting.groups,
    )
    .await
}

/// Each stack's file as it is now, parsed for editing; the text must load as the same
/// desired state `load` gave (else a file changed between the two reads).
fn read_sources(desired: &DesiredState) -> Result<Sources, Refused> {
    let mut texts = BTreeMap::new();
    let mut ordered = Vec::new();
    for stack in &desired.stacks {
        let text = std::fs::read_to_string(&stack.source).map_err(|e| Refused::Unreadable {
            path: stack.source.display().to_string(),
            why: e.to_string(),
        })?;
        ordered.push((stack.source.clone(), text.clone()));
        texts.insert(stack.source.clone(), text);
    }
    let again = desired_state::parse_sources(&ordered).map_err(|_| Refused::ChangedWhileRead)?;
    if again.stacks != desired.stacks {
        return Err(Refused::ChangedWhileRead);
    }
    let mut documents = BTreeMap::new();
    for (path, text) in &texts {
        let document = Document::parse(text).map_err(|edit| Refused::Edit {
            path: path.display().to_string(),
            edit,
        })?;
        documents.insert(path.clone(), document);
    }
    Ok(Sources { texts, documents })
}

/// The new text of every file with edits, checked to load as a desired state together
/// with the files left as they are.
fn edited_files(
    sources: &Sources,
    accepting: &mapping::Accepting,
) -> Result<Vec<FileEdit>, Refused> {
    let mut edits = Vec::new();
    for (path, file_edits) in &accepting.edits {
        let (Some(document), Some(read)) = (sources.documents.get(path), sources.texts.get(path))
        else {
            continue;
        };
        let new = document.apply(file_edits).map_err(|edit| Refused::Edit {
            path: path.display().to_string(),
            edit,
        })?;
        if new != *read {
            edits.push(FileEdit {
                path: path.clone(),
                read: read.clone(),
                new,
            });
        }
    }
    desired_state::parse_sources(&edited_sources(sources, &edits))
        .map_err(|d| Refused::WouldNotLoad(crate::redact::urls_in(&d.to_string()).into_owned()))?;
    Ok(edits)
}

/// `--resource` names that match no resource with drift: a usage error listing those
/// that have some.
fn unknown_resources(args: &AcceptArgs, changes: &[&Change], report: &PassReport) -> Option<u8> {
    let candidates: BTreeSet<String> = changes
        .iter()
        .filter(|c| mapping::is_candidate(c))
        .map(|c| &c.resource)
        .chain(
            report
                .plan
                .notices
                .iter()
                .filter_map(|n| n.resource.as_ref()),
        )
        .map(ToString::to_string)
        .collect();
    let unknown: Vec<&String> = args
        .resources
        .iter()
        .filter(|name| {
            !changes
                .iter()
                .filter(|c| mapping::is_candidate(c))
                .map(|c| &c.resource)
                .chain(
                    report
                        .plan
                        .notices
                        .iter()
                        .filter_map(|n| n.resource.as_ref()),
                )
                .any(|r| mapping::names(r, name))
        })
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let listed = if candidates.is_empty() {
        "none: the plan shows no drift".to_owned()
    } else {
        candidates.into_iter().collect::<Vec<_>>().join(", ")
    };
    for name in unknown {
        eprintln!("error: --resource {name} matches no resource with drift; resources with drift: {listed}");
    }
    Some(USAGE)
}

fn print_failures(report: &PassReport) {
    for event in &report.events {
        if event.phase == crate::events::Phase::Failed
            || event.reason == crate::events::Reason::ObserveFailed
        {
            eprintln!("error: {}: {}", event.object, event.message);
        }
    }
}

fn file_list(edits: &[FileEdit]) -> String {
    edits
        .iter()
        .map(|e| e.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_accepted_count(accepting: &mapping::Accepting) -> String {
    match accepting.not_accepted.len() {
        0 => String::new(),
        n => format!("; not accepted: {n} (listed above)"),
    }
}

/// Every file of the desired state as it reads once `edits` are made.
fn edited_sources(sources: &Sources, edits: &[FileEdit]) -> Vec<(PathBuf, String)> {
    sources
        .texts
        .iter()
        .map(|(path, text)| {
            let new = edits
                .iter()
                .find(|e| &e.path == path)
                .map_or(text, |e| &e.new);
            (path.clone(), new.clone())
        })
        .collect()
}

/// Rewrites mooring's records of the accepted resources (module comment): a plan of the
/// new files, and of it only the record changes of the accepted apply groups that hold
/// nothing else.
async fn record(
    edits: &[FileEdit],
    sources: &Sources,
    clients: &Clients,
    options: &PassOptions,
    clock: Clock,
    groups: &[String],
) -> Result<u8, Refused> {
    let desired = desired_state::parse_sources(&edited_sources(sources, edits))
        .map_err(|d| Refused::WouldNotLoad(d.to_string()))?;
    let report = run_pass(&desired, clients, options, clock).await;
    let groups: BTreeSet<&str> = groups.iter().map(String::as_str).collect();
    let mut by_group: BTreeMap<&str, Vec<&Arc<Change>>> = BTreeMap::new();
    for change in &report.plan.changes {
        if groups.contains(change.group.as_str()) {
            by_group
                .entry(change.group.as_str())
                .or_default()
                .push(change);
        }
    }
    let mut records = Vec::new();
    for (group, changes) in by_group {
        if changes.iter().all(|c| mapping::is_record(c)) {
            records.extend(changes.into_iter().cloned());
        } else {
            eprintln!("note: {group} still has changes to apply besides mooring's records; its records are left to the next apply");
        }
    }
    if records.is_empty() {
        return Ok(OK);
    }
    let deadline = tokio::time::Instant::now() + options.pass_deadline;
    let outcomes = crate::apply::apply(clients, records, options.concurrency, deadline).await;
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.succeeded()).collect();
    for outcome in &failed {
        eprintln!(
            "error: {}: recording the accepted state failed: {} (the file is written; the next apply records it)",
            outcome.change.resource,
            outcome.error.as_deref().unwrap_or("")
        );
    }
    let recorded = outcomes.len() - failed.len();
    if recorded > 0 {
        eprintln!("recorded the accepted state on {recorded} resource(s) (mooring's tags and alarm markers)");
    }
    Ok(if failed.is_empty() { OK } else { ERROR })
}
