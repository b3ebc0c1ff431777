//! What `mooring run` carries from one pass to the next as evidence for the planner (which
//! stays pure: it gets this as data in `Observed`). Today: the alarms with this stack's
//! marker each pass left in place. An alarm deleted by hand takes its marker (the digest
//! that tells drift from a changed file) with it; that the previous pass saw it, and
//! mooring did not delete it, is the evidence that survives.

use std::collections::{BTreeMap, BTreeSet};

use crate::apply::Outcome;
use crate::observed::Observed;
use crate::plan::{AlarmOperation, Operation, Resource};

#[derive(Debug, Clone, Default)]
pub struct PassMemory {
    /// By stack: alarm names.
    alarms: BTreeMap<String, BTreeSet<String>>,
}

impl PassMemory {
    /// Hands the previous pass's knowledge to this pass's observation.
    pub(super) fn lend(&self, observed: &mut Observed) {
        for (stack, seen) in &mut observed.stacks {
            if let (Some(alerting), Some(alarms)) = (&mut seen.alerting, self.alarms.get(stack)) {
                alerting.left_in_place_last_pass = alarms.clone();
            }
        }
    }

    /// What this pass left in place: the alarms it saw with the stack's marker, plus
    /// those it put, minus those it deleted (or tried to: a failed delete leaves no
    /// claim). A stack whose alarms were not read is forgotten: no evidence is better
    /// than stale evidence.
    pub(super) fn remember(&mut self, observed: &Observed, outcomes: &[Outcome]) {
        self.alarms.clear();
        for (stack, seen) in &observed.stacks {
            let Some(alerting) = &seen.alerting else {
                continue;
            };
            let mut alarms: BTreeSet<String> = alerting
                .alarms
                .iter()
                .filter(|(_, alarm)| alarm.marker.as_ref().is_some_and(|m| &m.stack == stack))
                .map(|(name, _)| name.clone())
                .collect();
            for outcome in outcomes.iter().filter(|o| &o.change.stack == stack) {
                let Resource::Alarm { name, .. } = &outcome.change.resource else {
                    continue;
                };
                match &outcome.change.operation {
                    Operation::Alarm(AlarmOperation::DeleteAlarm) => {
                        alarms.remove(name);
                    }
                    Operation::Alarm(AlarmOperation::PutAlarm { .. }) if outcome.succeeded() => {
                        alarms.insert(name.clone());
                    }
                    _ => {}
                }
            }
            self.alarms.insert(stack.clone(), alarms);
        }
    }
}
