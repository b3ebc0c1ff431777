//! Human output of `plan` and `apply`, read like a Terraform plan, rendered from the
//! pass's events (blocks.rs: one block per resource; calls.rs: `--stats`). JSON output
//! is the `PassReport` serialised as is.

use std::fmt::Write;

use crate::observe::ObserveScope;
use crate::pass::{PassReport, Summary};

mod blocks;
mod calls;

pub use self::calls::calls_text;

/// How the text report is rendered.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// The pass applied its plan (`apply`), or only planned it (`plan`).
    pub applied: bool,
    pub scope: ObserveScope,
    /// Every event of a block with all its fields, bookkeeping tags included.
    pub verbose: bool,
    /// What makes the planned changes, for the closing line: "`mooring apply`" (plan),
    /// "`mooring release … --confirm`" (a release not confirmed yet).
    pub makes_changes: &'static str,
}

/// The events grouped by stack, one block per resource, then a closing line.
///
/// Marks: `+` created, `~` changed (adopted included), `-` deleted or released, `✗` a
/// change or read that failed, `!` a warning, `·` a note. The closing line counts
/// resources and warnings and says only what is true: "the account matches" only when
/// nothing is to change and nothing needs attention.
pub fn report_text(report: &PassReport, options: TextOptions) -> String {
    let mut out = String::new();
    for stack in &report.stacks {
        let region = stack.region.as_deref().unwrap_or("no region");
        let _ = writeln!(
            out,
            "stack {} ({}, {region})",
            stack.name,
            stack.source.display()
        );
        let blocks = blocks::blocks(report.events.iter().filter(|e| e.stack == stack.name));
        let quiet = blocks.iter().all(|b| {
            !b.has_changes()
                && b.events.iter().all(|e| {
                    e.phase == crate::events::Phase::Observed
                        && e.kind == crate::events::EventType::Normal
                })
        });
        if quiet {
            out.push_str("  no changes\n");
        }
        for block in &blocks {
            blocks::block_lines(&mut out, block, options.verbose);
        }
        out.push('\n');
    }
    out.push_str(&closing_line(&report.summary, options));
    out.push('\n');
    if options.scope == ObserveScope::ScheduleOnly {
        out.push_str(
            "Schedule only: alarms, topics, scaling policies and scheduled actions were not read; a full `mooring plan` checks them.\n",
        );
    }
    out
}

/// "Plan: 3 to change, 8 to create; 1 warning. …", "Apply complete: 3 changed; …",
/// "No changes; 2 warnings need attention (see ! above)."
fn closing_line(summary: &Summary, options: TextOptions) -> String {
    let warnings = match summary.warnings {
        0 => String::new(),
        1 => "; 1 warning (see ! above)".to_owned(),
        n => format!("; {n} warnings (see ! above)"),
    };
    let failed = summary.failed;
    let planned = counts(summary, false);
    let done = counts(summary, true);
    if options.applied {
        if failed > 0 {
            let done = if done.is_empty() {
                "nothing changed".to_owned()
            } else {
                done
            };
            return format!("Apply incomplete: {done}, {failed} failed (see ✗ above){warnings}.");
        }
        if summary.resources() > 0 {
            return format!("Apply complete: {done}{warnings}.");
        }
        return match summary.warnings {
            0 => "Apply complete: no changes. The account matches the desired state.".to_owned(),
            n => format!(
                "Apply complete: no changes; {} (see ! above).",
                need_attention(n)
            ),
        };
    }
    if failed > 0 {
        let planned = if planned.is_empty() {
            "nothing to change".to_owned()
        } else {
            planned
        };
        let failures = if failed == 1 { "failure" } else { "failures" };
        return format!("Plan incomplete: {planned}, {failed} {failures} (see ✗ above){warnings}.");
    }
    if options.scope == ObserveScope::ScheduleOnly {
        return match summary.resources() {
            0 if summary.warnings == 0 => "No schedule-driven changes (sleep, wake).".to_owned(),
            0 => format!(
                "No schedule-driven changes (sleep, wake); {} (see ! above).",
                need_attention(summary.warnings)
            ),
            n => format!(
                "Plan: {n} {} to change on schedule (sleep, wake){warnings}. `mooring apply --schedule-only` makes the changes.",
                if n == 1 { "resource" } else { "resources" }
            ),
        };
    }
    match (summary.resources(), summary.warnings) {
        (0, 0) => "No changes. The account matches the desired state.".to_owned(),
        (0, n) => format!("No changes; {} (see ! above).", need_attention(n)),
        _ => format!(
            "Plan: {planned}{warnings}. {} makes these changes.",
            options.makes_changes
        ),
    }
}

fn need_attention(warnings: usize) -> String {
    match warnings {
        1 => "1 warning needs attention".to_owned(),
        n => format!("{n} warnings need attention"),
    }
}

/// "3 to change, 8 to create, 1 to release, 2 to delete" (planned) or "3 changed, 8
/// created, …" (done); categories with nothing in them are left out.
fn counts(summary: &Summary, done: bool) -> String {
    let parts = [
        (summary.change, "to change", "changed"),
        (summary.create, "to create", "created"),
        (summary.release, "to release", "released"),
        (summary.delete, "to delete", "deleted"),
    ];
    parts
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, planned, past)| format!("{n} {}", if done { past } else { planned }))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
