//! One reconcile pass: observe → plan → (apply). The same function backs
//! `mooring plan` (no apply) and `mooring apply`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use desired_state::DesiredState;
use serde::Serialize;
use tracing::Instrument;

use crate::apply::{apply, Outcome};
use crate::aws::{error_chain, Clients};
use crate::observe::observe;
use crate::plan::{plan, Plan};

#[derive(Debug, Clone, Copy)]
pub struct PassOptions {
    /// Calls in flight at once, reads and writes alike.
    pub concurrency: usize,
    /// Plan only (`mooring plan`) or plan and apply (`mooring apply`).
    pub apply: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackSummary {
    pub name: String,
    pub source: PathBuf,
    pub region: Option<String>,
}

/// What a pass saw, planned and did: rendered as text or JSON by `render`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassReport {
    pub stacks: Vec<StackSummary>,
    pub plan: Plan,
    /// Reads that failed, with AWS's message. Their resources were not planned.
    pub observe_errors: Vec<String>,
    /// Present when the pass applied its plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<Outcome>>,
}

impl PassReport {
    pub fn failed(&self) -> usize {
        self.observe_errors.len()
            + self
                .outcomes
                .iter()
                .flatten()
                .filter(|o| !o.succeeded())
                .count()
    }
}

pub async fn run_pass(
    desired: &DesiredState,
    clients: &Clients,
    options: PassOptions,
    now: DateTime<Utc>,
) -> PassReport {
    let span = tracing::info_span!("pass", stacks = desired.stacks.len(), apply = options.apply);
    let (observed, failures) = observe(desired, clients, options.concurrency)
        .instrument(span.clone())
        .await;
    let plan = plan(desired, &observed, now);
    let outcomes = if options.apply {
        let changes = plan.changes.clone();
        Some(
            apply(clients, changes, options.concurrency)
                .instrument(span)
                .await,
        )
    } else {
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
        plan,
        observe_errors: failures.iter().map(|e| error_chain(e)).collect(),
        outcomes,
    }
}
