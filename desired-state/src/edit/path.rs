//! The edit layer's vocabulary: paths into a document, values, edits and why an edit
//! was refused. Imports nothing from the rest of `edit/`.

use std::fmt;

/// One step of a path from the document's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The value under a key of a mapping.
    Key(String),
    /// The item of a sequence that is a mapping holding all of these scalar values (a
    /// service: its `cluster` and `name`).
    ItemWhere(Vec<(String, String)>),
}

/// Where a node is: `spec.services[cluster=c,name=api].autoscaling.min`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct YamlPath(pub Vec<Step>);

impl YamlPath {
    pub fn new() -> Self {
        Self::default()
    }

    /// This path with a key appended.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Step::Key(key.into()));
        self
    }

    /// This path with a sequence item chosen by its values appended.
    pub fn item_where(mut self, pairs: &[(&str, &str)]) -> Self {
        self.0.push(Step::ItemWhere(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ));
        self
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if i == 0 => write!(f, "{key}")?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::ItemWhere(pairs) => {
                    let inner: Vec<String> =
                        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    write!(f, "[{}]", inner.join(","))?;
                }
            }
        }
        Ok(())
    }
}

/// A value to write, already spelled as the format writes it (`desired_state::spelling`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A number or boolean: written as is, never quoted (`70`, `true`).
    Plain(String),
    /// A string: written in the replaced scalar's quoting where that can hold it, else
    /// plain where YAML reads it back as the same string, else double-quoted.
    Text(String),
    /// A new mapping of these entries, written in flow style (`{ a: 1 }`): only as the
    /// value of a key that is added, never in place of a scalar.
    Mapping(Vec<(String, Value)>),
}

/// One change to a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Sets `key` of the mapping at `at`: replaces the scalar there, or inserts the key
    /// after the mapping's last entry (block) or before its closing brace (flow).
    Put {
        at: YamlPath,
        key: String,
        value: Value,
    },
    /// Appends items, each a mapping of its entries, to the sequence under `key` of the
    /// mapping at `at`, in the style of their siblings (`- { a: 1 }` or a block item);
    /// when the key is absent, adds it with these items.
    Append {
        at: YamlPath,
        key: String,
        items: Vec<Vec<(String, Value)>>,
    },
}

/// Why a document was not edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{line}:{column}: the file does not parse: {why}")]
    Unparsable {
        line: usize,
        column: usize,
        why: String,
    },
    #[error("{path} is not in the file")]
    NotFound { path: String },
    #[error("{line}:{column}: cannot write {path} back faithfully: {why}")]
    Refused {
        line: usize,
        column: usize,
        path: String,
        why: String,
    },
    #[error("two edits touch the same text at byte {at}")]
    Overlap { at: usize },
    /// A bug of this module, caught by reading the result back: nothing is written.
    #[error("the edited text does not read back as intended ({why}); nothing was written")]
    ReadBack { why: String },
}

impl EditError {
    /// Whether the message starts with `LINE:COL:` (to be put after a file name).
    pub fn has_position(&self) -> bool {
        matches!(
            self,
            EditError::Unparsable { .. } | EditError::Refused { .. }
        )
    }
}
