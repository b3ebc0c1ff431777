//! Reading an edited text back: parsed again, it must equal the old document with the
//! intended edits made to its values, and nothing else changed. This catches any splice
//! that lands in the wrong place, changes a type, or breaks the syntax.

use super::path::{Edit, EditError, Step, Value, YamlPath};
use super::tree::{self, Kind, Node, Tree};
use crate::spelling::reads_as_non_string;

/// A node as the data it stands for: positions and styles dropped, a scalar's text with
/// whether it reads as a string (quoted, or plain text that is no number, bool or null).
#[derive(Debug, Clone, PartialEq)]
enum Plain {
    Scalar(String, bool),
    Map(Vec<(Plain, Plain)>),
    Seq(Vec<Plain>),
    Alias(usize),
}

fn plain(node: &Node) -> Plain {
    match &node.kind {
        Kind::Scalar { value, style } => {
            let string = *style != granit_parser::ScalarStyle::Plain || !reads_as_non_string(value);
            Plain::Scalar(value.clone(), string)
        }
        Kind::Mapping { entries, .. } => {
            Plain::Map(entries.iter().map(|(k, v)| (plain(k), plain(v))).collect())
        }
        Kind::Sequence { items, .. } => Plain::Seq(items.iter().map(plain).collect()),
        Kind::Alias { anchor } => Plain::Alias(*anchor),
    }
}

fn value(new: &Value) -> Plain {
    match new {
        Value::Plain(text) => Plain::Scalar(text.clone(), !reads_as_non_string(text)),
        Value::Text(text) => Plain::Scalar(text.clone(), true),
        Value::Mapping(entries) => {
            Plain::Map(entries.iter().map(|(k, v)| (key(k), value(v))).collect())
        }
    }
}

fn key(text: &str) -> Plain {
    Plain::Scalar(text.to_owned(), true)
}

fn get_mut<'a>(node: &'a mut Plain, path: &YamlPath) -> Option<&'a mut Plain> {
    let mut node = node;
    for step in &path.0 {
        node = match (step, node) {
            (Step::Key(k), Plain::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| matches!(key, Plain::Scalar(text, _) if text == k))
                .map(|(_, v)| v)?,
            (Step::ItemWhere(pairs), Plain::Seq(items)) => items.iter_mut().find(|item| {
                pairs.iter().all(|(k, v)| {
                    matches!(item, Plain::Map(entries) if entries.iter().any(|(key, val)|
                        matches!(key, Plain::Scalar(t, _) if t == k)
                            && matches!(val, Plain::Scalar(t, _) if t == v)))
                })
            })?,
            _ => return None,
        };
    }
    Some(node)
}

/// What the old document should read as once the edits are made.
fn expected(old: &Tree, edits: &[Edit]) -> Option<Plain> {
    let mut doc = plain(&old.root);
    for edit in edits {
        match edit {
            Edit::Put {
                at,
                key: k,
                value: v,
            } => {
                let Plain::Map(entries) = get_mut(&mut doc, at)? else {
                    return None;
                };
                match entries
                    .iter_mut()
                    .find(|(key, _)| matches!(key, Plain::Scalar(t, _) if t == k))
                {
                    Some((_, old)) => *old = value(v),
                    None => entries.push((key(k), value(v))),
                }
            }
            Edit::Append { at, key: k, items } => {
                let new: Vec<Plain> = items
                    .iter()
                    .map(|item| Plain::Map(item.iter().map(|(k, v)| (key(k), value(v))).collect()))
                    .collect();
                let Plain::Map(entries) = get_mut(&mut doc, at)? else {
                    return None;
                };
                match entries
                    .iter_mut()
                    .find(|(key, _)| matches!(key, Plain::Scalar(t, _) if t == k))
                {
                    Some((_, Plain::Seq(list))) => list.extend(new),
                    Some(_) => return None,
                    None => entries.push((key(k), Plain::Seq(new))),
                }
            }
        }
    }
    Some(doc)
}

pub(crate) fn reads_back(old: &Tree, text: &str, edits: &[Edit]) -> Result<(), EditError> {
    let new = tree::parse(text).map_err(|e| EditError::ReadBack {
        why: format!("it does not parse: {e}"),
    })?;
    let want = expected(old, edits).ok_or_else(|| EditError::ReadBack {
        why: "an edit's path is not in the old document".to_owned(),
    })?;
    if plain(&new.root) != want {
        return Err(EditError::ReadBack {
            why: "its values differ from the old ones with the edits made".to_owned(),
        });
    }
    Ok(())
}
