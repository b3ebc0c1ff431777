//! `mooring release STACK`: hand back everything a stack that left the desired state
//! still holds. Every service tagged `mooring:stack=STACK` in the clusters tagged
//! `mooring:stack:STACK` (and in the clusters given, for services claimed before cluster
//! tags existed) is released as a pass releases a service its stack no longer declares (`plan/release.rs`),
//! and the alarms and topics tagged as the stack's are pruned under the prune cap (run
//! again for the rest). Without `--confirm` it only plans, like `mooring plan`.
//!
//! The stack is planned as a stack that declares nothing, with `prune.allowEmpty` (its
//! owner asked for the release); the clusters given are listed on top of the tagged ones, and a
//! cluster left without the stack's services loses its tag in the next run.
//! Refused while a given desired state still declares the stack: the next pass of that
//! state would claim back what this hands over.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use desired_state::{DesiredState, Prune, Stack};

use crate::aws::Clients;
use crate::observe::ObserveScope;
use crate::pacing::args::PacingArgs;
use crate::pass::{run_pass_listing, PassOptions, DEFAULT_CONCURRENCY};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The stack to release (its `metadata.name`, the value of its `mooring:stack` tags).
    pub stack: String,
    /// The current desired state (files or folders): the release is refused while it
    /// still declares the stack.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The stack's last file (e.g. `git show HEAD~1:stacks/shop.yaml > /tmp/shop.yaml`):
    /// its region and the clusters of its services are used.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// The region (default: the stack's in `--from`, else the SDK's).
    #[arg(long)]
    pub region: Option<String>,
    /// A cluster to release services in (repeatable); added to those of `--from` and to
    /// the clusters tagged `mooring:stack:STACK`, which are found without it.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// Apply the release; without it, only the plan is printed (exit 2 when something
    /// would change).
    #[arg(long)]
    pub confirm: bool,
    #[arg(long, value_enum, default_value_t = ReleaseOutput::Text)]
    pub output: ReleaseOutput,
    /// Groups of changes (and batched reads) in flight at once; the AWS request buckets
    /// set the rate.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub pacing: PacingArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReleaseOutput {
    Text,
    /// The whole report as one JSON document (as `mooring plan --output json`).
    Json,
}

/// Why a release was not attempted.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseRefused {
    #[error("stack {stack} is still declared by {source_file}: remove it from the desired state first, or the next pass would take back what the release hands over")]
    StillDeclared { stack: String, source_file: String },
    #[error("loading the desired state failed:\n{0}")]
    Invalid(String),
    #[error("{from} does not declare stack {stack}")]
    NotInFrom { stack: String, from: String },
}

pub async fn run(args: ReleaseArgs) -> ExitCode {
    let (desired, clusters) = match release_state(&args) {
        Ok(found) => found,
        Err(refused) => {
            eprintln!("error: {}", crate::redact::urls_in(&refused.to_string()));
            return ExitCode::from(refused.exit_code());
        }
    };
    let policy = match args.pacing.call_policy_or_usage(Duration::from_secs(30)) {
        Ok(policy) => policy,
        Err(code) => return code,
    };
    let clients = Clients::from_environment(policy).await;
    let options = PassOptions {
        concurrency: usize::from(args.concurrency),
        pass_deadline: args.pacing.pass_deadline,
        apply: args.confirm,
        revision: None,
        schedule_only: false,
        only_stacks: Vec::new(),
        status: false,
    };
    let extra = BTreeMap::from([(args.stack.clone(), clusters)]);
    let report = run_pass_listing(
        &desired,
        &clients,
        &options,
        chrono::Utc::now(),
        None,
        None,
        &extra,
    )
    .await;
    match args.output {
        ReleaseOutput::Json => match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: writing the report as JSON failed: {e}"),
        },
        ReleaseOutput::Text => {
            let text = render::TextOptions {
                applied: args.confirm,
                scope: ObserveScope::Everything,
                verbose: false,
                makes_changes: "`mooring release STACK --confirm`",
            };
            print!("{}", render::report_text(&report, text));
        }
    }
    ExitCode::from(crate::exit_code::for_pass(
        &report.summary,
        report.failed() > 0,
        args.confirm,
        false,
    ))
}

impl ReleaseRefused {
    /// A refusal of what was asked is a failure (1); a command line that cannot name
    /// what to release is a usage error (64), as everywhere in mooring.
    fn exit_code(&self) -> u8 {
        match self {
            ReleaseRefused::StillDeclared { .. } | ReleaseRefused::Invalid(_) => {
                crate::exit_code::ERROR
            }
            ReleaseRefused::NotInFrom { .. } => crate::exit_code::USAGE,
        }
    }
}

/// The stack to plan (declaring nothing) and the clusters to list, or why not.
fn release_state(args: &ReleaseArgs) -> Result<(DesiredState, Vec<String>), ReleaseRefused> {
    if !args.paths.is_empty() {
        let current =
            desired_state::load(&args.paths).map_err(|d| ReleaseRefused::Invalid(d.to_string()))?;
        if let Some(stack) = current.stacks.iter().find(|s| s.name == args.stack) {
            return Err(ReleaseRefused::StillDeclared {
                stack: args.stack.clone(),
                source_file: stack.source.display().to_string(),
            });
        }
    }
    let mut region = args.region.clone();
    let mut clusters = args.clusters.clone();
    if let Some(from) = &args.from {
        let last = desired_state::load(std::slice::from_ref(from))
            .map_err(|d| ReleaseRefused::Invalid(d.to_string()))?;
        let stack = last
            .stacks
            .iter()
            .find(|s| s.name == args.stack)
            .ok_or_else(|| ReleaseRefused::NotInFrom {
                stack: args.stack.clone(),
                from: from.display().to_string(),
            })?;
        region = region.or_else(|| stack.region.clone());
        clusters.extend(stack.services.iter().map(|s| s.cluster.clone()));
    }
    // Without any, the clusters tagged for the stack (`mooring:stack:<stack>`) are the
    // ones released: every pass lists those anyway.
    clusters.sort();
    clusters.dedup();
    let stack = Stack {
        name: args.stack.clone(),
        source: PathBuf::from(format!("(mooring release {})", args.stack)),
        account: None,
        region,
        timezone: None,
        schedules: BTreeMap::new(),
        topics: BTreeMap::new(),
        services: Vec::new(),
        alarms: BTreeMap::new(),
        events: None,
        prune: Prune {
            allow_empty: true,
            ..Prune::default()
        },
        clusters: BTreeMap::new(),
    };
    Ok((
        DesiredState {
            stacks: vec![stack],
            warnings: desired_state::Diagnostics::default(),
        },
        clusters,
    ))
}
