//! Full-text search of the knowledge base: analysis, the tantivy index, the terminal command
//! and the static index the browser searches. `docs/search.md` describes the design.
//!
//! * [`analyzer`] turns text into match keys (normalisation, stop words, Snowball English and
//!   Russian, the Kazakh stemmer of [`kazakh`], the spelling rules of [`translit`]).
//! * [`index`] builds a tantivy index of every article version, dataset and computed table and
//!   computes each (key, document) pair's BM25 impact from it.
//! * [`inverted`] is the site build's in-memory index (the same numbers, without tantivy).
//! * [`engine`] ranks: the same integer arithmetic in the terminal and in `search/search.js`.
//! * [`export`] writes the static index under `search/`.
//! * [`cli`] is `bilim search`, with the index cached under `.bilim-cache/search/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::i18n::Lang;
use crate::site::{Project, RenderedDoc};
use crate::tables::Computed;

pub mod analyzer;
pub mod cli;
pub mod engine;
pub mod export;
pub mod index;
pub mod inverted;
pub mod kazakh;
pub mod translit;

/// What search indexes of one computed table.
#[derive(Debug, Clone)]
pub struct TableText {
    /// Table id.
    pub id: String,
    /// Page that defines it, e.g. `articles/x/`.
    pub page: String,
    /// Source dataset.
    pub dataset: Option<String>,
    /// Caption per language that shows the table.
    pub captions: BTreeMap<Lang, String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

/// Kind of a search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// An article summary.
    Article,
    /// A dataset.
    Dataset,
    /// A computed table.
    Table,
}

impl DocKind {
    /// Name used in URLs, JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Article => "article",
            DocKind::Dataset => "dataset",
            DocKind::Table => "table",
        }
    }
    /// Parse a filter value.
    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "article" => Some(DocKind::Article),
            "dataset" => Some(DocKind::Dataset),
            "table" => Some(DocKind::Table),
            _ => None,
        }
    }
}

/// Index of a language in document ids (`id = group * 3 + lang_index`).
pub fn lang_index(l: Lang) -> u32 {
    match l {
        Lang::En => 0,
        Lang::Ru => 1,
        Lang::Kk => 2,
    }
}

/// The language of a document id.
pub fn lang_of(id: u32) -> Lang {
    match id % 3 {
        0 => Lang::En,
        1 => Lang::Ru,
        _ => Lang::Kk,
    }
}

/// One searchable page: a language version of an article, dataset or table.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    /// `group * 3 + lang_index`.
    pub id: u32,
    /// The article, dataset or table it is a version of.
    pub group: u32,
    /// Page language.
    pub lang: Lang,
    /// Kind.
    pub kind: DocKind,
    /// URL relative to the site root, e.g. `ru/articles/x/`.
    pub url: String,
    /// Title (or caption).
    pub title: String,
    /// Keywords, topics, original title, column labels.
    pub keywords: Vec<String>,
    /// Author names (romanised and as printed).
    pub authors: Vec<String>,
    /// The body, in chunks of about [`CHUNK_CHARS`] characters (excerpts come from one chunk).
    pub chunks: Arc<Chunks>,
}

/// A document's text in chunks, with the hash of that text computed once, when first needed
/// (only serve needs it): serve keys a document's analysis and result files by it, and hashing
/// 30,000 bodies on every rebuild cost more than the rest of keying them. `Hash` writes only
/// that hash.
#[derive(Debug, Clone)]
pub struct Chunks {
    texts: Vec<String>,
    hash: std::sync::OnceLock<u64>,
}

impl Chunks {
    /// Chunks of the given texts.
    pub fn new(texts: Vec<String>) -> Chunks {
        Chunks {
            texts,
            hash: std::sync::OnceLock::new(),
        }
    }

    /// [`chunk_text`]'s chunks of `text`.
    pub fn of(text: &str) -> Chunks {
        Chunks::new(chunk_text(text))
    }
}

impl std::ops::Deref for Chunks {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.texts
    }
}

impl std::hash::Hash for Chunks {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(
            *self
                .hash
                .get_or_init(|| crate::incremental::hash_of(&self.texts)),
        );
    }
}

/// Facet values of a group (shared by its language versions).
#[derive(Debug, Clone, Default, Serialize, Hash)]
pub struct GroupFacets {
    /// Publication year of the source article.
    pub year: Option<String>,
    /// Journal issue slug.
    pub issue: Option<String>,
    /// Topic slugs.
    pub topics: Vec<String>,
    /// Method slugs.
    pub methods: Vec<String>,
}

