//! The bibliography (`data/references.bib`), citation formatting and every citation export.
//!
//! - [`Bibliography`]: BibLaTeX parsed by the `biblatex` crate (positions for errors, duplicate
//!   keys, DOI checks) and formatted by hayagriva's CSL processor in APA 7, GOST R 7.0.5-2008
//!   (numeric) or Chicago author-date. English pages use the en-US CSL locale, Russian pages
//!   ru-RU and Kazakh pages the theme's `csl/locales-kk-KZ.xml` (there is no official one).
//!   Pages format their citations through [`Bibliography::format_page`], which takes a page's
//!   citations in order so that numeric styles number them correctly.
//! - [`export`]: CSL-JSON (the canonical form of every citation bilim writes), BibTeX and RIS,
//!   for works in the bibliography and for what the knowledge base publishes itself.
//! - [`site`]: "Cite this" on article, dataset and table pages, the site-wide bibliography page,
//!   the citation files next to each item, and the schema.org descriptions.

pub mod export;
mod html;
mod names;
pub mod site;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hayagriva::archive::ArchivedStyle;
use hayagriva::citationberg::taxonomy::Locator;
use hayagriva::citationberg::{
    IndependentStyle, Locale, LocaleCode, LocaleFile, Style as CslStyle,
};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose, Library,
    LocatorPayload, SpecificLocator,
};

use crate::error::{line_col, Diagnostic, Diagnostics, Result};
use crate::i18n::Lang;
use crate::markdown::Citation;

pub use html::plain_text;

/// A citation style the site can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// APA 7th edition (author-date).
    Apa,
    /// GOST R 7.0.5-2008 (numeric), required by Kazakh and Russian journals.
    Gost,
    /// Chicago author-date.
    Chicago,
}

impl Style {
    /// Parse a style name from `site.toml` or the command line.
    pub fn parse(s: &str) -> Option<Style> {
        match s {
            "apa" => Some(Style::Apa),
            "gost" => Some(Style::Gost),
            "chicago" => Some(Style::Chicago),
            _ => None,
        }
    }

    /// Every style.
    pub const ALL: [Style; 3] = [Style::Apa, Style::Gost, Style::Chicago];

    /// Style name.
    pub fn name(self) -> &'static str {
        match self {
            Style::Apa => "apa",
            Style::Gost => "gost",
            Style::Chicago => "chicago",
        }
    }

    fn archived(self) -> ArchivedStyle {
        match self {
            Style::Apa => ArchivedStyle::AmericanPsychologicalAssociation,
            Style::Gost => ArchivedStyle::GostR7052008Numeric,
            Style::Chicago => ArchivedStyle::ChicagoAuthorDate,
        }
    }

    fn numeric(self) -> bool {
        self == Style::Gost
    }

    /// Corrections to the archived style's output. GOST R 7.0.5-2008 abbreviates "page" as
    /// "С." (Russian) and "P." (English) for one page and for a range alike; the CSL locales'
    /// plural forms give "Сс." and "Pp.".
    fn fix(self, html: &str) -> String {
        if self == Style::Gost {
            html.replace("Сс. ", "С. ")
                .replace("Сс.\u{a0}", "С.\u{a0}")
                .replace("Pp. ", "P. ")
                .replace("Pp.\u{a0}", "P.\u{a0}")
        } else {
            html.to_string()
        }
    }
}

/// CSL locale code for a page language.
pub fn locale_code(lang: Lang) -> LocaleCode {
    LocaleCode(
        match lang {
            Lang::En => "en-US",
            Lang::Ru => "ru-RU",
            Lang::Kk => "kk-KZ",
        }
        .into(),
    )
}

/// The Kazakh locale shipped with the default theme, used when a theme has none.
const KK_LOCALE: &str = include_str!("../../themes/default/csl/locales-kk-KZ.xml");

/// The theme's CSL locale files (`csl/locales-*.xml`, regular files only, by name): (path
/// relative to the project, XML).
fn read_locale_files(theme_dir: Option<(&Path, &Path)>) -> Result<Vec<(PathBuf, String)>> {
    let Some((abs, rel)) = theme_dir else {
        return Ok(Vec::new());
    };
    let dir = abs.join("csl");
    // Regular files only: symbolic links are not followed (see `fsguard`).
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("locales-") && n.ends_with(".xml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    for name in names {
        let rel_file = rel.join("csl").join(&name);
        if let Some(xml) = diags.collect(crate::content::read_text(&dir.join(&name), &rel_file))? {
            out.push((rel_file, xml));
        }
    }
    diags.finish()?;
    Ok(out)
}

