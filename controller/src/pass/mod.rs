//! One reconcile pass: observe → plan → (apply) → events. The same function backs
//! `mooring plan` (no apply) and `mooring apply`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;
use serde::Serialize;
use tracing::Instrument;

use self::events::EventContext;
use crate::apply::{apply, Outcome};
use crate::aws::stats::OperationStats;
use crate::aws::Clients;
use crate::backoff::{jitter_for, ResourceBackoff};
use crate::events::sinks::PassEvents;
use crate::events::{Event, EventType, Phase, Reason};
use crate::observe::{observe, ObserveScope};
use crate::plan::Change;
use crate::plan::{plan_among, Clock, SharedPlan};

mod events;
mod memory;
mod summary;

pub use self::memory::PassMemory;
pub use self::summary::{is_change, is_warning, resource_kind, Effect, Summary};

/// Apply groups (and batched reads) in flight at once unless `--concurrency` says
/// otherwise. With pacing the token buckets set the rate; this only has to keep the
/// binding bucket busy (its refill × the time one group takes: 4/s × well under a second
/// for UpdateService at the default share) and drain a full tag bucket's burst (16 at the
/// default share) at once, while bounding memory and how long a signed request may queue
/// for its token (at most this many wait on one bucket: 32 at PutMetricAlarm's 2.4/s is
/// about 13 s, far inside SigV4's five minutes).
pub const DEFAULT_CONCURRENCY: u16 = 32;

/// How long after a pass starts changes AWS throttled past the SDK's retries are still
/// tried again in that pass (`--pass-deadline`); later ones are left for the next pass.
/// Ten minutes: a paced sleep of 1,000 services takes about 4 minutes at the default
/// share, and a one-shot `apply` in CI should end. The Lambdas use the time their
/// invocation has left instead (15 minutes at most).
pub const DEFAULT_PASS_DEADLINE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Calls in flight at once, reads and writes alike.
    pub concurrency: usize,
    /// Throttled changes are retried within the pass until this long after it started.
    pub pass_deadline: Duration,
    /// Plan only (`mooring plan`) or plan and apply (`mooring apply`).
    pub apply: bool,
    /// The revision of the desired state, attached to every event.
    pub revision: Option<String>,
    /// Only schedule-driven changes (sleep, wake), from a schedule-only observation
    /// (`ObserveScope::ScheduleOnly`): the `offhours` Lambda, `--schedule-only`.
    pub schedule_only: bool,
    /// `--stack`: only these stacks are guarded, read, planned and applied; empty means
    /// every stack. The others are still part of the desired state the pass is given
    /// (which stacks are declared at all is decided on the whole of it).
    pub only_stacks: Vec<String>,
    /// Build each stack's status (`crate::status`) from the observation before it is
    /// dropped: `mooring run` (its `/status` and page) and `mooring status`.
    pub status: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSummary {
    pub name: String,
    pub source: PathBuf,
    pub region: Option<String>,
}

/// One AWS operation's request count in a pass.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationCount {
    pub service: String,
    pub operation: String,
    #[serde(flatten)]
    pub stats: OperationStats,
}

/// Time a pass waited for AWS request tokens in one bucket family (client-side pacing).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenWait {
    /// SigV4 service name, as in the quotas file.
    pub service: String,
    pub family: String,
    /// Summed over the calls that waited (they wait side by side: not wall time).
    pub waited_ms: u64,
}

/// What a pass saw, planned and did: rendered as text or JSON by `render`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    pub stacks: Vec<StackSummary>,
    pub revision: Option<String>,
    /// Every decision of the pass, in order: what was noticed, then the changes
    /// (planned for `plan`, applied or failed for `apply`).
    pub events: Vec<Event>,
    pub plan: SharedPlan,
    /// Present when the pass applied its plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<Outcome>>,
    /// AWS requests of this pass by operation.
    pub calls: Vec<OperationCount>,
    /// Time waited for AWS request tokens by family; absent when nothing waited.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_waits: Vec<TokenWait>,
    pub duration_ms: u64,
    /// The events counted by resource (kept in step with `events` by `add_events`).
    pub summary: Summary,
    /// Each stack's resources with their sync state, when `PassOptions::status` asked.
    /// Not part of the JSON report: `/status` and `mooring status --output json` are its
    /// documented form.
    #[serde(skip)]
    pub status: Option<Vec<crate::status::StackStatus>>,
}

