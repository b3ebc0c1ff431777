//! Editing a desired-state file in place (`mooring accept`): a few values replaced, keys
//! and list items added, and every other byte left as it was — comments, key order,
//! quoting, blank lines, CRLF. The edits are splices on the byte spans the YAML event
//! parser reports (`tree.rs`); the document is never re-serialised.
//!
//! An edit is refused, naming the line and column, where the value cannot be put back
//! faithfully: an alias or something inside one, a mapping with a merge key (`<<`), a
//! node whose anchor another node aliases (the edit would change both), a block or
//! multi-line scalar. After splicing, the new text is parsed again and compared with the
//! old one with the intended edits applied (`check.rs`): a text that does not read back
//! exactly so is never returned.

mod check;
mod path;
mod splice;
mod tree;

#[cfg(test)]
mod tests;

pub use self::path::{Edit, EditError, Step, Value, YamlPath};

/// A parsed document, ready to be asked about and edited.
#[derive(Debug)]
pub struct Document {
    text: String,
    tree: tree::Tree,
}

impl Document {
    /// Parses `text`; a text the YAML parser rejects (or with two documents) is an error.
    pub fn parse(text: &str) -> Result<Self, EditError> {
        Ok(Self {
            text: text.to_owned(),
            tree: tree::parse(text)?,
        })
    }

    /// The scalar at `path` (None: absent or not a scalar). Aliases are not followed.
    pub fn scalar(&self, path: &YamlPath) -> Option<&str> {
        splice::find(&self.tree.root, path).and_then(tree::Node::scalar)
    }

    /// Whether something is at `path`.
    pub fn has(&self, path: &YamlPath) -> bool {
        splice::find(&self.tree.root, path).is_some()
    }

    /// The text with every edit made, checked by reading it back. All or nothing.
    pub fn apply(&self, edits: &[Edit]) -> Result<String, EditError> {
        let mut splices = Vec::new();
        for edit in edits {
            splices.extend(splice::splices(&self.text, &self.tree, edit)?);
        }
        let text = splice::join(&self.text, splices)?;
        check::reads_back(&self.tree, &text, edits)?;
        Ok(text)
    }
}