/// The CSL locales: the theme's first (so they win), then the archived ones. The Kazakh locale
/// falls back to the copy compiled into bilim.
fn parse_locales(files: &[(PathBuf, String)]) -> Result<Vec<Locale>> {
    let mut out = Vec::new();
    let mut have_kk = false;
    let mut diags = Diagnostics::default();
    for (rel_file, xml) in files {
        match LocaleFile::from_xml(xml) {
            Ok(file) => {
                have_kk |= file.lang.0 == "kk-KZ";
                out.push(Locale::from(file));
            }
            Err(e) => diags.push(
                Diagnostic::file(rel_file, format!("invalid CSL locale: {e}"))
                    .hint("check the XML against the CSL 1.0.2 locale schema"),
            ),
        }
    }
    diags.finish()?;
    if !have_kk {
        if let Ok(file) = LocaleFile::from_xml(KK_LOCALE) {
            out.push(Locale::from(file));
        }
    }
    out.extend(archive_locales().iter().cloned());
    Ok(out)
}

/// hayagriva's bundled locales, parsed once per process: they never change, and parsing them
/// cost serve 30 ms per rebuild.
fn archive_locales() -> &'static [Locale] {
    static LOCALES: std::sync::OnceLock<Vec<Locale>> = std::sync::OnceLock::new();
    LOCALES.get_or_init(hayagriva::archive::locales)
}

fn load_styles() -> BTreeMap<Style, IndependentStyle> {
    Style::ALL
        .iter()
        .filter_map(|s| match s.archived().get() {
            CslStyle::Independent(i) => Some((*s, i)),
            CslStyle::Dependent(_) => None,
        })
        .collect()
}

/// The parsed bibliography plus the loaded styles and locales.
pub struct Bibliography {
    library: Library,
    /// Every entry as parsed (names normalised), for exports.
    entries: BTreeMap<String, biblatex::Entry>,
    styles: BTreeMap<Style, IndependentStyle>,
    /// A hash of the `.bib` text and the locales (the styles are built in), for caches.
    fingerprint: u64,
    /// A hash of the locales alone (what `format_items` reads besides its items).
    locales_fingerprint: u64,
    locales: Vec<Locale>,
    /// Line of each entry in the `.bib` file, for messages.
    lines: BTreeMap<String, usize>,
    /// Initials that hayagriva cannot produce (digraphs such as "Zh."), fixed after formatting.
    initials: names::InitialFixes,
    /// Formatted references, by (key, style, language): every page that names a source
    /// (summaries, datasets, tables, JSON-LD) formats the same few entries again.
    memo: std::sync::Mutex<std::collections::HashMap<(String, Style, Lang), Option<String>>>,
    /// Formatted reference lists, by (keys, style, language): the bibliography pages format
    /// every entry on every build, and serve keeps the bibliography while its inputs stay.
    lists: std::sync::Mutex<ReferenceLists>,
}

type ReferenceLists = std::collections::HashMap<(Vec<String>, Style, Lang), Vec<(String, String)>>;

impl std::fmt::Debug for Bibliography {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bibliography")
            .field("entries", &self.lines.len())
            .finish()
    }
}

/// The formatted citations of one page.
#[derive(Debug, Clone, Default)]
pub struct PageCitations {
    /// HTML of each citation, in the order given.
    pub citations: Vec<String>,
    /// The page's reference list: (key, HTML).
    pub references: Vec<(String, String)>,
}

/// How one citation of a page is assembled from the driver's rendered citations.
enum Plan {
    /// One rendered citation, used as it is.
    Whole(usize),
    /// "Author (Year)" / "Author [n]": rendered citations joined by a space.
    Prose(usize),
    /// Items with prefixes: each rendered separately, delimiters stripped, prefixes added,
    /// joined with "; " inside the style's delimiters.
    Items(Vec<(String, usize)>),
    /// `[-@key]` in an author-date style: the year, in parentheses.
    Year(usize),
}

