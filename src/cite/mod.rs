//! The bibliography (`data/references.bib`) and citation formatting.
//!
//! BibLaTeX is parsed with the `biblatex` crate (which reports positions) and formatted with
//! hayagriva's CSL processor in the site's style (APA 7, GOST R 7.0.5-2008 or Chicago
//! author-date). Pages render citations through [`Bibliography::format_page`], which takes a
//! page's citations in order so that numeric styles number them correctly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hayagriva::archive::ArchivedStyle;
use hayagriva::citationberg::{IndependentStyle, Locale, LocaleCode, Style as CslStyle};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, ElemChild,
    ElemChildren, Library, SpecificLocator,
};

use crate::error::{line_col, Diagnostic, Diagnostics, Result};
use crate::i18n::Lang;
use crate::markdown::Citation;

/// A citation style the site can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
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
    /// Parse a style name from `site.toml`.
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
}

/// CSL locale code for a page language. Kazakh has no official CSL locale; Russian terms are the
/// closest the CSL locale set offers.
fn locale_code(lang: Lang) -> LocaleCode {
    LocaleCode(
        match lang {
            Lang::En => "en-US",
            Lang::Ru | Lang::Kk => "ru-RU",
        }
        .into(),
    )
}

/// The parsed bibliography plus the loaded styles.
pub struct Bibliography {
    library: Library,
    styles: BTreeMap<Style, IndependentStyle>,
    locales: Vec<Locale>,
    /// Line of each entry in the `.bib` file, for messages.
    lines: BTreeMap<String, usize>,
    /// The `.bib` source of each entry, for downloads.
    sources: BTreeMap<String, String>,
}

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

impl Bibliography {
    /// Read `data/references.bib` (an absent file is an empty bibliography).
    pub fn load(root: &Path) -> Result<Self> {
        let rel = PathBuf::from("data/references.bib");
        let abs = root.join(&rel);
        let text = if abs.exists() {
            crate::content::read_text(&abs, &rel)?
        } else {
            String::new()
        };
        Self::parse(&text, &rel)
    }

    /// Parse BibLaTeX text; `rel` names the file in errors.
    pub fn parse(text: &str, rel: &Path) -> Result<Self> {
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
        let mut sources = BTreeMap::new();
        for entry in bib.iter() {
            let at = find_entry(text, &entry.key);
            let (line, _) = line_col(text, at);
            lines.insert(entry.key.clone(), line);
            sources.insert(entry.key.clone(), entry.to_biblatex_string());
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
        }
        diags.finish()?;
        let library = hayagriva::io::from_biblatex(&bib).map_err(|errs| {
            let msg = errs
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            Diagnostic::file(rel, format!("cannot use the bibliography: {msg}"))
                .hint("check entry types and date fields")
        })?;
        let styles = Style::ALL
            .iter()
            .filter_map(|s| match s.archived().get() {
                CslStyle::Independent(i) => Some((*s, i)),
                CslStyle::Dependent(_) => None,
            })
            .collect();
        Ok(Bibliography {
            library,
            styles,
            locales: hayagriva::archive::locales(),
            lines,
            sources,
        })
    }

    /// Whether the key exists.
    pub fn has(&self, key: &str) -> bool {
        self.lines.contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.lines.keys().map(String::as_str)
    }

    /// The entry's BibLaTeX source.
    pub fn bibtex(&self, key: &str) -> Option<&str> {
        self.sources.get(key).map(String::as_str)
    }

