//! Field-level diffs of two values of one of our observed types, by their JSON form:
//! nested objects become dotted field names (`metric.predefinedMetricType`), lists are
//! compared whole. Numbers compare with a relative tolerance, so that a target of 70
//! sent as a double and read back is still 70.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::events::FieldDiff;

/// The fields that differ between `before` and `after` (`None`: the thing is absent, every
/// field is `null` on that side). Sorted by field name.
pub(super) fn field_diffs<T: Serialize>(before: Option<&T>, after: Option<&T>) -> Vec<FieldDiff> {
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    if let Some(before) = before {
        flatten("", &to_json(before), &mut old);
    }
    if let Some(after) = after {
        flatten("", &to_json(after), &mut new);
    }
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|field| {
            let before = old.get(field).cloned().unwrap_or(Value::Null);
            let after = new.get(field).cloned().unwrap_or(Value::Null);
            (!same(&before, &after)).then(|| FieldDiff::new(field.clone(), before, after))
        })
        .collect()
}

/// `targetValue 60 → 70, scaleInCooldown 300 → 60`, at most three fields.
pub(super) fn summarize(diff: &[FieldDiff]) -> String {
    const SHOWN: usize = 3;
    let mut text = diff
        .iter()
        .take(SHOWN)
        .map(|d| format!("{} {} → {}", d.field, d.before, d.after))
        .collect::<Vec<_>>()
        .join(", ");
    if diff.len() > SHOWN {
        text.push_str(&format!(" and {} more", diff.len() - SHOWN));
    }
    text
}

fn to_json<T: Serialize>(value: &T) -> Value {
    // Our observed types are plain structs, maps and numbers: serialising cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let field = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&field, value, out);
            }
        }
        // An absent value and an empty map say the same (no dimensions, no tags).
        Value::Object(_) | Value::Null => {}
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Policy {
        target: f64,
        cooldown: Option<u32>,
        metric: BTreeMap<String, String>,
    }

    #[test]
    fn nested_fields_are_named_with_dots_and_floats_compare_loosely() {
        let before = Policy {
            target: 70.000_000_000_01,
            cooldown: Some(300),
            metric: BTreeMap::from([("type".into(), "cpu".into())]),
        };
        let after = Policy {
            target: 70.0,
            cooldown: Some(60),
            metric: BTreeMap::from([("type".into(), "memory".into())]),
        };
        let diff = field_diffs(Some(&before), Some(&after));
        let fields: Vec<&str> = diff.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["cooldown", "metric.type"]);
        assert_eq!(
            summarize(&diff),
            "cooldown 300 → 60, metric.type \"cpu\" → \"memory\""
        );
    }

    #[test]
    fn an_absent_side_lists_every_field_against_null() {
        let after = Policy {
            target: 5.0,
            cooldown: None,
            metric: BTreeMap::new(),
        };
        let diff = field_diffs(None, Some(&after));
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "target");
        assert_eq!(diff[0].before, Value::Null);
    }
}
