//! Turning an edit into splices (a byte range of the old text and what replaces it),
//! and joining them. Every check that makes an edit unfaithful is made here, on the path
//! from the root to the edited node.

use std::ops::Range;

use granit_parser::ScalarStyle;

use super::path::{Edit, EditError, Step, Value, YamlPath};
use super::tree::{Kind, Node, Tree};
use crate::spelling;

/// Replace `range` of the old text with `text` (an empty range inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Splice {
    pub range: Range<usize>,
    pub text: String,
}

/// The node at `path`, following no alias and checking nothing.
pub(crate) fn find<'a>(root: &'a Node, path: &YamlPath) -> Option<&'a Node> {
    path.0.iter().try_fold(root, |node, step| child(node, step))
}

fn child<'a>(node: &'a Node, step: &Step) -> Option<&'a Node> {
    match (step, &node.kind) {
        (Step::Key(key), _) => node.get(key),
        (Step::ItemWhere(pairs), Kind::Sequence { items, .. }) => items.iter().find(|item| {
            pairs
                .iter()
                .all(|(k, v)| item.get(k).and_then(Node::scalar) == Some(v.as_str()))
        }),
        _ => None,
    }
}

/// The node at `path`, refusing any alias, shared anchor or merge key on the way.
/// `shown` is the edited node's path, named in messages.
fn resolve<'a>(tree: &'a Tree, path: &YamlPath, shown: &YamlPath) -> Result<&'a Node, EditError> {
    let mut node = &tree.root;
    check_own(tree, node, shown)?;
    for step in &path.0 {
        node = child(node, step).ok_or_else(|| EditError::NotFound {
            path: path.to_string(),
        })?;
        check_own(tree, node, shown)?;
    }
    Ok(node)
}

fn check_own(tree: &Tree, node: &Node, path: &YamlPath) -> Result<(), EditError> {
    let why = if matches!(node.kind, Kind::Alias { .. }) {
        Some("the value comes from an alias (`*name`): editing it would change the anchored node and every other use of it; edit the anchor by hand")
    } else if node.anchor != 0 && tree.aliased.contains(&node.anchor) {
        Some("the node carries an anchor (`&name`) that an alias uses elsewhere: the edit would change those uses too")
    } else if node.has_merge() {
        Some("the mapping merges another one (`<<: *name`): the value may come from there")
    } else {
        None
    };
    match why {
        Some(why) => Err(refused(node, path, why)),
        None => Ok(()),
    }
}

fn refused(node: &Node, path: &YamlPath, why: &str) -> EditError {
    EditError::Refused {
        line: node.line,
        column: node.column,
        path: path.to_string(),
        why: why.to_owned(),
    }
}

pub(crate) fn splices(text: &str, tree: &Tree, edit: &Edit) -> Result<Vec<Splice>, EditError> {
    match edit {
        Edit::Put { at, key, value } => {
            let full = at.clone().key(key.clone());
            let mapping = resolve(tree, at, &full)?;
            match mapping.get(key) {
                Some(node) => {
                    check_own(tree, node, &full)?;
                    Ok(vec![replace_scalar(text, node, &full, value)?])
                }
                None => Ok(vec![insert_key(text, mapping, at, key, &written(value))?]),
            }
        }
        Edit::Append { at, key, items } => {
            let full = at.clone().key(key.clone());
            let mapping = resolve(tree, at, &full)?;
            match mapping.get(key) {
                Some(node) => {
                    check_own(tree, node, &full)?;
                    Ok(vec![append_items(text, node, &full, items)?])
                }
                None => Ok(vec![insert_list(text, mapping, at, key, items)?]),
            }
        }
    }
}

/// A value as a new node writes it.
fn written(value: &Value) -> String {
    match value {
        Value::Plain(text) => text.clone(),
        Value::Text(text) => spelling::string(text),
        Value::Mapping(entries) => flow_item(entries, true),
    }
}

