//! One block per resource: its mark and reasons on the first line, then what changes.
//!
//! A first plan makes several changes to one service (tags that record a wake count, a
//! claim, a digest; then its count): listed event by event they read as five services,
//! and tag writes read as creations. Grouped by resource, with mooring's own
//! bookkeeping tags folded into one line, a reviewer sees one service and what happens
//! to it. `--verbose` lists every event of the block with all its fields.

use std::fmt::Write;

use crate::events::{Event, EventType, FieldDiff, Phase};
use crate::pass::{is_change, is_warning, Effect};

/// Tags mooring writes for itself (wake counts, claims, digests of what it applied):
/// needed for the next pass, not something a reviewer decides on.
const BOOKKEEPING_PREFIX: &str = "tags.mooring:";

/// The events of one resource (one `object`) of one stack, in the order they came.
pub(super) struct Block<'a> {
    pub(super) object: &'a str,
    pub(super) events: Vec<&'a Event>,
}

impl Block<'_> {
    /// Whether anything is (to be) done to the resource, as opposed to only noticed.
    pub(super) fn has_changes(&self) -> bool {
        self.events.iter().any(|e| is_change(e))
    }

    fn mark(&self) -> char {
        let failed = self.events.iter().any(|e| e.phase == Phase::Failed);
        if failed {
            '✗'
        } else if self.has_changes() {
            Effect::of(
                self.object,
                self.events.iter().copied().filter(|e| is_change(e)),
            )
            .mark()
        } else if self.events.iter().any(|e| is_warning(e)) {
            '!'
        } else {
            '·'
        }
    }

    /// Distinct reasons, in order of appearance.
    fn reasons(&self) -> Vec<String> {
        let mut reasons: Vec<String> = Vec::new();
        for event in &self.events {
            let reason = event.reason.to_string();
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        reasons
    }
}

/// The events grouped by object, in order of first appearance; blocks with changes come
/// before blocks of things only noticed (warnings, notes), so the plan reads first.
pub(super) fn blocks<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<Block<'a>> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for event in events {
        match index.get(event.object.as_str()) {
            Some(&at) => blocks[at].events.push(event),
            None => {
                index.insert(&event.object, blocks.len());
                blocks.push(Block {
                    object: &event.object,
                    events: vec![event],
                });
            }
        }
    }
    // Stable: the order of appearance is kept within each kind.
    blocks.sort_by_key(|block| !block.has_changes());
    blocks
}

pub(super) fn block_lines(out: &mut String, block: &Block<'_>, verbose: bool) {
    let reasons = block.reasons();
    let _ = writeln!(
        out,
        "  {} {}  ({})",
        block.mark(),
        block.object,
        reasons.join(", ")
    );
    // The reason is repeated on a line only where the header does not say it alone.
    let name_reason = verbose || reasons.len() > 1;
    let mut shown: Vec<&FieldDiff> = Vec::new();
    let mut folded: Vec<&str> = Vec::new();
    for event in &block.events {
        let change = is_change(event) && event.phase != Phase::Failed;
        if !change || verbose || event.diff.is_empty() {
            let symbol = match (event.phase, event.kind) {
                (Phase::Failed, _) => "✗ ",
                (Phase::Observed, EventType::Warning) => "! ",
                (Phase::Observed, EventType::Normal) => "· ",
                _ => "",
            };
            let reason = if name_reason {
                format!("{}: ", event.reason)
            } else {
                String::new()
            };
            let _ = writeln!(out, "      {symbol}{reason}{}", event.message);
        }
        for field in &event.diff {
            if verbose {
                diff_line(out, "        ", field);
            } else if field.field.starts_with(BOOKKEEPING_PREFIX) {
                // `mooring:wake-count` of `tags.mooring:wake-count`.
                let tag = field.field.trim_start_matches("tags.");
                if !folded.contains(&tag) {
                    folded.push(tag);
                }
            } else if !shown.contains(&field) {
                shown.push(field);
                diff_line(out, "      ", field);
            }
        }
    }
    match folded.len() {
        0 => {}
        1 => {
            let _ = writeln!(
                out,
                "      (bookkeeping tag {} not shown; --verbose shows it)",
                folded[0]
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "      (bookkeeping tags {} not shown; --verbose shows them)",
                folded.join(", ")
            );
        }
    }
}

/// `field = value` for what is set where nothing was, `field: before → after` for a
/// change, `field: before → (none)` for what is removed. Values as JSON (strings quoted).
fn diff_line(out: &mut String, indent: &str, field: &FieldDiff) {
    let _ = match (&field.before, &field.after) {
        (serde_json::Value::Null, after) => writeln!(out, "{indent}{} = {after}", field.field),
        (before, serde_json::Value::Null) => {
            writeln!(out, "{indent}{}: {before} → (none)", field.field)
        }
        (before, after) => writeln!(out, "{indent}{}: {before} → {after}", field.field),
    };
}
