//! `site.toml`: the site's configuration.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{line_col, Diagnostic, Result};
use crate::i18n::Lang;

/// Labels of a controlled-vocabulary term, one per language.
pub type Labels = BTreeMap<String, String>;

/// The parsed `site.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site title in the default language.
    pub title: String,
    /// One-sentence description.
    #[serde(default)]
    pub description: String,
    /// Absolute URL the site is published under; may have a path.
    pub base_url: String,
    /// Language of the root (`en`).
    #[serde(default = "default_lang")]
    pub default_language: String,
    /// Every language the site is built in.
    #[serde(default = "default_langs")]
    pub languages: Vec<String>,
    /// Citation style: `apa`, `gost` or `chicago`.
    #[serde(default = "default_style")]
    pub citation_style: String,
    /// Per-language overrides of the citation style.
    #[serde(default)]
    pub citation_style_i18n: BTreeMap<String, String>,
    /// Theme directory name under `themes/`.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Licence of the knowledge base's own content.
    #[serde(default)]
    pub license: String,
    /// Source repository URL.
    #[serde(default)]
    pub repository: String,
    /// People responsible for the knowledge base (cited as its authors).
    #[serde(default)]
    pub maintainers: Vec<Maintainer>,
    /// Title per non-default language.
    #[serde(default)]
    pub title_i18n: BTreeMap<String, String>,
    /// Description per non-default language.
    #[serde(default)]
    pub description_i18n: BTreeMap<String, String>,
    /// Topic slug → labels.
    #[serde(default)]
    pub topics: BTreeMap<String, Labels>,
    /// Method slug → labels.
    #[serde(default)]
    pub methods: BTreeMap<String, Labels>,
}

/// A maintainer of the knowledge base.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Maintainer {
    /// Display name.
    pub name: String,
    /// ORCID iD, if any.
    #[serde(default)]
    pub orcid: String,
}

fn default_lang() -> String {
    "en".into()
}
fn default_langs() -> Vec<String> {
    vec!["en".into(), "ru".into(), "kk".into()]
}
fn default_style() -> String {
    "apa".into()
}
fn default_theme() -> String {
    "default".into()
}

impl SiteConfig {
    /// Read and validate `site.toml` in `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join("site.toml");
        let rel = Path::new("site.toml");
        let text = crate::content::read_text(&path, rel)?;
        let cfg = Self::parse(&text, rel)?;
        if !root.join("themes").join(&cfg.theme).is_dir() {
            let (line, col) = key_spans(&text)
                .get("theme")
                .map_or((1, 1), |s| line_col(&text, s.start));
            return Err(Diagnostic::at(
                rel,
                line,
                col,
                format!("there is no theme directory themes/{}/", cfg.theme),
            )
            .hint("set `theme` to a directory under themes/ (e.g. \"default\"), or create it")
            .into());
        }
        Ok(cfg)
    }

    /// Parse `site.toml` text; `rel` names the file in errors.
    pub fn parse(text: &str, rel: &Path) -> Result<Self> {
        let cfg: SiteConfig = toml::from_str(text).map_err(|e| toml_diagnostic(rel, text, &e))?;
        cfg.validate(rel, text)?;
        Ok(cfg)
    }

    fn validate(&self, rel: &Path, text: &str) -> Result<()> {
        let spans = key_spans(text);
        let mut diags = crate::error::Diagnostics::default();
        let mut err = |key: &str, message: String, hint: &str| {
            let (line, col) = spans.get(key).map_or((1, 1), |s| line_col(text, s.start));
            diags.push(Diagnostic::at(rel, line, col, message).hint(hint));
        };
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            err(
                "base_url",
                format!(
                    "base_url `{}` is not an absolute http(s) URL",
                    self.base_url
                ),
                "write e.g. base_url = \"https://user.github.io/repo/\"",
            );
        }
        for (i, l) in self.languages.iter().enumerate() {
            if Lang::parse(l).is_none() {
                err(
                    &format!("languages.{i}"),
                    format!("unsupported language `{l}`"),
                    "languages may be \"en\", \"ru\" and \"kk\"",
                );
            }
        }
        if self.default_language != "en" {
            err(
                "default_language",
                "default_language must be \"en\"".into(),
                "English is the master language of summaries (index.md)",
            );
        }
        if crate::cite::Style::parse(&self.citation_style).is_none() {
            err(
                "citation_style",
                format!("unknown citation style `{}`", self.citation_style),
                "write citation_style = \"apa\", \"gost\" or \"chicago\"",
            );
        }
        for (lang, style) in &self.citation_style_i18n {
            let key = format!("citation_style_i18n.{lang}");
            if Lang::parse(lang).is_none() {
                err(
                    &key,
                    format!("unsupported language `{lang}`"),
                    "the keys of citation_style_i18n are \"en\", \"ru\" or \"kk\"",
                );
            } else if crate::cite::Style::parse(style).is_none() {
                err(
                    &key,
                    format!("unknown citation style `{style}`"),
                    "write \"apa\", \"gost\" or \"chicago\"",
                );
            }
        }
        if !crate::content::is_slug(&self.theme) {
            err(
                "theme",
                format!("theme `{}` is not a theme directory name", self.theme),
                "name a directory under themes/, e.g. theme = \"default\"",
            );
        }
        for (kind, vocab) in [("topics", &self.topics), ("methods", &self.methods)] {
            for (slug, labels) in vocab {
                let key = format!("{kind}.{slug}");
                if !crate::content::is_slug(slug) {
                    err(
                        &key,
                        format!("{kind} slug `{slug}` is not a slug"),
                        "use lowercase letters, digits and hyphens",
                    );
                } else if !labels.contains_key("en") {
                    err(
                        &key,
                        format!("{kind}.{slug} has no `en` label"),
                        "give labels like { en = \"…\", ru = \"…\", kk = \"…\" }",
                    );
                }
            }
        }
        diags.finish()
    }

    /// The site's languages in configured order.
    pub fn langs(&self) -> Vec<Lang> {
        self.languages
            .iter()
            .filter_map(|l| Lang::parse(l))
            .collect()
    }

    /// Title in a language.
    pub fn title_in(&self, lang: Lang) -> &str {
        self.title_i18n.get(lang.code()).unwrap_or(&self.title)
    }

    /// Description in a language.
    pub fn description_in(&self, lang: Lang) -> &str {
        self.description_i18n
            .get(lang.code())
            .unwrap_or(&self.description)
    }

    /// A copy with another base URL (the `--base-url` flag).
    pub fn with_base_url(mut self, url: &str) -> Self {
        self.base_url = if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        };
        self
    }

    /// The path part of `base_url`, always starting and ending with `/`.
    pub fn base_path(&self) -> String {
        let rest = self.base_url.split_once("://").map_or("", |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        }
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url_slash(&self) -> String {
        format!("{}/", self.base_url.trim_end_matches('/'))
    }
}

