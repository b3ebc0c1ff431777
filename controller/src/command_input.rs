//! What a command that reads the account starts from: the desired state loaded, its
//! warnings and errors printed (redacted), the `--stack` names checked. `plan`, `apply`
//! and `status` share it, so they refuse the same inputs with the same words.

use std::path::PathBuf;
use std::process::ExitCode;

use desired_state::DesiredState;

use crate::exit_code::ERROR;

/// The desired state of `paths`, or the exit code to leave with: 1 when it does not load
/// (its errors printed, then "`nothing_done`"), 64 when a `--stack` name is unknown.
pub fn load_for_command(
    paths: &[PathBuf],
    stacks: &[String],
    nothing_done: &str,
) -> Result<DesiredState, ExitCode> {
    let desired = match desired_state::load(paths) {
        Ok(desired) => {
            print_warnings(&desired);
            desired
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            eprintln!(
                "error: {} problem(s) found; {nothing_done}",
                diagnostics.len()
            );
            return Err(ExitCode::from(ERROR));
        }
    };
    crate::stack_selection::check(&desired, stacks)?;
    Ok(desired)
}

/// Load errors quote the offending lines of the file, and a subscription endpoint there
/// may carry a secret (a token in its path or query, a password): CI posts this output
/// in pull-request comments (deploy/github-actions/mooring-plan.yml), so URLs are shown
/// redacted, as everywhere else mooring prints them.
pub fn print_diagnostics(diagnostics: &desired_state::Diagnostics) {
    eprintln!("{}", crate::redact::urls_in(&diagnostics.to_string()));
}

/// Validation warnings (the state is still used) go to stderr, like the diagnostics, and
/// never change the exit code.
pub fn print_warnings(desired: &desired_state::DesiredState) {
    if !desired.warnings.is_empty() {
        print_diagnostics(&desired.warnings);
    }
}
