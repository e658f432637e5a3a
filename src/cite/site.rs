//! Citations on the site: what the knowledge base publishes, described as citable works.
//!
//! Every item gets a CSL-JSON description (the source of its `cite.json`, `cite.bib`,
//! `cite.ris` and of the formatted citations on its page):
//!
//! - a **source article**: its `data/references.bib` entry;
//! - a **summary**: a web page by the knowledge base's maintainers, in the knowledge base,
//!   versioned by the hash of its Markdown, derived from the source article;
//! - a **dataset** or **computed table**: a data set by the maintainers, published by the
//!   knowledge base, versioned by a content hash, dated by the build, at its permanent URL,
//!   derived from its source article (and, for tables, its dataset);
//! - the **knowledge base** itself: maintainers and title from `site.toml`, versioned by a hash
//!   of every input.
//!
//! The pages show each citation in APA, GOST and Chicago with copy buttons and the three
//! downloads; the JSON-LD describes summaries truthfully (`isBasedOn` the source's DOI, never
//! the article itself) and datasets and tables as schema.org `Dataset`s.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::render::PageContext as Context;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{export, plain_text, Style};
use crate::content::Article;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::output::{SharedText, SiteFiles};
use crate::pages::SiteRender;
use crate::site::{style_for, Project};
use crate::tables::DatasetEntry;

/// What citing a computed table needs (filled in by `tables`, which owns its internals).
#[derive(Debug, Clone)]
pub struct TableRef {
    /// Table id (`tbl-…`).
    pub id: String,
    /// Caption where the table is defined (English).
    pub caption: String,
    /// Dataset it is computed from, if any.
    pub dataset: Option<String>,
    /// Operation name.
    pub op: String,
    /// Content hash of dataset + directive.
    pub version: String,
    /// Page it is defined on, e.g. `articles/x/`.
    pub page: String,
}

/// The citation facts computed once per build.
#[derive(Debug, Clone)]
pub struct SiteCite<'m> {
    /// Hash of every input of the knowledge base (12 hex digits).
    pub kb_version: String,
    base_url: String,
    footer: BTreeMap<Lang, Value>,
    /// Formatted citations of earlier builds (`serve`): formatting with hayagriva is the most
    /// expensive part of an article page's context.
    memo: Option<&'m crate::incremental::Memo>,
}

const BIB_MIME: &str = "application/x-bibtex";
const RIS_MIME: &str = "application/x-research-info-systems";
const CSL_MIME: &str = "application/vnd.citationstyles.csl+json";

fn t<'a>(p: &'a Project, lang: Lang, key: &'a str) -> &'a str {
    p.theme.i18n.get(lang, key)
}

/// A link (or plain text when `url` is `None`) for templates.
fn link(label: &str, url: Option<&str>) -> Value {
    json!({"label": label, "url": url, "source": false})
}

/// A labelled fact for templates: a link when `url` is set, code when `code`.
fn fact(label: &str, value: &str, url: Option<&str>, code: bool) -> Value {
    json!({"label": label, "value": value, "url": url, "code": code})
}