/// Byte spans of the keys of a TOML document by dotted path (`topics.survey`), and of the values
/// of arrays by index (`languages.1`). Empty when the text does not parse.
fn key_spans(src: &str) -> BTreeMap<String, std::ops::Range<usize>> {
    fn walk(
        prefix: &str,
        v: &toml::de::DeValue<'_>,
        out: &mut BTreeMap<String, std::ops::Range<usize>>,
    ) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, val) in t.iter() {
                    let path = if prefix.is_empty() {
                        k.get_ref().to_string()
                    } else {
                        format!("{prefix}.{}", k.get_ref())
                    };
                    out.insert(path.clone(), k.span());
                    walk(&path, val.get_ref(), out);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, val) in a.iter().enumerate() {
                    let path = format!("{prefix}.{i}");
                    out.insert(path.clone(), val.span());
                    walk(&path, val.get_ref(), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(doc) = toml::de::DeTable::parse(src) {
        walk("", &toml::de::DeValue::Table(doc.into_inner()), &mut out);
    }
    out
}

/// Turn a toml deserialisation error into a positioned diagnostic.
pub fn toml_diagnostic(rel: &Path, text: &str, e: &toml::de::Error) -> Diagnostic {
    let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
    let msg = e.message().trim().to_string();
    let hint = if msg.contains("unknown field") {
        "remove or rename the key; the allowed keys are listed in the message and in docs/authoring.md"
    } else if msg.contains("missing field") {
        "add the field (docs/authoring.md lists the required ones)"
    } else if msg.contains("invalid type") {
        "check the value's type: strings need quotes, lists need [ ], numbers none"
    } else {
        "check the TOML syntax around this position (quotes, brackets, `key = value`)"
    };
    Diagnostic::at(rel, line, col, msg).hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Result<SiteConfig> {
        SiteConfig::parse(
            &format!("title = \"t\"\nbase_url = \"https://x.github.io/repo\"\n{extra}"),
            Path::new("site.toml"),
        )
    }

    #[test]
    fn base_path_from_url() {
        let c = cfg("").unwrap();
        assert_eq!(c.base_path(), "/repo/");
        let c = c.with_base_url("http://127.0.0.1:8080");
        assert_eq!(c.base_path(), "/");
    }

    #[test]
    fn unknown_key_is_positioned() {
        let err = cfg("colour = 1").unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!((d.line, d.col), (3, 1));
        assert!(d.message.contains("unknown field"), "{}", d.message);
    }

    #[test]
    fn rejects_relative_base_url() {
        let err = SiteConfig::parse("title = \"t\"\nbase_url = \"/x\"", Path::new("site.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("base_url"));
        let d = &err.diagnostics()[0];
        assert_eq!((d.line, d.col), (2, 1), "{d}");
    }

    #[test]
    fn invalid_values_are_positioned_and_all_reported() {
        let err = cfg("languages = [\"en\", \"de\"]\ncitation_style = \"mla\"\n[topics]\nBad_Slug = { en = \"x\" }\n")
            .unwrap_err();
        let list: Vec<(usize, usize, &str)> = err
            .diagnostics()
            .iter()
            .map(|d| (d.line, d.col, d.message.as_str()))
            .collect();
        assert_eq!(
            list,
            [
                (3, 20, "unsupported language `de`"),
                (4, 1, "unknown citation style `mla`"),
                (6, 1, "topics slug `Bad_Slug` is not a slug"),
            ]
        );
    }
}