/// What a bibliography is parsed from: the `.bib` text and the theme's locale files.
struct BibInputs {
    rel: PathBuf,
    text: String,
    locale_files: Vec<(PathBuf, String)>,
}

impl BibInputs {
    fn hash(&self) -> u64 {
        crate::incremental::hash_of(&(&self.text, &self.locale_files))
    }

    fn parse(&self) -> Result<Bibliography> {
        Bibliography::parse_with_locales(&self.text, &self.rel, parse_locales(&self.locale_files)?)
    }
}

impl Bibliography {
    /// Read `data/references.bib` (an absent file is an empty bibliography) with the default
    /// theme's locales.
    pub fn load(root: &Path) -> Result<Self> {
        Self::load_with_theme(root, "default")
    }

    /// Read `data/references.bib` with the CSL locales of `themes/<theme>/csl/`.
    pub fn load_with_theme(root: &Path, theme: &str) -> Result<Self> {
        Self::read_inputs(root, theme)?.parse()
    }

    /// [`Bibliography::load_with_theme`], reusing (serve) the bibliography of an earlier build
    /// when the `.bib` text and the theme's locale files are the same: with it come the
    /// references it has formatted, which the bibliography pages need on every rebuild.
    pub fn load_kept(
        root: &Path,
        theme: &str,
        memo: Option<&crate::incremental::Memo>,
    ) -> Result<Arc<Self>> {
        let inputs = Self::read_inputs(root, theme)?;
        match memo {
            Some(m) => m.bibliography(inputs.hash(), || inputs.parse()),
            None => inputs.parse().map(Arc::new),
        }
    }

    fn read_inputs(root: &Path, theme: &str) -> Result<BibInputs> {
        let rel = PathBuf::from("data/references.bib");
        let abs = root.join(&rel);
        let text = if abs.exists() {
            crate::content::read_text(&abs, &rel)?
        } else {
            String::new()
        };
        let theme_rel = PathBuf::from("themes").join(theme);
        let theme_abs = root.join(&theme_rel);
        let locale_files = read_locale_files(
            crate::content::is_slug(theme).then_some((theme_abs.as_path(), theme_rel.as_path())),
        )?;
        Ok(BibInputs {
            rel,
            text,
            locale_files,
        })
    }

    /// Parse BibLaTeX text; `rel` names the file in errors.
    pub fn parse(text: &str, rel: &Path) -> Result<Self> {
        Self::parse_with_locales(text, rel, parse_locales(&[])?)
    }