/// A hash of every input of the knowledge base: configuration, content, bibliography, data.
fn kb_version(p: &Project) -> String {
    let mut h = Sha256::new();
    let mut add = |name: &str, bytes: &[u8]| {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    let read = |rel: &Path| std::fs::read(p.root.join(rel)).unwrap_or_default();
    add("site.toml", &read(Path::new("site.toml")));
    add(
        "data/references.bib",
        &read(Path::new("data/references.bib")),
    );
    // Documents by the hash of their text taken at load, rather than read again.
    let mut docs: Vec<&crate::content::Document> = Vec::new();
    for a in &p.content.articles {
        docs.extend(a.versions.values().map(|v| &v.doc));
    }
    for pg in &p.content.pages {
        docs.extend(pg.versions.values().map(|(_, d)| d));
    }
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    for d in docs {
        add(&d.path.to_string_lossy(), d.version.as_bytes());
    }
    for (id, e) in p.datasets.iter() {
        add(id, e.data.sha256.as_bytes());
        add(
            &format!("data/{id}.toml"),
            &read(&Path::new("data").join(format!("{id}.toml"))),
        );
    }
    crate::content::short_hex(&h.finalize())
}

/// `Family, Given` maintainers become CSL names; anything else (a team) a literal name.
fn maintainers(p: &Project) -> Vec<Value> {
    let list: Vec<Value> = p
        .config
        .maintainers
        .iter()
        .map(|m| match m.name.split_once(", ") {
            Some((f, g)) if !f.trim().is_empty() && !g.trim().is_empty() => {
                json!({"family": f.trim(), "given": g.trim()})
            }
            _ => json!({"literal": m.name.trim()}),
        })
        .collect();
    if list.is_empty() {
        vec![json!({"literal": p.config.title})]
    } else {
        list
    }
}

fn date_parts(p: &Project) -> Value {
    let d = p.build_date;
    json!({"date-parts": [[d.year, d.month, d.day]]})
}

/// The licence as a URL when it is a Creative Commons licence, else as written.
pub fn license_url(license: &str) -> Option<String> {
    let l = license.trim();
    if l.is_empty() || l.eq_ignore_ascii_case("unknown") {
        return None;
    }
    if l.starts_with("http://") || l.starts_with("https://") {
        return Some(l.to_string());
    }
    let norm = l.to_lowercase().replace(['-', '_'], " ");
    let words: Vec<&str> = norm.split_whitespace().collect();
    if words.first() == Some(&"cc0") {
        return Some("https://creativecommons.org/publicdomain/zero/1.0/".into());
    }
    if words.first() == Some(&"cc") {
        let version = words
            .iter()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .copied()
            .unwrap_or("4.0");
        let parts: Vec<&str> = words
            .iter()
            .skip(1)
            .filter(|w| matches!(**w, "by" | "nc" | "sa" | "nd"))
            .copied()
            .collect();
        if parts.first() == Some(&"by") {
            return Some(format!(
                "https://creativecommons.org/licenses/{}/{version}/",
                parts.join("-")
            ));
        }
    }
    Some(l.to_string())
}

impl<'m> SiteCite<'m> {
    /// Compute the build's citation facts.
    pub fn new(p: &Project, memo: Option<&'m crate::incremental::Memo>) -> SiteCite<'m> {
        let mut s = SiteCite {
            memo,
            kb_version: kb_version(p),
            base_url: p.config.base_url_slash(),
            footer: BTreeMap::new(),
        };
        for lang in p.config.langs() {
            let style = style_for(&p.config, lang);
            // The footer is on every page, so it cites the knowledge base without its version:
            // the version hashes every input, and printing it on every page would make one
            // edit rewrite the whole site. The versioned citation is on the bibliography page
            // and in cite.bib / cite.ris / cite.json.
            let mut item = s.kb_item(p, lang);
            if let Some(o) = item.as_object_mut() {
                o.remove("version");
            }
            let html = s.format(p, &item, style, lang);
            let footer = json!({
                "html": html, "text": plain_text(&html),
                "bib_url": s.path_url(p, Lang::En, "cite.bib"),
                "ris_url": s.path_url(p, Lang::En, "cite.ris"),
                "csl_url": s.path_url(p, Lang::En, "cite.json"),
                "all_url": s.path_url(p, lang, "cite/"),
            });
            s.footer.insert(lang, footer);
        }
        s
    }

    /// Format one of the knowledge base's own works in a style. The GOST style describes only
    /// web pages as electronic resources (with their URL), so data sets are formatted as web
    /// pages there, their kind and version given as "other title information".
    pub fn format(&self, p: &Project, item: &Value, style: Style, lang: Lang) -> String {
        let mut item = item.clone();
        if style == Style::Gost {
            let mut genre: Vec<String> = item["genre"]
                .as_str()
                .map(str::to_string)
                .into_iter()
                .collect();
            if item["type"] == "dataset" {
                item["type"] = json!("webpage");
                if genre.is_empty() {
                    genre.push(t(p, lang, "dataset_medium").to_string());
                }
                if let Some(pb) = item.as_object_mut().and_then(|m| m.remove("publisher")) {
                    if item.get("container-title").is_none() {
                        item["container-title"] = pb;
                    }
                }
            }
            if let Some(v) = item["version"].as_str() {
                genre.push(format!("{} {v}", t(p, lang, "cite_version").to_lowercase()));
            }
            if !genre.is_empty() {
                item["genre"] = json!(genre.join(", "));
            }
        }
        let format = || {
            p.bibliography
                .format_items(std::slice::from_ref(&item), style, lang)
                .pop()
                .unwrap_or_default()
        };
        match self.memo {
            // The item, the style, the language and the locales are all the formatting reads
            // (the styles are compiled in), so they are the key.
            Some(m) => {
                let locales = p.bibliography.locales_fingerprint();
                let key = crate::incremental::hash_of(&(item.to_string(), style, lang, locales));
                String::clone(&m.citation(key, format))
            }
            None => format(),
        }
    }

    /// Absolute URL of a path in a language.
    pub fn abs(&self, lang: Lang, path: &str) -> String {
        format!("{}{}{path}", self.base_url, lang.prefix())
    }

    /// Site-absolute path of a path in a language (for links).
    fn path_url(&self, p: &Project, lang: Lang, path: &str) -> String {
        format!("{}{}{path}", p.config.base_path(), lang.prefix())
    }

    /// The footer's "Cite this knowledge base" (default style of the language).
    pub fn footer(&self, lang: Lang) -> Value {
        self.footer.get(&lang).cloned().unwrap_or(Value::Null)
    }

    // ---- CSL-JSON descriptions -------------------------------------------------------------

    /// The knowledge base as a work.
    pub fn kb_item(&self, p: &Project, lang: Lang) -> Value {
        json!({
            "id": export::bib_key(&p.config.title.split_whitespace().next().unwrap_or("kb").to_lowercase()),
            "type": "dataset",
            "title": p.config.title_in(lang),
            "author": maintainers(p),
            "issued": date_parts(p),
            "version": self.kb_version,
            "genre": t(p, lang, "kb_medium"),
            "URL": self.abs(lang, ""),
            "language": lang.code(),
        })
    }

    /// A summary page as a work, derived from its source article.
    pub fn summary_item(&self, p: &Project, lang: Lang, a: &Article, title: &str) -> Value {
        let version = a
            .versions
            .get(&lang)
            .or_else(|| a.versions.get(&Lang::En))
            .map(|v| v.doc.version.clone())
            .unwrap_or_default();
        let source = p
            .bibliography
            .reference_text(&a.meta.cite_key, Style::Apa, Lang::En)
            .unwrap_or_else(|| a.meta.original_title.clone());
        let mut item = json!({
            "id": format!("{}-summary-{}", a.slug, lang.code()),
            "type": "webpage",
            "title": title,
            "container-title": p.config.title_in(lang),
            "author": maintainers(p),
            "issued": date_parts(p),
            "version": version,
            "genre": t(p, lang, "summary_medium"),
            "URL": self.abs(lang, &format!("articles/{}/", a.slug)),
            "language": lang.code(),
            "note": format!("Summary of: {source}"),
        });
        if let Some(d) = a.meta.date.as_deref().and_then(crate::i18n::Date::parse) {
            item["issued"] = json!({"date-parts": [[d.year, d.month, d.day]]});
        }
        item
    }

    fn source_note(p: &Project, key: &str) -> String {
        p.bibliography
            .reference_text(key, Style::Apa, Lang::En)
            .unwrap_or_else(|| key.to_string())
    }

    /// A dataset as a work.
    pub fn dataset_item(&self, p: &Project, id: &str, e: &DatasetEntry) -> Value {
        let m = &e.data.meta;
        let mut from = m.source_table.clone();
        if let Some(pg) = m.source_page.as_deref().filter(|s| !s.is_empty()) {
            from.push_str(&format!(", p. {pg}"));
        }
        json!({
            "id": export::bib_key(id),
            "type": "dataset",
            "title": m.title,
            "author": maintainers(p),
            "publisher": p.config.title,
            "issued": date_parts(p),
            "version": &e.data.sha256[..e.data.sha256.len().min(12)],
            "URL": self.abs(Lang::En, &format!("datasets/{id}/")),
            "language": "en",
            "note": format!("Derived from {from} of: {}", Self::source_note(p, &m.source)),
        })
    }

    /// A computed table as a work; `caption` in the language of the citation.
    pub fn table_item(&self, p: &Project, lang: Lang, tr: &TableRef, caption: &str) -> Value {
        let mut note = format!("Computed ({}) by the knowledge base", tr.op);
        if let Some(d) = &tr.dataset {
            note.push_str(&format!(
                " from dataset {d} ({})",
                self.abs(Lang::En, &format!("datasets/{d}/"))
            ));
            if let Some(e) = p.datasets.get(d) {
                note.push_str(&format!(
                    ", derived from: {}",
                    Self::source_note(p, &e.data.meta.source)
                ));
            }
        }
        json!({
            "id": export::bib_key(&tr.id),
            "type": "dataset",
            "title": caption,
            "author": maintainers(p),
            "publisher": p.config.title_in(lang),
            "issued": date_parts(p),
            "version": tr.version,
            "genre": t(p, lang, "tables_title"),
            "URL": self.abs(Lang::En, &format!("tables/{}/", tr.id)),
            "language": lang.code(),
            "note": note,
        })
    }

    // ---- Page blocks -----------------------------------------------------------------------

    fn styles_block(
        p: &Project,
        lang: Lang,
        id: &str,
        html: impl Fn(Style) -> String,
    ) -> Vec<Value> {
        let default = style_for(&p.config, lang);
        let mut order = vec![default];
        order.extend(Style::ALL.iter().copied().filter(|s| *s != default));
        order
            .into_iter()
            .map(|s| {
                json!({
                    "style": s.name(), "label": t(p, lang, &format!("style_{}", s.name())),
                    "html": html(s), "id": format!("{id}-{}", s.name()), "default": s == default,
                })
            })
            .collect()
    }

    fn downloads(&self, p: &Project, dir: &str) -> Vec<Value> {
        vec![
            json!({"label": "BibTeX", "url": self.path_url(p, Lang::En, &format!("{dir}cite.bib")), "mime": BIB_MIME}),
            json!({"label": "RIS", "url": self.path_url(p, Lang::En, &format!("{dir}cite.ris")), "mime": RIS_MIME}),
            json!({"label": "CSL-JSON", "url": self.path_url(p, Lang::En, &format!("{dir}cite.json")), "mime": CSL_MIME}),
        ]
    }

    fn facts(&self, p: &Project, lang: Lang, version: &str, url: &str) -> Vec<Value> {
        vec![
            fact(t(p, lang, "cite_version"), version, None, true),
            fact(
                t(p, lang, "cite_date"),
                &p.build_date.human(lang),
                None,
                false,
            ),
            fact(t(p, lang, "cite_permalink"), url, Some(url), false),
        ]
    }

    fn article_link(&self, p: &Project, lang: Lang, a: &Article) -> Value {
        let title = a
            .versions
            .get(&lang)
            .map_or(a.meta.title.as_str(), |v| v.title.as_str());
        link(
            title,
            Some(&self.path_url(p, lang, &format!("articles/{}/", a.slug))),
        )
    }

    /// A DOI link; `source` marks it for the page's `DC.source` meta tag.
    fn doi_link(doi: &str) -> Value {
        let url = format!("https://doi.org/{doi}");
        json!({"label": url, "url": url, "source": true})
    }

    /// "Cite this" on an article page: the source article, then the summary.
    pub fn article_blocks(&self, p: &Project, lang: Lang, a: &Article, title: &str) -> Value {
        let key = &a.meta.cite_key;
        let dir = format!("articles/{}/", a.slug);
        let mut source_facts = Vec::new();
        if let Some(doi) = &a.meta.doi {
            source_facts.push(fact(
                "DOI",
                doi,
                Some(&format!("https://doi.org/{doi}")),
                false,
            ));
        }
        source_facts.push(fact(
            t(p, lang, "bibliography_title"),
            key,
            Some(&self.path_url(p, lang, &format!("bibliography/#ref-{key}"))),
            true,
        ));
        let source = json!({
            "id": "cite-source", "heading": t(p, lang, "cite_source"),
            "styles": Self::styles_block(p, lang, "cite-source", |s| {
                p.bibliography.reference_html(key, s, lang).unwrap_or_default()
            }),
            "facts": source_facts, "derives": [],
            "downloads": self.downloads(p, &dir),
        });
        let item = self.summary_item(p, lang, a, title);
        let version = item["version"].as_str().unwrap_or("").to_string();
        let url = self.abs(lang, &dir);
        let source_text = p
            .bibliography
            .reference_text(key, style_for(&p.config, lang), lang)
            .unwrap_or_else(|| a.meta.original_title.clone());
        let doi_url = a.meta.doi.as_ref().map(|d| format!("https://doi.org/{d}"));
        let mut derives = vec![link(&source_text, doi_url.as_deref())];
        derives[0]["source"] = json!(doi_url.is_some());
        let summary = json!({
            "id": "cite-summary", "heading": t(p, lang, "cite_summary"),
            "styles": Self::styles_block(p, lang, "cite-summary", |s| {
                self.format(p, &item, s, lang)
            }),
            "facts": self.facts(p, lang, &version, &url),
            "derives": derives, "downloads": [],
        });
        json!([source, summary])
    }

    fn dataset_derives(&self, p: &Project, lang: Lang, source_key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(a) = p
            .content
            .articles
            .iter()
            .find(|a| a.meta.cite_key == source_key)
        {
            out.push(self.article_link(p, lang, a));
            if let Some(doi) = &a.meta.doi {
                out.push(Self::doi_link(doi));
            }
        } else if let Some(text) =
            p.bibliography
                .reference_text(source_key, style_for(&p.config, lang), lang)
        {
            out.push(link(&text, None));
        }
        out
    }

    /// "Cite this" on a dataset page.
    pub fn dataset_block(&self, p: &Project, lang: Lang, id: &str, e: &DatasetEntry) -> Value {
        let item = self.dataset_item(p, id, e);
        let dir = format!("datasets/{id}/");
        let version = item["version"].as_str().unwrap_or("").to_string();
        json!([{
            "id": "cite-dataset", "heading": null,
            "styles": Self::styles_block(p, lang, "cite-dataset", |s| {
                self.format(p, &item, s, lang)
            }),
            "facts": self.facts(p, lang, &version, &self.abs(Lang::En, &dir)),
            "derives": self.dataset_derives(p, lang, &e.data.meta.source),
            "downloads": self.downloads(p, &dir),
        }])
    }

    /// "Cite this" on a table page; `caption` in the page's language.
    pub fn table_block(&self, p: &Project, lang: Lang, tr: &TableRef, caption: &str) -> Value {
        let item = self.table_item(p, lang, tr, caption);
        let dir = format!("tables/{}/", tr.id);
        let mut derives = Vec::new();
        if let Some(d) = &tr.dataset {
            let title = p.datasets.title(d).unwrap_or(d);
            derives.push(link(
                title,
                Some(&self.path_url(p, lang, &format!("datasets/{d}/"))),
            ));
            if let Some(e) = p.datasets.get(d) {
                derives.extend(self.dataset_derives(p, lang, &e.data.meta.source));
            }
        }
        json!([{
            "id": "cite-table", "heading": null,
            "styles": Self::styles_block(p, lang, "cite-table", |s| {
                self.format(p, &item, s, lang)
            }),
            "facts": self.facts(p, lang, &tr.version, &self.abs(Lang::En, &dir)),
            "derives": derives,
            "downloads": self.downloads(p, &dir),
        }])
    }

    /// "Cite this knowledge base" with all styles (its own page, `cite/`).
    pub fn kb_block(&self, p: &Project, lang: Lang) -> Value {
        let item = self.kb_item(p, lang);
        json!([{
            "id": "cite-kb-block", "heading": null,
            "styles": Self::styles_block(p, lang, "cite-kb-block", |s| {
                self.format(p, &item, s, lang)
            }),
            "facts": self.facts(p, lang, &self.kb_version, &self.abs(lang, "")),
            "derives": [],
            "downloads": self.downloads(p, ""),
        }])
    }

    // ---- schema.org ------------------------------------------------------------------------

    fn creators(p: &Project) -> Value {
        let list: Vec<Value> = p
            .config
            .maintainers
            .iter()
            .map(|m| {
                let ty = if m.name.contains(", ") {
                    "Person"
                } else {
                    "Organization"
                };
                let mut v = json!({"@type": ty, "name": m.name});
                if !m.orcid.is_empty() {
                    v["sameAs"] = json!(format!("https://orcid.org/{}", m.orcid));
                }
                v
            })
            .collect();
        if list.is_empty() {
            json!([{"@type": "Organization", "name": p.config.title}])
        } else {
            Value::Array(list)
        }
    }

    fn publisher(&self, p: &Project, lang: Lang) -> Value {
        json!({"@type": "Organization", "name": p.config.title_in(lang), "url": self.abs(lang, "")})
    }

    /// A `BreadcrumbList`: the home page, then (name, path) pairs in the page's language.
    pub fn breadcrumbs(&self, p: &Project, lang: Lang, items: &[(String, String)]) -> Value {
        let mut list = vec![json!({
            "@type": "ListItem", "position": 1, "name": p.config.title_in(lang), "item": self.abs(lang, ""),
        })];
        for (i, (name, path)) in items.iter().enumerate() {
            list.push(json!({"@type": "ListItem", "position": i + 2, "name": name, "item": self.abs(lang, path)}));
        }
        json!({"@type": "BreadcrumbList", "itemListElement": list})
    }

    /// The source article as schema.org (what a summary `isBasedOn`).
    fn source_article(p: &Project, a: &Article) -> Value {
        let m = &a.meta;
        let authors: Vec<Value> = m
            .authors
            .iter()
            .map(|x| {
                let mut v = json!({"@type": "Person", "name": x.name});
                if !x.orcid.is_empty() {
                    v["sameAs"] = json!(format!("https://orcid.org/{}", x.orcid));
                }
                v
            })
            .collect();
        let mut v = json!({
            "@type": "ScholarlyArticle", "name": m.original_title, "author": authors,
            "datePublished": m.year.to_string(), "inLanguage": m.source_lang,
        });
        if m.original_title != m.title {
            v["alternateName"] = json!(m.title);
        }
        if let Some(doi) = &m.doi {
            let url = format!("https://doi.org/{doi}");
            v["@id"] = json!(url);
            v["url"] = json!(url);
            v["identifier"] = json!({"@type": "PropertyValue", "propertyID": "DOI", "value": doi});
        }
        if let Some(j) = &m.journal {
            let mut periodical = json!({"@type": "Periodical", "name": j});
            if let Some(issn) = p
                .bibliography
                .entry(&m.cite_key)
                .and_then(|e| e.fields.get("issn"))
                .map(|c| super::chunks_text(c))
            {
                periodical["issn"] = json!(issn);
            }
            v["isPartOf"] = periodical;
        }
        if let Some(pages) = &m.pages {
            v["pagination"] = json!(pages);
        }
        v
    }

    /// JSON-LD of a summary page: a `ScholarlyArticle` whose genre is "summary", written by the
    /// knowledge base and `isBasedOn` the source article (its DOI), plus the breadcrumbs.
    #[allow(clippy::too_many_arguments)]
    pub fn article_jsonld(
        &self,
        p: &Project,
        lang: Lang,
        a: &Article,
        title: &str,
        description: &str,
        keywords: &[String],
        breadcrumbs: Value,
    ) -> Value {
        let url = self.abs(lang, &format!("articles/{}/", a.slug));
        let item = self.summary_item(p, lang, a, title);
        let mut summary = json!({
            "@type": "ScholarlyArticle", "@id": format!("{url}#summary"),
            "genre": "summary", "additionalType": "https://schema.org/Review",
            "headline": title, "name": title, "description": description, "abstract": description,
            "inLanguage": lang.code(), "url": url,
            "author": Self::creators(p), "publisher": self.publisher(p, lang),
            "isPartOf": {"@type": "WebSite", "name": p.config.title_in(lang), "url": self.abs(lang, "")},
            "isBasedOn": Self::source_article(p, a),
            "keywords": keywords.join(", "),
            "version": item["version"], "dateModified": p.build_date.iso(),
            "citation": p.bibliography.reference_text(&a.meta.cite_key, Style::Apa, Lang::En),
        });
        if let Some(d) = a.meta.date.as_deref() {
            summary["datePublished"] = json!(d);
        }
        if let Some(l) = license_url(&p.config.license) {
            summary["license"] = json!(l);
        }
        json!({"@context": "https://schema.org", "@graph": [summary, breadcrumbs]})
    }

    /// `temporalCoverage` of a dataset, where the data says it: the range of its year column,
    /// else the years its column names carry (`y2012`, `out_2024`).
    fn temporal_coverage(e: &DatasetEntry) -> Option<String> {
        let plausible = |y: i64| (1800..=2200).contains(&y);
        let mut years: Vec<i64> = e
            .data
            .columns
            .iter()
            .find(|c| {
                c.ty.as_str() == "year"
                    || (c.ty.is_numeric()
                        && matches!(c.name.to_lowercase().as_str(), "year" | "год" | "жыл"))
            })
            .map(|col| {
                col.values
                    .iter()
                    .filter_map(|v| v.as_f64())
                    .filter(|y| y.fract() == 0.0)
                    .map(|y| y as i64)
                    .filter(|y| plausible(*y))
                    .collect()
            })
            .unwrap_or_default();
        if years.is_empty() {
            for c in &e.data.columns {
                let digits: Vec<&str> = c
                    .name
                    .split(|ch: char| !ch.is_ascii_digit())
                    .filter(|d| d.len() == 4)
                    .collect();
                years.extend(
                    digits
                        .iter()
                        .filter_map(|d| d.parse().ok())
                        .filter(|y| plausible(*y)),
                );
            }
        }
        let (min, max) = (years.iter().min()?, years.iter().max()?);
        Some(if min == max {
            min.to_string()
        } else {
            format!("{min}/{max}")
        })
    }

    fn dataset_base(&self, p: &Project, source_key: &str) -> Vec<Value> {
        let mut based = Vec::new();
        if let Some(a) = p
            .content
            .articles
            .iter()
            .find(|a| a.meta.cite_key == source_key)
        {
            based.push(Self::source_article(p, a));
        } else if let Some(text) = p
            .bibliography
            .reference_text(source_key, Style::Apa, Lang::En)
        {
            based.push(json!({"@type": "CreativeWork", "name": text}));
        }
        based
    }

    /// JSON-LD of a dataset page: a schema.org `Dataset` plus breadcrumbs.
    pub fn dataset_jsonld(&self, p: &Project, lang: Lang, id: &str, e: &DatasetEntry) -> Value {
        let m = &e.data.meta;
        let path = format!("datasets/{id}/");
        let item = self.dataset_item(p, id, e);
        let mut description = if m.description.trim().is_empty() {
            m.title.clone()
        } else {
            m.description.clone()
        };
        description.push_str(&format!(
            " Taken from {} of {}.",
            m.source_table,
            Self::source_note(p, &m.source)
        ));
        let mut d = json!({
            "@type": "Dataset", "@id": self.abs(Lang::En, &path),
            "name": m.title, "description": description,
            "url": self.abs(lang, &path), "sameAs": self.abs(Lang::En, &path),
            "version": item["version"], "dateModified": p.build_date.iso(),
            "creator": Self::creators(p), "publisher": self.publisher(p, Lang::En),
            "isAccessibleForFree": true, "inLanguage": "en",
            "includedInDataCatalog": {"@type": "DataCatalog", "name": p.config.title, "url": self.abs(Lang::En, "datasets/")},
            "isBasedOn": self.dataset_base(p, &m.source),
            "citation": Self::source_note(p, &m.source),
            "variableMeasured": m.columns.iter().map(|c| {
                let mut v = json!({"@type": "PropertyValue", "name": c.name});
                if let Some(l) = c.label.get("en").filter(|l| !l.is_empty()) { v["description"] = json!(l); }
                if !c.unit.is_empty() { v["unitText"] = json!(c.unit); }
                v
            }).collect::<Vec<_>>(),
            "distribution": [
                {"@type": "DataDownload", "encodingFormat": "text/csv", "contentUrl": self.abs(Lang::En, &format!("{path}{id}.csv"))},
                {"@type": "DataDownload", "encodingFormat": "application/json", "contentUrl": self.abs(Lang::En, &format!("{path}datapackage.json")), "name": "Frictionless Data Package"},
            ],
        });
        if let Some(l) = license_url(&m.license) {
            d["license"] = json!(l);
        }
        if let Some(tc) = Self::temporal_coverage(e) {
            d["temporalCoverage"] = json!(tc);
        }
        let crumbs = self.breadcrumbs(
            p,
            lang,
            &[
                (t(p, lang, "nav_datasets").to_string(), "datasets/".into()),
                (m.title.clone(), path.clone()),
            ],
        );
        json!({"@context": "https://schema.org", "@graph": [d, crumbs]})
    }

    /// JSON-LD of a computed table page: a schema.org `Dataset` plus breadcrumbs.
    pub fn table_jsonld(
        &self,
        p: &Project,
        lang: Lang,
        tr: &TableRef,
        caption: &str,
        columns: &[String],
    ) -> Value {
        let path = format!("tables/{}/", tr.id);
        let mut based = Vec::new();
        let mut temporal = None;
        if let Some(dname) = &tr.dataset {
            based.push(json!({"@type": "Dataset", "@id": self.abs(Lang::En, &format!("datasets/{dname}/")), "name": p.datasets.title(dname).unwrap_or(dname)}));
            if let Some(e) = p.datasets.get(dname) {
                based.extend(self.dataset_base(p, &e.data.meta.source));
                temporal = Self::temporal_coverage(e);
            }
        }
        let mut d = json!({
            "@type": "Dataset", "@id": self.abs(Lang::En, &path),
            "name": caption,
            "description": format!("{caption}: a table computed by the knowledge base ({}){}, with its provenance and the checks of the numbers its source article prints.", tr.op, tr.dataset.as_deref().map(|d| format!(" from the dataset {d}")).unwrap_or_default()),
            "url": self.abs(lang, &path), "sameAs": self.abs(Lang::En, &path),
            "version": tr.version, "dateModified": p.build_date.iso(),
            "creator": Self::creators(p), "publisher": self.publisher(p, lang),
            "isAccessibleForFree": true, "inLanguage": lang.code(),
            "includedInDataCatalog": {"@type": "DataCatalog", "name": p.config.title_in(lang), "url": self.abs(lang, "datasets/")},
            "isBasedOn": based,
            "variableMeasured": columns.iter().map(|c| json!({"@type": "PropertyValue", "name": c})).collect::<Vec<_>>(),
            "distribution": [
                {"@type": "DataDownload", "encodingFormat": "text/csv", "contentUrl": self.abs(Lang::En, &format!("{path}{}.csv", tr.id))},
                {"@type": "DataDownload", "encodingFormat": "application/json", "contentUrl": self.abs(Lang::En, &format!("{path}{}.json", tr.id))},
            ],
        });
        if let Some(l) = license_url(&p.config.license) {
            d["license"] = json!(l);
        }
        if let Some(tc) = temporal {
            d["temporalCoverage"] = json!(tc);
        }
        let crumbs = self.breadcrumbs(
            p,
            lang,
            &[
                (t(p, lang, "tables_title").to_string(), tr.page.clone()),
                (caption.to_string(), path.clone()),
            ],
        );
        json!({"@context": "https://schema.org", "@graph": [d, crumbs]})
    }

    // ---- Files ------------------------------------------------------------------------------

    /// The text of `cite.bib`, `cite.ris` and `cite.json` for a CSL item.
    fn cite_texts(item: &Value, bib: Option<String>) -> [Arc<SharedText>; 3] {
        let bib = bib.unwrap_or_else(|| export::bibtex_of_csl(item));
        [
            bib,
            export::ris_of_csl(item),
            export::csl_json(std::slice::from_ref(item)),
        ]
        .map(|t| Arc::new(SharedText::new(t)))
    }

    fn add_files(files: &mut SiteFiles, dir: &str, texts: &[Arc<SharedText>; 3]) {
        for (name, text) in ["cite.bib", "cite.ris", "cite.json"].iter().zip(texts) {
            files.add_shared(format!("{dir}{name}"), text.clone());
        }
    }

    /// `cite.bib`, `cite.ris` and `cite.json` for every article (its source), dataset and
    /// computed table, and for the knowledge base at the site root. An article's files are
    /// those of its source, made once per source and shared by the articles summarising it.
    pub fn write_files(&self, p: &Project, tables: &[TableRef], files: &mut SiteFiles) {
        let mut by_source: HashMap<&str, Option<[Arc<SharedText>; 3]>> = HashMap::new();
        for a in &p.content.articles {
            let key = a.meta.cite_key.as_str();
            let texts = by_source.entry(key).or_insert_with(|| {
                let item = p.bibliography.csl_item(key)?;
                Some(Self::cite_texts(&item, p.bibliography.bibtex(key)))
            });
            if let Some(texts) = texts {
                Self::add_files(files, &format!("articles/{}/", a.slug), texts);
            }
        }
        for (id, e) in p.datasets.iter() {
            let item = self.dataset_item(p, id, e);
            Self::add_files(
                files,
                &format!("datasets/{id}/"),
                &Self::cite_texts(&item, None),
            );
        }
        for tr in tables {
            let item = self.table_item(p, Lang::En, tr, &tr.caption);
            Self::add_files(
                files,
                &format!("tables/{}/", tr.id),
                &Self::cite_texts(&item, None),
            );
        }
        let kb = self.kb_item(p, Lang::En);
        Self::add_files(files, "", &Self::cite_texts(&kb, None));
    }
}

/// What the bibliography page lists under each work, indexed by cite key in one pass over the
/// site (looking every key up in every page would be quadratic: 10,000 articles × the works).
#[derive(Default)]
struct WorkLinks<'a> {
    /// Articles summarising the work.
    summaries: HashMap<&'a str, Vec<&'a Article>>,
    /// Articles and pages citing it (in site order, each once).
    cited_on: HashMap<String, Vec<Value>>,
    /// Datasets taken from it.
    datasets: HashMap<&'a str, Vec<Value>>,
}

impl<'a> WorkLinks<'a> {
    fn new(r: &'a SiteRender<'_>, lang: Lang) -> WorkLinks<'a> {
        let mut links = WorkLinks::default();
        let p: &'a Project = r.p;
        let mut cite = |paths: &mut dyn Iterator<Item = &'a PathBuf>, link: Value| {
            let mut seen: Vec<&str> = Vec::new();
            for path in paths {
                for k in r.docs.get(path).map_or(&[][..], |d| &d.body.cited[..]) {
                    if !seen.contains(&k.as_str()) {
                        seen.push(k);
                    }
                }
            }
            for k in seen {
                links
                    .cited_on
                    .entry(k.to_string())
                    .or_default()
                    .push(link.clone());
            }
        };
        for a in &p.content.articles {
            let title = a
                .versions
                .get(&lang)
                .map_or(a.meta.title.as_str(), |v| v.title.as_str());
            let link =
                json!({"title": title, "url": r.url(lang, &format!("articles/{}/", a.slug))});
            cite(&mut a.versions.values().map(|v| &v.doc.path), link);
        }
        for pg in &p.content.pages {
            let title = pg
                .versions
                .get(&lang)
                .or_else(|| pg.versions.get(&Lang::En))
                .map_or(pg.name.as_str(), |(m, _)| m.title.as_str());
            let link = json!({"title": title, "url": r.url(lang, &format!("{}/", pg.name))});
            cite(&mut pg.versions.values().map(|(_, d)| &d.path), link);
        }
        for a in &p.content.articles {
            links
                .summaries
                .entry(a.meta.cite_key.as_str())
                .or_default()
                .push(a);
        }
        for (id, e) in p.datasets.iter() {
            links.datasets.entry(e.data.meta.source.as_str()).or_default().push(
                json!({"label": e.data.meta.title, "url": r.url(lang, &format!("datasets/{id}/"))}),
            );
        }
        links
    }
}

