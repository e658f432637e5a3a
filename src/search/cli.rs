//! `bilim search`: query the knowledge base from the terminal.
//!
//! The tantivy index is cached in `<root>/.bilim-cache/search/<hash>/`, where the hash covers
//! every input (site.toml, content/, data/, themes/) and the bilim version; a missing or stale
//! index is rebuilt from the sources, so the command works right after a checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::{self, Hit};
use super::index::Index;
use super::{lang_of, DocKind};
use crate::error::{Error, Result};
use crate::i18n::Lang;

/// Version of the index layout; part of the cache key.
pub const INDEX_VERSION: &str = "bilim-search-1";

/// Options of one search.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this language.
    pub lang: Option<String>,
    /// Only this kind (`article`, `dataset`, `table`).
    pub kind: Option<String>,
    /// Only this year.
    pub year: Option<String>,
    /// Only this topic (slug).
    pub topic: Option<String>,
    /// Only this method (slug).
    pub method: Option<String>,
    /// Only this journal issue (slug).
    pub issue: Option<String>,
    /// Number of results.
    pub limit: usize,
    /// Treat the last word as a prefix (as the browser does while typing).
    pub prefix: bool,
}

/// One result, with the fields of the SPEC (`bilim search --json`, `search()` in the browser).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Result1 {
    /// Page URL (with the site's base path).
    pub url: String,
    /// Title or caption.
    pub title: String,
    /// Page language.
    pub lang: Lang,
    /// `article`, `dataset` or `table`.
    pub kind: DocKind,
    /// Ranking score.
    pub score: f64,
    /// Excerpt around the matches.
    pub excerpt: String,
    /// Highlighted ranges of the excerpt, in characters.
    pub highlights: Vec<(usize, usize)>,
    /// Other language versions that match.
    pub alternates: Vec<Alternate>,
}

/// Another matching language version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alternate {
    /// Language.
    pub lang: Lang,
    /// URL.
    pub url: String,
}

