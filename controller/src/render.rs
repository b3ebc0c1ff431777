//! Human output of `plan` and `apply`, read like a Terraform plan. JSON output is the
//! `PassReport` serialised as is.

use std::fmt::Write;

use crate::pass::PassReport;
use crate::plan::{Change, FieldDiff, Notice, Severity};

/// The plan, grouped by stack: `~` a change, `!` a warning, `·` a note.
pub fn plan_text(report: &PassReport) -> String {
    let mut out = String::new();
    for stack in &report.stacks {
        let changes: Vec<&Change> = report
            .plan
            .changes
            .iter()
            .filter(|c| c.stack == stack.name)
            .collect();
        let notices: Vec<&Notice> = report
            .plan
            .notices
            .iter()
            .filter(|n| n.stack == stack.name)
            .collect();
        stack_heading(&mut out, report, &stack.name);
        if changes.is_empty() && notices.is_empty() {
            out.push_str("  no changes\n");
        }
        for change in changes {
            let _ = writeln!(out, "  ~ {}", change.resource);
            diff_lines(&mut out, &change.diff);
        }
        notice_lines(&mut out, &notices);
        out.push('\n');
    }
    errors(&mut out, report);
    let count = report.plan.changes.len();
    let _ = match count {
        0 => writeln!(out, "No changes. The account matches the desired state."),
        1 => writeln!(out, "Plan: 1 change. `mooring apply` makes it."),
        n => writeln!(out, "Plan: {n} changes. `mooring apply` makes them."),
    };
    out
}

/// What `apply` did, change by change, then a summary line.
pub fn apply_text(report: &PassReport) -> String {
    let mut out = String::new();
    let outcomes = report.outcomes.as_deref().unwrap_or_default();
    for stack in &report.stacks {
        let done: Vec<_> = outcomes
            .iter()
            .filter(|o| o.change.stack == stack.name)
            .collect();
        let notices: Vec<&Notice> = report
            .plan
            .notices
            .iter()
            .filter(|n| n.stack == stack.name)
            .collect();
        stack_heading(&mut out, report, &stack.name);
        if done.is_empty() && notices.is_empty() {
            out.push_str("  no changes\n");
        }
        for outcome in done {
            match &outcome.error {
                None => {
                    let _ = writeln!(out, "  ✓ {} updated", outcome.change.resource);
                }
                Some(error) => {
                    let _ = writeln!(out, "  ✗ {} failed: {error}", outcome.change.resource);
                }
            }
            diff_lines(&mut out, &outcome.change.diff);
        }
        notice_lines(&mut out, &notices);
        out.push('\n');
    }
    errors(&mut out, report);
    let changed = outcomes.iter().filter(|o| o.succeeded()).count();
    let failed = report.failed();
    let _ = if failed == 0 {
        writeln!(out, "Apply complete: {changed} changed, 0 failed.")
    } else {
        writeln!(
            out,
            "Apply incomplete: {changed} changed, {failed} failed (see above)."
        )
    };
    out
}

fn stack_heading(out: &mut String, report: &PassReport, name: &str) {
    let Some(stack) = report.stacks.iter().find(|s| s.name == name) else {
        return;
    };
    let region = stack.region.as_deref().unwrap_or("no region");
    let _ = writeln!(
        out,
        "stack {} ({}, {region})",
        stack.name,
        stack.source.display()
    );
}

fn diff_lines(out: &mut String, diff: &[FieldDiff]) {
    for field in diff {
        let _ = writeln!(
            out,
            "      {}: {} → {}",
            field.field, field.before, field.after
        );
    }
}

fn notice_lines(out: &mut String, notices: &[&Notice]) {
    for notice in notices {
        let mark = match notice.severity {
            Severity::Warning => '!',
            Severity::Normal => '·',
        };
        let subject = notice
            .resource
            .as_ref()
            .map_or_else(|| "stack".to_owned(), ToString::to_string);
        let _ = writeln!(
            out,
            "  {mark} {subject}: {:?}: {}",
            notice.reason, notice.message
        );
        diff_lines(out, &notice.diff);
    }
}

fn errors(out: &mut String, report: &PassReport) {
    for error in &report.observe_errors {
        let _ = writeln!(out, "✗ {error}");
    }
    if !report.observe_errors.is_empty() {
        out.push('\n');
    }
}
