//! The content model: article summaries and free pages read from `content/`.
//!
//! An article is a directory `content/articles/<slug>/` with `index.md` (English, holding every
//! bibliographic field) and optional `index.ru.md` / `index.kk.md` translations that inherit those
//! fields. Free pages are `content/pages/<name>.md` with the same language suffixes. Front matter
//! is TOML between `+++` lines; unknown keys and missing fields are errors at `file:line:col`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{toml_diagnostic, SiteConfig};
use crate::error::{Diagnostic, Diagnostics, Result};
use crate::i18n::{Date, Lang};

/// A Markdown file split into front matter and body.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the project root, for messages.
    pub path: PathBuf,
    /// Language of this file.
    pub lang: Lang,
    /// The Markdown body (after the closing `+++`), with `\n` line ends.
    pub body: String,
    /// Number of file lines before the body's first line.
    pub body_offset: usize,
    /// The first 12 hex digits of the SHA-256 of the file's text: the version a citation of
    /// the summary names (computed here so that pages need not read the file again).
    pub version: String,
}

/// A document hashes as its path, language, body offset and `version` (the SHA-256 of the
/// file's text, which determines the body) rather than its body: serve keys pages and rendered
/// documents by these hashes, and hashing 10,000 bodies on every rebuild cost 30 ms.
impl std::hash::Hash for Document {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.path, self.lang, self.body_offset, &self.version).hash(state);
    }
}

/// One author of a source article.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Hash)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// "Surname, Given names" in the knowledge base's romanisation.
    pub name: String,
    /// The name as printed, when it differs (e.g. Cyrillic).
    #[serde(default)]
    pub original: String,
    /// Affiliation as printed (English form).
    #[serde(default)]
    pub affiliation: String,
    /// ORCID iD.
    #[serde(default)]
    pub orcid: String,
}

/// Front matter of an English summary (`index.md`).
#[derive(Debug, Clone, Deserialize, Serialize, Hash)]
#[serde(deny_unknown_fields)]
pub struct ArticleMeta {
    /// English title.
    pub title: String,
    /// Title as printed in the source language.
    pub original_title: String,
    /// Language of the source article.
    pub source_lang: String,
    /// Every author in printed order.
    pub authors: Vec<Author>,
    /// Publication year.
    pub year: i32,
    /// Journal name.
    #[serde(default)]
    pub journal: Option<String>,
    /// Volume.
    #[serde(default)]
    pub volume: Option<String>,
    /// Issue number.
    #[serde(default)]
    pub issue: Option<String>,
    /// Page range.
    #[serde(default)]
    pub pages: Option<String>,
    /// Bare DOI.
    #[serde(default)]
    pub doi: Option<String>,
    /// Key in `data/references.bib`.
    pub cite_key: String,
    /// Keywords in English.
    pub keywords: Vec<String>,
    /// Topic slugs.
    pub topics: Vec<String>,
    /// Method slugs.
    pub methods: Vec<String>,
    /// Dataset ids used by the summary.
    #[serde(default)]
    pub datasets: Vec<String>,
    /// Short description.
    pub description: String,
    /// Date the summary was written.
    #[serde(default)]
    pub date: Option<String>,
    /// Shown on the home page.
    #[serde(default)]
    pub featured: bool,
    /// Not built.
    #[serde(default)]
    pub draft: bool,
}

/// Front matter of a translated summary.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TranslationMeta {
    /// Title in the page language.
    pub title: String,
    /// Description in the page language.
    pub description: String,
    /// Keywords in the page language.
    pub keywords: Vec<String>,
    /// Not built.
    #[serde(default)]
    pub draft: bool,
}

/// Front matter of a free page.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Menu order (lower first).
    #[serde(default)]
    pub weight: i32,
    /// Show in the header navigation.
    #[serde(default)]
    pub menu: bool,
    /// This page is the comparison page of a topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// Not built.
    #[serde(default)]
    pub draft: bool,
}