/// A hash of what the bibliography page reads besides the site inputs (which cover the
/// bibliography itself, the styles and the dataset titles): each article's card inputs
/// (`cards`: slug, metadata with the cite key, titles) and the keys its versions cite, the
/// free pages' citations, and each dataset's source.
pub fn works_inputs(r: &SiteRender<'_>, cards: &HashMap<&str, u64>) -> u64 {
    let p = r.p;
    let cited = |path: &PathBuf| r.docs.get(path).map(|d| &d.body.cited);
    let articles: Vec<_> = p
        .content
        .articles
        .iter()
        .map(|a| {
            let docs: Vec<_> = a.versions.values().map(|v| cited(&v.doc.path)).collect();
            (cards.get(a.slug.as_str()), docs)
        })
        .collect();
    let pages: Vec<_> = p
        .content
        .pages
        .iter()
        .map(|pg| {
            let docs: Vec<_> = pg.versions.values().map(|(_, d)| cited(&d.path)).collect();
            (&pg.name, docs)
        })
        .collect();
    let datasets: Vec<_> = p
        .datasets
        .iter()
        .map(|(id, e)| (id, &e.data.meta.title, &e.data.meta.source))
        .collect();
    crate::incremental::hash_of(&(articles, pages, datasets))
}

/// The context of one of the knowledge base's own pages (`path`, titled and introduced by the
/// interface strings), with its breadcrumbs as JSON-LD.
fn own_page_ctx(
    r: &SiteRender<'_>,
    lang: Lang,
    path: &str,
    title_key: &str,
    intro_key: &str,
) -> Context {
    let p = r.p;
    let mut ctx = r.simple_ctx(lang, path, title_key, intro_key);
    let crumbs = [(t(p, lang, title_key).to_string(), path.to_string())];
    ctx.insert(
        "jsonld",
        &crate::render::json_for_script(&json!({
            "@context": "https://schema.org",
            "@graph": [r.cite.breadcrumbs(p, lang, &crumbs)],
        })),
    );
    ctx
}