impl PassReport {
    /// The pass as the status document reports it, ended at `at`.
    pub fn last_pass(&self, at: DateTime<Utc>) -> crate::status::LastPass {
        crate::status::LastPass {
            at,
            duration_ms: self.duration_ms,
            applied: self.outcomes.is_some(),
            aws_calls: self.calls.iter().map(|c| c.stats.requests).sum(),
            mutating_calls: self.mutating_requests(),
            failed: self.failed(),
        }
    }

    /// Reads that failed plus changes that failed.
    pub fn failed(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.phase == Phase::Failed || e.reason == Reason::ObserveFailed)
            .count()
    }

    /// Requests that changed managed resources; telemetry (events, metrics) is not one.
    pub fn mutating_requests(&self) -> u64 {
        self.calls
            .iter()
            .filter(|c| crate::aws::stats::is_mutating(&c.operation))
            .map(|c| c.stats.requests)
            .sum()
    }
}

impl PassReport {
    /// Adds events noticed after the pass (the event sinks' problems).
    pub fn add_events(&mut self, events: Vec<Event>) {
        self.events.extend(events);
        self.summary = Summary::of(&self.events);
    }

    /// Adds requests made after the pass (the event sinks') to its counts.
    pub fn add_calls(&mut self, calls: Vec<OperationCount>) {
        for call in calls {
            match self
                .calls
                .iter_mut()
                .find(|c| c.service == call.service && c.operation == call.operation)
            {
                Some(known) => {
                    known.stats.requests += call.stats.requests;
                    known.stats.failed += call.stats.failed;
                    known.stats.throttled += call.stats.throttled;
                }
                None => self.calls.push(call),
            }
        }
        self.calls
            .sort_by(|a, b| (&a.service, &a.operation).cmp(&(&b.service, &b.operation)));
    }

    /// What the event sinks publish of this pass.
    pub fn for_sinks(&self) -> PassEvents<'_> {
        PassEvents {
            stacks: self
                .stacks
                .iter()
                .map(|s| (s.name.as_str(), s.region.as_deref()))
                .collect(),
            events: &self.events,
            revision: self.revision.as_deref(),
            duration_ms: self.duration_ms,
        }
    }
}

pub async fn run_pass(
    desired: &DesiredState,
    clients: &Clients,
    options: &PassOptions,
    now: impl Into<Clock>,
) -> PassReport {
    run_pass_with_backoff(desired, clients, options, now, None, None).await
}

/// A pass that holds back the changes of resources still in `backoff` after earlier
/// failures, and records this pass's failures and successes in it; `memory` carries what
/// one pass saw to the next as evidence (`memory.rs`). Used by processes that run many
/// passes (the controller); `run_pass` is the one-shot form.
pub async fn run_pass_with_backoff(
    desired: &DesiredState,
    clients: &Clients,
    options: &PassOptions,
    now: impl Into<Clock>,
    backoff: Option<&mut ResourceBackoff>,
    memory: Option<&mut PassMemory>,
) -> PassReport {
    run_pass_listing(
        desired,
        clients,
        options,
        now,
        backoff,
        memory,
        &BTreeMap::new(),
    )
    .await
}