/// One language version of an article.
#[derive(Debug, Clone, Hash)]
pub struct ArticleVersion {
    /// Title in this language.
    pub title: String,
    /// Description in this language.
    pub description: String,
    /// Keywords in this language.
    pub keywords: Vec<String>,
    /// The source file.
    pub doc: Document,
}

/// An article summary with all its language versions.
#[derive(Debug, Clone, Hash)]
pub struct Article {
    /// Directory name; the URL segment.
    pub slug: String,
    /// Bibliographic metadata from `index.md`.
    pub meta: ArticleMeta,
    /// Language versions; English is always present.
    pub versions: BTreeMap<Lang, ArticleVersion>,
    /// Files beside the Markdown (images), copied to the article's output directory.
    pub assets: Vec<PathBuf>,
}

/// A free page with its language versions.
#[derive(Debug, Clone)]
pub struct Page {
    /// File stem; the URL segment.
    pub name: String,
    /// Language versions with their own front matter.
    pub versions: BTreeMap<Lang, (PageMeta, Document)>,
}

/// Everything under `content/`.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Articles sorted by slug.
    pub articles: Vec<std::sync::Arc<Article>>,
    /// Pages sorted by name.
    pub pages: Vec<Page>,
}

/// Top-level output paths that bilim generates itself; a free page with one of these names would
/// silently replace (or be replaced by) a generated page, so it is an error.
pub const RESERVED_PAGE_NAMES: &[&str] = &[
    "articles",
    "authors",
    "bibliography",
    "checks",
    "cite",
    "datasets",
    "en",
    "issues",
    "keywords",
    "kk",
    "languages",
    "methods",
    "ru",
    "search",
    "static",
    "tables",
    "topics",
    "years",
    "404",
];

/// Whether `s` is a valid slug: lowercase ASCII letters, digits and single hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `s` looks like a DOI (`10.NNNN/suffix`).
pub fn is_doi(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("10.") else {
        return false;
    };
    let Some((registrant, suffix)) = rest.split_once('/') else {
        return false;
    };
    (4..=9).contains(&registrant.len())
        && registrant.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !suffix.is_empty()
        && !suffix.chars().any(char::is_whitespace)
}

/// Split a file into front-matter text and body. Returns (front matter, body, lines before body).
pub fn split_front_matter<'a>(text: &'a str, rel: &Path) -> Result<(&'a str, &'a str, usize)> {
    if text.trim().is_empty() {
        return Err(Diagnostic::at(rel, 1, 1, "the file is empty")
            .hint("start the file with TOML front matter between two lines of `+++`, or delete it")
            .into());
    }
    let Some(after_open) = text.strip_prefix("+++\n") else {
        return Err(
            Diagnostic::at(rel, 1, 1, "the file does not start with front matter")
                .hint(
                    "put TOML front matter between two lines of `+++` at the very top of the file",
                )
                .into(),
        );
    };
    let close = if after_open.starts_with("+++\n") || after_open == "+++" {
        Some(0)
    } else {
        after_open
            .find("\n+++\n")
            .map(|i| i + 1)
            .or_else(|| after_open.strip_suffix("\n+++").map(|s| s.len() + 1))
    };
    let Some(close) = close else {
        return Err(Diagnostic::at(rel, 1, 1, "the front matter is not closed")
            .hint("add a line `+++` after the last front-matter key")
            .into());
    };
    let fm = &after_open[..close];
    let body_start = (close + 4).min(after_open.len());
    let body = &after_open[body_start..];
    let lines_before_body = 2 + fm.matches('\n').count();
    Ok((fm, body, lines_before_body))
}

