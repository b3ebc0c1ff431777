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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::events::Reason;
    use crate::observed::alerting::{AlarmSpec, Alerting, Marker, ObservedAlarm};
    use crate::observed::ObservedStack;
    use crate::plan::Change;

    fn alarm(stack: &str) -> ObservedAlarm {
        ObservedAlarm {
            arn: "arn".into(),
            spec: AlarmSpec::default(),
            marker: Some(Marker {
                stack: stack.into(),
                digest: "d".into(),
            }),
            tags: None,
            state: None,
        }
    }

    fn outcome(name: &str, operation: AlarmOperation, error: Option<&str>) -> Outcome {
        Outcome {
            change: std::sync::Arc::new(Change {
                stack: "s".into(),
                resource: Resource::Alarm {
                    region: "r".into(),
                    name: name.into(),
                },
                reason: Reason::Created,
                summary: String::new(),
                diff: Vec::new(),
                operation: Operation::Alarm(operation),
                group: String::new(),
                after: None,
            }),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn what_a_pass_left_in_place_is_lent_to_the_next() {
        let alerting = Alerting {
            alarms: BTreeMap::from([
                ("seen".to_owned(), alarm("s")),
                ("pruned".to_owned(), alarm("s")),
                ("another-stacks".to_owned(), alarm("t")),
            ]),
            ..Alerting::default()
        };
        let mut observed = Observed::default();
        observed.stacks.insert(
            "s".into(),
            ObservedStack {
                alerting: Some(alerting),
                ..ObservedStack::default()
            },
        );
        let put = || AlarmOperation::PutAlarm {
            spec: Box::default(),
            description: String::new(),
            tags: BTreeMap::new(),
        };
        let outcomes = [
            outcome("pruned", AlarmOperation::DeleteAlarm, None),
            outcome("created", put(), None),
            outcome("failed", put(), Some("throttled")),
        ];
        let mut memory = PassMemory::default();
        memory.remember(&observed, &outcomes);

        let mut next = observed.clone();
        memory.lend(&mut next);
        let lent = next.stacks["s"]
            .alerting
            .as_ref()
            .map(|a| a.left_in_place_last_pass.clone());
        assert_eq!(lent, Some(["created", "seen"].map(str::to_owned).into()));
    }
}
