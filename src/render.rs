//! The theme: tera templates, static files and interface strings, and rendering pages with them.
//!
//! Templates are read by bilim itself (only files under `themes/<name>/templates/`) and handed to
//! tera as strings, so a theme can never reach files outside the project. Values from content
//! are escaped by tera's autoescaping; pre-rendered HTML (Markdown bodies, computed tables) is
//! marked `| safe` in the templates and was escaped when it was produced.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, Tera};

use crate::config::SiteConfig;
use crate::error::{Diagnostic, Diagnostics, Result};
use crate::i18n::I18n;

/// A page's template context that also hashes everything inserted into it, so that `serve` can
/// tell a page's inputs did not change without rendering it again. (tera's own context cannot
/// be hashed reliably: its maps iterate in random order.)
pub struct PageContext {
    ctx: Context,
    /// Hash of every key and value inserted, in order; `None` once a value could not be hashed
    /// (such a page is always rendered).
    hash: Option<DefaultHasher>,
}

impl Default for PageContext {
    fn default() -> Self {
        PageContext::new()
    }
}

impl PageContext {
    /// An empty context.
    pub fn new() -> PageContext {
        PageContext {
            ctx: Context::new(),
            hash: Some(DefaultHasher::new()),
        }
    }

    /// Insert a value (as `tera::Context::insert`).
    pub fn insert<T: Serialize + ?Sized>(&mut self, key: &'static str, val: &T) {
        if let Some(h) = &mut self.hash {
            key.hash(h);
            // JSON is self-delimiting, so the sequence of (key, JSON) pairs identifies the
            // context; serde_json keeps map order (`preserve_order`) and round-trips floats.
            if serde_json::to_writer(HashWriter(h), val).is_err() {
                self.hash = None;
            }
        }
        self.ctx.insert(key, val);
    }

    /// The hash of the context's contents, if every value could be hashed.
    pub fn key(&self) -> Option<u64> {
        self.hash.as_ref().map(Hasher::finish)
    }
}

/// Feeds serialised bytes into a hasher.
struct HashWriter<'h>(&'h mut DefaultHasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A loaded theme.
pub struct Theme {
    tera: Tera,
    /// `themes/<name>`, for messages.
    rel_dir: PathBuf,
    /// Files under `static/`: (path relative to `static/`, bytes).
    pub static_files: Vec<(String, Vec<u8>)>,
    /// Interface strings.
    pub i18n: I18n,
    /// Hash of the templates' names and sources (part of a cached page's key in `serve`).
    pub fingerprint: u64,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("static_files", &self.static_files.len())
            .finish()
    }
}

impl Theme {
    /// Load `themes/<cfg.theme>/` under `root`.
    pub fn load(root: &Path, cfg: &SiteConfig) -> Result<Theme> {
        if !crate::content::is_slug(&cfg.theme) {
            return Err(Diagnostic::file(
                "site.toml",
                format!("theme `{}` is not a theme directory name", cfg.theme),
            )
            .hint("name a directory under themes/, e.g. theme = \"default\"")
            .into());
        }
        let dir = root.join("themes").join(&cfg.theme);
        let rel_dir = PathBuf::from("themes").join(&cfg.theme);
        if !dir.is_dir() {
            return Err(
                Diagnostic::file(&rel_dir, "the theme directory does not exist")
                    .hint("create it or set `theme` in site.toml to an existing one")
                    .into(),
            );
        }
        let i18n = I18n::load(&dir, root, &cfg.langs())?;
        let templates = read_tree(&dir.join("templates"), &rel_dir.join("templates"))?;
        let mut tera = Tera::new();
        // Only .html, .xml and .svg templates are autoescaped for HTML; JSON is produced in Rust.
        tera.autoescape_on([".html", ".xml", ".svg"]);
        let sources: Vec<(String, String)> = templates
            .iter()
            .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
            .collect();
        tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))
            .map_err(|e| {
                crate::error::Error::Input(template_diagnostics(&rel_dir, &e, &sources))
            })?;
        let static_files = read_tree(&dir.join("static"), &rel_dir.join("static"))?;
        let fingerprint = crate::incremental::hash_of(&sources);
        Ok(Theme {
            fingerprint,
            tera,
            rel_dir,
            static_files,
            i18n,
        })
    }

    /// Render a template.
    pub fn render(&self, template: &str, ctx: &PageContext) -> Result<String> {
        self.tera
            .render(template, &ctx.ctx)
            .map_err(|e| template_diagnostic(&self.rel_dir, &e).into())
    }

    /// Whether the theme has a template.
    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|n| n == name)
    }
}