fn replace_scalar(
    text: &str,
    node: &Node,
    path: &YamlPath,
    value: &Value,
) -> Result<Splice, EditError> {
    let Kind::Scalar { style, value: old } = &node.kind else {
        return Err(refused(
            node,
            path,
            "not a single value (a list or mapping)",
        ));
    };
    let source = &text[node.span.clone()];
    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
        return Err(refused(
            node,
            path,
            "a block scalar (`|` or `>`): edit it by hand",
        ));
    }
    if source.contains(['\n', '\r']) {
        return Err(refused(
            node,
            path,
            "a value written over several lines: edit it by hand",
        ));
    }
    if node.span.is_empty() || old.is_empty() && *style == ScalarStyle::Plain {
        return Err(refused(
            node,
            path,
            "the key has no value written: fill it in by hand",
        ));
    }
    if source.starts_with(['&', '!']) {
        return Err(refused(node, path, "the value carries an anchor or a tag"));
    }
    let new = match (value, style) {
        (Value::Mapping(_), _) => {
            return Err(refused(
                node,
                path,
                "a single value cannot become a mapping",
            ))
        }
        (Value::Plain(text), _) => text.clone(),
        (Value::Text(text), ScalarStyle::SingleQuoted) if !text.chars().any(char::is_control) => {
            format!("'{}'", text.replace('\'', "''"))
        }
        (Value::Text(text), ScalarStyle::DoubleQuoted) => spelling::quoted(text),
        (Value::Text(text), _) => spelling::string(text),
    };
    Ok(Splice {
        range: node.span.clone(),
        text: new,
    })
}

/// `\r\n` when the file uses it, else `\n`.
pub(crate) fn line_break(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Where an entry's text ends: its value's end, or its key's when the value is empty
/// (an empty value's position is the next token's, possibly lines further on).
fn entry_end(key: &Node, value: &Node) -> usize {
    if value.span.is_empty() {
        key.content_end()
    } else {
        value.content_end()
    }
}

/// The end of the line `at` is on, before its line break (after any comment there).
fn line_end(text: &str, at: usize) -> usize {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if end > at && text.as_bytes().get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    }
}

/// The start of the line `at` is on.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Spaces as wide as the text from the start of `at`'s line to `at` (`- ` included).
fn indent_of(text: &str, at: usize) -> String {
    " ".repeat(text[line_start(text, at)..at].chars().count())
}

/// Where a new entry of a mapping goes and the text that adds `key: <value>` there.
/// `value` is what follows `key:` (starting with a space or a line break).
fn insert_entry(
    text: &str,
    mapping: &Node,
    path: &YamlPath,
    key: &str,
    value: impl Fn(&str) -> String,
) -> Result<Splice, EditError> {
    let Kind::Mapping { flow, entries } = &mapping.kind else {
        return Err(refused(
            mapping,
            path,
            "not a mapping: cannot add a key to it",
        ));
    };
    let key = spelling::string(key);
    if *flow {
        return Ok(match entries.last() {
            Some((k, v)) => Splice {
                range: entry_end(k, v)..entry_end(k, v),
                text: format!(", {key}:{}", value("")),
            },
            None => {
                let open = after_opening(text, mapping, '{', path)?;
                Splice {
                    range: open..open,
                    text: format!("{key}:{}", value("")),
                }
            }
        });
    }
    let Some(((first, _), (last_key, last_value))) = entries.first().zip(entries.last()) else {
        return Err(refused(
            mapping,
            path,
            "an empty mapping: add the key by hand",
        ));
    };
    let indent = indent_of(text, first.span.start);
    let at = line_end(text, entry_end(last_key, last_value));
    let eol = line_break(text);
    Ok(Splice {
        range: at..at,
        text: format!("{eol}{indent}{key}:{}", value(&indent)),
    })
}

fn insert_key(
    text: &str,
    mapping: &Node,
    path: &YamlPath,
    key: &str,
    value: &str,
) -> Result<Splice, EditError> {
    insert_entry(text, mapping, path, key, |_| format!(" {value}"))
}

