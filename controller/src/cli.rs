//! The `mooring` command line: argument parsing and the exit-code contract.
//! Each subcommand is a few lines that call into the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::aws::Clients;
use crate::command_input::{print_diagnostics, print_warnings};
use crate::durations::{parse_instant, parse_timeout};
use crate::events::stdout::write_json_lines;
use crate::events::EventSinks;
use crate::exit_code::{
    ERROR as EXIT_ERROR, OK as EXIT_OK, PENDING_OR_INVALID as EXIT_PENDING_OR_INVALID,
    USAGE as EXIT_USAGE,
};
use crate::observe::ObserveScope;
use crate::pacing::args::PacingArgs;
use crate::pass::{calls_since, run_pass, PassOptions, PassReport, DEFAULT_CONCURRENCY};
use crate::plan::Clock;
use crate::render;
use crate::revision::revision;

#[derive(Debug, Parser)]
#[command(
    name = "mooring",
    version,
    about = "Keeps ECS service counts, autoscaling, off-hours schedules, alarms and alerting where a git-tracked desired state says."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check desired-state files or folders without touching AWS. Exit 0 valid, 2 invalid.
    Validate {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Only report this stack (repeatable); every file is still checked.
        #[arg(long = "stack", value_name = "NAME")]
        stacks: Vec<String>,
    },
    /// Print the JSON Schema of the desired-state format (for yaml-language-server).
    Schema,
    /// Show what `apply` would change. Exit 0 nothing to do, 2 changes pending, 1 error,
    /// 3 warnings under --fail-on-warnings.
    Plan(PassArgs),
    /// Run one reconcile pass: observe, plan, apply. Exit 0 converged, 1 failures,
    /// 3 warnings under --fail-on-warnings.
    Apply(PassArgs),
    /// Preview off-hours: each service's next sleep/wake transitions (local and UTC time)
    /// and a timeline. Reads no AWS. Exit 0, or 2 when the desired state is invalid.
    Schedule {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Start of the preview (RFC 3339); default: now.
        #[arg(long, value_parser = parse_instant)]
        from: Option<chrono::DateTime<chrono::Utc>>,
        /// How many days to show.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Only this stack's services (repeatable).
        #[arg(long = "stack", value_name = "NAME")]
        stacks: Vec<String>,
    },
    /// The controller: a pass every interval and at once when the desired state changes,
    /// HTTP endpoints, events on stdout. Runs until SIGTERM or SIGINT (exit 0).
    Run(RunArgs),
    /// Hand back what a stack that left the desired state still holds (services woken and
    /// untagged, its alarms and topics pruned). Plans only without --confirm (exit 2 when
    /// something would change).
    Release(crate::release::ReleaseArgs),
    /// Write a desired-state file from a live account: its clusters' services, their
    /// autoscaling, the alarms that watch them and the topics those notify.
    Init(crate::init::InitArgs),
    /// Every declared resource with its sync state (InSync, Drifted, Pending, …), read
    /// from the account in one read-only pass. Exit 0, or 1 when a read failed.
    Status(crate::status_command::StatusArgs),
    /// Write the drift `plan` shows into the desired-state files instead of reverting it.
    /// Exit 0 done or nothing to accept, 2 something to accept under --dry-run, 1 error.
    Accept(crate::accept::AcceptArgs),
    /// Exit 0 when the controller's endpoint answers 2xx, else 1: the ECS container health
    /// check (minimal images have no curl).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
        #[arg(long, default_value = "3s", value_parser = parse_timeout)]
        timeout: Duration,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A desired-state file or folder (a folder is one desired state), or s3://bucket/key.
    #[arg(required = true, value_name = "PATH|s3://BUCKET/KEY")]
    pub paths: Vec<PathBuf>,
    /// Time between passes; up to 10 % jitter is added.
    #[arg(long, default_value = "60s", value_parser = parse_timeout)]
    pub interval: Duration,
    /// How often the desired state is checked for changes (default: 2s for files, 10s for S3).
    #[arg(long, value_parser = parse_timeout)]
    pub poll: Option<Duration>,
    /// Address of /healthz, /readyz, /metrics and /status.
    #[arg(long, default_value = "127.0.0.1:8080", env = "MOORING_LISTEN")]
    pub listen: std::net::SocketAddr,
    /// Groups of changes (and batched reads) in flight at once; the AWS request buckets
    /// set the rate.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Upper bound on one AWS call, retries included; when paced, on each attempt's time
    /// on the wire (the wait for tokens is not counted).
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub call_timeout: Duration,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// The desired state's revision for events; default: its git commit, or the S3
    /// object's `revision` metadata, else its ETag.
    #[arg(long, env = "MOORING_REVISION")]
    pub revision: Option<String>,
    /// Evaluate off-hours schedules at this fixed instant (RFC 3339): demos and tests.
    #[arg(long, env = "MOORING_NOW", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Command {
    /// The controller logs what it does; the one-shot commands only what went wrong.
    pub fn default_log_level(&self) -> &'static str {
        match self {
            Command::Run(_) => "info",
            _ => "warn",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct PassArgs {
    /// Desired-state files or folders (a folder is one desired state).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Groups of changes (and batched reads) in flight at once; the AWS request buckets
    /// set the rate.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Upper bound on one AWS call, retries included (e.g. 30s, 2m); when paced, on each
    /// attempt's time on the wire (the wait for tokens is not counted).
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub call_timeout: Duration,
    #[command(flatten)]
    pub pacing: PacingArgs,
    /// The desired state's revision for events; default: its git commit.
    #[arg(long, env = "MOORING_REVISION")]
    pub revision: Option<String>,
    /// Print the AWS requests of the pass by operation.
    #[arg(long)]
    pub stats: bool,
    /// Evaluate off-hours schedules at this instant (RFC 3339) instead of the clock's:
    /// for demos, tests and "what happens tonight".
    #[arg(long, env = "MOORING_NOW", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Only what the schedules decide (sleep, wake), as the offhours Lambda does; reads
    /// only ECS services and scalable targets.
    #[arg(long)]
    pub schedule_only: bool,
    /// Only this stack (repeatable): apply dev before prod. The others are neither read
    /// nor changed.
    #[arg(long = "stack", value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Exit 3 when the pass has warnings (a service that does not exist, a resource
    /// another stack owns, drift in observe mode), unless it failed (1).
    #[arg(long)]
    pub fail_on_warnings: bool,
    /// Text output: every event of each resource with all its fields, mooring's
    /// bookkeeping tags and digests included.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    /// The whole report as one JSON document.
    Json,
    /// Every event as one JSON object a line (for CloudWatch Logs, `jq`).
    Jsonl,
}

/// The command line, or the exit code to leave with: a usage error (unknown flag, a
/// value that does not parse) is `EXIT_USAGE` for every command, never clap's 2, which
/// is `plan`'s "changes pending"; `--help` and `--version` exit 0. clap has printed
/// what it has to say.
pub fn parse_args() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        let _ = e.print();
        ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK })
    })
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Validate { paths, stacks } => validate(&paths, &stacks),
        Command::Schema => schema(),
        Command::Plan(args) => pass(args, false).await,
        Command::Apply(args) => pass(args, true).await,
        Command::Schedule {
            paths,
            from,
            days,
            stacks,
        } => schedule(&paths, from, days, &stacks),
        Command::Run(args) => run_controller(args).await,
        Command::Release(args) => crate::release::run(args).await,
        Command::Init(args) => crate::init::run(args).await,
        Command::Accept(args) => crate::accept::run(args).await,
        Command::Status(args) => crate::status_command::run(args).await,
        Command::Healthcheck { url, timeout } => {
            match crate::run::http::healthcheck(&url, timeout).await {
                Ok(true) => ExitCode::from(EXIT_OK),
                Ok(false) => {
                    eprintln!("unhealthy: {url} did not answer 2xx");
                    ExitCode::from(EXIT_ERROR)
                }
                Err(e) => {
                    eprintln!("unhealthy: {e}");
                    ExitCode::from(EXIT_ERROR)
                }
            }
        }
    }
}

