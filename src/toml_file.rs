//! What the protocol and instrument files share: text in several languages, and problems located
//! by line and column so whoever edits the file can go straight to them.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

/// Text in several languages, keyed by language code (`en`, `es`).
pub type LocalText = BTreeMap<String, String>;

/// One problem in a file, located by 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

/// The problem `message` at byte `span` of `text`, with its line and column.
pub fn locate(text: &str, span: &Range<usize>, message: String) -> FileError {
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    FileError { line, column, message }
}