    fn parse_with_locales(text: &str, rel: &Path, locales: Vec<Locale>) -> Result<Self> {
        let bib = biblatex::Bibliography::parse(text).map_err(|e| {
            let (line, col) = line_col(text, e.span.start);
            let hint = match e.kind {
                biblatex::ParseErrorKind::DuplicateKey(_) => {
                    "every entry needs its own key: rename one of them"
                }
                _ => "check the entry's braces, commas and `field = {value}` pairs",
            };
            Diagnostic::at(rel, line, col, format!("invalid BibLaTeX: {}", e.kind)).hint(hint)
        })?;
        let mut diags = Diagnostics::default();
        let mut lines = BTreeMap::new();
        let mut entries = BTreeMap::new();
        let mut library = Library::new();
        let mut initials = names::InitialFixes::default();
        for entry in bib.iter() {
            let at = find_entry(text, &entry.key);
            let (line, col) = line_col(text, at);
            lines.insert(entry.key.clone(), line);
            if let Some(doi) = entry.fields.get("doi") {
                let doi = chunks_text(doi);
                if !crate::content::is_doi(&doi) {
                    let off = text[at..].find(&doi).map_or(at, |i| at + i);
                    let (l, c) = line_col(text, off);
                    diags.push(
                        Diagnostic::at(
                            rel,
                            l,
                            c,
                            format!("malformed DOI `{doi}` in entry `{}`", entry.key),
                        )
                        .hint("write the bare DOI, e.g. doi = {10.52536/2415-8216.2025.114.2.001}"),
                    );
                }
            }
            if !entry.fields.contains_key("title") {
                diags.push(
                    Diagnostic::at(
                        rel,
                        line,
                        col,
                        format!("entry `{}` has no title", entry.key),
                    )
                    .hint("add title = {…} (the title as printed, in its own language)"),
                );
                continue;
            }
            let mut entry = entry.clone();
            names::normalise_entry(&mut entry, &mut initials);
            if let Some(n) = entry
                .fields
                .get("number")
                .or_else(|| entry.fields.get("issue"))
            {
                initials.add_issue(&entry.key, chunks_text(n).trim());
            }
            let mut formatted = entry.clone();
            if let Some(addon) = entry.fields.get("titleaddon") {
                // hayagriva ignores titleaddon: the English title of a non-English work goes
                // after the original one, in brackets, in every style.
                let mut title = entry.fields.get("title").cloned().unwrap_or_default();
                title.push(biblatex::Spanned::zero(biblatex::Chunk::Normal(" ".into())));
                let addon_text = chunks_text(addon);
                if addon_text.trim_start().starts_with('[') {
                    title.extend(addon.iter().cloned());
                } else {
                    title.push(biblatex::Spanned::zero(biblatex::Chunk::Normal(format!(
                        "[{}]",
                        addon_text.trim()
                    ))));
                }
                formatted.fields.insert("title".into(), title);
            }
            match hayagriva::Entry::try_from(&formatted) {
                Ok(mut e) => {
                    // biblatex knows no Kazakh: set the language from langid, so that styles
                    // do not title-case a Kazakh title as if it were English.
                    if let Some(code) = entry
                        .fields
                        .get("langid")
                        .or_else(|| entry.fields.get("language"))
                        .map(|c| export::language_code(&chunks_text(c)))
                        .and_then(|c| c.parse::<unic_langid::LanguageIdentifier>().ok())
                    {
                        e.set_language(code);
                    }
                    library.push(&e);
                    entries.insert(entry.key.clone(), entry);
                }
                Err(e) => diags.push(
                    Diagnostic::at(
                        rel,
                        line,
                        col,
                        format!("cannot use entry `{}`: {e}", entry.key),
                    )
                    .hint("check the entry's type and its date, year and number fields"),
                ),
            }
        }
        diags.finish()?;
        let locales_fingerprint = crate::incremental::hash_of(&format!("{locales:?}"));
        let fingerprint = crate::incremental::hash_of(&(text, locales_fingerprint));
        Ok(Bibliography {
            library,
            entries,
            styles: load_styles(),
            fingerprint,
            locales_fingerprint,
            locales,
            lines,
            initials,
            memo: Default::default(),
            lists: Default::default(),
        })
    }

    /// A hash of everything formatting reads (the `.bib` text and the locales): equal
    /// fingerprints format every citation the same.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// A hash of the locales: with the items, the style and the language, all that
    /// [`Bibliography::format_items`] reads.
    pub fn locales_fingerprint(&self) -> u64 {
        self.locales_fingerprint
    }

    /// Whether the key exists.
    pub fn has(&self, key: &str) -> bool {
        self.lines.contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.lines.keys().map(String::as_str)
    }