async fn run_controller(args: RunArgs) -> ExitCode {
    let location = match crate::run::source::Location::parse(&args.paths) {
        Ok(location) => location,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let poll = args.poll.unwrap_or(match location {
        crate::run::source::Location::Files(_) => Duration::from_secs(2),
        crate::run::source::Location::S3 { .. } => Duration::from_secs(10),
    });
    let policy = match args.pacing.call_policy_or_usage(args.call_timeout) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let options = crate::run::RunOptions {
        location,
        policy,
        pass_deadline: args.pacing.pass_deadline,
        interval: args.interval.max(Duration::from_millis(100)),
        poll: poll.max(Duration::from_millis(100)),
        listen: args.listen,
        concurrency: usize::from(args.concurrency),
        revision: args.revision,
        now: args.now,
        shutdown_grace: Duration::from_secs(3),
    };
    match crate::run::run(options).await {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: {}", crate::aws::error_chain(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn validate(paths: &[PathBuf], stacks: &[String]) -> ExitCode {
    match desired_state::load(paths) {
        Ok(desired) => {
            print_warnings(&desired);
            if let Err(code) = crate::stack_selection::check(&desired, stacks) {
                return code;
            }
            let desired = crate::stack_selection::only(desired, stacks);
            let services: usize = desired.stacks.iter().map(|s| s.services.len()).sum();
            println!(
                "valid: {} stack(s), {services} service(s)",
                desired.stacks.len()
            );
            ExitCode::from(EXIT_OK)
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!(
                "error: {} problem(s) found; nothing was applied",
                diagnostics.len()
            );
            ExitCode::from(EXIT_PENDING_OR_INVALID)
        }
    }
}

fn schedule(
    paths: &[PathBuf],
    from: Option<chrono::DateTime<chrono::Utc>>,
    days: u32,
    stacks: &[String],
) -> ExitCode {
    match desired_state::load(paths) {
        Ok(desired) => {
            print_warnings(&desired);
            if let Err(code) = crate::stack_selection::check(&desired, stacks) {
                return code;
            }
            let desired = crate::stack_selection::only(desired, stacks);
            let from = from.unwrap_or_else(chrono::Utc::now);
            print!(
                "{}",
                crate::schedule_preview::preview_text(&desired, from, days)
            );
            ExitCode::from(EXIT_OK)
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!("error: {} problem(s) found", diagnostics.len());
            ExitCode::from(EXIT_PENDING_OR_INVALID)
        }
    }
}

fn schema() -> ExitCode {
    match serde_json::to_string_pretty(&desired_state::json_schema()) {
        Ok(text) => {
            println!("{text}");
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: rendering the schema failed: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn pass(args: PassArgs, apply: bool) -> ExitCode {
    let desired = match crate::command_input::load_for_command(
        &args.paths,
        &args.stacks,
        "nothing was applied",
    ) {
        Ok(desired) => desired,
        Err(code) => return code,
    };
    let policy = match args.pacing.call_policy_or_usage(args.call_timeout) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let clients = Clients::from_environment(policy).await;
    let options = PassOptions {
        concurrency: usize::from(args.concurrency),
        pass_deadline: args.pacing.pass_deadline,
        apply,
        revision: revision(args.revision.as_deref(), &args.paths),
        schedule_only: args.schedule_only,
        only_stacks: args.stacks.clone(),
        status: false,
    };
    // `--now T` evaluates schedules at T; tags record the real time (plan/clock.rs).
    let wall = chrono::Utc::now();
    let now = args.now.unwrap_or(wall);
    let mut report = run_pass(&desired, &clients, &options, Clock::new(now, wall)).await;
    if apply {
        publish_events(&desired, &clients, &mut report).await;
    }
    let scope = if args.schedule_only {
        ObserveScope::ScheduleOnly
    } else {
        ObserveScope::Everything
    };
    let text = render::TextOptions {
        applied: apply,
        scope,
        verbose: args.verbose,
        makes_changes: "`mooring apply`",
    };
    print_report(&report, args.output, text);
    if args.stats && args.output == Output::Text {
        print!("\n{}", render::calls_text(&report));
    }
    ExitCode::from(crate::exit_code::for_pass(
        &report.summary,
        report.failed() > 0,
        apply,
        args.fail_on_warnings,
    ))
}

/// The SNS and metrics sinks of `spec.events` (`apply` only: `plan` is read-only). A
/// one-shot run folds within its own pass, then flushes. The sinks' problems and
/// requests join the report.
async fn publish_events(
    desired: &desired_state::DesiredState,
    clients: &Clients,
    report: &mut PassReport,
) {
    let mut sinks = EventSinks::new(desired, clients);
    if sinks.is_empty() {
        return;
    }
    let before = clients.stats().snapshot();
    let mut problems = sinks.publish(report.for_sinks()).await;
    problems.extend(sinks.flush().await);
    report.add_events(problems);
    report.add_calls(calls_since(&before, clients));
}

fn print_report(report: &PassReport, output: Output, text: render::TextOptions) {
    match output {
        Output::Jsonl => {
            if let Err(e) = write_json_lines(&mut std::io::stdout().lock(), &report.events) {
                eprintln!("error: {}", crate::aws::error_chain(&e));
            }
        }
        // Streamed: at N = 1,000 a sleep's report is 5.6 MB, and building it as one String
        // was the largest allocation of the pass (8 MB with Vec growth; docs/benchmarks.md).
        Output::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = serde_json::to_writer_pretty(&mut out, report)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
            if let Err(e) = written {
                eprintln!("error: writing the report as JSON failed: {e}");
            }
        }
        Output::Text => print!("{}", render::report_text(report, text)),
    }
}

/// Logs go to stderr so stdout stays the plan; JSON lines when stderr is not a terminal
/// (CloudWatch Logs, CI), human lines otherwise. `MOORING_LOG`, else `RUST_LOG`, sets the
/// filter; `default` when neither is set. The AWS SDK and its HTTP stack are capped at
/// `info` (`with_sdk_caps`).
pub fn init_tracing(default: &str) {
    let spec = ["MOORING_LOG", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| default.to_owned());
    let filter = tracing_subscriber::EnvFilter::new(with_sdk_caps(&spec));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

/// Targets capped at `info` whatever the level asked for: at debug the AWS SDK logs the
/// access key id with every resolved identity and endpoint, and at trace the requests it
/// signs (docs/security.md). A filter that names an `aws…` or `hyper…` target itself is
/// taken as a deliberate look into the SDK and left as it is.
const SDK_TARGETS: [&str; 4] = ["aws", "hyper", "h2", "rustls"];

fn with_sdk_caps(spec: &str) -> String {
    if SDK_TARGETS.iter().any(|target| spec.contains(target)) {
        return spec.to_owned();
    }
    let caps: Vec<String> = SDK_TARGETS.iter().map(|t| format!("{t}=info")).collect();
    format!("{spec},{}", caps.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_is_capped_at_info_unless_asked_for_by_name() {
        assert_eq!(
            with_sdk_caps("trace"),
            "trace,aws=info,hyper=info,h2=info,rustls=info"
        );
        assert_eq!(
            with_sdk_caps("mooring=debug"),
            "mooring=debug,aws=info,hyper=info,h2=info,rustls=info"
        );
        assert_eq!(
            with_sdk_caps("info,aws_smithy_runtime=debug"),
            "info,aws_smithy_runtime=debug"
        );
    }
}
