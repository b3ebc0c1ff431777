//! `mooring init`: write a desired-state file from a live account. Read
//! (`discover.rs`, through `aws/`, what `select.rs` picks) → build the document
//! (`build.rs` with `alarm_doc.rs`, pure: every decision, into `document.rs`'s types)
//! → spell it (`emit.rs`, pure) → check that it loads → write it atomically
//! (`output.rs`). Nothing is written on any error. docs/desired-state.md, "Starting from
//! an existing account: `mooring init`".

pub(crate) mod account;
mod alarm_doc;
pub(crate) mod build;
mod discover;
pub(crate) mod document;
pub(crate) mod emit;
mod output;
mod select;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::aws::{CallPolicy, Clients};
use crate::exit_code::{ERROR, OK, USAGE};
use crate::pass::DEFAULT_CONCURRENCY;

use self::account::Options;
use self::document::Document;
use self::output::Destination;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The region to read (e.g. eu-central-1).
    #[arg(long)]
    pub region: String,
    /// An ECS cluster whose services to write (repeatable).
    #[arg(long = "cluster", value_name = "CLUSTER", required = true)]
    pub clusters: Vec<String>,
    /// Also write the alarms whose names start with this (besides those that watch the
    /// services by dimension).
    #[arg(long, value_name = "PREFIX")]
    pub alarm_prefix: Option<String>,
    /// Also write this SNS topic, even when no alarm written notifies it (repeatable).
    #[arg(long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// The stack name (`metadata.name`); default: derived from the first cluster.
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
    /// Write to FILE, or to DIR/<stack>.yaml; default: stdout.
    #[arg(long, short = 'o', value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    /// Write `management: observe` instead of `adopt: true`: mooring only reports drift.
    #[arg(long)]
    pub observe: bool,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Reads in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// Why init stopped before reading anything: the command line cannot be right.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("invalid region `{0}`: expected an AWS region such as `us-east-1`")]
    Region(String),
    #[error("invalid stack name `{0}`: expected a DNS label (lowercase letters, digits and `-`, at most 63 characters)")]
    Stack(String),
    #[error(transparent)]
    Output(#[from] output::OutputError),
}

pub async fn run(args: InitArgs) -> ExitCode {
    let stack = args
        .stack
        .clone()
        .unwrap_or_else(|| stack_name_from(&args.clusters[..]));
    let destination = match check_usage(&args, &stack) {
        Ok(destination) => destination,
        Err(e) => {
            eprintln!("error: {e}; nothing was written");
            return ExitCode::from(USAGE);
        }
    };
    let options = Options {
        stack,
        observe: args.observe,
        alarm_prefix: args.alarm_prefix.clone(),
        topics: args.topics.clone(),
    };
    let clients = Clients::from_environment(CallPolicy {
        call_timeout: Duration::from_secs(30),
        ..CallPolicy::default()
    })
    .await;
    let account = match discover::discover(
        &clients,
        &args.region,
        &args.clusters,
        &options,
        usize::from(args.concurrency),
    )
    .await
    {
        Ok(account) => account,
        Err(e) => {
            eprintln!(
                "error: {}; nothing was written",
                crate::aws::error_chain(&e)
            );
            return ExitCode::from(match e {
                discover::DiscoverError::ClustersNotFound { .. } => USAGE,
                _ => ERROR,
            });
        }
    };
    let document = build::build(&account, &options);
    let generated_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let emitted = emit::emit(&document, &generated_at);
    // A file init writes must load. Where it does not, a value AWS accepts is one the
    // format refuses (or init has a bug): say which, write nothing.
    let source = PathBuf::from(format!("{}.yaml", document.stack));
    if let Err(diagnostics) = desired_state::parse_sources(&[(source, emitted.text.clone())]) {
        eprintln!(
            "error: the file init built does not validate (a value AWS accepts that the format refuses, or a bug in mooring init); nothing was written\n{}",
            crate::redact::urls_in(&diagnostics.to_string())
        );
        return ExitCode::from(ERROR);
    }
    let written_to = match output::write(&destination, &document.stack, &emitted.text, args.force) {
        Ok(to) => to,
        Err(e) => {
            eprintln!("error: {e}; nothing was written");
            return ExitCode::from(e.exit_code());
        }
    };
    eprintln!("{}", summary(&document, &emitted, &written_to));
    ExitCode::from(OK)
}

