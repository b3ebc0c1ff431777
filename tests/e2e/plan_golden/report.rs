//! What is compared: a report with what differs between runs taken out (`Normaliser`),
//! and how a difference is shown (the first differing path, the counts on both sides).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

/// Takes out of a report what differs between runs (see the module comment).
pub(super) struct Normaliser {
    /// `<token>-`
    pub(super) token: String,
    /// The temporary folder of the rewritten example.
    pub(super) dir: String,
    /// Alarm marker digests seen so far, numbered in order of appearance.
    pub(super) digests: BTreeMap<String, usize>,
}

impl Normaliser {
    pub(super) fn normalise(&mut self, mut recorded: Value) -> Value {
        if let Some(report) = recorded["report"].as_object_mut() {
            report.remove("calls");
            report.remove("durationMs");
            report.remove("tokenWaits");
        }
        self.strings(&mut recorded);
        recorded
    }

    /// Every string of the value, object keys sorted (so that the digest numbering does
    /// not depend on serde_json's map order).
    fn strings(&mut self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.text(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.strings(item)),
            Value::Object(map) => {
                // `mooring:asleep-since` records the wall clock of the run, not `--now`.
                if map.get("field").and_then(Value::as_str) == Some(WALL_CLOCK_DIFF) {
                    for side in ["before", "after"] {
                        if map.get(side).is_some_and(Value::is_string) {
                            map.insert(side.to_owned(), json!(WALL_CLOCK));
                        }
                    }
                }
                if map.get(WALL_CLOCK_TAG).is_some_and(Value::is_string) {
                    map.insert(WALL_CLOCK_TAG.to_owned(), json!(WALL_CLOCK));
                }
                let mut keys: Vec<String> = map.keys().cloned().collect();
                keys.sort();
                for key in keys {
                    if let Some(item) = map.get_mut(&key) {
                        self.strings(item);
                    }
                }
                // Keys may hold names too (tags maps are keyed by tag, not by name, today).
                if map.keys().any(|k| k.contains(&self.token)) {
                    let old = std::mem::take(map);
                    for (key, item) in old {
                        map.insert(key.replace(&self.token, ""), item);
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn text(&mut self, text: &str) -> String {
        let text = text
            .replace(&self.dir, "desired-state/examples")
            .replace(&self.token, "");
        let text = uuids(&text);
        let text = wall_clock_tags(&text);
        let text = self.marker_digests(&text);
        let text = self.statement_digests(&text);
        assert!(
            !text.contains(self.token.trim_end_matches('-')),
            "the token survived normalisation in {text:?}"
        );
        text
    }

    /// Lambda permission statement ids, `mooring-STACK-0123abcd…`: their digest covers the
    /// topic's or alarm's ARN, so the token. → `mooring-STACK-<digest-N:16>`, numbered with
    /// the markers' digests.
    fn statement_digests(&mut self, text: &str) -> String {
        const OPEN: &str = "mooring-";
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(OPEN) {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let end = from
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(from.len());
            let id = &from[..end];
            match id.rsplit_once('-') {
                Some((head, digest))
                    if head.len() > OPEN.len() && digest.len() == 16 && is_hex(digest) =>
                {
                    let next = self.digests.len() + 1;
                    let n = *self.digests.entry(digest.to_owned()).or_insert(next);
                    out.push_str(&format!("{head}-<digest-{n}:16>"));
                }
                _ => out.push_str(id),
            }
            rest = &from[end..];
        }
        out.push_str(rest);
        out
    }

    /// `[mooring:stack=NAME 0123abcd...]` → `[mooring:stack=NAME <digest-N:16>]`.
    fn marker_digests(&mut self, text: &str) -> String {
        const OPEN: &str = "[mooring:stack=";
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(OPEN) {
            let (before, marker) = rest.split_at(at);
            out.push_str(before);
            let Some(end) = marker.find(']') else {
                break;
            };
            let inside = &marker[OPEN.len()..end];
            match inside.split_once(' ') {
                Some((stack, digest)) if is_hex(digest) => {
                    let next = self.digests.len() + 1;
                    let n = *self.digests.entry(digest.to_owned()).or_insert(next);
                    out.push_str(&format!("{OPEN}{stack} <digest-{n}:{}>]", digest.len()));
                }
                _ => out.push_str(&marker[..=end]),
            }
            rest = &marker[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

const WALL_CLOCK_TAG: &str = "mooring:asleep-since";
const WALL_CLOCK_DIFF: &str = "tags.mooring:asleep-since";
const WALL_CLOCK: &str = "<wall clock>";

/// `mooring:asleep-since=2026-12-03T11:40:00Z` → `mooring:asleep-since=<wall clock>`, the
/// same in the text plan's verbose diff, and the instant quoted in a SleepInterrupted message.
fn wall_clock_tags(text: &str) -> String {
    let text = wall_clock_after(text, &format!("{WALL_CLOCK_TAG}="));
    // The text plan's `--verbose` diff line: `tags.mooring:asleep-since = "…"`.
    let text = wall_clock_after(&text, &format!("{WALL_CLOCK_DIFF} = \""));
    wall_clock_after(&text, "since it went to sleep at ")
}

fn wall_clock_after(text: &str, open: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(open) {
        let (before, tagged) = rest.split_at(at + open.len());
        out.push_str(before);
        // RFC 3339 in whole seconds, UTC: `2026-12-03T11:40:00Z`, 20 characters.
        let instant = tagged
            .get(..20)
            .filter(|t| t.ends_with('Z') && t.as_bytes()[10] == b'T');
        match instant {
            Some(_) => {
                out.push_str(WALL_CLOCK);
                rest = &tagged[20..];
            }
            None => rest = tagged,
        }
    }
    out.push_str(rest);
    out
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// Every UUID (8-4-4-4-12 hex digits) becomes `<uuid>`.
fn uuids(text: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    let is_uuid_at = |start: usize| {
        if start + LEN > bytes.len() {
            return false;
        }
        let mut at = start;
        for (i, len) in SHAPE.iter().enumerate() {
            if !bytes[at..at + len].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            at += len;
            if i < SHAPE.len() - 1 {
                if bytes[at] != b'-' {
                    return false;
                }
                at += 1;
            }
        }
        // Not part of a longer run of hex digits.
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_hexdigit();
        let after_ok = at == bytes.len() || !bytes[at].is_ascii_hexdigit();
        before_ok && after_ok
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_uuid_at(i) {
            out.push_str("<uuid>");
            i += LEN;
        } else {
            // Only ASCII hex digits and '-' start a UUID; copy one char at a time.
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// The first path where two values differ, with both sides there (`Value::Null` standing
/// for "absent" on a side that lacks it).
pub(super) fn first_difference(
    golden: &Value,
    actual: &Value,
    path: &str,
) -> Option<(String, Value, Value)> {
    match (golden, actual) {
        (Value::Object(want), Value::Object(got)) => {
            let keys: BTreeSet<&String> = want.keys().chain(got.keys()).collect();
            keys.into_iter()
                .find_map(|key| match (want.get(key), got.get(key)) {
                    (Some(w), Some(g)) => first_difference(w, g, &format!("{path}.{key}")),
                    (w, g) => Some((
                        format!("{path}.{key}"),
                        w.cloned().unwrap_or(json!("<absent>")),
                        g.cloned().unwrap_or(json!("<absent>")),
                    )),
                })
        }
        (Value::Array(want), Value::Array(got)) => {
            let common = want
                .iter()
                .zip(got)
                .enumerate()
                .find_map(|(i, (w, g))| first_difference(w, g, &format!("{path}[{i}]")));
            common.or_else(|| {
                (want.len() != got.len()).then(|| {
                    let i = want.len().min(got.len());
                    (
                        format!(
                            "{path}[{i}] (golden has {}, actual {} items)",
                            want.len(),
                            got.len()
                        ),
                        want.get(i).cloned().unwrap_or(json!("<absent>")),
                        got.get(i).cloned().unwrap_or(json!("<absent>")),
                    )
                })
            })
        }
        (w, g) if w == g => None,
        (w, g) => Some((path.to_owned(), w.clone(), g.clone())),
    }
}

/// How many changes, notices and events a recorded step has: an item added or lost
/// shows here even when the first difference is further up the list.
pub(super) fn counts(recorded: &Value) -> String {
    let len = |pointer: &str| {
        recorded
            .pointer(pointer)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    format!(
        "exit {}, {} change(s), {} notice(s), {} event(s)",
        recorded["exitCode"],
        len("/report/plan/changes"),
        len("/report/plan/notices"),
        len("/report/events"),
    )
}

/// A value on one line, cut to a readable length.
pub(super) fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 400 {
        let cut: String = text.chars().take(400).collect();
        format!("{cut}…")
    } else {
        text
    }
}

pub(super) fn write_json(path: &Path, value: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| panic!("{e}")) + "\n";
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
