//! The reconcile loop of `mooring run`: poll the desired state, run a pass every
//! interval (with jitter) and at once when the desired state changed, publish events,
//! and stop cleanly when told to.

use std::time::Duration;

use chrono::Utc;
use desired_state::DesiredState;
use tokio::sync::watch;
use tokio::time::Instant;

use super::options::RunOptions;
use super::source::{Location, Source};
use super::status::Shared;
use crate::aws::Clients;
use crate::backoff::{jitter_for, ResourceBackoff};
use crate::events::stdout::write_json_lines;
use crate::events::{Event, EventSinks, EventType, Phase, Reason};
use crate::pass::{calls_since, run_pass_with_backoff, PassMemory, PassOptions};

/// The desired state being applied and its revision.
struct Current {
    desired: DesiredState,
    revision: Option<String>,
}

/// Runs until `shutdown` turns true. Returns after the final event was written.
pub async fn reconcile_loop(
    options: &RunOptions,
    clients: &Clients,
    mut source: Source,
    shared: Shared,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut current: Option<Current> = None;
    let mut sinks: Option<EventSinks<'_>> = None;
    // Events noticed between passes (desired state loaded or refused): on stdout at
    // once, to the sinks with the next pass.
    let mut pending: Vec<Event> = Vec::new();
    let mut backoff = ResourceBackoff::new(
        options.interval,
        Duration::from_secs(900).max(options.interval),
    );
    // What each pass saw, as evidence for the next (a hand-deleted alarm is drift).
    let mut memory = PassMemory::default();
    let mut next_pass = Instant::now();
    let mut last_source_error: Option<String> = None;
    let mut passes: u32 = 0;
    let mut cut_short = false;
    // Set when a signal arrives during a pass: everything still to do must end by then.
    let mut stop_by: Option<Instant> = None;

    loop {
        let polled = tokio::select! {
            polled = source.poll() => polled,
            _ = shutdown.changed() => break,
        };
        match polled {
            Ok(Some(fetched)) => {
                last_source_error = None;
                match desired_state::parse_sources(&fetched.sources) {
                    Ok(desired) => {
                        let revision = revision_of(options, source.location(), fetched.revision);
                        let events = loaded_events(&desired, &revision, source.location());
                        tracing::info!(revision = revision.as_deref().unwrap_or(UNKNOWN_REVISION), source = %source.location().describe(), "desired state loaded");
                        if !desired.warnings.is_empty() {
                            // Valid, but probably not what was meant (docs/desired-state.md).
                            tracing::warn!(warnings = %desired.warnings, "the desired state has validation warnings");
                        }
                        print_events(&events);
                        pending.extend(events);
                        shared.loaded(revision.clone());
                        // The sinks follow the desired state (a topic may have changed):
                        // fold windows of the old one close now.
                        if let Some(mut old) = sinks.take() {
                            print_events(&old.flush().await);
                        }
                        sinks = Some(EventSinks::new(&desired, clients));
                        current = Some(Current { desired, revision });
                        next_pass = Instant::now();
                        // The parser's syntax trees and the old state are gone.
                        crate::allocator::release_free_memory();
                    }
                    Err(diagnostics) => {
                        let message = format!(
                            "{} problem(s) in the new desired state; still applying the last good one{}:\n{diagnostics}",
                            diagnostics.len(),
                            current
                                .as_ref()
                                .and_then(|c| c.revision.as_deref())
                                .map(|r| format!(" (revision {r})"))
                                .unwrap_or_default()
                        );
                        let message = crate::redact::urls_in(&message).into_owned();
                        tracing::warn!(problems = diagnostics.len(), "desired state invalid");
                        let events = invalid_events(current.as_ref(), message.clone());
                        print_events(&events);
                        pending.extend(events);
                        shared.rejected(message);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                let message = e.to_string();
                // An unreadable source is reported once, not on every poll.
                if last_source_error.as_deref() != Some(message.as_str()) {
                    tracing::warn!(error = %message, "reading the desired state failed");
                    let events = invalid_events(current.as_ref(), message.clone());
                    print_events(&events);
                    pending.extend(events);
                    shared.rejected(message.clone());
                    last_source_error = Some(message);
                }
            }
        }

        if let Some(current) = current.as_ref().filter(|_| Instant::now() >= next_pass) {
            let pass_options = PassOptions {
                concurrency: options.concurrency,
                pass_deadline: options.pass_deadline,
                apply: true,
                revision: current.revision.clone(),
                schedule_only: false,
                only_stacks: Vec::new(),
                status: true,
            };
            // `--now T` evaluates schedules at T; tags and backoff run on the wall clock.
            let wall = Utc::now();
            let clock = crate::plan::Clock::new(options.now.unwrap_or(wall), wall);
            let pass = run_pass_with_backoff(
                &current.desired,
                clients,
                &pass_options,
                clock,
                Some(&mut backoff),
                Some(&mut memory),
            );
            let report =
                finish_or_stop(pass, &mut shutdown, &mut stop_by, options.shutdown_grace).await;
            if let Some(mut report) = report {
                print_events(&report.events);
                if let Some(sinks) = sinks.as_mut().filter(|s| !s.is_empty()) {
                    let before = clients.stats().snapshot();
                    report.events.splice(0..0, pending.drain(..));
                    let publish = sinks.publish(report.for_sinks());
                    let problems = finish_or_stop(
                        publish,
                        &mut shutdown,
                        &mut stop_by,
                        options.shutdown_grace,
                    )
                    .await
                    .unwrap_or_default();
                    print_events(&problems);
                    report.events.extend(problems);
                    report.add_calls(calls_since(&before, clients));
                }
                // Moved, not copied: at N = 1,000 the status is thousands of rows.
                let status = report.status.take().unwrap_or_default();
                shared.record_pass(&report, status, &pending);
                pending.clear();
                tracing::info!(
                    revision = report.revision.as_deref().unwrap_or(UNKNOWN_REVISION),
                    changes = report.outcomes.as_ref().map_or(0, Vec::len),
                    failed = report.failed(),
                    duration_ms = report.duration_ms,
                    "pass finished"
                );
            }
            passes = passes.wrapping_add(1);
            let jitter = jitter_for("pass", passes);
            // Up to 10 % later: many controllers started together drift apart.
            next_pass = Instant::now() + options.interval.mul_f64(1.0 + jitter / 10.0);
            // The pass's observation, plan and report are gone: give their pages back
            // rather than hold the busiest pass's high-water mark until the next one.
            crate::allocator::release_free_memory();
            if stop_by.is_some() {
                cut_short = true;
                break;
            }
        }

        let wait = options
            .poll
            .min(next_pass.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => break,
        }
    }

    if let Some(sinks) = sinks.as_mut() {
        // Folded repeats still open are summarised now; SNS must not hold up the exit.
        if let Ok(problems) = tokio::time::timeout(Duration::from_secs(1), sinks.flush()).await {
            print_events(&problems);
        }
    }
    let stopped = stopped_events(current.as_ref(), cut_short);
    print_events(&stopped);
}

/// Runs `work` to its end, unless a stop is asked for first: then it may go on until
/// `grace` after the signal (ECS waits 30 s after SIGTERM; mooring promises 5), after
/// which it is dropped and `None` returned. Calls in flight are finished, not abandoned,
/// whenever they fit in the bound.
async fn finish_or_stop<T>(
    work: impl std::future::Future<Output = T>,
    shutdown: &mut watch::Receiver<bool>,
    stop_by: &mut Option<Instant>,
    grace: Duration,
) -> Option<T> {
    tokio::pin!(work);
    if stop_by.is_none() {
        tokio::select! {
            done = &mut work => return Some(done),
            _ = shutdown.changed() => *stop_by = Some(Instant::now() + grace),
        }
    }
    let deadline = stop_by.unwrap_or_else(Instant::now);
    tokio::time::timeout_at(deadline, work).await.ok()
}

fn print_events(events: &[Event]) {
    if events.is_empty() {
        return;
    }
    if let Err(e) = write_json_lines(&mut std::io::stdout().lock(), events) {
        tracing::warn!(error = %crate::aws::error_chain(&e), "writing events to stdout failed");
    }
}

/// What logs say when no revision is known (`?revision` printed `None` or `Some("…")`).
const UNKNOWN_REVISION: &str = "unknown";

/// `--revision` wins, then what the source knows (S3 metadata or ETag), then git.
fn revision_of(options: &RunOptions, location: &Location, known: Option<String>) -> Option<String> {
    if let Some(given) = options.revision.as_deref().filter(|r| !r.trim().is_empty()) {
        return Some(given.trim().to_owned());
    }
    match location {
        Location::Files(paths) => crate::revision::revision(None, paths),
        Location::S3 { .. } => known,
    }
}

fn loaded_events(
    desired: &DesiredState,
    revision: &Option<String>,
    location: &Location,
) -> Vec<Event> {
    desired
        .stacks
        .iter()
        .map(|stack| {
            Event::for_stack(
                &stack.name,
                (EventType::Normal, Reason::DesiredStateLoaded),
                Phase::Observed,
                format!(
                    "loaded {} service(s) from {} at revision {}",
                    stack.services.len(),
                    location.describe(),
                    revision.as_deref().unwrap_or(UNKNOWN_REVISION)
                ),
                Utc::now(),
                revision.clone(),
            )
        })
        .collect()
}

/// One Warning per stack of the last good state (their sinks hear it), or one
/// without a stack when nothing was loaded yet.
fn invalid_events(current: Option<&Current>, message: String) -> Vec<Event> {
    // The diagnostics quote the file's lines, an endpoint URL with its secret among them.
    let message = crate::redact::urls_in(&message).into_owned();
    current_stack_events(
        current,
        (EventType::Warning, Reason::DesiredStateInvalid),
        message,
    )
}

fn stopped_events(current: Option<&Current>, cut_short: bool) -> Vec<Event> {
    let message = if cut_short {
        "stopping on a signal; the pass in flight was given its grace period"
    } else {
        "stopping on a signal between passes"
    };
    current_stack_events(
        current,
        (EventType::Normal, Reason::ControllerStopped),
        message.to_owned(),
    )
}

/// One event per stack of the last good state, or one without a stack when nothing
/// was loaded yet.
fn current_stack_events(
    current: Option<&Current>,
    kind_reason: (EventType, Reason),
    message: String,
) -> Vec<Event> {
    let revision = current.and_then(|c| c.revision.clone());
    let mut stacks: Vec<&str> = current
        .map(|c| c.desired.stacks.iter().map(|s| s.name.as_str()).collect())
        .unwrap_or_default();
    if stacks.is_empty() {
        stacks.push("");
    }
    stacks
        .into_iter()
        .map(|stack| {
            Event::for_stack(
                stack,
                kind_reason,
                Phase::Observed,
                message.clone(),
                Utc::now(),
                revision.clone(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_finishes_unless_a_stop_outlasts_its_grace() {
        let (stop, mut shutdown) = watch::channel(false);
        let mut stop_by = None;
        let quick = finish_or_stop(async { 1 }, &mut shutdown, &mut stop_by, Duration::ZERO).await;
        assert_eq!(quick, Some(1));
        assert!(stop_by.is_none());

        // A signal during slow work: the work gets its grace, then is dropped.
        let slow = async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            2
        };
        let started = std::time::Instant::now();
        let signal = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = stop.send(true);
        };
        let (cut, ()) = tokio::join!(
            finish_or_stop(
                slow,
                &mut shutdown,
                &mut stop_by,
                Duration::from_millis(100)
            ),
            signal
        );
        assert_eq!(cut, None);
        assert!(stop_by.is_some());
        assert!(started.elapsed() < Duration::from_secs(5));

        // Work that fits in what is left of the grace still finishes.
        stop_by = Some(Instant::now() + Duration::from_secs(5));
        let in_time =
            finish_or_stop(async { 3 }, &mut shutdown, &mut stop_by, Duration::ZERO).await;
        assert_eq!(in_time, Some(3));
    }
}
