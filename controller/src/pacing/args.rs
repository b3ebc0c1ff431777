//! The pacing's command-line flags, shared by plan, apply, run and release.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{PacingError, PacingSettings, Share};
use crate::aws::CallPolicy;

#[derive(Debug, Clone, clap::Args)]
pub struct PacingArgs {
    /// The fraction of each AWS request bucket (burst and refill) mooring uses, in
    /// (0, 1]; the rest is left for the deploy pipeline, Terraform, the console.
    /// MOORING_AWS_PACING=off turns the pacing off.
    #[arg(long, env = "MOORING_AWS_SHARE", default_value = "0.8", value_parser = parse_share)]
    pub aws_share: Share,
    /// A JSON file of raised quotas (the schema of controller/aws-quotas.json): its
    /// families replace the built-in ones of the same service and family.
    #[arg(long, env = "MOORING_AWS_QUOTAS", value_name = "FILE")]
    pub aws_quotas: Option<PathBuf>,
    /// How long after a pass starts changes AWS throttled past the SDK's retries are
    /// tried again in it; later they are left for the next pass.
    #[arg(long, default_value = "10m", value_parser = crate::durations::parse_timeout)]
    pub pass_deadline: Duration,
}

fn parse_share(text: &str) -> Result<Share, String> {
    text.parse().map_err(|e: super::ShareError| e.to_string())
}

impl PacingArgs {
    /// The call policy with the pacer these flags (and MOORING_AWS_PACING) describe.
    pub fn call_policy(&self, call_timeout: Duration) -> Result<CallPolicy, PacingError> {
        let settings = PacingSettings {
            off: super::pacing_off(),
            share: self.aws_share,
            quotas: self.aws_quotas.clone(),
        };
        Ok(CallPolicy {
            call_timeout,
            pacer: settings.pacer()?,
            ..CallPolicy::default()
        })
    }

    /// The same, or the usage error (exit 64) of a bad share or quotas file, printed.
    pub fn call_policy_or_usage(&self, call_timeout: Duration) -> Result<CallPolicy, ExitCode> {
        self.call_policy(call_timeout).map_err(|e| {
            eprintln!("error: {}", crate::aws::error_chain(&e));
            ExitCode::from(crate::exit_code::USAGE)
        })
    }
}