/// A new key holding a list of these items: a block list under a block mapping, a flow
/// list in a flow mapping.
fn insert_list(
    text: &str,
    mapping: &Node,
    path: &YamlPath,
    key: &str,
    items: &[Vec<(String, Value)>],
) -> Result<Splice, EditError> {
    let eol = line_break(text);
    insert_entry(text, mapping, path, key, |indent| {
        let flow: Vec<String> = items.iter().map(|i| flow_item(i, true)).collect();
        if matches!(mapping.kind, Kind::Mapping { flow: true, .. }) {
            format!(" [{}]", flow.join(", "))
        } else {
            flow.iter()
                .map(|item| format!("{eol}{indent}  - {item}"))
                .collect()
        }
    })
}

/// Just after the `{` or `[` that opens an empty flow collection.
fn after_opening(text: &str, node: &Node, open: char, path: &YamlPath) -> Result<usize, EditError> {
    if text[node.span.clone()].starts_with(open) {
        Ok(node.span.start + 1)
    } else {
        Err(refused(
            node,
            path,
            "cannot find where the collection opens",
        ))
    }
}

/// `{ a: 1, b: x }` (`spaced`) or `{a: 1, b: x}`.
fn flow_item(entries: &[(String, Value)], spaced: bool) -> String {
    let inner: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}: {}", spelling::string(k), written(v)))
        .collect();
    if spaced {
        format!("{{ {} }}", inner.join(", "))
    } else {
        format!("{{{}}}", inner.join(", "))
    }
}

fn append_items(
    text: &str,
    list: &Node,
    path: &YamlPath,
    items: &[Vec<(String, Value)>],
) -> Result<Splice, EditError> {
    let Kind::Sequence {
        flow,
        items: siblings,
    } = &list.kind
    else {
        return Err(refused(
            list,
            path,
            "not a list (or an empty value): add the item by hand",
        ));
    };
    let last = siblings.last();
    // Follow the last sibling: its braces' spacing, or its block layout.
    let spaced = last.is_none_or(|l| text[l.span.clone()].starts_with("{ "));
    if *flow {
        let rendered: Vec<String> = items.iter().map(|i| flow_item(i, spaced)).collect();
        return Ok(match last {
            Some(last) => Splice {
                range: last.content_end()..last.content_end(),
                text: format!(", {}", rendered.join(", ")),
            },
            None => {
                let open = after_opening(text, list, '[', path)?;
                Splice {
                    range: open..open,
                    text: rendered.join(", "),
                }
            }
        });
    }
    let Some(last) = last else {
        return Err(refused(list, path, "an empty list: add the item by hand"));
    };
    let eol = line_break(text);
    let item_indent = indent_of(text, last.span.start);
    let prefix = &text[line_start(text, last.span.start)..last.span.start];
    let Some(dash) = prefix.rfind('-') else {
        return Err(refused(
            last,
            path,
            "cannot tell how the list's items are laid out",
        ));
    };
    let dash_indent = " ".repeat(prefix[..dash].chars().count());
    let gap = &prefix[dash + 1..];
    let block_items = matches!(last.kind, Kind::Mapping { flow: false, .. });
    let mut added = String::new();
    for item in items {
        let body = if block_items {
            item.iter()
                .map(|(k, v)| format!("{}: {}", spelling::string(k), written(v)))
                .collect::<Vec<_>>()
                .join(&format!("{eol}{item_indent}"))
        } else {
            flow_item(item, spaced)
        };
        added.push_str(&format!("{eol}{dash_indent}-{gap}{body}"));
    }
    let at = line_end(text, last.content_end());
    Ok(Splice {
        range: at..at,
        text: added,
    })
}

/// The old text with the splices made. Insertions at one place keep the edits' order;
/// overlapping replacements are an error.
pub(crate) fn join(text: &str, mut splices: Vec<Splice>) -> Result<String, EditError> {
    // Stable: equal starts keep the order the edits were given in.
    splices.sort_by_key(|s| (s.range.start, s.range.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut done = 0;
    for splice in splices {
        if splice.range.start < done {
            return Err(EditError::Overlap {
                at: splice.range.start,
            });
        }
        out.push_str(&text[done..splice.range.start]);
        out.push_str(&splice.text);
        done = splice.range.end;
    }
    out.push_str(&text[done..]);
    Ok(out)
}
