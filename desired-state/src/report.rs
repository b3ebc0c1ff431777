//! What the pass-2 checks share: where one file's problems go (`Report`), a file as pass 1
//! left it (`ParsedFile`), and value checks that several of them use (`count`, `is_arn`).
//!
//! A leaf below `validate` and every check module, so that a check never imports the
//! orchestrator that calls it; it imports only vocabulary (diagnostics, positions, the
//! pass-1 types).

use std::path::Path;

use crate::diagnostics::Collector;
use crate::raw::RawStack;
use crate::span::{At, Loc};

/// Where pass-2 problems of one file go.
pub struct Report<'a> {
    collector: &'a mut Collector,
    order: usize,
    file: &'a Path,
    errors: usize,
}

impl<'a> Report<'a> {
    pub(crate) fn new(collector: &'a mut Collector, order: usize, file: &'a Path) -> Self {
        Self {
            collector,
            order,
            file,
            errors: 0,
        }
    }

    pub fn error(&mut self, loc: Loc, message: impl Into<String>) {
        self.errors += 1;
        self.collector.report(self.order, self.file, loc, message);
    }

    /// A warning: printed, but the desired state is still used.
    pub fn warning(&mut self, loc: Loc, message: impl Into<String>) {
        self.collector.warn(self.order, self.file, loc, message);
    }

    /// Problems reported through this `Report` so far.
    pub fn count(&self) -> usize {
        self.errors
    }
}

/// A task count: whole, not negative.
pub fn count(report: &mut Report<'_>, value: &At<i64>, what: &str) -> Option<u32> {
    match u32::try_from(value.value) {
        Ok(n) => Some(n),
        Err(_) if value.value < 0 => {
            report.error(
                value.loc,
                format!("{what} must not be negative, found {}", value.value),
            );
            None
        }
        Err(_) => {
            report.error(value.loc, format!("{what} is too large: {}", value.value));
            None
        }
    }
}

/// A file that passed pass 1.
pub(crate) struct ParsedFile<'a> {
    pub order: usize,
    pub path: &'a Path,
    /// The file's text, to quote a value as written (a number's leading zeros).
    pub text: &'a str,
    pub raw: RawStack,
}

/// `arn:<partition>:<service>:<region>:<12-digit account>:<resource>`.
pub(crate) fn is_arn(text: &str, service: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, svc, region, account, resource]
        if partition.starts_with("aws") && *svc == service && !region.is_empty()
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !resource.is_empty())
}
