//! Pass 1: YAML text to the raw types, or the first syntax/type error of the file with its
//! position and a message a person can act on.

use serde::Deserialize;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::Error as YamlError;

use crate::span::{At, Loc};

/// Files larger than this are refused before parsing: a desired-state file is a few KiB.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

pub const API_VERSION: &str = "mooring/v1";
pub const KIND: &str = "Stack";

/// A pass-1 problem: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub loc: Loc,
    pub message: String,
}

impl SyntaxError {
    fn at(loc: Loc, message: impl Into<String>) -> Self {
        Self {
            loc,
            message: message.into(),
        }
    }
}

/// Enough of a document to decide whether it is ours at all, read before the strict parse so
/// that a document of another kind or version gets one clear message instead of a list of
/// unknown fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    #[serde(default)]
    api_version: Option<At<serde_json::Value>>,
    #[serde(default)]
    kind: Option<At<serde_json::Value>>,
}

fn options() -> serde_saphyr::Options {
    // Tighter than the crate defaults: real files use a handful of anchors (alarm templates),
    // so a few thousand replayed events is plenty, and anything beyond is an alias bomb.
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES),
            max_events: 200_000,
            max_nodes: 100_000,
            max_depth: 32,
            max_documents: 2,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 20_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 1_000,
        },
    }
}

/// Parses one file's text into `T` (the raw stack), checking size, emptiness, `apiVersion`
/// and `kind` first.
pub fn parse_document<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, SyntaxError> {
    let start = Loc::new(1, 1);
    if text.len() > MAX_FILE_BYTES {
        return Err(SyntaxError::at(
            start,
            format!(
                "file is too large: {} bytes, the limit is {} bytes (1 MiB); split the stack into several files",
                text.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let has_content = text.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#') && line != "---" && line != "..."
    });
    if !has_content {
        return Err(SyntaxError::at(
            start,
            format!("file is empty: expected a document with `apiVersion: {API_VERSION}` and `kind: {KIND}`"),
        ));
    }

    let header: Header =
        serde_saphyr::from_str_with_options(text, options()).map_err(|err| convert(&err, text))?;
    check_header_field(header.api_version, "apiVersion", API_VERSION)?;
    check_header_field(header.kind, "kind", KIND)?;

    serde_saphyr::from_str_with_options(text, options()).map_err(|err| convert(&err, text))
}

fn check_header_field(
    field: Option<At<serde_json::Value>>,
    name: &str,
    expected: &str,
) -> Result<(), SyntaxError> {
    // A missing field is reported by the strict parse, with the other required fields.
    let Some(At { value, loc }) = field else {
        return Ok(());
    };
    match value.as_str() {
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(SyntaxError::at(
            loc,
            format!("unsupported {name} `{found}`: expected `{expected}`"),
        )),
        None => Err(SyntaxError::at(
            loc,
            format!("invalid {name} {value}: expected the string `{expected}`"),
        )),
    }
}

/// Turns a serde-saphyr error into our message, with strsim suggestions for names.
pub fn convert(err: &YamlError, text: &str) -> SyntaxError {
    let loc = err
        .location()
        .map(Loc::from_saphyr)
        .filter(|loc| loc.line > 0)
        .unwrap_or(Loc::new(1, 1));
    let message = match err.without_snippet() {
        YamlError::InvalidScalar { ty, .. } => {
            let found = scalar_at(text, loc)
                .map(|token| format!(", found `{token}`"))
                .unwrap_or_default();
            format!("invalid value: expected {}{found}", describe_type(ty))
        }
        other => message(other),
    };
    SyntaxError::at(loc, message)
}

fn describe_type(ty: &str) -> &'static str {
    match ty {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "isize"
        | "usize" => "a whole number",
        "f32" | "f64" | "floating point" => "a number",
        "bool" => "`true` or `false`",
        _ => "a different kind of value",
    }
}

/// The plain scalar starting at `loc`, to quote what was found.
pub(crate) fn scalar_at(text: &str, loc: Loc) -> Option<String> {
    let line = text.lines().nth(loc.line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(loc.column.checked_sub(1)?).collect();
    let token = rest
        .split([',', '}', ']', '#'])
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    (!token.is_empty()).then_some(token)
}

fn message(err: &YamlError) -> String {
    match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => format!("unknown field `{field}`{}", suggestion(field, expected)),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => format!("unknown value `{variant}`{}", suggestion(variant, expected)),
        YamlError::SerdeMissingField { field, .. } => {
            format!("missing required field `{field}`: expected it in this mapping")
        }
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("invalid type: found {unexpected}, expected {expected}"),
        YamlError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => format!("invalid value: found {unexpected}, expected {expected}"),
        YamlError::SerdeInvalidLength { len, expected, .. } => {
            format!("invalid length {len}, expected {expected}")
        }
        YamlError::DuplicateMappingKey { key, .. } => match key {
            Some(key) => format!("duplicate key `{key}`: each name may appear once in a mapping"),
            None => "duplicate key: each name may appear once in a mapping".to_owned(),
        },
        YamlError::MultipleDocuments { .. } => {
            "more than one document in the file: each file holds exactly one Stack (remove the `---` separator or split the file)".to_owned()
        }
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => {
            "refusing to expand YAML aliases: too many expansions (an alias bomb?); use fewer anchors and aliases".to_owned()
        }
        YamlError::Budget { breach, .. } => budget_message(breach),
        YamlError::Eof { .. } => "unexpected end of file".to_owned(),
        YamlError::Unexpected { expected, .. } => format!("invalid type: expected {}", describe_expected(expected)),
        YamlError::InvalidUtf8Input => NOT_UTF8.to_owned(),
        YamlError::Message { msg, .. } => lowercase_first(msg),
        YamlError::AliasError { error, .. } => message(error.without_snippet()),
        other => {
            // Syntax errors from the parser: keep its text, without its own position suffix
            // (ours is in front).
            let text = other.to_string();
            let text = match text.find(" at line ") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            };
            format!("invalid YAML: {}", syntax_hint(&lowercase_first(text.trim())))
        }
    }
}