fn hash_inputs(root: &Path) -> String {
    let mut h = Sha256::new();
    h.update(INDEX_VERSION);
    h.update(env!("CARGO_PKG_VERSION"));
    let mut paths: Vec<PathBuf> = vec![root.join("site.toml")];
    for dir in ["content", "data", "themes"] {
        for e in walkdir::WalkDir::new(root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() {
                paths.push(e.into_path());
            }
        }
    }
    for p in paths {
        h.update(
            p.strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .as_bytes(),
        );
        h.update([0]);
        if let Ok(bytes) = std::fs::read(&p) {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Open the cached index of `root`, building it first if the sources changed.
pub fn open_index(root: &Path) -> Result<Index> {
    let cache = root.join(".bilim-cache").join("search");
    let key = hash_inputs(root);
    let dir = cache.join(&key);
    if dir.join("ready").is_file() {
        if let Ok(ix) = Index::open(&dir) {
            return Ok(ix);
        }
    }
    let opts = crate::site::BuildOptions::new(root);
    let project = crate::site::load(&opts)?;
    let computed = crate::site::compute(&project)?;
    let docs = crate::site::render_docs(&project, &computed, None)?;
    let corpus = super::corpus(&project, &computed, &docs, None);
    let tmp = cache.join(format!("{key}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let built = Index::build(&corpus, Some(&tmp)).and_then(|ix| {
        drop(ix);
        std::fs::write(tmp.join("ready"), "")
            .map_err(|e| Error::Other(format!("{}: {e}", tmp.display())))
    });
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process finished first; use its index.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    // Drop indexes of older inputs.
    if let Ok(entries) = std::fs::read_dir(&cache) {
        for e in entries.flatten() {
            if e.file_name() != key.as_str() && !e.file_name().to_string_lossy().contains(".tmp-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Index::open(&dir)
}

/// Run a query against an index; `base` is the site's base path (`/bilim/`).
pub fn search(index: &Index, base: &str, query: &str, o: &Options) -> Result<Vec<Result1>> {
    let lang = match o.lang.as_deref() {
        None => None,
        Some(l) => Some(
            Lang::parse(l).ok_or_else(|| Error::Other(format!("--lang {l}: use en, ru or kk")))?,
        ),
    };
    if let Some(k) = o.kind.as_deref() {
        if DocKind::parse(k).is_none() {
            return Err(Error::Other(format!(
                "--kind {k}: use article, dataset or table"
            )));
        }
    }
    let mut prefix_err = None;
    let words = engine::parse(query, o.prefix, |p| {
        let mut out = Vec::new();
        match index.keys_with_prefix(p) {
            Ok(keys) => {
                for k in keys {
                    match index.key_entry(&k) {
                        Ok(Some(e)) => out.push((k, e.df)),
                        Ok(None) => {}
                        Err(e) => prefix_err = Some(e),
                    }
                }
            }
            Err(e) => prefix_err = Some(e),
        }
        out
    });
    if let Some(e) = prefix_err {
        return Err(e);
    }
    let mut entries = BTreeMap::new();
    for k in engine::all_keys(&words) {
        if let Some(e) = index.key_entry(&k)? {
            entries.insert(k, e);
        }
    }
    let mut facets: Vec<(String, String)> = Vec::new();
    if let Some(l) = lang {
        facets.push(("lang".into(), l.code().into()));
    }
    for (name, v) in [
        ("kind", &o.kind),
        ("year", &o.year),
        ("topic", &o.topic),
        ("method", &o.method),
        ("issue", &o.issue),
    ] {
        if let Some(v) = v {
            facets.push((name.into(), v.clone()));
        }
    }
    let allowed: Option<BTreeSet<u32>> = index.docs_with_facets(&facets)?;
    let scores = engine::score(&words, &entries, |d| {
        allowed.as_ref().is_none_or(|a| a.contains(&d))
    });
    let keys = engine::all_keys(&words);
    let hits: Vec<Hit> = engine::group(scores);
    let mut out = Vec::new();
    for h in hits.into_iter().take(o.limit) {
        let Some(doc) = index.stored(h.best.doc)? else {
            continue;
        };
        let lang = lang_of(h.best.doc);
        let text = doc
            .chunks
            .get(h.best.chunk as usize)
            .map_or("", String::as_str);
        let (excerpt, highlights) = engine::excerpt(text, lang, &keys);
        let path = doc
            .url
            .strip_prefix("ru/")
            .or_else(|| doc.url.strip_prefix("kk/"))
            .unwrap_or(&doc.url);
        let alternates = h
            .others
            .iter()
            .map(|&d| Alternate {
                lang: lang_of(d),
                url: format!("{base}{}{path}", lang_of(d).prefix()),
            })
            .collect();
        let kind = kind_of_url(&doc.url);
        out.push(Result1 {
            url: format!("{base}{}", doc.url),
            title: doc.title,
            lang,
            kind,
            score: h.best.score as f64 / 10000.0,
            excerpt,
            highlights,
            alternates,
        });
    }
    Ok(out)
}

fn kind_of_url(url: &str) -> DocKind {
    let rest = url
        .strip_prefix("ru/")
        .or_else(|| url.strip_prefix("kk/"))
        .unwrap_or(url);
    if rest.starts_with("datasets/") {
        DocKind::Dataset
    } else if rest.starts_with("tables/") {
        DocKind::Table
    } else {
        DocKind::Article
    }
}

/// Text with highlighted ranges: ANSI bold on a terminal, `[…]` otherwise.
pub fn highlight(text: &str, ranges: &[(usize, usize)], ansi: bool) -> String {
    let (open, close) = if ansi {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("[", "]")
    };
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if ranges.iter().any(|r| r.0 == i) {
            out.push_str(open);
        }
        out.push(c);
        if ranges.iter().any(|r| r.1 == i + 1) {
            out.push_str(close);
        }
    }
    out
}

/// `bilim search --analyze`: how each word of `text` is analysed, as JSON lines
/// (`{"word", "query": [keys], "en", "ru", "kk"}` with the key of the word in a document of
/// each language). Used to check that the browser's analyser agrees with this one.
pub fn analyze_words(text: &str) -> String {
    let mut s = String::new();
    for (_, _, w) in super::analyzer::words(text) {
        let line = serde_json::json!({
            "word": w,
            "query": super::analyzer::expand_equivalents(&super::analyzer::query_keys(&w)),
            "en": super::analyzer::doc_key(&w, Lang::En),
            "ru": super::analyzer::doc_key(&w, Lang::Ru),
            "kk": super::analyzer::doc_key(&w, Lang::Kk),
        });
        s.push_str(&line.to_string());
        s.push('\n');
    }
    s
}

/// `bilim search`: the printed output.
pub fn run(root: &Path, query: &str, o: &Options, json: bool, ansi: bool) -> Result<String> {
    let config = crate::config::SiteConfig::load(root)?;
    let index = open_index(root)?;
    let results = search(&index, &config.base_path(), query, o)?;
    if json {
        return serde_json::to_string_pretty(&results)
            .map(|s| s + "\n")
            .map_err(|e| Error::Other(e.to_string()));
    }
    if results.is_empty() {
        return Ok(format!(
            "no results for “{query}”: try fewer words, another spelling, or no filters\n"
        ));
    }
    let mut s = String::new();
    for (i, r) in results.iter().enumerate() {
        let alts: Vec<&str> = r.alternates.iter().map(|a| a.lang.code()).collect();
        s.push_str(&format!(
            "{}. {}\n   {} · {}{} · {}\n   {}\n\n",
            i + 1,
            r.title,
            r.kind.as_str(),
            r.lang.code(),
            if alts.is_empty() {
                String::new()
            } else {
                format!(" (also {})", alts.join(", "))
            },
            r.url,
            highlight(&r.excerpt, &r.highlights, ansi)
        ));
    }
    Ok(s)
}