/// Read a text file as UTF-8, normalising a BOM and CRLF line ends. When `abs` is
/// `<root>/<rel>`, a file that resolves (through symbolic links) outside `<root>` is refused.
pub fn read_text(abs: &Path, rel: &Path) -> Result<String> {
    if let Some(root) = crate::fsguard::root_of(abs, rel) {
        crate::fsguard::check_inside(&root, rel)?;
    }
    let bytes = std::fs::read(abs)
        .map_err(|e| Diagnostic::file(rel, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, col) = {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or("");
            crate::error::line_col(valid, valid.len())
        };
        Diagnostic::at(rel, line, col, "the file is not valid UTF-8")
            .hint("save the file as UTF-8 (most editors: File → Save with encoding → UTF-8)")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    })
}

/// Parse front matter into `T`, with errors positioned in the file.
fn parse_front_matter<T: for<'de> Deserialize<'de>>(fm: &str, rel: &Path) -> Result<T> {
    toml::from_str(fm).map_err(|e| toml_diagnostic(rel, fm, &e).shifted(1).into())
}

/// Find the 1-based (line, col) of `needle` in the front matter, shifted to file lines. A key
/// (`needle = …` at the start of a line) is preferred to the same text inside a value.
fn locate(fm: &str, needle: &str) -> (usize, usize) {
    let as_key = fm.match_indices(needle).find(|&(i, _)| {
        let line_start = fm[..i].rfind('\n').map_or(0, |j| j + 1);
        fm[line_start..i].trim().is_empty() && fm[i + needle.len()..].trim_start().starts_with('=')
    });
    as_key
        .map(|(i, _)| i)
        .or_else(|| fm.find(needle))
        .map_or((1, 1), |i| {
            let (l, c) = crate::error::line_col(fm, i);
            (l + 1, c)
        })
}

/// What a walk of `content/` finds, in the order of a depth-first walk by file name.
enum Walked {
    File(PathBuf),
    /// Reported, not followed.
    Symlink(PathBuf),
    /// A directory that could not be listed, with the error.
    Unreadable(PathBuf, String),
}

/// The kind of one directory entry (as the directory reports it; links are not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory (walked into).
    Dir,
    /// A symbolic link (reported, not followed).
    Symlink,
    /// Anything else (a socket, a device): skipped.
    Other,
}

/// A directory's entries sorted by name.
pub type DirListing = Vec<(std::ffi::OsString, EntryKind)>;

/// Walk `dir`, appending what it holds to `out`. Serve keeps each directory's listing while the
/// directory's stamp stays ([`crate::incremental::Memo::dir_listing`]): only adding, removing
/// or renaming an entry changes a listing, and that changes the directory's modification time.
/// Stat-ing 10,000 article directories costs less than reading them, and while serve watches
/// them every read of a directory is also an inotify event for its watcher.
fn walk(dir: &Path, memo: Option<&crate::incremental::Memo>, out: &mut Vec<Walked>) {
    let listing = match memo {
        Some(m) => m.dir_listing(dir, || list_dir(dir)),
        None => list_dir(dir).map(std::sync::Arc::new),
    };
    let entries = match listing {
        Ok(entries) => entries,
        Err(e) => return out.push(Walked::Unreadable(dir.to_path_buf(), e.to_string())),
    };
    for (name, kind) in entries.iter() {
        let path = dir.join(name);
        match kind {
            EntryKind::Dir => walk(&path, memo, out),
            EntryKind::File => out.push(Walked::File(path)),
            EntryKind::Symlink => out.push(Walked::Symlink(path)),
            EntryKind::Other => {}
        }
    }
}

