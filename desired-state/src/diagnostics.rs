//! Problems found in the desired state, each with file, line and column, rendered like a
//! compiler error with the offending source line.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::span::Loc;

/// An error refuses the desired state; a warning is printed and the state is used (e.g. a
/// cron pair that fires together on a daylight-saving day only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// One problem. `line` and `column` are 1-based; file-level problems (unreadable, too large,
/// empty) point at 1:1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub severity: Severity,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            column,
            message: message.into(),
            severity: Severity::Error,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{label}: {}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    diagnostic: Diagnostic,
    /// Position of the file in load order, so output follows the order files were given.
    file_order: usize,
    /// The source line the diagnostic points at, for the snippet.
    source_line: Option<String>,
}

/// Every problem found, in file order, then line and column order, and notes on what could
/// not be checked (printed after the problems; they are not problems themselves).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    entries: Vec<Entry>,
    notes: Vec<String>,
}

impl Diagnostics {
    /// Diagnostics without source snippets (e.g. made by another crate).
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        let mut out = Self::default();
        for diagnostic in diagnostics {
            out.push(diagnostic);
        }
        out
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.entries.push(Entry {
            diagnostic,
            file_order: usize::MAX,
            source_line: None,
        });
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.entries.iter().map(|entry| &entry.diagnostic)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// What was left unchecked and why, e.g. references into a file that did not parse.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The diagnostics as plain values, in order.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.entries
            .into_iter()
            .map(|entry| entry.diagnostic)
            .collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self::new(vec![diagnostic])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{}", entry.diagnostic)?;
            if let Some(line) = &entry.source_line {
                write_snippet(f, entry.diagnostic.line, entry.diagnostic.column, line)?;
            }
        }
        for note in &self.notes {
            write!(f, "\n\nnote: {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// ```text
///    |
/// 12 |       evaluationPeriod: 2
///    |       ^
/// ```
fn write_snippet(
    f: &mut fmt::Formatter<'_>,
    line: usize,
    column: usize,
    text: &str,
) -> fmt::Result {
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    // Keep tabs so the caret lines up however the terminal renders them.
    let pad: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    write!(f, "\n{gutter} |\n{number} | {text}\n{gutter} | {pad}^")
}

/// Collects problems file by file during loading and both passes, then sorts them and attaches
/// source lines.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    entries: Vec<Entry>,
    notes: Vec<String>,
    warnings: Vec<Entry>,
}

impl Collector {
    pub fn report(&mut self, file_order: usize, file: &Path, loc: Loc, message: impl Into<String>) {
        let entry = Self::entry(file_order, file, loc, message.into(), Severity::Error);
        self.entries.push(entry);
    }

    /// A warning: kept apart from the errors, it never refuses the desired state.
    pub fn warn(&mut self, file_order: usize, file: &Path, loc: Loc, message: impl Into<String>) {
        let entry = Self::entry(file_order, file, loc, message.into(), Severity::Warning);
        self.warnings.push(entry);
    }

    fn entry(
        file_order: usize,
        file: &Path,
        loc: Loc,
        message: String,
        severity: Severity,
    ) -> Entry {
        Entry {
            diagnostic: Diagnostic {
                file: file.to_path_buf(),
                line: loc.line.max(1),
                column: loc.column.max(1),
                message,
                severity,
            },
            file_order,
            source_line: None,
        }
    }

    /// The warnings, sorted and with their source lines, leaving the errors in place.
    pub fn take_warnings(&mut self, sources: &[&str]) -> Diagnostics {
        let warnings = Collector {
            entries: std::mem::take(&mut self.warnings),
            ..Collector::default()
        };
        warnings.finish(sources)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Sorts by file order, line and column (stable, so two problems at one spot keep the
    /// order they were found in) and attaches the source lines from `sources[file_order]`.
    pub fn finish(mut self, sources: &[&str]) -> Diagnostics {
        self.entries.sort_by_key(|entry| {
            (
                entry.file_order,
                entry.diagnostic.line,
                entry.diagnostic.column,
            )
        });
        self.entries.dedup();
        for entry in &mut self.entries {
            entry.source_line = sources
                .get(entry.file_order)
                .and_then(|text| text.lines().nth(entry.diagnostic.line.saturating_sub(1)))
                .map(|line| line.trim_end_matches('\r').to_owned());
        }
        Diagnostics {
            entries: self.entries,
            notes: self.notes,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_message_and_caret() {
        let mut collector = Collector::default();
        let source = "a: 1\nspec:\n  evaluationPeriod: 2\n";
        collector.report(
            0,
            Path::new("x.yaml"),
            Loc::new(3, 3),
            "unknown field `evaluationPeriod`",
        );
        let rendered = collector.finish(&[source]).to_string();
        assert_eq!(
            rendered,
            "error: x.yaml:3:3: unknown field `evaluationPeriod`\n  |\n3 |   evaluationPeriod: 2\n  |   ^"
        );
    }

    #[test]
    fn sorted_by_file_then_line() {
        let mut collector = Collector::default();
        collector.report(1, Path::new("b.yaml"), Loc::new(1, 1), "b");
        collector.report(0, Path::new("a.yaml"), Loc::new(9, 1), "a9");
        collector.report(0, Path::new("a.yaml"), Loc::new(2, 5), "a2");
        let messages: Vec<_> = collector
            .finish(&[])
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(messages, ["a2", "a9", "b"]);
    }
}