    /// Line of an entry in `data/references.bib`.
    pub fn line(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    /// The parsed entry.
    pub fn entry(&self, key: &str) -> Option<&biblatex::Entry> {
        self.entries.get(key)
    }

    /// The entry as BibTeX for downloads: plain `Family, Given` names (no extended name format,
    /// which only biblatex understands), every other field as written.
    pub fn bibtex(&self, key: &str) -> Option<String> {
        self.entries.get(key).map(export::bibtex_of_entry)
    }

    /// The entry as a CSL-JSON item.
    pub fn csl_item(&self, key: &str) -> Option<serde_json::Value> {
        self.entries.get(key).map(export::csl_of_entry)
    }

    fn cite_item<'a>(
        &'a self,
        key: &str,
        loc: &'a (Locator, String),
        purpose: Option<CitePurpose>,
    ) -> Option<CitationItem<'a, hayagriva::Entry>> {
        let entry = self.library.get(key)?;
        let mut ci = CitationItem::with_entry(entry);
        if !loc.1.is_empty() {
            ci.locator = Some(SpecificLocator(loc.0, LocatorPayload::Str(&loc.1)));
        }
        ci.purpose = purpose;
        Some(ci)
    }

    fn style(&self, style: Style) -> Option<&IndependentStyle> {
        self.styles.get(&style)
    }

    /// Format a page's citations (in order of appearance) and its reference list.
    pub fn format_page(&self, citations: &[Citation], style: Style, lang: Lang) -> PageCitations {
        let Some(csl) = self.style(style) else {
            return PageCitations::default();
        };
        let locale = locale_code(lang);
        let mut driver = BibliographyDriver::new();
        // Locators are borrowed by the driver, so they must outlive it.
        let locators: Vec<Vec<(Locator, String)>> = citations
            .iter()
            .map(|c| c.items.iter().map(|i| parse_locator(&i.locator)).collect())
            .collect();
        let mut requests: Vec<Vec<CitationItem<'_, hayagriva::Entry>>> = Vec::new();
        fn add<'a>(
            requests: &mut Vec<Vec<CitationItem<'a, hayagriva::Entry>>>,
            items: Vec<CitationItem<'a, hayagriva::Entry>>,
        ) -> usize {
            requests.push(items);
            requests.len() - 1
        }
        let mut plans = Vec::with_capacity(citations.len());
        for (c, locs) in citations.iter().zip(&locators) {
            let year_only = |it: &crate::markdown::CiteItem| {
                (it.suppress_author && !style.numeric()).then_some(CitePurpose::Year)
            };
            if c.in_text {
                let items = c
                    .items
                    .iter()
                    .zip(locs)
                    .filter_map(|(it, loc)| self.cite_item(&it.key, loc, Some(CitePurpose::Prose)))
                    .collect();
                plans.push(Plan::Prose(add(&mut requests, items)));
            } else if c.items.len() == 1 && c.items[0].suppress_author && !style.numeric() {
                let it = &c.items[0];
                let items = self
                    .cite_item(&it.key, &locs[0], year_only(it))
                    .into_iter()
                    .collect();
                plans.push(Plan::Year(add(&mut requests, items)));
            } else if c.items.iter().any(|i| !i.prefix.is_empty())
                || (c.items.len() > 1 && c.items.iter().any(|i| i.suppress_author))
            {
                let parts = c
                    .items
                    .iter()
                    .zip(locs)
                    .map(|(it, loc)| {
                        let items = self
                            .cite_item(&it.key, loc, year_only(it))
                            .into_iter()
                            .collect();
                        (it.prefix.clone(), add(&mut requests, items))
                    })
                    .collect();
                plans.push(Plan::Items(parts));
            } else {
                let items = c
                    .items
                    .iter()
                    .zip(locs)
                    .filter_map(|(it, loc)| self.cite_item(&it.key, loc, None))
                    .collect();
                plans.push(Plan::Whole(add(&mut requests, items)));
            }
        }
        for items in requests {
            driver.citation(CitationRequest::new(
                items,
                csl,
                Some(locale.clone()),
                &self.locales,
                None,
            ));
        }
        let rendered = driver.finish(BibliographyRequest {
            style: csl,
            locale: Some(locale.clone()),
            locale_files: &self.locales,
        });
        let html_of = |i: usize| -> String {
            let mut s = String::new();
            if let Some(r) = rendered.citations.get(i) {
                html::write_html(&mut s, &r.citation);
            }
            s
        };
        let (open, close) = if style.numeric() {
            ("[", "]")
        } else {
            ("(", ")")
        };
        let mut out = PageCitations::default();
        for (c, plan) in citations.iter().zip(plans) {
            let s = match plan {
                Plan::Whole(i) => html_of(i),
                Plan::Prose(i) => {
                    let h = html_of(i);
                    // APA: "&" between authors in parentheses, the word in running text.
                    match (style, h.find(" &amp; ")) {
                        (Style::Apa, Some(at)) if h[..at].find('(').is_none() => {
                            format!("{} {} {}", &h[..at], and_word(lang), &h[at + 7..])
                        }
                        _ => h,
                    }
                }
                Plan::Year(i) => {
                    let y = html_of(i);
                    if y.starts_with('(') {
                        y
                    } else {
                        format!("({y})")
                    }
                }
                Plan::Items(parts) => {
                    let inner: Vec<String> = parts
                        .into_iter()
                        .map(|(prefix, i)| {
                            let h = html_of(i);
                            let h = h
                                .strip_prefix(open)
                                .and_then(|x| x.strip_suffix(close))
                                .map_or(h.clone(), str::to_string);
                            if prefix.is_empty() {
                                h
                            } else {
                                format!("{} {h}", crate::markdown::escape_text(&prefix))
                            }
                        })
                        .collect();
                    format!("{open}{}{close}", inner.join("; "))
                }
            };
            let s = self
                .initials
                .apply(c.items.iter().map(|i| i.key.as_str()), &s);
            let s = if style.numeric() {
                spaced_numbers(&s)
            } else {
                s
            };
            // A citation of one work links to its entry in the page's reference list.
            let s = match c.items.as_slice() {
                [one] if !s.contains("<a ") => format!(
                    "<a class=\"cite-ref\" href=\"#ref-{}\">{s}</a>",
                    crate::markdown::escape_attr(&one.key)
                ),
                _ => s,
            };
            out.citations.push(s);
        }
        if let Some(b) = rendered.bibliography {
            for item in b.items {
                // The list number (GOST's first field) is the `<ol>`'s own: the items come in
                // citation order.
                let mut s = String::new();
                html::write_html(&mut s, &item.content);
                let s = style.fix(&self.initials.apply([item.key.as_str()], &s));
                out.references.push((item.key, s));
            }
        }
        out
    }

    /// The full reference of one entry in a style, as HTML (no list number).
    pub fn reference_html(&self, key: &str, style: Style, lang: Lang) -> Option<String> {
        let memo_key = (key.to_string(), style, lang);
        if let Some(hit) = self
            .memo
            .lock()
            .ok()
            .and_then(|m| m.get(&memo_key).cloned())
        {
            return hit;
        }
        let html = self
            .references_html(&[key], style, lang)
            .into_iter()
            .next()
            .map(|(_, h)| h);
        if let Ok(mut m) = self.memo.lock() {
            m.insert(memo_key, html.clone());
        }
        html
    }

    /// The full reference of one entry as plain text.
    pub fn reference_text(&self, key: &str, style: Style, lang: Lang) -> Option<String> {
        self.reference_html(key, style, lang)
            .map(|h| plain_text(&h))
    }

    /// Full references of several entries, without list numbers: in the style's order for
    /// author-date styles (author, year, title, collated for the page language: Cyrillic names
    /// sort by the Russian or Kazakh alphabet), in the order given for GOST.
    pub fn references_html(
        &self,
        keys: &[&str],
        style: Style,
        lang: Lang,
    ) -> Vec<(String, String)> {
        let id = (keys.iter().map(|k| k.to_string()).collect(), style, lang);
        let lists = || self.lists.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = lists().get(&id) {
            return list.clone();
        }
        let list = self.format_references(keys, style, lang);
        lists().insert(id, list.clone());
        list
    }

    fn format_references(&self, keys: &[&str], style: Style, lang: Lang) -> Vec<(String, String)> {
        let Some(csl) = self.style(style) else {
            return Vec::new();
        };
        let locale = locale_code(lang);
        let mut driver = BibliographyDriver::new();
        for key in keys {
            if let Some(entry) = self.library.get(key) {
                driver.citation(CitationRequest::new(
                    vec![CitationItem::with_entry(entry)],
                    csl,
                    Some(locale.clone()),
                    &self.locales,
                    None,
                ));
            }
        }
        let rendered = driver.finish(BibliographyRequest {
            style: csl,
            locale: Some(locale),
            locale_files: &self.locales,
        });
        rendered
            .bibliography
            .map(|b| {
                b.items
                    .into_iter()
                    .map(|item| {
                        let mut s = String::new();
                        html::write_html(&mut s, &item.content);
                        let s = style.fix(&self.initials.apply([item.key.as_str()], &s));
                        (item.key, s)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every entry's key in alphabetical order for a language (author, year, title), as the
    /// author-date styles sort them with the language's collation.
    pub fn sorted_keys(&self, lang: Lang) -> Vec<String> {
        let keys: Vec<&str> = self.keys().collect();
        self.references_html(&keys, Style::Apa, lang)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    /// Format CSL-JSON items (what the knowledge base publishes itself) as HTML in a style,
    /// in the order given.
    pub fn format_items(
        &self,
        items: &[serde_json::Value],
        style: Style,
        lang: Lang,
    ) -> Vec<String> {
        let Some(csl) = self.style(style) else {
            return vec![String::new(); items.len()];
        };
        let parsed: Vec<Option<hayagriva::citationberg::json::Item>> = items
            .iter()
            .map(|v| serde_json::from_value(v.clone()).ok())
            .collect();
        let locale = locale_code(lang);
        let mut out = Vec::with_capacity(items.len());
        for item in &parsed {
            let Some(item) = item else {
                out.push(String::new());
                continue;
            };
            let mut driver = BibliographyDriver::new();
            driver.citation(CitationRequest::new(
                vec![CitationItem::with_entry(item)],
                csl,
                Some(locale.clone()),
                &self.locales,
                None,
            ));
            let rendered = driver.finish(BibliographyRequest {
                style: csl,
                locale: Some(locale.clone()),
                locale_files: &self.locales,
            });
            let mut s = String::new();
            if let Some(b) = rendered.bibliography {
                if let Some(first) = b.items.first() {
                    html::write_html(&mut s, &first.content);
                }
                s = style.fix(&s);
            }
            out.push(s);
        }
        out
    }
}

/// "[2,3]" → "[2, 3]": GOST separates citation numbers with a comma and a space.
fn spaced_numbers(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 4);
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == ',' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push(' ');
        }
    }
    out
}

/// "and" in running text, in a page language.
fn and_word(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "and",
        Lang::Ru => "и",
        Lang::Kk => "және",
    }
}

/// Split a Pandoc locator (`p. 12`, `pp. 3–5`, `ch. 2`, `с. 12`, `б. 12`, `table 3`) into its
/// CSL label and value. A bare number is a page, as in Pandoc.
fn parse_locator(loc: &str) -> (Locator, String) {
    let l = loc.trim();
    const LABELS: &[(&str, Locator)] = &[
        ("pages", Locator::Page),
        ("page", Locator::Page),
        ("pp.", Locator::Page),
        ("p.", Locator::Page),
        ("стр.", Locator::Page),
        ("с.", Locator::Page),
        ("бет", Locator::Page),
        ("б.", Locator::Page),
        ("chapter", Locator::Chapter),
        ("chap.", Locator::Chapter),
        ("ch.", Locator::Chapter),
        ("гл.", Locator::Chapter),
        ("тарау", Locator::Chapter),
        ("section", Locator::Section),
        ("sec.", Locator::Section),
        ("§", Locator::Section),
        ("разд.", Locator::Section),
        ("figure", Locator::Figure),
        ("fig.", Locator::Figure),
        ("рис.", Locator::Figure),
        ("сурет", Locator::Figure),
        ("table", Locator::Table),
        ("tbl.", Locator::Table),
        ("табл.", Locator::Table),
        ("кесте", Locator::Table),
        ("paragraph", Locator::Paragraph),
        ("para.", Locator::Paragraph),
        ("¶", Locator::Paragraph),
        ("volume", Locator::Volume),
        ("vol.", Locator::Volume),
        ("note", Locator::Note),
        ("n.", Locator::Note),
        ("line", Locator::Line),
        ("l.", Locator::Line),
    ];
    let lower = l.to_lowercase();
    for (label, kind) in LABELS {
        if let Some(rest) = lower.strip_prefix(label) {
            // Only a whole label: "p. 12", "p.12", "page 3", not "pages" for "p".
            let boundary = label.ends_with('.')
                || label.ends_with('§')
                || label.ends_with('¶')
                || rest.is_empty()
                || rest.starts_with(|c: char| c.is_whitespace() || c.is_ascii_digit());
            if boundary {
                let skip = l.len() - rest.len();
                return (*kind, l.get(skip..).unwrap_or("").trim().to_string());
            }
        }
    }
    (Locator::Page, l.to_string())
}

fn chunks_text(chunks: &[biblatex::Spanned<biblatex::Chunk>]) -> String {
    chunks.iter().map(|c| c.v.get()).collect()
}

/// Byte offset of an entry `@type{key,` in the source.
fn find_entry(text: &str, key: &str) -> usize {
    let needle = format!("{{{key},");
    text.find(&needle)
        .and_then(|i| text[..i].rfind('@'))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