    /// Format a page's citations (in order of appearance) and its reference list.
    pub fn format_page(&self, citations: &[Citation], style: Style, lang: Lang) -> PageCitations {
        let Some(csl) = self.styles.get(&style) else {
            return PageCitations::default();
        };
        let mut driver = BibliographyDriver::new();
        // Locators are borrowed by the driver, so they must outlive it.
        let locators: Vec<Vec<String>> = citations
            .iter()
            .map(|c| {
                c.items
                    .iter()
                    .map(|i| strip_page_label(&i.locator))
                    .collect()
            })
            .collect();
        for (c, locs) in citations.iter().zip(&locators) {
            let items: Vec<_> = c
                .items
                .iter()
                .zip(locs)
                .filter_map(|(it, loc)| {
                    let entry = self.library.get(&it.key)?;
                    let mut ci = CitationItem::with_entry(entry);
                    if !it.locator.is_empty() {
                        ci.locator = Some(SpecificLocator(
                            hayagriva::citationberg::taxonomy::Locator::Page,
                            hayagriva::LocatorPayload::Str(loc),
                        ));
                    }
                    if it.suppress_author {
                        ci.purpose = Some(hayagriva::CitePurpose::Year);
                    } else if c.in_text {
                        ci.purpose = Some(hayagriva::CitePurpose::Author);
                    }
                    Some(ci)
                })
                .collect();
            driver.citation(CitationRequest::new(
                items,
                csl,
                Some(locale_code(lang)),
                &self.locales,
                None,
            ));
        }
        let rendered = driver.finish(BibliographyRequest {
            style: csl,
            locale: Some(locale_code(lang)),
            locale_files: &self.locales,
        });
        let mut out = PageCitations::default();
        for (c, r) in citations.iter().zip(rendered.citations.iter()) {
            let mut s = String::new();
            let _ = write_html(&mut s, &r.citation);
            // Author-only purpose in running text reads "Author (Year)" in APA/Chicago.
            if c.in_text && style != Style::Gost && !c.items.iter().any(|i| i.suppress_author) {
                let year = self.year_citation(c, csl, lang);
                s = format!("{s} {year}");
            }
            out.citations.push(s);
        }
        if let Some(b) = rendered.bibliography {
            for item in b.items {
                let mut s = String::new();
                if let Some(first) = &item.first_field {
                    let _ = write_html_child(&mut s, first);
                    s.push(' ');
                }
                let _ = write_html(&mut s, &item.content);
                out.references.push((item.key, s));
            }
        }
        out
    }

    fn year_citation(&self, c: &Citation, csl: &IndependentStyle, lang: Lang) -> String {
        let mut driver = BibliographyDriver::new();
        let items: Vec<_> = c
            .items
            .iter()
            .filter_map(|it| {
                let mut ci = CitationItem::with_entry(self.library.get(&it.key)?);
                ci.purpose = Some(hayagriva::CitePurpose::Year);
                Some(ci)
            })
            .collect();
        driver.citation(CitationRequest::new(
            items,
            csl,
            Some(locale_code(lang)),
            &self.locales,
            None,
        ));
        let r = driver.finish(BibliographyRequest {
            style: csl,
            locale: Some(locale_code(lang)),
            locale_files: &self.locales,
        });
        let mut s = String::new();
        if let Some(c) = r.citations.first() {
            let _ = write_html(&mut s, &c.citation);
        }
        if s.starts_with('(') {
            s
        } else {
            format!("({s})")
        }
    }

    /// The full reference of one entry in a style, as HTML.
    pub fn reference_html(&self, key: &str, style: Style, lang: Lang) -> Option<String> {
        let c = Citation {
            items: vec![crate::markdown::CiteItem {
                key: key.to_string(),
                prefix: String::new(),
                locator: String::new(),
                suppress_author: false,
            }],
            in_text: false,
        };
        self.format_page(&[c], style, lang)
            .references
            .into_iter()
            .next()
            .map(|(_, html)| html)
    }
}

/// Write hayagriva's formatted output as HTML. hayagriva's own HTML writer neither escapes text
/// nor avoids inline `style` attributes (which the site's Content-Security-Policy blocks), so the
/// tree is serialised here: text escaped, italics as `<i>`, bold as `<b>`, small caps as a class.
fn write_html(out: &mut String, children: &ElemChildren) {
    for child in &children.0 {
        write_html_child(out, child);
    }
}