/// The parser's words for the commonest slips, plus what would have been right.
fn syntax_hint(text: &str) -> String {
    if text.contains("tabs disallowed") {
        return format!("{text}: expected spaces for indentation");
    }
    if text.contains("unclosed quote") {
        return format!("{text}: expected the closing quote on the same value");
    }
    if text.contains("unexpected character") {
        return format!("{text}: expected printable text");
    }
    text.to_owned()
}

/// What a binary (or otherwise non-UTF-8) file gets.
pub const NOT_UTF8: &str =
    "file is not valid UTF-8: expected a YAML text file (is it binary or compressed?)";

fn describe_expected(expected: &str) -> String {
    match expected {
        "mapping start" => "a mapping (`key: value` entries)".to_owned(),
        "sequence start" => "a list (`- item` lines or `[a, b]`)".to_owned(),
        other => other.to_owned(),
    }
}

fn budget_message(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Aliases { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. } => {
            "refusing to expand YAML aliases: too many aliases (an alias bomb?); use fewer anchors and aliases".to_owned()
        }
        BudgetBreach::InputBytes { .. } => format!(
            "file is too large: the limit is {MAX_FILE_BYTES} bytes (1 MiB)"
        ),
        BudgetBreach::Depth { depth } => {
            format!("document is nested too deeply ({depth} levels): expected at most 32 levels")
        }
        BudgetBreach::Documents { .. } => {
            "more than one document in the file: each file holds exactly one Stack".to_owned()
        }
        other => format!("document is too large or complex to read safely: {other:?}"),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ", did you mean `x`?" when a known name is close, else ", expected one of ...".
pub fn suggestion(found: &str, expected: &[&str]) -> String {
    if let Some(best) = closest(found, expected.iter().copied()) {
        return format!(", did you mean `{best}`?");
    }
    if expected.is_empty() {
        return String::new();
    }
    let list: Vec<String> = expected.iter().map(|name| format!("`{name}`")).collect();
    format!(", expected one of {}", list.join(", "))
}

/// The candidate nearest to `found`, if it is near enough to be a plausible typo.
pub fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = found.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::normalized_damerau_levenshtein(&lower, &candidate.to_lowercase());
            (candidate, score)
        })
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| candidate)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn typo_gets_the_nearest_name() {
        assert_eq!(
            suggestion(
                "evaluationPeriod",
                &["period", "evaluationPeriods", "threshold"]
            ),
            ", did you mean `evaluationPeriods`?"
        );
    }

    #[test]
    fn unrelated_name_lists_the_expected_ones() {
        assert_eq!(
            suggestion("zzz", &["min", "max"]),
            ", expected one of `min`, `max`"
        );
    }
}