/// "Cite this knowledge base" (`cite/`): its citation in every style, with its version. The
/// version hashes every input, so this page changes with any edit; it is kept small and apart
/// from the bibliography page, which serve can then reuse while no work or citation changes.
/// The theme has `cite.html` (the caller checks).
pub fn kb_page_job(r: &SiteRender<'_>, lang: Lang) -> (String, &'static str, Context) {
    let path = "cite/";
    let mut ctx = own_page_ctx(r, lang, path, "cite_kb", "cite_kb_intro");
    ctx.insert("kb_cite", &r.cite.kb_block(r.p, lang));
    (SiteRender::out_path(lang, path), "cite.html", ctx)
}

/// The site-wide bibliography page of one language: every work, alphabetically, with the
/// summary of it, the pages citing it and the datasets taken from it.
/// The theme has `bibliography.html` (the caller checks); `pages` reuses the page by
/// [`works_inputs`].
pub fn bibliography_job(r: &SiteRender<'_>, lang: Lang) -> (String, &'static str, Context) {
    let p = r.p;
    let path = "bibliography/";
    let mut ctx = own_page_ctx(r, lang, path, "bibliography_title", "bibliography_intro");
    let style = style_for(&p.config, lang);
    let keys = p.bibliography.sorted_keys(lang);
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let formatted: BTreeMap<String, String> = p
        .bibliography
        .references_html(&key_refs, style, lang)
        .into_iter()
        .collect();
    let links = WorkLinks::new(r, lang);
    let works: Vec<Value> = keys
        .iter()
        .map(|key| {
            let key = key.as_str();
            let summaries: Vec<Value> = links
                .summaries
                .get(key)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|a| r.cite.article_link(p, lang, a))
                .collect();
            json!({
                "key": key, "html": formatted.get(key).cloned().unwrap_or_default(),
                "summaries": summaries,
                "cited_on": links.cited_on.get(key).cloned().unwrap_or_default(),
                "datasets": links.datasets.get(key).cloned().unwrap_or_default(),
                "bib_line": p.bibliography.line(key),
            })
        })
        .collect();
    ctx.insert("works", &works);
    ctx.insert(
        "style_label",
        t(p, lang, &format!("style_{}", style.name())),
    );
    (SiteRender::out_path(lang, path), "bibliography.html", ctx)
}

