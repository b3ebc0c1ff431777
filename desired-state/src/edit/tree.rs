//! The document as a tree of nodes with the exact byte spans the event parser reports,
//! plus what an edit must know to stay faithful: anchors, aliases, merge keys, styles.
//! Built from granit-parser's events (serde-saphyr's own parser) rather than from serde,
//! because only the events say where a node ends and how it was written.

use std::collections::BTreeSet;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};

use super::path::EditError;

/// One YAML node and where it is in the text.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Bytes of the node's own text (a collection: from its first to its last token as
    /// the parser reports them; use `content_end` for the end of its last child).
    pub span: Range<usize>,
    /// 1-based line and column of the node's start, for messages.
    pub line: usize,
    pub column: usize,
    /// The anchor defined on this node (`&x`), 0 when none.
    pub anchor: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    Mapping {
        flow: bool,
        entries: Vec<(Node, Node)>,
    },
    Sequence {
        flow: bool,
        items: Vec<Node>,
    },
    Alias {
        anchor: usize,
    },
}

/// A parsed document: its root and the anchors some alias refers to.
#[derive(Debug)]
pub(crate) struct Tree {
    pub root: Node,
    pub aliased: BTreeSet<usize>,
}

impl Node {
    /// The byte after the last character of this node's content: its own span for a
    /// scalar or a flow collection, the end of its last child for a block collection
    /// (whose end event the parser places at the next token, past comments).
    pub fn content_end(&self) -> usize {
        match &self.kind {
            Kind::Mapping {
                flow: false,
                entries,
            } => entries
                .last()
                .map(|(k, v)| k.content_end().max(v.content_end()))
                .unwrap_or(self.span.start),
            Kind::Sequence { flow: false, items } => items
                .last()
                .map(Node::content_end)
                .unwrap_or(self.span.start),
            _ => self.span.end,
        }
    }

    /// The value of a scalar key, if this node is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Mapping { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether a mapping has a merge key (`<<: *x`): its other keys may come from there.
    pub fn has_merge(&self) -> bool {
        matches!(&self.kind, Kind::Mapping { entries, .. }
            if entries.iter().any(|(k, _)| matches!(&k.kind, Kind::Scalar { value, style: ScalarStyle::Plain } if value == "<<")))
    }
}

/// Parses one document into a tree. A text the parser rejects, or with more than one
/// document, is an error: it is not edited.
pub(crate) fn parse(text: &str) -> Result<Tree, EditError> {
    let mut builder = Builder {
        text,
        stack: Vec::new(),
        root: None,
        aliased: BTreeSet::new(),
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| EditError::Unparsable {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            why: e.info(),
        })?;
        builder.event(event, span)?;
    }
    let root = builder.root.ok_or(EditError::Unparsable {
        line: 1,
        column: 1,
        why: "the file holds no document".to_owned(),
    })?;
    Ok(Tree {
        root,
        aliased: builder.aliased,
    })
}

/// A collection being read: its node and, for a mapping, a key waiting for its value.
struct Open {
    node: Node,
    key: Option<Node>,
}

struct Builder<'a> {
    text: &'a str,
    stack: Vec<Open>,
    root: Option<Node>,
    aliased: BTreeSet<usize>,
    documents: usize,
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), EditError> {
        let range = byte_range(&span, self.text)?;
        let (line, column) = (span.start.line(), span.start.col() + 1);
        let node = |kind, anchor| Node {
            kind,
            span: range.clone(),
            line,
            column,
            anchor,
        };
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(EditError::Unparsable {
                        line,
                        column,
                        why: "a second document: a desired-state file holds one".to_owned(),
                    });
                }
            }
            Event::Scalar(value, style, anchor, _) => {
                let mut scalar = node(
                    Kind::Scalar {
                        value: value.into_owned(),
                        style,
                    },
                    anchor,
                );
                // A block scalar's span runs over its trailing line breaks, onto the
                // next line: end it at its last character, so that text added after it
                // lands on its own line.
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    let source = &self.text[scalar.span.clone()];
                    scalar.span.end = scalar.span.start + source.trim_end().len();
                }
                self.add(scalar);
            }
            Event::Alias(anchor) => {
                self.aliased.insert(anchor);
                self.add(node(Kind::Alias { anchor }, 0));
            }
            Event::MappingStart(style, anchor, _) => self.stack.push(Open {
                node: node(
                    Kind::Mapping {
                        flow: style == StructureStyle::Flow,
                        entries: Vec::new(),
                    },
                    anchor,
                ),
                key: None,
            }),
            Event::SequenceStart(style, anchor, _) => self.stack.push(Open {
                node: node(
                    Kind::Sequence {
                        flow: style == StructureStyle::Flow,
                        items: Vec::new(),
                    },
                    anchor,
                ),
                key: None,
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(mut open) = self.stack.pop() {
                    open.node.span.end = range.end.max(open.node.span.start);
                    self.add(open.node);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn add(&mut self, node: Node) {
        let Some(open) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        match &mut open.node.kind {
            Kind::Mapping { entries, .. } => match open.key.take() {
                None => open.key = Some(node),
                Some(key) => entries.push((key, node)),
            },
            Kind::Sequence { items, .. } => items.push(node),
            Kind::Scalar { .. } | Kind::Alias { .. } => {}
        }
    }
}

fn byte_range(span: &Span, text: &str) -> Result<Range<usize>, EditError> {
    // A parser over a `str` always reports byte offsets; anything else is a bug we
    // refuse to edit around rather than guess.
    span.byte_range()
        .filter(|r| {
            r.start <= r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        })
        .ok_or(EditError::Unparsable {
            line: span.start.line(),
            column: span.start.col() + 1,
            why: "the parser reported no byte position".to_owned(),
        })
}
