//! The exit codes of the `mooring` command, one contract for every command (README,
//! "Exit codes"). CI reads them: `deploy/github-actions/mooring-plan.yml`.

use crate::pass::Summary;

/// Success: nothing to do (`plan`), converged (`apply`), valid (`validate`), accepted or
/// nothing to accept (`accept`).
pub const OK: u8 = 0;
/// Something failed: a read, a change, the account guard, loading the desired state
/// for `plan`/`apply`.
pub const ERROR: u8 = 1;
/// `plan`: changes pending (Terraform's `-detailed-exitcode`); `accept --dry-run`:
/// something to accept; `validate` and `schedule`: the desired state is invalid.
pub const PENDING_OR_INVALID: u8 = 2;
/// `plan` or `apply` with `--fail-on-warnings`: at least one warning (a service that
/// does not exist, a resource another stack owns, drift in `observe` mode).
pub const WARNINGS: u8 = 3;
/// The command line itself is wrong (unknown flag, a value that does not parse, a
/// `--stack` the desired state does not declare): sysexits' EX_USAGE. Never 2, which
/// `plan` uses for "changes pending".
pub const USAGE: u8 = 64;

/// The exit code of a `plan` (`applied` false) or `apply` pass. Precedence: a failure
/// (1) over warnings under `--fail-on-warnings` (3) over changes pending (2) over 0.
pub fn for_pass(summary: &Summary, failed: bool, applied: bool, fail_on_warnings: bool) -> u8 {
    if failed {
        ERROR
    } else if fail_on_warnings && summary.warnings > 0 {
        WARNINGS
    } else if !applied && summary.resources() > 0 {
        PENDING_OR_INVALID
    } else {
        OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_outrank_warnings_which_outrank_pending_changes() {
        let pending_and_warned = Summary {
            change: 1,
            warnings: 1,
            ..Summary::default()
        };
        assert_eq!(for_pass(&pending_and_warned, true, false, true), ERROR);
        assert_eq!(for_pass(&pending_and_warned, false, false, true), WARNINGS);
        assert_eq!(
            for_pass(&pending_and_warned, false, false, false),
            PENDING_OR_INVALID
        );
        assert_eq!(for_pass(&pending_and_warned, false, true, false), OK);
        assert_eq!(for_pass(&Summary::default(), false, false, true), OK);
    }
}