fn check_usage(args: &InitArgs, stack: &str) -> Result<Destination, UsageError> {
    if !is_region(&args.region) {
        return Err(UsageError::Region(args.region.clone()));
    }
    if !is_dns_label(stack) {
        return Err(UsageError::Stack(stack.to_owned()));
    }
    Ok(output::destination(
        args.output.as_deref(),
        stack,
        args.force,
    )?)
}

/// `xx-name-N` (as the format checks `spec.region`): a typo fails here, before any call.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A DNS label from a cluster name: lowercase, other characters as `-`, at most 63.
pub fn stack_name_from(clusters: &[String]) -> String {
    let cluster = clusters.first().map(String::as_str).unwrap_or_default();
    let mut name = String::new();
    for c in cluster.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    name.truncate(63);
    let name = name.trim_end_matches('-').to_owned();
    if name.is_empty() {
        "stack".to_owned()
    } else {
        name
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line on stderr: what was written, what was left out and why, what was
/// withheld and where to fill it in.
pub fn summary(document: &Document, emitted: &emit::Emitted, written_to: &str) -> String {
    use self::document::SubscriptionDoc;
    let alarms = document.alarms.len()
        + document
            .services
            .iter()
            .map(|s| s.alarms.len())
            .sum::<usize>();
    let subscriptions: usize = document
        .topics
        .values()
        .map(|t| {
            t.subscriptions
                .iter()
                .filter(|s| matches!(s, SubscriptionDoc::Written(_)))
                .count()
        })
        .sum();
    let mut text = format!(
        "wrote {written_to}: {}, {}, {} ({})",
        plural(document.services.len(), "service", "services"),
        plural(alarms, "alarm", "alarms"),
        plural(document.topics.len(), "topic", "topics"),
        plural(subscriptions, "subscription", "subscriptions"),
    );
    let left = &document.left_out;
    let mut left_out = Vec::new();
    if left.target_tracking_alarms > 0 {
        left_out.push(format!(
            "{} made by Application Auto Scaling",
            plural(
                left.target_tracking_alarms,
                "target-tracking alarm",
                "target-tracking alarms"
            )
        ));
    }
    for (stack, other) in &left.other_stacks {
        for (n, one, many) in [
            (other.services, "service", "services"),
            (other.alarms, "alarm", "alarms"),
            (other.topics, "topic", "topics"),
        ] {
            if n > 0 {
                left_out.push(format!("{} of stack \"{stack}\"", plural(n, one, many)));
            }
        }
    }
    if !left.unsupported_alarms.is_empty() {
        left_out.push(format!(
            "{} the format cannot express or whose rule names an alarm not written ({})",
            plural(left.unsupported_alarms.len(), "alarm", "alarms"),
            left.unsupported_alarms.join(", ")
        ));
    }
    if !left.missing_topics.is_empty() {
        left_out.push(format!(
            "{} not found in the region ({})",
            plural(left.missing_topics.len(), "topic", "topics"),
            left.missing_topics.join(", ")
        ));
    }
    if !left_out.is_empty() {
        text.push_str("; left out: ");
        text.push_str(&left_out.join(", "));
    }
    if !emitted.withheld_lines.is_empty() {
        let lines: Vec<String> = emitted
            .withheld_lines
            .iter()
            .map(ToString::to_string)
            .collect();
        text.push_str(&format!(
            "; withheld: {} (line {}): the endpoint carries a secret, fill it in there",
            plural(
                emitted.withheld_lines.len(),
                "subscription endpoint",
                "subscription endpoints"
            ),
            lines.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_are_dns_labels_derived_from_the_cluster() {
        assert_eq!(stack_name_from(&["shop-prod".into()]), "shop-prod");
        assert_eq!(stack_name_from(&["Shop_Prod".into()]), "shop-prod");
        assert_eq!(stack_name_from(&["__x__".into()]), "x");
        assert_eq!(stack_name_from(&["___".into()]), "stack");
        assert_eq!(stack_name_from(&["a".repeat(80)]).len(), 63);
        assert!(is_dns_label(&stack_name_from(&["-a-".into()])));
    }

    #[test]
    fn regions_are_checked_for_their_shape() {
        assert!(is_region("us-east-1"));
        assert!(is_region("ap-southeast-2"));
        assert!(!is_region("us-east"));
        assert!(!is_region("useast1"));
        assert!(!is_region("US-EAST-1"));
    }
}