/// A pass that also lists `extra_clusters` (by stack name) for services to release:
/// `mooring release`, whose stack declares no service to name them.
pub async fn run_pass_listing(
    desired: &DesiredState,
    clients: &Clients,
    options: &PassOptions,
    now: impl Into<Clock>,
    backoff: Option<&mut ResourceBackoff>,
    memory: Option<&mut PassMemory>,
    extra_clusters: &BTreeMap<String, Vec<String>>,
) -> PassReport {
    // Schedules (and the report's time) at `clock.schedule_at`; what is recorded in tags,
    // and backoff, on the wall clock (they differ under `--now`).
    let clock: Clock = now.into();
    let now = clock.schedule_at;
    let started = std::time::Instant::now();
    let before = clients.stats().snapshot();
    let waits_before = clients.pacer().map(crate::pacing::Pacer::waits);
    // Every stack the loaded files declare, selected (`--stack`) and let through by the
    // account guard or not: a service tagged by one of them is not a leftover.
    let declared: BTreeSet<&str> = desired.stacks.iter().map(|s| s.name.as_str()).collect();
    let selection;
    let selected: &DesiredState = if options.only_stacks.is_empty() {
        desired
    } else {
        selection = DesiredState {
            stacks: desired
                .stacks
                .iter()
                .filter(|stack| options.only_stacks.contains(&stack.name))
                .cloned()
                .collect(),
            // Validation warnings were shown when the state was loaded.
            warnings: desired_state::Diagnostics::default(),
        };
        &selection
    };
    let span = tracing::info_span!(
        "pass",
        stacks = selected.stacks.len(),
        apply = options.apply
    );
    // Before the first read: a stack declared for another account (or one whose account
    // cannot be verified) is left out of the pass entirely.
    let (guarded, refusals) =
        crate::account_guard::guard(selected, clients, now, options.revision.as_deref())
            .instrument(span.clone())
            .await;
    let desired_in: &DesiredState = selected;
    let desired: &DesiredState = &guarded;
    let scope = if options.schedule_only {
        ObserveScope::ScheduleOnly
    } else {
        ObserveScope::Everything
    };
    let (mut observed, failures) =
        observe(desired, clients, options.concurrency, scope, extra_clusters)
            .instrument(span.clone())
            .await;
    if let Some(memory) = memory.as_deref() {
        memory.lend(&mut observed);
    }
    let plan: SharedPlan = if options.schedule_only {
        crate::plan::schedule_driven(plan_among(desired, &declared, &observed, clock))
    } else {
        plan_among(desired, &declared, &observed, clock)
    }
    .into();
    let context = EventContext {
        time: now,
        revision: options.revision.clone(),
    };
    let mut events: Vec<Event> = refusals;
    events.extend(
        failures
            .iter()
            .map(|failure| context.observe_failed(failure)),
    );
    events.extend(plan.notices.iter().map(|n| context.notice(n)));
    let outcomes = if options.apply {
        let (ready, held) = hold_back(&plan.changes, backoff.as_deref(), clock.wall);
        events.extend(
            held.iter()
                .map(|(change, until, failures)| context.held_back(change, *until, *failures)),
        );
        let retry_until =
            tokio::time::Instant::now() + options.pass_deadline.saturating_sub(started.elapsed());
        let outcomes = apply(clients, ready, options.concurrency, retry_until)
            .instrument(span)
            .await;
        if let Some(backoff) = backoff {
            record_outcomes(backoff, &outcomes, clock.wall);
        }
        if let Some(memory) = memory {
            memory.remember(&observed, &outcomes);
        }
        events.extend(outcomes.iter().map(|o| context.outcome(o)));
        Some(outcomes)
    } else {
        events.extend(plan.changes.iter().map(|c| context.planned(c)));
        None
    };
    // Refused stacks are listed too (the report says why they were left out).
    let stacks: Vec<StackSummary> = desired_in
        .stacks
        .iter()
        .map(|stack| StackSummary {
            name: stack.name.clone(),
            source: stack.source.clone(),
            region: observed
                .stacks
                .get(&stack.name)
                .map(|s| s.region.clone())
                .or_else(|| clients.resolve_region(stack.region.as_deref()).ok()),
        })
        .collect();
    let calls = calls_since(&before, clients);
    events.extend(throttled_events(&calls, &context, &stacks));
    // A last net under the planner's own redaction: an error text may quote a URL.
    for event in &mut events {
        if let std::borrow::Cow::Owned(redacted) = crate::redact::urls_in(&event.message) {
            event.message = redacted;
        }
    }
    let status = options.status.then(|| {
        crate::status::stack_statuses(&crate::status::StatusInput {
            desired: desired_in,
            observed: &observed,
            events: &events,
            now,
        })
    });
    PassReport {
        stacks,
        revision: options.revision.clone(),
        status,
        summary: Summary::of(&events),
        events,
        plan,
        outcomes,
        calls,
        token_waits: token_waits_since(waits_before.as_ref(), clients),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// Time waited for tokens since `before` (a `Pacer::waits`), families that waited only.
fn token_waits_since(before: Option<&crate::pacing::Waits>, clients: &Clients) -> Vec<TokenWait> {
    let Some(pacer) = clients.pacer() else {
        return Vec::new();
    };
    pacer
        .waits()
        .into_iter()
        .filter_map(|((service, family), now)| {
            let was = before
                .and_then(|b| b.get(&(service.clone(), family.clone())))
                .copied()
                .unwrap_or_default();
            let waited_ms = u64::try_from(now.saturating_sub(was).as_millis()).unwrap_or(u64::MAX);
            (waited_ms > 0).then_some(TokenWait {
                service,
                family,
                waited_ms,
            })
        })
        .collect()
}

/// A change held back: its group may be tried again after the instant, having failed
/// that many passes in a row.
type HeldBack = (Arc<Change>, DateTime<Utc>, u32);

/// Splits changes into those to apply now and those of groups still backing off (the
/// changes are shared with the plan, not copied).
fn hold_back(
    changes: &[Arc<Change>],
    backoff: Option<&ResourceBackoff>,
    now: DateTime<Utc>,
) -> (Vec<Arc<Change>>, Vec<HeldBack>) {
    let mut ready = Vec::new();
    let mut held = Vec::new();
    for change in changes {
        match backoff.and_then(|b| b.waiting_until(&change.group, now)) {
            Some((until, failures)) => held.push((change.clone(), until, failures)),
            None => ready.push(change.clone()),
        }
    }
    (ready, held)
}

/// A group with any failed change backs off; a group whose changes all succeeded is
/// cleared.
fn record_outcomes(backoff: &mut ResourceBackoff, outcomes: &[Outcome], now: DateTime<Utc>) {
    let mut failed_groups: BTreeMap<&str, bool> = BTreeMap::new();
    for outcome in outcomes {
        *failed_groups.entry(&outcome.change.group).or_default() |= !outcome.succeeded();
    }
    for (group, failed) in failed_groups {
        if failed {
            backoff.failed(group, now, jitter_for(group, backoff.failures(group)));
        } else {
            backoff.succeeded(group);
        }
    }
}

/// A Warning per stack when AWS throttled requests of the pass (the SDK retried them).
/// Requests are counted per process, not per stack, so every stack of the pass hears it.
fn throttled_events(
    calls: &[OperationCount],
    context: &EventContext,
    stacks: &[StackSummary],
) -> Vec<Event> {
    let throttled: Vec<String> = calls
        .iter()
        .filter(|c| c.stats.throttled > 0)
        .map(|c| format!("{} {} ×{}", c.service, c.operation, c.stats.throttled))
        .collect();
    if throttled.is_empty() {
        return Vec::new();
    }
    let message = format!(
        "AWS throttled {} during this pass (retried; a change still throttled is reported \
         failed, never done): mooring paces itself to its share of the quotas it knows, so \
         another caller drew on the same bucket, or the account's quota is below that figure \
         (--aws-quotas)",
        throttled.join(", ")
    );
    stacks
        .iter()
        .map(|stack| {
            Event::for_stack(
                &stack.name,
                (EventType::Warning, Reason::Throttled),
                Phase::Observed,
                message.clone(),
                context.time,
                context.revision.clone(),
            )
        })
        .collect()
}

/// Requests made since `before` (a `CallStats::snapshot`), by operation.
pub fn calls_since(
    before: &BTreeMap<(String, String), OperationStats>,
    clients: &Clients,
) -> Vec<OperationCount> {
    clients
        .stats()
        .snapshot()
        .into_iter()
        .filter_map(|((service, operation), now)| {
            let was = before
                .get(&(service.clone(), operation.clone()))
                .copied()
                .unwrap_or_default();
            let stats = OperationStats {
                requests: now.requests - was.requests,
                failed: now.failed - was.failed,
                throttled: now.throttled - was.throttled,
            };
            (stats.requests > 0).then_some(OperationCount {
                service,
                operation,
                stats,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