/// Facets other than language and kind, in filter order.
pub const FACETS: [&str; 4] = ["year", "topic", "method", "issue"];

impl GroupFacets {
    /// Values of one facet.
    pub fn values(&self, facet: &str) -> Vec<&str> {
        match facet {
            "year" => self.year.iter().map(String::as_str).collect(),
            "issue" => self.issue.iter().map(String::as_str).collect(),
            "topic" => self.topics.iter().map(String::as_str).collect(),
            "method" => self.methods.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Everything that is indexed.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// Documents in id order (shared with serve's cache, [`ArticleSearch`]).
    pub docs: Vec<Arc<SearchDoc>>,
    /// Facets per group.
    pub groups: Vec<GroupFacets>,
    /// Number of article groups (ids `0..articles`), then datasets, then tables.
    pub articles: u32,
    /// Number of dataset groups.
    pub datasets: u32,
    /// Number of table groups.
    pub tables: u32,
    /// Facet → value → language → label.
    pub labels: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

impl Corpus {
    /// Kind of a group.
    pub fn kind_of_group(&self, g: u32) -> DocKind {
        if g < self.articles {
            DocKind::Article
        } else if g < self.articles + self.datasets {
            DocKind::Dataset
        } else {
            DocKind::Table
        }
    }
}

/// Target size of a body chunk, in characters.
pub const CHUNK_CHARS: usize = 1200;

/// Clean rendered plain text for indexing and excerpts: drop citation markers and private-use
/// characters, citation and cross-reference syntax (`[@key]`, `@tbl-x`), the doubled text of
/// headings ("Data and method Data and method"), and runs of spaces. Applied to every rendered
/// document's plain text by `site::render_doc`.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_marker = false;
    for c in text.chars() {
        match c {
            '\u{E000}' => in_marker = true,
            '\u{E001}' => in_marker = false,
            c if in_marker || ('\u{E000}'..='\u{F8FF}').contains(&c) => {}
            c => out.push(c),
        }
    }
    let mut lines = Vec::new();
    for line in out.lines() {
        let mut l = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(i) = rest.find("[@") {
            l.push_str(&rest[..i]);
            match rest[i..].find(']') {
                Some(j) => rest = &rest[i + j + 1..],
                None => {
                    rest = "";
                }
            }
        }
        l.push_str(rest);
        let words: Vec<&str> = l
            .split(' ')
            .filter(|w| {
                !w.is_empty()
                    && !w.trim_start_matches('(').starts_with("@tbl-")
                    && !w.trim_start_matches('(').starts_with("@fig-")
            })
            .collect();
        let n = words.len();
        let words = if n >= 2 && n % 2 == 0 && words[..n / 2] == words[n / 2..] {
            &words[..n / 2]
        } else {
            &words[..]
        };
        lines.push(words.join(" "));
    }
    lines.join("\n")
}

/// Split a text into chunks of paragraphs of about [`CHUNK_CHARS`] characters; a longer
/// paragraph is split after sentence ends.
pub fn chunk_text(text: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for para in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        if para.chars().count() <= CHUNK_CHARS * 3 / 2 {
            pieces.push(para.to_string());
            continue;
        }
        let mut cur = String::new();
        for sentence in para.split_inclusive(". ") {
            if !cur.is_empty() && cur.chars().count() + sentence.chars().count() > CHUNK_CHARS {
                pieces.push(std::mem::take(&mut cur).trim().to_string());
            }
            cur.push_str(sentence);
        }
        if !cur.trim().is_empty() {
            pieces.push(cur.trim().to_string());
        }
    }
    // Rendered plain text repeats a heading's text; keep one copy of repeated paragraphs.
    pieces.dedup();
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    for p in pieces {
        if !cur.is_empty() && cur.chars().count() + p.chars().count() > CHUNK_CHARS {
            chunks.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&p);
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    chunks.truncate(4000);
    // The corpus holds every chunk of the site until the index is written: no slack.
    for c in &mut chunks {
        c.shrink_to_fit();
    }
    chunks
}

fn label_map(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.clone()
}

/// What one article contributes to the corpus: its documents, its facets and its issue's
/// label. Serve keeps it while the article and its rendered documents are the same objects
/// (see [`article_search`]).
pub struct ArticleSearch {
    docs: Vec<Arc<SearchDoc>>,
    facets: GroupFacets,
    /// The issue's slug and label.
    issue: Option<(String, String)>,
    /// The article and rendered documents this was made from, held so that their addresses,
    /// which key it, cannot be taken by other objects while it is cached.
    _made_from: (Arc<crate::content::Article>, Vec<Arc<RenderedDoc>>),
}

/// The facet values of an article (and of the datasets and tables taken from it).
fn article_facets(a: &crate::content::Article) -> GroupFacets {
    facets_with_issue(a, crate::taxonomy::issue_term(a).as_ref())
}

/// [`article_facets`] with the article's issue term (slug, label) already found.
fn facets_with_issue(a: &crate::content::Article, issue: Option<&(String, String)>) -> GroupFacets {
    GroupFacets {
        year: Some(a.meta.year.to_string()),
        issue: issue.map(|(slug, _)| slug.clone()),
        topics: a.meta.topics.clone(),
        methods: a.meta.methods.clone(),
    }
}

/// [`ArticleSearch`] of the article at position `group`. With a memo, the one made by an earlier
/// build if the article and its rendered documents are the objects it was made from (serve
/// keeps both while their files and inputs are unchanged), and the group number, the site's
/// languages and the topic vocabulary (`vocabulary`: their hash) are the same.
fn article_search(
    p: &Project,
    docs: &crate::site::Docs,
    langs: &[Lang],
    group: u32,
    a: &Arc<crate::content::Article>,
    memo: Option<&crate::incremental::Memo>,
    vocabulary: u64,
) -> Arc<ArticleSearch> {
    let rendered = || (a.versions.values()).filter_map(|v| docs.get(&v.doc.path));
    let make = || {
        let issue = crate::taxonomy::issue_term(a);
        ArticleSearch {
            docs: article_docs(p, docs, langs, group, a, memo),
            facets: facets_with_issue(a, issue.as_ref()),
            issue,
            _made_from: (a.clone(), rendered().cloned().collect()),
        }
    };
    let Some(m) = memo else {
        return Arc::new(make());
    };
    let addresses: Vec<usize> = rendered().map(|d| Arc::as_ptr(d) as usize).collect();
    let key = crate::incremental::hash_of(&(
        group,
        langs,
        vocabulary,
        Arc::as_ptr(a) as usize,
        addresses,
    ));
    m.article_search(&a.slug, key, make)
}

/// The search documents of one article: one per language version the site has.
fn article_docs(
    p: &Project,
    docs: &crate::site::Docs,
    langs: &[Lang],
    group: u32,
    a: &crate::content::Article,
    memo: Option<&crate::incremental::Memo>,
) -> Vec<Arc<SearchDoc>> {
    let mut out = Vec::new();
    let source_lang = Lang::parse(&a.meta.source_lang).filter(|l| a.versions.contains_key(l));
    for (&lang, v) in &a.versions {
        if !langs.contains(&lang) {
            continue;
        }
        let mut keywords = v.keywords.clone();
        if source_lang.unwrap_or(Lang::En) == lang {
            keywords.push(a.meta.original_title.clone());
        }
        for t in &a.meta.topics {
            if let Some(l) = p.config.topics.get(t) {
                keywords.extend(l.get(lang.code()).or_else(|| l.get("en")).cloned());
            }
        }
        let mut authors = Vec::new();
        for x in &a.meta.authors {
            authors.push(x.name.clone());
            if !x.original.is_empty() {
                authors.push(x.original.clone());
            }
        }
        let rendered = docs.get(&v.doc.path);
        let body = rendered.map_or("", |d| d.body.plain.as_str());
        let chunk = || Chunks::of(&format!("{}\n{}", v.description, body));
        // The chunks of an unchanged description and body are those of the last rebuild.
        let chunks = match (memo, rendered) {
            (Some(m), Some(d)) => m.chunks(
                &v.doc.path,
                crate::incremental::hash_of(&(&v.description, d.plain_hash())),
                chunk,
            ),
            _ => Arc::new(chunk()),
        };
        out.push(Arc::new(SearchDoc {
            id: group * 3 + lang_index(lang),
            group,
            lang,
            kind: DocKind::Article,
            url: format!("{}articles/{}/", lang.prefix(), a.slug),
            title: v.title.clone(),
            keywords,
            authors,
            chunks,
        }));
    }
    out
}

/// Collect what is searchable from a built project (with a memo, serve's, reusing the chunks of
/// unchanged articles).
pub fn corpus(
    p: &Project,
    computed: &Computed,
    docs: &crate::site::Docs,
    memo: Option<&crate::incremental::Memo>,
) -> Corpus {
    let langs = p.config.langs();
    let mut c = Corpus::default();
    for (facet, vocab) in [("topic", &p.config.topics), ("method", &p.config.methods)] {
        let m = c.labels.entry(facet.to_string()).or_default();
        for (slug, labels) in vocab {
            m.insert(slug.clone(), label_map(labels));
        }
    }
    // Group numbers are article positions; the articles in parallel.
    let vocabulary = crate::incremental::hash_of(&p.config.topics);
    let per_article: Vec<Arc<ArticleSearch>> = p
        .content
        .articles
        .par_iter()
        .enumerate()
        .map(|(group, a)| article_search(p, docs, &langs, group as u32, a, memo, vocabulary))
        .collect();
    for a in &per_article {
        if let Some((slug, label)) = &a.issue {
            c.labels
                .entry("issue".into())
                .or_default()
                .entry(slug.clone())
                .or_insert_with(|| [("en".to_string(), label.clone())].into_iter().collect());
        }
        c.docs.extend(a.docs.iter().cloned());
        c.groups.push(a.facets.clone());
    }
    let mut group = c.groups.len() as u32;
    c.articles = group;
    // Maps, not scans: 117 tables times 10,000 articles was a quadratic step. The first article
    // of a source wins, as a scan would find it.
    let mut by_key: std::collections::HashMap<&str, &crate::content::Article> =
        std::collections::HashMap::new();
    let mut by_page = std::collections::HashMap::new();
    for a in &p.content.articles {
        by_key.entry(a.meta.cite_key.as_str()).or_insert(&**a);
        by_page.insert(format!("articles/{}/", a.slug), &**a);
    }
    let article_by_key = |key: &str| by_key.get(key).copied();
    let article_by_page = |page: &str| by_page.get(page).copied();
    for (id, e) in p.datasets.iter() {
        let m = &e.data.meta;
        for &lang in &langs {
            let mut keywords = Vec::new();
            for col in &m.columns {
                keywords.extend(
                    col.label
                        .get(lang.code())
                        .or_else(|| col.label.get("en"))
                        .cloned(),
                );
            }
            c.docs.push(Arc::new(SearchDoc {
                id: group * 3 + lang_index(lang),
                group,
                lang,
                kind: DocKind::Dataset,
                url: format!("{}datasets/{id}/", lang.prefix()),
                title: m.title.clone(),
                keywords,
                authors: Vec::new(),
                chunks: Arc::new(Chunks::of(&format!(
                    "{}\n{}\n{}",
                    m.description, m.source_table, m.notes
                ))),
            }));
        }
        c.groups.push(
            article_by_key(&m.source)
                .map(article_facets)
                .unwrap_or_default(),
        );
        group += 1;
    }
    c.datasets = group - c.articles;
    for t in computed.search_entries() {
        let dataset = t.dataset.as_deref().and_then(|d| p.datasets.get(d));
        for &lang in &langs {
            let Some(caption) = t.captions.get(&lang) else {
                continue;
            };
            let keywords: Vec<String> = t
                .columns
                .iter()
                .map(|name| {
                    dataset
                        .and_then(|d| d.data.meta.columns.iter().find(|c| &c.name == name))
                        .and_then(|c| c.label.get(lang.code()).or_else(|| c.label.get("en")))
                        .cloned()
                        .unwrap_or_else(|| name.replace('_', " "))
                })
                .collect();
            c.docs.push(Arc::new(SearchDoc {
                id: group * 3 + lang_index(lang),
                group,
                lang,
                kind: DocKind::Table,
                url: format!("{}tables/{}/", lang.prefix(), t.id),
                title: caption.clone(),
                keywords,
                authors: Vec::new(),
                chunks: Arc::new(Chunks::of(&t.notes.join("\n"))),
            }));
        }
        c.groups.push(
            article_by_page(&t.page)
                .map(article_facets)
                .unwrap_or_default(),
        );
        group += 1;
    }
    c.tables = group - c.articles - c.datasets;
    c.docs.sort_by_key(|d| d.id);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_paragraphs_and_split_long_ones() {
        let long: String = (0..300).map(|i| format!("Word number {i}. ")).collect();
        let text = format!("First paragraph.\nSecond.\n{long}");
        let chunks = chunk_text(&text);
        assert!(chunks.len() > 2);
        assert!(chunks[0].starts_with("First paragraph.\nSecond."));
        assert!(chunks
            .iter()
            .all(|c| c.chars().count() <= CHUNK_CHARS * 3 / 2));
    }

    #[test]
    fn citation_markers_are_removed() {
        assert_eq!(clean("a \u{E000}12\u{E001} b"), "a b");
        assert_eq!(clean("Data and method Data and method"), "Data and method");
        assert_eq!(
            clean("as found [@key, p. 3] (@tbl-x) here"),
            "as found here"
        );
    }
}
