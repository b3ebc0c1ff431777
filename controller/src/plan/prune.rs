//! The prune budget: how many owned alarms and topics one stack may delete in one pass
//! (`spec.prune`), and the PruneBlocked warnings for what it held back. Alarms and topics
//! share one budget per stack.

use desired_state::Stack;

use super::change::{Notice, Plan};
use crate::events::Reason;

/// Deletions of one stack in one pass, alarms and topics together.
pub(super) struct PruneBudget {
    remaining: u32,
    cap: u32,
    /// Owned resources left for a later pass because of the cap.
    waiting: Vec<String>,
    /// What an emptied desired state keeps: (kind, names).
    kept: Vec<(&'static str, Vec<String>)>,
}

impl PruneBudget {
    pub(super) fn new(stack: &Stack) -> Self {
        Self {
            remaining: stack.prune.max_deletions_per_pass,
            cap: stack.prune.max_deletions_per_pass,
            waiting: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Whether one more deletion fits; records `name` as waiting when it does not.
    pub(super) fn take(&mut self, name: &str) -> bool {
        if self.remaining == 0 {
            self.waiting.push(name.to_owned());
            return false;
        }
        self.remaining -= 1;
        true
    }

    pub(super) fn wait(&mut self, name: &str) {
        self.waiting.push(name.to_owned());
    }

    pub(super) fn keep(&mut self, kind: &'static str, names: Vec<String>) {
        if !names.is_empty() {
            self.kept.push((kind, names));
        }
    }

    /// PruneBlocked warnings for what the cap or an emptied desired state held back.
    pub(super) fn report(self, stack: &Stack, plan: &mut Plan) {
        for (kind, names) in &self.kept {
            plan.notices.push(Notice::warning(
                &stack.name,
                None,
                Reason::PruneBlocked,
                format!(
                    "the stack declares no {kind}s, so the {} {kind}(s) it owns are kept ({}): a file that went empty by mistake must not delete the alerting; set spec.prune.allowEmpty: true to delete them",
                    names.len(),
                    listed(names)
                ),
            ));
        }
        if !self.waiting.is_empty() {
            plan.notices.push(Notice::warning(
                &stack.name,
                None,
                Reason::PruneBlocked,
                format!(
                    "{} more owned resource(s) left the desired state but at most {} are deleted per pass (spec.prune.maxDeletionsPerPass); they wait for the next pass: {}",
                    self.waiting.len(),
                    self.cap,
                    listed(&self.waiting)
                ),
            ));
        }
    }
}

/// The first few names, then how many more.
fn listed(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}