fn list_dir(dir: &Path) -> std::io::Result<DirListing> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        let kind = if t.is_symlink() {
            EntryKind::Symlink
        } else if t.is_dir() {
            EntryKind::Dir
        } else if t.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        entries.push((e.file_name(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

impl Content {
    /// Walk `content/` and parse every file, reporting all problems at once. With a memo
    /// (serve), an article whose files did not change since it was last parsed is taken from
    /// it (see [`crate::incremental::file_stamp`]).
    pub fn load(
        root: &Path,
        cfg: &SiteConfig,
        memo: Option<&crate::incremental::Memo>,
    ) -> Result<Content> {
        let dir = root.join("content");
        let mut diags = Diagnostics::default();
        let mut article_files: BTreeMap<String, Vec<(Lang, PathBuf)>> = BTreeMap::new();
        let mut article_assets: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        let mut page_files: BTreeMap<String, Vec<(Lang, PathBuf)>> = BTreeMap::new();
        if !dir.is_dir() {
            return Ok(Content::default());
        }
        let mut walked = Vec::new();
        walk(&dir, memo, &mut walked);
        for entry in walked {
            let abs = match &entry {
                Walked::File(path) => path.as_path(),
                Walked::Unreadable(path, e) => {
                    diags.push(Diagnostic::file(
                        rel_to(root, path),
                        format!("cannot read: {e}"),
                    ));
                    continue;
                }
                Walked::Symlink(path) => {
                    diags.push(
                        Diagnostic::file(
                            rel_to(root, path),
                            "symbolic links are not followed in content/",
                        )
                        .hint("replace the link with the file itself"),
                    );
                    continue;
                }
            };
            let rel = rel_to(root, abs);
            let parts: Vec<&str> = rel
                .components()
                .filter_map(|c| c.as_os_str().to_str())
                .collect();
            let name = parts.last().copied().unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            match parts.as_slice() {
                ["content", "articles", slug, file] => {
                    if let Some(lang) = md_lang(file, "index") {
                        article_files
                            .entry(slug.to_string())
                            .or_default()
                            .push((lang, abs.to_path_buf()));
                    } else if file.ends_with(".md") {
                        diags.push(
                            Diagnostic::file(
                                &rel,
                                "unexpected Markdown file in an article directory",
                            )
                            .hint("an article has index.md, index.ru.md and index.kk.md only"),
                        );
                    } else {
                        article_assets
                            .entry(slug.to_string())
                            .or_default()
                            .push(abs.to_path_buf());
                    }
                }
                ["content", "pages", file] if file.ends_with(".md") => {
                    let (stem, lang) = page_stem_lang(file);
                    match lang {
                        Some(lang) => page_files
                            .entry(stem)
                            .or_default()
                            .push((lang, abs.to_path_buf())),
                        None => diags.push(
                            Diagnostic::file(&rel, "unknown language suffix")
                                .hint("name translations <page>.ru.md or <page>.kk.md"),
                        ),
                    }
                }
                _ if name.ends_with(".md") => diags.push(
                    Diagnostic::file(
                        &rel,
                        "Markdown file outside content/articles/<slug>/ and content/pages/",
                    )
                    .hint("move it to content/articles/<slug>/index.md or content/pages/<name>.md"),
                ),
                _ => {}
            }
        }
        let mut content = Content::default();
        let jobs: Vec<_> = article_files
            .into_iter()
            .map(|(slug, files)| {
                let assets = article_assets.remove(&slug).unwrap_or_default();
                (slug, files, assets)
            })
            .collect();
        // What an article's parse reads besides its files (the vocabularies it is checked against).
        let cfg_hash = memo.map(|_| crate::incremental::hash_of(&format!("{cfg:?}")));
        // Read and parsed in parallel; collected in slug order, so diagnostics keep their order.
        let loaded: Vec<Result<std::sync::Arc<Article>>> = jobs
            .into_par_iter()
            .map(|(slug, files, assets)| {
                let key = memo
                    .zip(cfg_hash)
                    .and_then(|(m, c)| article_stamp(m, c, &files, &assets));
                let load = || load_article(root, cfg, &slug, files, assets);
                match (memo, key) {
                    (Some(m), Some(key)) => m.article(&slug, key, load),
                    _ => load().map(std::sync::Arc::new),
                }
            })
            .collect();
        for r in loaded {
            if let Some(a) = diags.collect(r)? {
                if !a.meta.draft {
                    content.articles.push(a);
                }
            }
        }
        for (name, files) in page_files {
            if let Some(p) = diags.collect(load_page(root, cfg, &name, files))? {
                content.pages.push(p);
            }
        }
        diags.finish()?;
        Ok(content)
    }
}

/// A hash identifying the versions of an article's files without reading them, or `None` if
/// one of them may still be changing (then the article is read again).
fn article_stamp(
    memo: &crate::incremental::Memo,
    cfg: u64,
    files: &[(Lang, PathBuf)],
    assets: &[PathBuf],
) -> Option<u64> {
    let stamps: Option<Vec<u64>> = files
        .iter()
        .map(|(_, path)| memo.file_stamp(path))
        .collect();
    Some(crate::incremental::hash_of(&(cfg, files, assets, stamps?)))
}

fn rel_to(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// `index.md` → En, `index.ru.md` → Ru; anything else → None.
fn md_lang(file: &str, stem: &str) -> Option<Lang> {
    let rest = file.strip_prefix(stem)?.strip_suffix(".md")?;
    match rest {
        "" => Some(Lang::En),
        _ => Lang::from_suffix(Some(rest.strip_prefix('.')?)),
    }
}

fn page_stem_lang(file: &str) -> (String, Option<Lang>) {
    let base = file.trim_end_matches(".md");
    match base.rsplit_once('.') {
        Some((stem, suffix)) => (stem.to_string(), Lang::from_suffix(Some(suffix))),
        None => (base.to_string(), Some(Lang::En)),
    }
}

/// The first 6 bytes of a SHA-256, in hex: the versions that citations name (a summary, a
/// table, the knowledge base).
pub fn short_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    short_hex(&Sha256::digest(bytes))
}

/// The first 6 bytes of a digest, in hex (see [`short_sha256`]).
pub fn short_hex(digest: &[u8]) -> String {
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn read_document(root: &Path, abs: &Path, lang: Lang) -> Result<(String, Document)> {
    let rel = rel_to(root, abs);
    let text = read_text(abs, &rel)?;
    let (fm, body, offset) = split_front_matter(&text, &rel)?;
    let doc = Document {
        path: rel,
        lang,
        body: body.to_string(),
        body_offset: offset,
        version: short_sha256(text.as_bytes()),
    };
    Ok((fm.to_string(), doc))
}

fn load_article(
    root: &Path,
    cfg: &SiteConfig,
    slug: &str,
    files: Vec<(Lang, PathBuf)>,
    assets: Vec<PathBuf>,
) -> Result<Article> {
    let dir_rel = PathBuf::from("content/articles").join(slug);
    if !is_slug(slug) {
        return Err(
            Diagnostic::file(&dir_rel, format!("`{slug}` is not a valid article slug"))
                .hint("rename the directory using lowercase letters, digits and hyphens")
                .into(),
        );
    }
    let Some((_, en_path)) = files.iter().find(|(l, _)| *l == Lang::En) else {
        return Err(
            Diagnostic::file(&dir_rel, "the article has translations but no index.md")
                .hint("add index.md with the English summary and all bibliographic fields")
                .into(),
        );
    };
    let (fm, doc) = read_document(root, en_path, Lang::En)?;
    let meta: ArticleMeta = parse_front_matter(&fm, &doc.path)?;
    validate_article(cfg, &meta, &fm, &doc.path)?;
    let mut versions = BTreeMap::new();
    versions.insert(
        Lang::En,
        ArticleVersion {
            title: meta.title.clone(),
            description: meta.description.clone(),
            keywords: meta.keywords.clone(),
            doc,
        },
    );
    let mut diags = Diagnostics::default();
    for (lang, path) in files.iter().filter(|(l, _)| *l != Lang::En) {
        let r = read_document(root, path, *lang).and_then(|(fm, doc)| {
            let t: TranslationMeta = parse_front_matter(&fm, &doc.path)?;
            require_nonempty(&fm, &doc.path, "title", &t.title)?;
            require_nonempty(&fm, &doc.path, "description", &t.description)?;
            Ok((t, doc))
        });
        if let Some((t, doc)) = diags.collect(r)? {
            if !t.draft {
                versions.insert(
                    *lang,
                    ArticleVersion {
                        title: t.title,
                        description: t.description,
                        keywords: t.keywords,
                        doc,
                    },
                );
            }
        }
    }
    diags.finish()?;
    Ok(Article {
        slug: slug.to_string(),
        meta,
        versions,
        assets,
    })
}

fn require_nonempty(fm: &str, rel: &Path, key: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        let (l, c) = locate(fm, key);
        return Err(Diagnostic::at(rel, l, c, format!("`{key}` is empty"))
            .hint(format!("write the {key}"))
            .into());
    }
    Ok(())
}

fn validate_article(cfg: &SiteConfig, m: &ArticleMeta, fm: &str, rel: &Path) -> Result<()> {
    let mut diags = Diagnostics::default();
    let mut err = |needle: &str, msg: String, hint: &str| {
        let (l, c) = locate(fm, needle);
        diags.push(Diagnostic::at(rel, l, c, msg).hint(hint));
    };
    for (key, v) in [
        ("title", &m.title),
        ("original_title", &m.original_title),
        ("description", &m.description),
        ("cite_key", &m.cite_key),
    ] {
        if v.trim().is_empty() {
            err(key, format!("`{key}` is empty"), "fill it in");
        }
    }
    if Lang::parse(&m.source_lang).is_none() {
        err(
            "source_lang",
            format!("source_lang `{}` is not en, ru or kk", m.source_lang),
            "use \"en\", \"ru\" or \"kk\"",
        );
    }
    if m.authors.is_empty() {
        err(
            "authors",
            "`authors` is empty".into(),
            "list every author as { name = \"Surname, Given\" }",
        );
    }
    for a in &m.authors {
        if a.name.trim().is_empty() {
            err(
                "authors",
                "an author has an empty name".into(),
                "write \"Surname, Given names\"",
            );
        }
    }
    if !(1800..=2100).contains(&m.year) {
        err(
            "year",
            format!("year {} is implausible", m.year),
            "write the four-digit publication year",
        );
    }
    if let Some(doi) = &m.doi {
        if !is_doi(doi) {
            err(
                "doi",
                format!("`{doi}` is not a DOI"),
                "write the bare DOI, e.g. 10.52536/2415-8216.2025.114.2.001 (no https://doi.org/)",
            );
        }
    }
    if let Some(d) = &m.date {
        if Date::parse(d).is_none() {
            err(
                "date",
                format!("date `{d}` is not YYYY-MM-DD"),
                "write e.g. date = \"2026-11-22\"",
            );
        }
    }
    for t in &m.topics {
        if !cfg.topics.contains_key(t) {
            let known: Vec<&str> = cfg.topics.keys().map(String::as_str).collect();
            err(
                &format!("\"{t}\""),
                format!("unknown topic `{t}`"),
                &format!("use one of: {}", known.join(", ")),
            );
        }
    }
    for t in &m.methods {
        if !cfg.methods.contains_key(t) {
            let known: Vec<&str> = cfg.methods.keys().map(String::as_str).collect();
            err(
                &format!("\"{t}\""),
                format!("unknown method `{t}`"),
                &format!("use one of: {}", known.join(", ")),
            );
        }
    }
    diags.finish()
}

fn load_page(
    root: &Path,
    cfg: &SiteConfig,
    name: &str,
    files: Vec<(Lang, PathBuf)>,
) -> Result<Page> {
    let mut versions = BTreeMap::new();
    let mut diags = Diagnostics::default();
    if !is_slug(name) {
        diags.push(
            Diagnostic::file(
                format!("content/pages/{name}.md"),
                format!("`{name}` is not a valid page name"),
            )
            .hint("use lowercase letters, digits and hyphens"),
        );
    } else if RESERVED_PAGE_NAMES.contains(&name) {
        diags.push(
            Diagnostic::file(
                format!("content/pages/{name}.md"),
                format!(
                    "the page name `{name}` is taken: the site's /{name}/ is generated by bilim"
                ),
            )
            .hint("rename the file (docs/authoring.md lists the reserved page names)"),
        );
    }
    for (lang, path) in files {
        let r = read_document(root, &path, lang).and_then(|(fm, doc)| {
            let m: PageMeta = parse_front_matter(&fm, &doc.path)?;
            require_nonempty(&fm, &doc.path, "title", &m.title)?;
            if let Some(t) = &m.topic {
                if !cfg.topics.contains_key(t) {
                    let (l, c) = locate(&fm, "topic");
                    return Err(
                        Diagnostic::at(&doc.path, l, c, format!("unknown topic `{t}`"))
                            .hint("use a topic slug from site.toml")
                            .into(),
                    );
                }
            }
            Ok((m, doc))
        });
        if let Some((m, doc)) = diags.collect(r)? {
            if !m.draft {
                versions.insert(lang, (m, doc));
            }
        }
    }
    diags.finish()?;
    Ok(Page {
        name: name.to_string(),
        versions,
    })
}

/// The text of a new article's `index.md`, with every front-matter field.
pub fn scaffold_article(slug: &str, today: &str) -> String {
    format!(
        r#"+++
title = "English title of the source article"
original_title = "Title as printed in the source language"
source_lang = "en"
authors = [
  {{ name = "Surname, Given", original = "", affiliation = "", orcid = "" }},
]
year = {year}
journal = "Journal name"
volume = ""
issue = ""
pages = ""
doi = "10.0000/replace-me"
cite_key = "{key}"
keywords = ["keyword"]
topics = []
methods = []
datasets = []
description = "One or two sentences on what the article asks and finds."
date = "{today}"
featured = false
draft = true
+++

## Research question

## Data and method

## Findings

## Reproduction

## Limitations

## Related articles
"#,
        year = &today[..4],
        key = slug.replace('-', "")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_dois() {
        assert!(is_slug("maslikhats-almaty"));
        assert!(!is_slug("Maslikhats"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("../x"));
        assert!(is_doi("10.52536/2415-8216.2025.114.2.001"));
        assert!(!is_doi("https://doi.org/10.1/x"));
        assert!(!is_doi("10.12/x"));
    }

    #[test]
    fn front_matter_split_counts_lines() {
        let (fm, body, off) =
            split_front_matter("+++\na = 1\nb = 2\n+++\nbody\n", Path::new("x")).unwrap();
        assert_eq!(fm, "a = 1\nb = 2\n");
        assert_eq!(body, "body\n");
        assert_eq!(off, 4);
        assert!(split_front_matter("no", Path::new("x")).is_err());
        let e = split_front_matter("+++\na = 1\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("not closed"));
    }

    #[test]
    fn unknown_front_matter_key_has_position() {
        let fm = "title = \"t\"\ndescription = \"d\"\nkeywords = []\ncolour = 1\n";
        let e = parse_front_matter::<TranslationMeta>(fm, Path::new("a.md")).unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!((d.line, d.col), (5, 1), "{d}");
    }

    #[test]
    fn language_suffixes() {
        assert_eq!(md_lang("index.md", "index"), Some(Lang::En));
        assert_eq!(md_lang("index.kk.md", "index"), Some(Lang::Kk));
        assert_eq!(md_lang("index.en.md", "index"), None);
        assert_eq!(md_lang("notes.md", "index"), None);
        assert_eq!(
            page_stem_lang("about.ru.md"),
            ("about".into(), Some(Lang::Ru))
        );
    }

    #[test]
    fn scaffold_parses() {
        let text = scaffold_article("new-study", "2026-11-22");
        let (fm, _, _) = split_front_matter(&text, Path::new("x")).unwrap();
        let m: ArticleMeta = parse_front_matter(fm, Path::new("x")).unwrap();
        assert_eq!(m.cite_key, "newstudy");
        assert!(m.draft);
    }
}
