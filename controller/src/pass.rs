//! One reconcile pass: observe → plan → (apply) → events. The same function backs
//! `mooring plan` (no apply) and `mooring apply`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;
use serde::Serialize;
use tracing::Instrument;

use crate::apply::{apply, Outcome};
use crate::aws::stats::OperationStats;
use crate::aws::{error_chain, Clients};
use crate::events::{Event, EventContext, EventType, Phase, Reason};
use crate::observe::observe;
use crate::plan::{plan, Plan};

#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Calls in flight at once, reads and writes alike.
    pub concurrency: usize,
    /// Plan only (`mooring plan`) or plan and apply (`mooring apply`).
    pub apply: bool,
    /// The revision of the desired state, attached to every event.
    pub revision: Option<String>,
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

/// What a pass saw, planned and did: rendered as text or JSON by `render`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    pub stacks: Vec<StackSummary>,
    pub revision: Option<String>,
    /// Every decision of the pass, in order: what was noticed, then the changes
    /// (planned for `plan`, applied or failed for `apply`).
    pub events: Vec<Event>,
    pub plan: Plan,
    /// Present when the pass applied its plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<Outcome>>,
    /// AWS requests of this pass by operation.
    pub calls: Vec<OperationCount>,
    pub duration_ms: u64,
}

impl PassReport {
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
}

pub async fn run_pass(
    desired: &DesiredState,
    clients: &Clients,
    options: &PassOptions,
    now: DateTime<Utc>,
) -> PassReport {
    let started = std::time::Instant::now();
    let before = clients.stats().snapshot();
    let span = tracing::info_span!("pass", stacks = desired.stacks.len(), apply = options.apply);
    let (observed, failures) = observe(desired, clients, options.concurrency)
        .instrument(span.clone())
        .await;
    let plan = plan(desired, &observed, now);
    let context = EventContext {
        time: now,
        revision: options.revision.clone(),
    };
    let mut events: Vec<Event> = failures
        .iter()
        .map(|failure| Event {
            time: now,
            kind: EventType::Warning,
            reason: Reason::ObserveFailed,
            object: format!("stack {}", failure.stack()),
            message: error_chain(failure),
            diff: Vec::new(),
            revision: options.revision.clone(),
            stack: failure.stack().to_owned(),
            phase: Phase::Failed,
            count: 1,
        })
        .collect();
    events.extend(plan.notices.iter().map(|n| context.notice(n)));
    let outcomes = if options.apply {
        let outcomes = apply(clients, plan.changes.clone(), options.concurrency)
            .instrument(span)
            .await;
        events.extend(outcomes.iter().map(|o| context.outcome(o)));
        Some(outcomes)
    } else {
        events.extend(plan.changes.iter().map(|c| context.planned(c)));
        None
    };
    let stacks = desired
        .stacks
        .iter()
        .map(|stack| StackSummary {
            name: stack.name.clone(),
            source: stack.source.clone(),
            region: observed.stacks.get(&stack.name).map(|s| s.region.clone()),
        })
        .collect();
    PassReport {
        stacks,
        revision: options.revision.clone(),
        events,
        plan,
        outcomes,
        calls: calls_since(&before, clients),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
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
