//! Markdown → HTML, with the knowledge base's extensions.
//!
//! pulldown-cmark parses CommonMark + GFM; this module adds, on the event stream:
//! - `{table}` / `{chart}` fenced blocks: extracted as [`DirectiveBlock`]s before rendering and
//!   replaced by the HTML the statistics stage produced for them;
//! - Pandoc-style citations (`[@key, p. 12]`, `@key`, `[-@key]`) and cross-references
//!   (`@tbl-…`, `@fig-…`), resolved through [`Resolver`];
//! - heading ids, anchor links and a table of contents;
//! - math (`$…$`, `$$…$$`) to MathML at build time (no JavaScript);
//! - safety: raw HTML in Markdown is shown as text, `javascript:` and other non-web link schemes
//!   are dropped, and site-absolute links (`/articles/x/`) get the site's base path.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::content::Document;
use crate::error::{line_col, Diagnostic, Diagnostics, Result};

/// Which directive a fenced block holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    /// ```` ```{table} ````
    Table,
    /// ```` ```{chart} ````
    Chart,
}

/// A `{table}` or `{chart}` block found in a document, not yet interpreted.
#[derive(Debug, Clone)]
pub struct DirectiveBlock {
    /// Table or chart.
    pub kind: DirectiveKind,
    /// The TOML inside the fence.
    pub source: String,
    /// The file the block is in.
    pub path: PathBuf,
    /// Number of file lines before the block's first TOML line (add to block-relative lines).
    pub line_offset: usize,
}

/// One heading in a page's table of contents.
#[derive(Debug, Clone, Hash, serde::Serialize)]
pub struct TocEntry {
    /// 2 or 3.
    pub level: u8,
    /// Anchor id.
    pub id: String,
    /// Plain-text title.
    pub title: String,
}

/// A citation item: `[see @key, p. 12]` → prefix "see", key, locator "p. 12".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiteItem {
    /// Cite key.
    pub key: String,
    /// Text before the key inside the brackets.
    pub prefix: String,
    /// Text after the key (page or section).
    pub locator: String,
    /// `-@key`: show the year only.
    pub suppress_author: bool,
}

/// A citation: one or several items, in brackets or in running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The cited works.
    pub items: Vec<CiteItem>,
    /// Written `@key` in running text (author as part of the sentence).
    pub in_text: bool,
}

/// What the renderer needs from the rest of the build.
pub trait Resolver {
    /// HTML that replaces the `index`-th directive block of the document.
    fn directive_html(&self, index: usize) -> Option<String>;
    /// Link text and URL for `@tbl-…` / `@fig-…`.
    fn cross_ref(&self, id: &str) -> Option<(String, String)>;
    /// Whether `key` is in the bibliography.
    fn has_key(&self, key: &str) -> bool;
    /// HTML of a citation; called only with known keys.
    fn cite(&self, citation: &Citation) -> String;
    /// Prefix for site-absolute links, e.g. `/repo/`.
    fn base_path(&self) -> &str;
}

/// The result of rendering one document.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// The body HTML.
    pub html: String,
    /// h2/h3 headings.
    pub toc: Vec<TocEntry>,
    /// Cite keys in order of first citation.
    pub cited: Vec<String>,
    /// The text without markup, for search and excerpts (cleaned by `search::clean` once the
    /// document is rendered with its citations).
    pub plain: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
}

fn directive_kind(info: &str) -> Option<DirectiveKind> {
    match info.trim() {
        "{table}" => Some(DirectiveKind::Table),
        "{chart}" => Some(DirectiveKind::Chart),
        _ => None,
    }
}