fn template_diagnostic(rel_dir: &Path, e: &tera::Error) -> Diagnostic {
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            let span = r.span();
            let file = if r.filename().is_empty() {
                rel_dir.to_path_buf()
            } else {
                rel_dir.join("templates").join(r.filename())
            };
            Diagnostic::at(
                file,
                span.start_line,
                span.start_col + 1,
                r.message().to_string(),
            )
            .hint("fix the template; see the tera 2 documentation for the syntax")
        }
        _ => template_diagnostics(rel_dir, e, &[]).swap_remove(0),
    }
}

/// Every problem in a tera error. Checks done when templates are added (unknown templates in
/// `include`, unknown filters, tests and functions) come as one message holding one report per
/// problem (`error: …` then ` --> name:line:col`); each becomes a positioned diagnostic.
/// Inheritance errors are placed at the `extends`/`include` in `sources` (name, text).
fn template_diagnostics(
    rel_dir: &Path,
    e: &tera::Error,
    sources: &[(String, String)],
) -> Vec<Diagnostic> {
    let at_text = |tpl: &str, needle: &str, message: String| {
        let text = sources
            .iter()
            .find(|(n, _)| n == tpl)
            .map(|(_, t)| t.as_str());
        let (line, col) = text
            .and_then(|t| t.find(needle).map(|i| crate::error::line_col(t, i)))
            .unwrap_or((1, 1));
        Diagnostic::at(rel_dir.join("templates").join(tpl), line, col, message)
            .hint("extend and include only templates of this theme, by their name under templates/")
    };
    match e.kind() {
        tera::ErrorKind::SyntaxError(_) | tera::ErrorKind::RenderingError(_) => {
            return vec![template_diagnostic(rel_dir, e)];
        }
        tera::ErrorKind::MissingParent { current, parent } => {
            return vec![at_text(
                current,
                parent,
                format!("`{current}` extends `{parent}`, which is not a template of this theme"),
            )];
        }
        tera::ErrorKind::CircularExtend { tpl, .. } => {
            return vec![at_text(tpl, "extends", e.to_string())];
        }
        tera::ErrorKind::CircularInclude { tpl, .. } => {
            return vec![at_text(tpl, "include", e.to_string())];
        }
        _ => {}
    }
    let text = e.to_string();
    let mut out = Vec::new();
    let mut message: Option<&str> = None;
    for line in text.lines() {
        if let Some(m) = line.strip_prefix("error: ") {
            message = Some(m.trim());
        } else if let (Some(m), Some(loc)) = (message, line.trim_start().strip_prefix("--> ")) {
            let mut parts = loc.rsplitn(3, ':');
            let col = parts.next().and_then(|c| c.trim().parse::<usize>().ok());
            let line_no = parts.next().and_then(|l| l.trim().parse::<usize>().ok());
            if let (Some(col), Some(line_no), Some(name)) = (col, line_no, parts.next()) {
                let hint = if m.starts_with("Unknown template") {
                    "include, extend and import only templates of this theme, by their name under templates/ (files outside the theme cannot be read)"
                } else {
                    "fix the template; see the tera 2 documentation for the syntax"
                };
                out.push(
                    Diagnostic::at(rel_dir.join("templates").join(name), line_no, col, m)
                        .hint(hint),
                );
                message = None;
            }
        }
    }
    if out.is_empty() {
        out.push(
            Diagnostic::file(rel_dir, format!("template error: {}", text.trim()))
                .hint("check the theme's templates"),
        );
    }
    out
}

/// Every regular file under `dir` (not following symbolic links), as (relative path, bytes),
/// sorted by path.
fn read_tree(dir: &Path, rel: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut diags = Diagnostics::default();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::file(rel, format!("cannot read the theme: {e}")));
                continue;
            }
        };
        if entry.path_is_symlink() {
            let r = rel.join(entry.path().strip_prefix(dir).unwrap_or(entry.path()));
            diags.push(
                Diagnostic::file(r, "symbolic links are not followed in themes")
                    .hint("replace the link with the file itself"),
            );
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(sub) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name = sub.to_string_lossy().replace('\\', "/");
        match std::fs::read(entry.path()) {
            Ok(bytes) => out.push((name, bytes)),
            Err(e) => diags.push(Diagnostic::file(rel.join(sub), format!("cannot read: {e}"))),
        }
    }
    diags.finish()?;
    Ok(out)
}

/// Serialise JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are
/// written as `\u003c` etc., so no content can close the script element.
pub fn json_for_script(v: &serde_json::Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "{}".into());
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_script() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script>"});
        let s = json_for_script(&v);
        assert!(!s.contains("</script>"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