fn write_html_child(out: &mut String, child: &ElemChild) {
    use hayagriva::citationberg::{FontStyle, FontVariant, FontWeight, VerticalAlign};
    match child {
        ElemChild::Text(f) => {
            let fm = &f.formatting;
            let mut open = String::new();
            let mut close = Vec::new();
            if fm.font_style == FontStyle::Italic {
                open.push_str("<i>");
                close.push("</i>");
            }
            if fm.font_weight == FontWeight::Bold {
                open.push_str("<b>");
                close.push("</b>");
            }
            if fm.font_variant == FontVariant::SmallCaps {
                open.push_str("<span class=\"small-caps\">");
                close.push("</span>");
            }
            match fm.vertical_align {
                VerticalAlign::Sup => {
                    open.push_str("<sup>");
                    close.push("</sup>");
                }
                VerticalAlign::Sub => {
                    open.push_str("<sub>");
                    close.push("</sub>");
                }
                _ => {}
            }
            out.push_str(&open);
            out.push_str(&crate::markdown::escape_text(&f.text));
            for c in close.iter().rev() {
                out.push_str(c);
            }
        }
        ElemChild::Elem(e) => write_html(out, &e.children),
        ElemChild::Markup(m) => out.push_str(&crate::markdown::escape_text(m)),
        ElemChild::Link { text, url } => {
            let safe = url.starts_with("https://") || url.starts_with("http://");
            if safe {
                out.push_str(&format!(
                    "<a href=\"{}\">",
                    crate::markdown::escape_attr(url)
                ));
            }
            write_html_child(out, &ElemChild::Text(text.clone()));
            if safe {
                out.push_str("</a>");
            }
        }
        ElemChild::Transparent { .. } => {}
    }
}

fn strip_page_label(loc: &str) -> String {
    let l = loc.trim();
    for p in ["pp.", "p.", "с.", "б."] {
        if let Some(rest) = l.strip_prefix(p) {
            return rest.trim().to_string();
        }
    }
    l.to_string()
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
mod tests {
    use super::*;
    use crate::markdown::CiteItem;

    const BIB: &str = "@article{abdullayev2024,\n  author = {Abdullayev, A. M. and Kadirova, M. B.},\n  title = {Assessment of local governance},\n  journaltitle = {Public Administration},\n  year = {2024},\n  volume = {2},\n  pages = {10--20},\n  doi = {10.52123/1994-2370-2024-1184},\n}\n";

    fn cite(key: &str, in_text: bool) -> Citation {
        Citation {
            items: vec![CiteItem {
                key: key.into(),
                prefix: String::new(),
                locator: String::new(),
                suppress_author: false,
            }],
            in_text,
        }
    }

    #[test]
    fn apa_citation_and_reference() {
        let b = Bibliography::parse(BIB, Path::new("r.bib")).unwrap();
        assert!(b.has("abdullayev2024"));
        let p = b.format_page(&[cite("abdullayev2024", false)], Style::Apa, Lang::En);
        assert!(
            p.citations[0].contains("Abdullayev") && p.citations[0].contains("2024"),
            "{:?}",
            p.citations
        );
        assert_eq!(p.references.len(), 1);
        assert!(
            p.references[0].1.contains("Assessment of local governance"),
            "{:?}",
            p.references
        );
        let t = b.format_page(&[cite("abdullayev2024", true)], Style::Apa, Lang::En);
        assert!(t.citations[0].contains("(2024)"), "{:?}", t.citations);
    }

    #[test]
    fn bibliography_fields_are_escaped() {
        let bib = BIB.replace(
            "Assessment of local governance",
            "Trust <script>alert(1)</script>",
        );
        let b = Bibliography::parse(&bib, Path::new("r.bib")).unwrap();
        let p = b.format_page(&[cite("abdullayev2024", false)], Style::Apa, Lang::En);
        assert!(
            p.references[0].1.contains("Trust &lt;script&gt;"),
            "{:?}",
            p.references
        );
        assert!(
            !p.references[0].1.contains("style="),
            "no inline styles (CSP)"
        );
        assert!(
            p.references[0].1.contains("<i>"),
            "italics kept: {:?}",
            p.references
        );
    }

    #[test]
    fn gost_is_numeric() {
        let b = Bibliography::parse(BIB, Path::new("r.bib")).unwrap();
        let p = b.format_page(&[cite("abdullayev2024", false)], Style::Gost, Lang::Ru);
        assert!(p.citations[0].contains('1'), "{:?}", p.citations);
    }

    #[test]
    fn errors_have_lines() {
        let dup = format!("{BIB}\n{BIB}");
        let e = Bibliography::parse(&dup, Path::new("r.bib")).unwrap_err();
        assert!(e.to_string().contains("r.bib:11:"), "{e}");
        let bad_doi = BIB.replace("10.52123/1994-2370-2024-1184", "doi.org/123");
        let e = Bibliography::parse(&bad_doi, Path::new("r.bib")).unwrap_err();
        assert!(e.to_string().contains("r.bib:8:"), "{e}");
        let broken = "@article{x,\n title = {unclosed\n";
        assert!(Bibliography::parse(broken, Path::new("r.bib")).is_err());
    }
}