/// Find the `{table}` and `{chart}` blocks of a document, in order.
pub fn extract_directives(doc: &Document) -> Vec<DirectiveBlock> {
    let mut out = Vec::new();
    // A fence's info string is `{table}` or `{chart}` exactly, so a body without either has
    // no directive: most have none, and a substring search costs far less than parsing.
    if !doc.body.contains("{table}") && !doc.body.contains("{chart}") {
        return out;
    }
    let mut current: Option<(DirectiveKind, usize, String)> = None;
    for (ev, range) in Parser::new_ext(&doc.body, options()).into_offset_iter() {
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                if let Some(kind) = directive_kind(&info) {
                    // The TOML starts on the line after the opening fence.
                    let (line, _) = line_col(&doc.body, range.start);
                    current = Some((kind, line, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some((_, _, src)) = current.as_mut() {
                    src.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((kind, line, source)) = current.take() {
                    out.push(DirectiveBlock {
                        kind,
                        source,
                        path: doc.path.clone(),
                        line_offset: doc.body_offset + line,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Render a document's body. Every problem (unknown citation key or cross-reference, bad math)
/// is reported with its file position.
pub fn render(doc: &Document, resolver: &dyn Resolver) -> Result<Rendered> {
    let mut r = Renderer {
        doc,
        resolver,
        diags: Diagnostics::default(),
        out: Rendered::default(),
        ids: HashMap::new(),
        directive_index: 0,
    };
    let events = r.transform();
    pulldown_cmark::html::push_html(&mut r.out.html, events.into_iter());
    r.diags.finish()?;
    Ok(r.out)
}

struct Renderer<'a> {
    doc: &'a Document,
    resolver: &'a dyn Resolver,
    diags: Diagnostics,
    out: Rendered,
    ids: HashMap<String, usize>,
    directive_index: usize,
}

impl<'a> Renderer<'a> {
    fn diag(&mut self, offset: usize, message: String, hint: &str) {
        let (line, col) = line_col(&self.doc.body, offset);
        self.diags.push(
            Diagnostic::at(&self.doc.path, line + self.doc.body_offset, col, message).hint(hint),
        );
    }

    fn transform(&mut self) -> Vec<Event<'a>> {
        let body: &'a str = &self.doc.body;
        let source: Vec<(Event<'a>, Range<usize>)> =
            merge_text(Parser::new_ext(body, options()).into_offset_iter());
        let mut out: Vec<Event<'a>> = Vec::with_capacity(source.len());
        let mut i = 0;
        while i < source.len() {
            let (ev, range) = source[i].clone();
            match ev {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info)))
                    if directive_kind(info).is_some() =>
                {
                    // Skip to the end of the block; emit the computed HTML.
                    while i < source.len() && !matches!(source[i].0, Event::End(TagEnd::CodeBlock))
                    {
                        i += 1;
                    }
                    let html = self.resolver.directive_html(self.directive_index);
                    self.directive_index += 1;
                    match html {
                        Some(h) => out.push(Event::Html(h.into())),
                        None => self.diag(
                            range.start,
                            "this directive could not be computed".into(),
                            "see the errors reported for it",
                        ),
                    }
                }
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => {
                    let start = i;
                    while i < source.len() && !matches!(source[i].0, Event::End(TagEnd::Heading(_)))
                    {
                        i += 1;
                    }
                    let inner: Vec<Event<'a>> = source[start + 1..i.min(source.len())]
                        .iter()
                        .map(|(e, r)| (e.clone(), r.clone()))
                        .flat_map(|(e, r)| self.inline(e, r))
                        .collect();
                    let title = plain_text(&inner);
                    let base = id.map(|s| s.to_string()).unwrap_or_else(|| slugify(&title));
                    let id = self.unique_id(base);
                    let _ = (classes, attrs);
                    let lvl = heading_level(level);
                    if (2..=3).contains(&lvl) {
                        self.out.toc.push(TocEntry {
                            level: lvl,
                            id: id.clone(),
                            title: title.clone(),
                        });
                    }
                    let mut inner_html = String::new();
                    pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
                    let mut h = String::new();
                    let _ = writeln!(
                        h,
                        "<h{lvl} id=\"{id}\">{inner_html} <a class=\"anchor\" href=\"#{id}\" aria-label=\"§ {t}\">#</a></h{lvl}>",
                        id = escape_attr(&id),
                        t = escape_attr(&title),
                    );
                    out.push(Event::Html(h.into()));
                    self.out.plain.push_str(&title);
                    self.out.plain.push('\n');
                }
                other => out.extend(self.inline(other, range)),
            }
            i += 1;
        }
        out
    }

    fn unique_id(&mut self, base: String) -> String {
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        let n = self.ids.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base
        } else {
            format!("{base}-{n}")
        }
    }

    /// Transform one non-block event.
    fn inline(&mut self, ev: Event<'a>, range: Range<usize>) -> Vec<Event<'a>> {
        match ev {
            Event::Text(t) => {
                self.out.plain.push_str(&t);
                self.out.plain.push(' ');
                self.text_with_citations(&t, range.start)
            }
            Event::Code(c) => {
                self.out.plain.push_str(&c);
                vec![Event::Code(c)]
            }
            // Raw HTML from content is never passed through: it is shown as text.
            Event::Html(h) | Event::InlineHtml(h) => vec![Event::Text(h)],
            Event::InlineMath(m) => vec![self.math(&m, false, range.start)],
            Event::DisplayMath(m) => vec![self.math(&m, true, range.start)],
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = self.safe_url(dest_url, range.start);
                vec![Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                })]
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = self.safe_url(dest_url, range.start);
                vec![Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                })]
            }
            Event::SoftBreak | Event::HardBreak => {
                self.out.plain.push(' ');
                vec![ev]
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Item) => {
                self.out.plain.push('\n');
                vec![ev]
            }
            other => vec![other],
        }
    }

    fn safe_url(&mut self, url: CowStr<'a>, offset: usize) -> CowStr<'a> {
        let lower = url.trim().to_ascii_lowercase();
        if let Some(rest) = url.strip_prefix('/') {
            if !rest.starts_with('/') {
                return format!("{}{}", self.resolver.base_path(), rest).into();
            }
        }
        let has_scheme = lower.split_once(':').is_some_and(|(s, _)| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        });
        if has_scheme
            && !["http:", "https:", "mailto:"]
                .iter()
                .any(|p| lower.starts_with(p))
        {
            self.diag(
                offset,
                format!("link `{url}` uses a scheme that is not allowed"),
                "links may be http(s), mailto, site-absolute (/…) or relative",
            );
            return "#".into();
        }
        url
    }

    fn math(&mut self, tex: &str, display: bool, offset: usize) -> Event<'a> {
        let storage = pulldown_latex::Storage::new();
        let parser = pulldown_latex::Parser::new(tex, &storage);
        let events: Vec<_> = parser.collect();
        if let Some(Err(e)) = events.iter().find(|e| e.is_err()) {
            self.diag(offset, format!("invalid math `{tex}`: {e}"), "check the LaTeX syntax; see https://pulldown-latex.readthedocs.io for what is supported");
            return Event::Text(tex.to_string().into());
        }
        let mut mathml = String::new();
        // pulldown-latex writes the annotation and the characters of operators and function
        // names without escaping them (`$a <img src=x onerror=…> b$` would become markup), so
        // the annotation is escaped here and the events' text is neutralised before writing.
        let annotation = escape_text(tex);
        let config = pulldown_latex::RenderConfig {
            display_mode: if display {
                pulldown_latex::config::DisplayMode::Block
            } else {
                pulldown_latex::config::DisplayMode::Inline
            },
            annotation: Some(&annotation),
            ..Default::default()
        };
        let owned: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Ok(pulldown_latex::Event::Content(
                    pulldown_latex::event::Content::Function(s)
                    | pulldown_latex::event::Content::Number(s),
                )) => Some(mask_markup_str(s)),
                _ => None,
            })
            .collect();
        let mut owned_iter = owned.iter();
        let safe_events = events.into_iter().map(|e| {
            use pulldown_latex::event::Content as C;
            match e {
                Ok(pulldown_latex::Event::Content(c)) => {
                    Ok(pulldown_latex::Event::Content(match c {
                        C::Function(_) => C::Function(owned_iter.next().map_or("", String::as_str)),
                        C::Number(_) => C::Number(owned_iter.next().map_or("", String::as_str)),
                        C::Ordinary { content, stretchy } => C::Ordinary {
                            content: mask_markup_char(content),
                            stretchy,
                        },
                        C::LargeOp { content, small } => C::LargeOp {
                            content: mask_markup_char(content),
                            small,
                        },
                        C::BinaryOp { content, small } => C::BinaryOp {
                            content: mask_markup_char(content),
                            small,
                        },
                        C::Delimiter { content, size, ty } => C::Delimiter {
                            content: mask_markup_char(content),
                            size,
                            ty,
                        },
                        C::Punctuation(p) => C::Punctuation(mask_markup_char(p)),
                        other => other,
                    }))
                }
                other => other,
            }
        });
        let _ = pulldown_latex::push_mathml(&mut mathml, safe_events, config);
        self.out.plain.push_str(tex);
        Event::InlineHtml(escape_mathml_text(&mathml).into())
    }

    /// Split a text run into plain text, citations and cross-references.
    fn text_with_citations(&mut self, text: &str, offset: usize) -> Vec<Event<'a>> {
        let mut out = Vec::new();
        let mut plain_start = 0;
        let mut i = 0;
        let bytes = text.as_bytes();
        while i < bytes.len() {
            let found = match bytes[i] {
                b'[' => parse_bracket_citation(&text[i..]).map(|(len, c)| (len, Some(c), None)),
                b'@' if i == 0 || !is_key_char(text[..i].chars().next_back().unwrap_or(' ')) => {
                    parse_key(&text[i + 1..]).map(|key| {
                        let len = 1 + key.len();
                        if key.starts_with("tbl-") || key.starts_with("fig-") {
                            (len, None, Some(key.to_string()))
                        } else {
                            (
                                len,
                                Some(Citation {
                                    items: vec![CiteItem {
                                        key: key.to_string(),
                                        prefix: String::new(),
                                        locator: String::new(),
                                        suppress_author: false,
                                    }],
                                    in_text: true,
                                }),
                                None,
                            )
                        }
                    })
                }
                _ => None,
            };
            let Some((len, citation, xref)) = found else {
                i += 1;
                continue;
            };
            if plain_start < i {
                out.push(Event::Text(text[plain_start..i].to_string().into()));
            }
            let html = match (citation, xref) {
                (_, Some(id)) => self.xref_html(&id, offset + i),
                (Some(c), None) => self.citation_html(c, offset + i),
                (None, None) => String::new(),
            };
            out.push(Event::InlineHtml(html.into()));
            i += len;
            plain_start = i;
        }
        if plain_start < text.len() {
            out.push(Event::Text(text[plain_start..].to_string().into()));
        }
        out
    }

    fn xref_html(&mut self, id: &str, offset: usize) -> String {
        match self.resolver.cross_ref(id) {
            Some((label, url)) => format!(
                "<a class=\"xref\" href=\"{}\">{}</a>",
                escape_attr(&url),
                escape_text(&label)
            ),
            None => {
                self.diag(
                    offset,
                    format!("unknown table or figure `@{id}`"),
                    "define it in a {table} or {chart} block with this id, or fix the spelling",
                );
                format!("@{}", escape_text(id))
            }
        }
    }

    fn citation_html(&mut self, c: Citation, offset: usize) -> String {
        let mut ok = true;
        for item in &c.items {
            if item.key.starts_with("tbl-") || item.key.starts_with("fig-") {
                continue;
            }
            if !self.resolver.has_key(&item.key) {
                ok = false;
                self.diag(
                    offset,
                    format!("unknown citation key `@{}`", item.key),
                    "add the entry to data/references.bib or fix the key",
                );
            } else if !self.out.cited.contains(&item.key) {
                self.out.cited.push(item.key.clone());
            }
        }
        if !ok {
            return String::new();
        }
        self.resolver.cite(&c)
    }
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Merge adjacent text events (pulldown-cmark splits `[`, `@key` and `]` into separate events).
fn merge_text<'a>(
    it: impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    let mut out: Vec<(Event<'a>, Range<usize>)> = Vec::new();
    for (ev, range) in it {
        if let (Event::Text(t), Some((Event::Text(prev), prev_range))) = (&ev, out.last_mut()) {
            let mut s = prev.to_string();
            s.push_str(t);
            *prev = s.into();
            prev_range.end = range.end;
            continue;
        }
        out.push((ev, range));
    }
    out
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A cite key or cross-reference id at the start of `s` (after the `@`). Internal punctuation
/// (`-`, `:`, `.`, `_`) is allowed when followed by a key character, so a sentence's full stop
/// is not taken into the key.
fn parse_key(s: &str) -> Option<&str> {
    let mut end = 0;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for (k, &(idx, c)) in chars.iter().enumerate() {
        let ok = if is_key_char(c) {
            true
        } else if matches!(c, '-' | ':' | '.' | '/') {
            chars.get(k + 1).is_some_and(|&(_, n)| is_key_char(n)) && end > 0
        } else {
            false
        };
        if !ok {
            break;
        }
        end = idx + c.len_utf8();
    }
    let key = &s[..end];
    (key.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some(key)
}

/// `[see @a, p. 3; -@b]` at the start of `s` → (length in bytes, citation).
fn parse_bracket_citation(s: &str) -> Option<(usize, Citation)> {
    let close = s.find(']')?;
    let inner = &s[1..close];
    if !inner.contains('@') || inner.contains('[') {
        return None;
    }
    let mut items = Vec::new();
    for part in inner.split(';') {
        let at = part.find('@')?;
        let (before, after) = part.split_at(at);
        let mut prefix = before.trim().to_string();
        let suppress_author = prefix.ends_with('-');
        if suppress_author {
            prefix.pop();
            prefix = prefix.trim_end().to_string();
        }
        let key = parse_key(&after[1..])?;
        let rest = after[1 + key.len()..].trim();
        let locator = rest.strip_prefix(',').unwrap_or(rest).trim().to_string();
        items.push(CiteItem {
            key: key.to_string(),
            prefix,
            locator,
            suppress_author,
        });
    }
    Some((
        close + 1,
        Citation {
            items,
            in_text: false,
        },
    ))
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut s = String::new();
    for e in events {
        match e {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::InlineHtml(h) => s.push_str(&strip_tags(h)),
            _ => {}
        }
    }
    s.trim().to_string()
}

/// Remove tags from a small HTML fragment (for titles and plain text).
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// A URL fragment from heading text: lowercase, letters of any script kept, spaces to hyphens.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Escape text for HTML element content.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escape text for a double- or single-quoted HTML attribute.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Private-use stand-ins for `<`, `>` and `&` in MathML text, turned into entities after writing.
const MASK_LT: char = '\u{E010}';
const MASK_GT: char = '\u{E011}';
const MASK_AMP: char = '\u{E012}';

fn mask_markup_char(c: char) -> char {
    match c {
        '<' => MASK_LT,
        '>' => MASK_GT,
        '&' => MASK_AMP,
        other => other,
    }
}

fn mask_markup_str(s: &str) -> String {
    s.chars().map(mask_markup_char).collect()
}

/// Escape the text of pulldown-latex's MathML. Its markup is tags (`<` + letter or `/`); every
/// other `<`, `>` or `&` (relation operators such as `<`, which cannot be masked, and the masks)
/// is text and becomes an entity; entities it wrote (`&lt;`, `&nbsp;`) stay.
fn escape_mathml_text(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    let mut in_tag = false;
    for (i, c) in m.char_indices() {
        match c {
            '<' if !in_tag => {
                let next = m[i + 1..].chars().next();
                if next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/') {
                    in_tag = true;
                    out.push('<');
                } else {
                    out.push_str("&lt;");
                }
            }
            '>' if in_tag => {
                in_tag = false;
                out.push('>');
            }
            '>' => out.push_str("&gt;"),
            '&' if !in_tag => {
                let rest = &m[i + 1..];
                let entity = rest.find(';').is_some_and(|e| {
                    e > 0
                        && e <= 10
                        && rest[..e]
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '#')
                });
                out.push_str(if entity { "&" } else { "&amp;" });
            }
            MASK_LT => out.push_str("&lt;"),
            MASK_GT => out.push_str("&gt;"),
            MASK_AMP => out.push_str("&amp;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    struct R;
    impl Resolver for R {
        fn directive_html(&self, index: usize) -> Option<String> {
            Some(format!("<table data-i=\"{index}\"></table>"))
        }
        fn cross_ref(&self, id: &str) -> Option<(String, String)> {
            (id == "tbl-a").then(|| ("Table 1".into(), "#tbl-a".into()))
        }
        fn has_key(&self, key: &str) -> bool {
            key == "smith2020" || key == "ivanov2021"
        }
        fn cite(&self, c: &Citation) -> String {
            let keys: Vec<String> = c
                .items
                .iter()
                .map(|i| format!("{}|{}|{}", i.key, i.locator, i.suppress_author))
                .collect();
            format!(
                "<cite>{}{}</cite>",
                if c.in_text { "T:" } else { "" },
                keys.join(";")
            )
        }
        fn base_path(&self) -> &str {
            "/repo/"
        }
    }

    fn doc(body: &str) -> Document {
        Document {
            path: "content/x.md".into(),
            lang: Lang::En,
            body: body.into(),
            body_offset: 5,
            version: String::new(),
        }
    }

    fn html(body: &str) -> String {
        render(&doc(body), &R).unwrap().html
    }

    #[test]
    fn citations_in_brackets_and_text() {
        assert!(
            html("As shown [@smith2020, p. 12].").contains("<cite>smith2020|p. 12|false</cite>")
        );
        assert!(html("See [@smith2020; -@ivanov2021].")
            .contains("<cite>smith2020||false;ivanov2021||true</cite>"));
        let h = html("@smith2020 argues. Mail me at a@b.org.");
        assert!(h.contains("<cite>T:smith2020||false</cite> argues"), "{h}");
        assert!(h.contains("a@b.org"));
        assert!(html("[sic] and [a] stay").contains("[sic] and [a] stay"));
    }

    #[test]
    fn unknown_key_is_an_error_at_its_line() {
        let e = render(&doc("line one\n\nText [@nobody2020] here."), &R).unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!((d.line, d.col), (8, 6), "{d}");
        assert!(d.message.contains("nobody2020"));
    }

    #[test]
    fn cross_refs() {
        assert!(html("See @tbl-a.").contains("<a class=\"xref\" href=\"#tbl-a\">Table 1</a>."));
        assert!(render(&doc("See @tbl-missing."), &R).is_err());
    }

    #[test]
    fn directives_are_extracted_and_replaced() {
        let d = doc("Intro\n\n```{table}\nid = \"tbl-a\"\n```\n\n```rust\nfn x() {}\n```\n");
        let blocks = extract_directives(&d);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].source, "id = \"tbl-a\"\n");
        assert_eq!(blocks[0].line_offset, 5 + 3);
        let h = render(&d, &R).unwrap().html;
        assert!(h.contains("<table data-i=\"0\"></table>"));
        assert!(h.contains("<code class=\"language-rust\">"));
    }

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let r = render(&doc("## Results\n\n## Results\n\n### Данные и метод\n"), &R).unwrap();
        let ids: Vec<&str> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["results", "results-2", "данные-и-метод"]);
        assert!(r
            .html
            .contains("<h2 id=\"results\">Results <a class=\"anchor\""));
    }

    #[test]
    fn raw_html_and_bad_schemes_are_neutralised() {
        let h = html("<script>alert(1)</script>\n\nx <b onclick=\"y\">z</b>");
        assert!(!h.contains("<script>"), "{h}");
        assert!(!h.contains("<b onclick"), "{h}");
        assert!(render(&doc("[x](javascript:alert(1))"), &R).is_err());
        assert!(html("[a](/articles/x/)").contains("href=\"/repo/articles/x/\""));
        assert!(html("[a](https://doi.org/10.1/x)").contains("href=\"https://doi.org/10.1/x\""));
    }

    #[test]
    fn math_becomes_mathml() {
        let h = html("Energy $E = mc^2$ and\n\n$$\\frac{a}{b}$$\n");
        assert!(h.contains("<math"), "{h}");
        assert!(h.contains("<mfrac"), "{h}");
    }

    #[test]
    fn math_cannot_inject_markup() {
        // Found by the front_matter_markdown fuzz target: pulldown-latex wrote `<` of
        // relations and the TeX annotation unescaped.
        for tex in [
            "$a <embed src=x> b$",
            "$x < y$",
            "$$a<img src=x onerror=alert(1)>$$",
            "$\\operatorname{<b>x</b>}(y)$",
            "$\\text{a<b}$",
            "$a > b \\& c$",
            "$\u{E010}img$",
        ] {
            let h = html(&format!("{tex}\n"));
            assert!(h.contains("<math"), "{tex}: {h}");
            for bad in ["<embed", "<img", "<b>", "<b ", "<\u{338}"] {
                assert!(!h.contains(bad), "{tex} let markup through: {h}");
            }
            let inner = &h[h.find("<math").unwrap()..h.rfind("</math>").unwrap()];
            for part in inner.split('<').skip(1) {
                let name: String = part
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                assert!(
                    name.starts_with('m')
                        || ["semantics", "annotation", "none"].contains(&name.as_str()),
                    "{tex}: unexpected tag <{name}> in {h}"
                );
            }
        }
        let h = html("$x < y$\n");
        assert!(h.contains("<mo>&lt;</mo>"), "{h}");
        assert!(
            h.contains("<annotation encoding=\"application/x-tex\">x &lt; y</annotation>"),
            "{h}"
        );
    }

    #[test]
    fn gfm_features() {
        let h = html("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ \"q\"\n\n- [x] done\n\nNote[^1].\n\n[^1]: A footnote.\n");
        assert!(h.contains("<table>"));
        assert!(h.contains("<del>x</del>"));
        assert!(h.contains("“q”"));
        assert!(h.contains("checkbox"));
        assert!(h.contains("footnote"));
    }

    #[test]
    fn slugify_keeps_cyrillic() {
        assert_eq!(slugify("Әдіс және деректер!"), "әдіс-және-деректер");
    }
}
