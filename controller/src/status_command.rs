//! `mooring status PATH`: one read-only pass that prints every declared resource with its
//! sync state (the picture `mooring run` serves at `/` and `/status`), for people and CI
//! without a running controller. Changes nothing; `--output json` is the `/status`
//! document (docs/status.md).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;

use crate::aws::Clients;
use crate::durations::{parse_instant, parse_timeout};
use crate::exit_code::{ERROR, OK};
use crate::pacing::args::PacingArgs;
use crate::pass::{run_pass, PassOptions, DEFAULT_CONCURRENCY};
use crate::plan::Clock;
use crate::status::{StatusDocument, RECENT_EVENTS, VERSION};

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Desired-state files or folders (a folder is one desired state).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = StatusOutput::Text)]
    pub output: StatusOutput,
    /// Only this stack (repeatable).
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Batched reads in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Upper bound on one AWS call, retries included.
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub call_timeout: Duration,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// The desired state's revision; default: its git commit.
    #[arg(long, env = "MOORING_REVISION")]
    pub revision: Option<String>,
    /// Evaluate off-hours schedules at this instant (RFC 3339) instead of the clock's.
    #[arg(long, env = "MOORING_NOW", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusOutput {
    /// A compact table per stack.
    Text,
    /// The `/status` document.
    Json,
}

/// Exit 0 when everything was read (whatever the sync states: `plan` is the command that
/// gates on pending changes), 1 when a read failed or the desired state is invalid.
pub async fn run(args: StatusArgs) -> ExitCode {
    let desired =
        match crate::command_input::load_for_command(&args.paths, &args.stacks, "nothing was read")
        {
            Ok(desired) => desired,
            Err(code) => return code,
        };
    let policy = match args.pacing.call_policy_or_usage(args.call_timeout) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let clients = Clients::from_environment(policy).await;
    let revision = crate::revision::revision(args.revision.as_deref(), &args.paths);
    let options = PassOptions {
        concurrency: usize::from(args.concurrency),
        pass_deadline: args.pacing.pass_deadline,
        apply: false,
        revision: revision.clone(),
        schedule_only: false,
        only_stacks: args.stacks.clone(),
        status: true,
    };
    let wall = chrono::Utc::now();
    let report = run_pass(
        &desired,
        &clients,
        &options,
        Clock::new(args.now.unwrap_or(wall), wall),
    )
    .await;
    let failed = report.failed() > 0;
    let mut events: Vec<_> = report
        .events
        .iter()
        .rev()
        .take(RECENT_EVENTS)
        .cloned()
        .collect();
    events.shrink_to_fit();
    let document = StatusDocument {
        version: VERSION,
        source: args
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        revision,
        loaded: true,
        passes: 1,
        last_pass: Some(report.last_pass(chrono::Utc::now())),
        last_success_at: (!failed).then(chrono::Utc::now),
        rejected: None,
        stacks: report.status.unwrap_or_default(),
        events,
    };
    let written = match args.output {
        StatusOutput::Text => {
            let mut out = std::io::stdout().lock();
            out.write_all(crate::status::text::render(&document).as_bytes())
        }
        StatusOutput::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, &document)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush())
        }
    };
    if let Err(e) = written {
        eprintln!("error: writing the status failed: {e}");
        return ExitCode::from(ERROR);
    }
    ExitCode::from(if failed { ERROR } else { OK })
}
