//! Taxonomies: authors, keywords, topics, journal issues, years, source languages and methods.
//! Each has an index page with counts and a page per term listing its articles.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::SiteConfig;
use crate::content::Article;
use crate::i18n::Lang;

/// The taxonomies, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Topic slugs from site.toml.
    Topics,
    /// Method slugs from site.toml.
    Methods,
    /// Authors by romanised name.
    Authors,
    /// Keywords of each language version.
    Keywords,
    /// Journal issues.
    Issues,
    /// Publication years.
    Years,
    /// Languages of the source articles.
    Languages,
}

impl Kind {
    /// Every taxonomy.
    pub const ALL: [Kind; 7] = [
        Kind::Topics,
        Kind::Methods,
        Kind::Authors,
        Kind::Keywords,
        Kind::Issues,
        Kind::Years,
        Kind::Languages,
    ];

    /// URL segment and i18n key.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Topics => "topics",
            Kind::Methods => "methods",
            Kind::Authors => "authors",
            Kind::Keywords => "keywords",
            Kind::Issues => "issues",
            Kind::Years => "years",
            Kind::Languages => "languages",
        }
    }
}

/// One term with the articles it applies to.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    /// URL segment.
    pub slug: String,
    /// Display label in the page language.
    pub label: String,
    /// The articles' positions in the list the terms were built from (the site's
    /// `content.articles`), ascending: the order every list of the site shows them in.
    pub positions: Vec<usize>,
}

/// The terms of one taxonomy in one language, sorted by label.
pub type Terms = Vec<Term>;

/// Build a taxonomy's terms for a language.
pub fn build(
    kind: Kind,
    articles: &[std::sync::Arc<Article>],
    cfg: &SiteConfig,
    lang: Lang,
) -> Terms {
    let mut map: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    for (i, a) in articles.iter().enumerate() {
        for (slug, label) in terms_of(kind, a, cfg, lang) {
            let e = map.entry(slug).or_insert_with(|| (label, Vec::new()));
            // Each article is visited once, so a repeat can only be its own last push (a
            // keyword listed twice): checking the last entry keeps this linear.
            if e.1.last() != Some(&i) {
                e.1.push(i);
            }
        }
    }
    let mut terms: Terms = map
        .into_iter()
        .map(|(slug, (label, positions))| Term {
            slug,
            label,
            positions,
        })
        .collect();
    terms.sort_by(|a, b| term_order(kind, a, b));
    terms
}

/// The order of a taxonomy's terms: years newest first, the others by label, then slug.
fn term_order(kind: Kind, a: &Term, b: &Term) -> std::cmp::Ordering {
    match kind {
        Kind::Years => b.label.cmp(&a.label),
        _ => a
            .label
            .to_lowercase()
            .cmp(&b.label.to_lowercase())
            .then(a.slug.cmp(&b.slug)),
    }
}

fn vocab_label(
    cfg_vocab: &BTreeMap<String, BTreeMap<String, String>>,
    slug: &str,
    lang: Lang,
) -> String {
    cfg_vocab
        .get(slug)
        .and_then(|l| l.get(lang.code()).or_else(|| l.get("en")))
        .cloned()
        .unwrap_or_else(|| slug.to_string())
}

fn terms_of(kind: Kind, a: &Article, cfg: &SiteConfig, lang: Lang) -> Vec<(String, String)> {
    let m = &a.meta;
    match kind {
        Kind::Topics => m
            .topics
            .iter()
            .map(|t| (t.clone(), vocab_label(&cfg.topics, t, lang)))
            .collect(),
        Kind::Methods => m
            .methods
            .iter()
            .map(|t| (t.clone(), vocab_label(&cfg.methods, t, lang)))
            .collect(),
        Kind::Authors => m
            .authors
            .iter()
            .map(|au| (term_slug(&au.name), au.name.clone()))
            .collect(),
        Kind::Keywords => {
            let kws = a.versions.get(&lang).map_or(&m.keywords, |v| &v.keywords);
            kws.iter()
                .map(|k| (term_slug(k), k.trim().to_string()))
                .collect()
        }
        Kind::Issues => issue_term(a).into_iter().collect(),
        Kind::Years => vec![(m.year.to_string(), m.year.to_string())],
        Kind::Languages => {
            let l = Lang::parse(&m.source_lang).unwrap_or(Lang::En);
            vec![(l.code().to_string(), l.native_name().to_string())]
        }
    }
}

/// The journal-issue term of an article: "Journal, 2025, vol. 114, no. 2".
pub fn issue_term(a: &Article) -> Option<(String, String)> {
    let m = &a.meta;
    let journal = m.journal.as_deref()?.trim();
    if journal.is_empty() {
        return None;
    }
    let mut label = format!("{journal}, {}", m.year);
    if let Some(v) = m.volume.as_deref().filter(|v| !v.is_empty()) {
        label.push_str(&format!(", vol. {v}"));
    }
    if let Some(i) = m.issue.as_deref().filter(|v| !v.is_empty()) {
        label.push_str(&format!(", no. {i}"));
    }
    Some((term_slug(&label), label))
}

/// An ASCII URL slug for any term: Cyrillic is transliterated, everything else folded to
/// hyphens, so URLs stay readable and portable.
pub fn term_slug(text: &str) -> String {
    let mut latin = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        match translit_char(c) {
            Some(s) => latin.push_str(s),
            None => latin.push(c),
        }
    }
    let mut out = String::new();
    for c in latin.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "term".into()
    } else if out.len() > MAX_SLUG {
        // A file name has at most 255 bytes: a long term (a journal name with volume and issue)
        // is cut, and a hash of the whole slug keeps different long terms apart.
        use sha2::Digest;
        let digest = sha2::Sha256::digest(out.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", out[..MAX_SLUG - 9].trim_end_matches('-'))
    } else {
        out
    }
}

/// The longest term slug, in bytes (ASCII).
pub const MAX_SLUG: usize = 80;

/// Lowercase Cyrillic letter (Russian and Kazakh) → ASCII, for slugs only.
fn translit_char(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'ғ' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "i",
        'к' => "k",
        'қ' => "q",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'ң' => "n",
        'о' => "o",
        'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ұ' => "u",
        'ү' => "u",
        'ф' => "f",
        'х' => "kh",
        'һ' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "",
        'ы' => "y",
        'і' => "i",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'á' | 'à' | 'ä' => "a",
        'é' | 'è' => "e",
        'ö' | 'ó' => "o",
        'ü' | 'ú' | 'ū' => "u",
        'ı' | 'í' => "i",
        'ş' => "sh",
        'ç' => "ch",
        'ğ' => "g",
        'ñ' => "n",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            term_slug("Жергілікті өзін-өзі басқару"),
            "zhergilikti-ozin-ozi-basqaru"
        );
        assert_eq!(
            term_slug("местное самоуправление"),
            "mestnoe-samoupravlenie"
        );
        assert_eq!(term_slug("Abdullayev, A. M."), "abdullayev-a-m");
        assert_eq!(term_slug("!!!"), "term");
        let long = "Journal of a very long name ".repeat(20);
        let slug = term_slug(&long);
        assert!(slug.len() <= MAX_SLUG, "{slug}");
        assert!(slug.starts_with("journal-of-a-very-long-name-journal"));
        assert_ne!(
            slug,
            term_slug(&format!("{long} 2")),
            "long terms stay apart"
        );
    }
}
