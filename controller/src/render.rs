//! Human output of `plan` and `apply`, read like a Terraform plan, rendered from the
//! pass's events. JSON output is the `PassReport` serialised as is.

use std::fmt::Write;

use crate::aws::stats::{classify, CallKind};
use crate::events::{Event, EventType, FieldDiff, Phase, Reason};
use crate::observe::ObserveScope;
use crate::pass::{OperationCount, PassReport};

/// The events grouped by stack, then a summary line.
///
/// Planned: `+` create, `~` change, `-` delete. Applied: `✓`, failed: `✗`.
/// Noticed: `!` a warning, `·` a note. A schedule-only pass says so in its summary: its
/// "no changes" says nothing about alarms, topics or scaling policies.
pub fn report_text(report: &PassReport, applied: bool, scope: ObserveScope) -> String {
    let mut out = String::new();
    for stack in &report.stacks {
        let region = stack.region.as_deref().unwrap_or("no region");
        let _ = writeln!(
            out,
            "stack {} ({}, {region})",
            stack.name,
            stack.source.display()
        );
        let events: Vec<&Event> = report
            .events
            .iter()
            .filter(|e| e.stack == stack.name)
            .collect();
        if events
            .iter()
            .all(|e| e.phase == Phase::Observed && e.kind == EventType::Normal)
        {
            out.push_str("  no changes\n");
        }
        for event in events {
            event_lines(&mut out, event);
        }
        out.push('\n');
    }
    let planned = count(report, Phase::Planned);
    let changed = count(report, Phase::Applied);
    let failed = report.failed();
    let _ = if applied && failed == 0 {
        writeln!(out, "Apply complete: {changed} changed, 0 failed.")
    } else if applied {
        writeln!(
            out,
            "Apply incomplete: {changed} changed, {failed} failed (see ✗ above)."
        )
    } else if failed > 0 {
        writeln!(
            out,
            "Plan incomplete: {planned} change(s) planned, {failed} failure(s) (see ✗ above)."
        )
    } else if scope == ObserveScope::ScheduleOnly {
        match planned {
            0 => writeln!(out, "No schedule-driven changes (sleep, wake)."),
            1 => writeln!(
                out,
                "Plan: 1 schedule-driven change. `mooring apply --schedule-only` makes it."
            ),
            n => writeln!(
                out,
                "Plan: {n} schedule-driven changes. `mooring apply --schedule-only` makes them."
            ),
        }
    } else {
        match planned {
            0 => writeln!(out, "No changes. The account matches the desired state."),
            1 => writeln!(out, "Plan: 1 change. `mooring apply` makes it."),
            n => writeln!(out, "Plan: {n} changes. `mooring apply` makes them."),
        }
    };
    if scope == ObserveScope::ScheduleOnly {
        out.push_str(
            "Schedule only: alarms, topics, scaling policies and scheduled actions were not read; a full `mooring plan` checks them.\n",
        );
    }
    out
}

fn count(report: &PassReport, phase: Phase) -> usize {
    report.events.iter().filter(|e| e.phase == phase).count()
}

fn event_lines(out: &mut String, event: &Event) {
    match event.phase {
        Phase::Planned => {
            let mark = match event.reason {
                Reason::Created | Reason::Adopted => '+',
                Reason::Pruned => '-',
                _ => '~',
            };
            let _ = writeln!(out, "  {mark} {}", event.object);
        }
        Phase::Applied => {
            let _ = writeln!(
                out,
                "  ✓ {}: {}: {}",
                event.object, event.reason, event.message
            );
        }
        Phase::Failed => {
            let _ = writeln!(out, "  ✗ {}: {}", event.object, event.message);
        }
        Phase::Observed => {
            let mark = match event.kind {
                EventType::Warning => '!',
                EventType::Normal => '·',
            };
            let _ = writeln!(
                out,
                "  {mark} {}: {}: {}",
                event.object, event.reason, event.message
            );
        }
    }
    diff_lines(out, &event.diff);
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

/// `--stats`: AWS requests of the pass by operation (retries included). Telemetry
/// (events to SNS, metrics to CloudWatch) is listed apart: it is not a change to the
/// account and never counts as mutating.
pub fn calls_text(report: &PassReport) -> String {
    let mut out = String::from("AWS requests (retries included):\n");
    let width = report
        .calls
        .iter()
        .map(|c| c.service.len() + c.operation.len() + 1)
        .max()
        .unwrap_or(0)
        .max("total".len());
    let (telemetry, account): (Vec<_>, Vec<_>) = report
        .calls
        .iter()
        .partition(|c| classify(&c.operation) == CallKind::Telemetry);
    let mut total = 0;
    let mut lines = |out: &mut String, calls: &[&OperationCount]| {
        for call in calls {
            total += call.stats.requests;
            let name = format!("{} {}", call.service, call.operation);
            let _ = write!(out, "  {name:<width$}  {:>6}", call.stats.requests);
            if call.stats.failed > 0 {
                let _ = write!(
                    out,
                    "  ({} failed, {} throttled)",
                    call.stats.failed, call.stats.throttled
                );
            }
            out.push('\n');
        }
    };
    lines(&mut out, &account);
    if !telemetry.is_empty() {
        out.push_str("  telemetry (events and metrics, not changes to the account):\n");
        lines(&mut out, &telemetry);
    }
    let telemetry_requests: u64 = telemetry.iter().map(|c| c.stats.requests).sum();
    let _ = writeln!(
        out,
        "  {:<width$}  {total:>6}  ({} mutating, {telemetry_requests} telemetry, pass took {} ms)",
        "total",
        report.mutating_requests(),
        report.duration_ms
    );
    out
}
