//! User-facing errors.
//!
//! Every problem bilim reports about a user's files is a [`Diagnostic`]: a location
//! (`file:line:col`), what is wrong and how to fix it. A build collects as many diagnostics as it
//! can before giving up, so one run shows every broken file instead of the first one.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, relative to the project root when possible.
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column (in characters); 0 when unknown.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it (may be empty).
    pub hint: String,
}

impl Diagnostic {
    /// A problem at a known position.
    pub fn at(
        path: impl Into<PathBuf>,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            col,
            message: message.into(),
            hint: String::new(),
        }
    }

    /// A problem with a whole file.
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::at(path, 0, 0, message)
    }

    /// Attach advice on how to fix the problem.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Shift a position found inside an embedded snippet (front matter, a directive) to the
    /// position in the enclosing file. `line_offset` is the number of file lines before the
    /// snippet's first line.
    pub fn shifted(mut self, line_offset: usize) -> Self {
        if self.line > 0 {
            self.line += line_offset;
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (self.line, self.col) {
            (0, _) => write!(f, "{path}: error: {}", self.message)?,
            (l, 0) => write!(f, "{path}:{l}: error: {}", self.message)?,
            (l, c) => write!(f, "{path}:{l}:{c}: error: {}", self.message)?,
        }
        if !self.hint.is_empty() {
            write!(f, "\n  help: {}", self.hint)?;
        }
        Ok(())
    }
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in the user's files; the list is never empty.
    #[error("{}", render_list(.0))]
    Input(Vec<Diagnostic>),
    /// An I/O failure that is not about the content of a file (disk full, permissions).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

fn render_list(list: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in list.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    out
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Input(vec![d])
    }
}

impl Error {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The diagnostics, if this error is about input files.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Input(d) => d,
            _ => &[],
        }
    }
}

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects diagnostics while a stage goes on, so that one run reports every problem.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Record one problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Record every problem of a failed step; keep going.
    pub fn absorb(&mut self, e: Error) -> Result<()> {
        match e {
            Error::Input(list) => {
                self.0.extend(list);
                Ok(())
            }
            other => Err(other),
        }
    }

    /// Run a fallible step, recording its problems and returning its value if it had none.
    pub fn collect<T>(&mut self, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) => self.absorb(e).map(|()| None),
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fail with everything recorded, in a stable order, or succeed.
    pub fn finish(mut self) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.0.sort_by(|a, b| {
            (&a.path, a.line, a.col, &a.message).cmp(&(&b.path, b.line, b.col, &b.message))
        });
        self.0.dedup();
        Err(Error::Input(self.0))
    }
}

/// 1-based (line, column) of a byte offset in `text`; the column counts characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_line_col_and_hint() {
        let d = Diagnostic::at("content/a.md", 3, 7, "unknown key `foo`").hint("remove it");
        assert_eq!(
            d.to_string(),
            "content/a.md:3:7: error: unknown key `foo`\n  help: remove it"
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\nҚаз x";
        assert_eq!(line_col(text, 0), (1, 1));
        let x = text.find('x').unwrap();
        assert_eq!(line_col(text, x), (2, 5));
    }

    #[test]
    fn diagnostics_sort_and_dedup() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::at("b", 1, 1, "x"));
        ds.push(Diagnostic::at("a", 2, 1, "y"));
        ds.push(Diagnostic::at("a", 2, 1, "y"));
        let err = ds.finish().unwrap_err();
        let list = err.diagnostics();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].path, PathBuf::from("a"));
    }
}