/// `bilim cite ID --format F`: the citation of an article (slug), dataset or computed table
/// (id), or of the knowledge base itself (`kb`), exactly as the site publishes it.
pub fn command(root: &Path, id: &str, format: &str) -> Result<String> {
    let style = Style::parse(format);
    if style.is_none() && !matches!(format, "bibtex" | "ris" | "csl-json") {
        return Err(Error::Other(format!(
            "unknown format `{format}`: use apa, gost, chicago, bibtex, ris or csl-json"
        )));
    }
    let opts = crate::site::BuildOptions::new(root);
    let p = crate::site::load(&opts)?;
    let cite = SiteCite::new(&p, None);
    let render = |item: &Value, bib: Option<String>| -> String {
        match (format, style) {
            (_, Some(s)) => format!("{}\n", plain_text(&cite.format(&p, item, s, Lang::En))),
            ("bibtex", _) => bib.unwrap_or_else(|| export::bibtex_of_csl(item)),
            ("ris", _) => export::ris_of_csl(item).replace("\r\n", "\n"),
            _ => export::csl_json(std::slice::from_ref(item)),
        }
    };
    if let Some(a) = p.content.articles.iter().find(|a| a.slug == id) {
        let key = &a.meta.cite_key;
        if let Some(s) = style {
            let text = p
                .bibliography
                .reference_text(key, s, Lang::En)
                .unwrap_or_default();
            return Ok(format!("{text}\n"));
        }
        let item = p
            .bibliography
            .csl_item(key)
            .ok_or_else(|| Error::Other(format!("no entry `{key}` in data/references.bib")))?;
        return Ok(render(&item, p.bibliography.bibtex(key)));
    }
    if let Some(e) = p.datasets.get(id) {
        return Ok(render(&cite.dataset_item(&p, id, e), None));
    }
    if id == "kb" {
        return Ok(render(&cite.kb_item(&p, Lang::En), None));
    }
    if id.starts_with("tbl-") {
        let computed = crate::site::compute(&p)?;
        if let Some(tr) = computed.cite_refs().into_iter().find(|t| t.id == id) {
            return Ok(render(
                &cite.table_item(&p, Lang::En, &tr, &tr.caption),
                None,
            ));
        }
    }
    Err(Error::Other(format!(
        "`{id}` is not an article slug, a dataset id, a computed table id or `kb`; the site's articles/, datasets/ and tables.json list them"
    )))
}
