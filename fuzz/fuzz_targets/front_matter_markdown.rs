//! Front matter + Markdown + directives, through bilim's public API: split the front matter,
//! deserialise it as every kind of front matter (positioned errors), extract the `{table}` and
//! `{chart}` directives and parse them, and render the body. Besides "never panic", the rendered
//! HTML must never contain markup that runs code (content cannot inject scripts).
#![no_main]

use std::path::{Path, PathBuf};

use bilim::charts::ChartSpec;
use bilim::content::{self, ArticleMeta, Document, PageMeta, TranslationMeta};
use bilim::i18n::Lang;
use bilim::markdown::{self, Citation, Resolver};
use libfuzzer_sys::fuzz_target;

struct Fake;

impl Resolver for Fake {
    fn directive_html(&self, index: usize) -> Option<String> {
        (index % 2 == 0).then(|| "<div class=\"directive\"></div>".to_string())
    }
    fn cross_ref(&self, id: &str) -> Option<(String, String)> {
        id.ends_with('a')
            .then(|| ("Table 1".to_string(), format!("#{id}")))
    }
    fn has_key(&self, key: &str) -> bool {
        key.len() % 2 == 0
    }
    fn cite(&self, c: &Citation) -> String {
        format!("<span class=\"cite\">{}</span>", c.items.len())
    }
    fn base_path(&self) -> &str {
        "/kb/"
    }
}

fn front_matter<T: for<'de> serde::Deserialize<'de>>(fm: &str, rel: &Path) {
    if let Err(e) = toml::from_str::<T>(fm) {
        let d = bilim::config::toml_diagnostic(rel, fm, &e).shifted(1);
        let _ = d.to_string();
    }
}

/// Markup that could run code: a dangerous element, an event-handler attribute or a script URL.
/// Text cannot hold a raw `<` (it is escaped), so every `<` + letter starts a tag.
fn unsafe_markup(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' || !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = html[i + 1..j].to_ascii_lowercase();
        if [
            "script", "iframe", "object", "embed", "base", "style", "link", "meta", "form",
            "frame", "frameset", "applet", "svg",
        ]
        .contains(&name.as_str())
        {
            return Some(format!("a <{name}> element"));
        }
        // Attributes, with quoted values.
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr = html[start..j].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                if let Some(&q @ (b'"' | b'\'')) = b.get(j) {
                    let end = html[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                    value = html[j + 1..end].to_ascii_lowercase();
                    j = end + 1;
                } else {
                    let start = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[start..j].to_ascii_lowercase();
                }
            }
            if attr.starts_with("on") {
                return Some(format!("<{name} {attr}=…>"));
            }
            let v = value.trim_start();
            if ["href", "src", "action", "formaction"].contains(&attr.as_str())
                && ["javascript:", "vbscript:", "data:text"]
                    .iter()
                    .any(|s| v.starts_with(s))
            {
                return Some(format!("<{name} {attr}=\"{value}\">"));
            }
        }
        i = j;
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let rel = PathBuf::from("content/articles/fuzz/index.md");
    let (body, offset) = match content::split_front_matter(&text, &rel) {
        Ok((fm, body, offset)) => {
            front_matter::<ArticleMeta>(fm, &rel);
            front_matter::<TranslationMeta>(fm, &rel);
            front_matter::<PageMeta>(fm, &rel);
            (body.to_string(), offset)
        }
        Err(e) => {
            let _ = e.to_string();
            (text.clone(), 0)
        }
    };
    for lang in Lang::ALL {
        let doc = Document {
            path: rel.clone(),
            lang,
            body: body.clone(),
            body_offset: offset,
        };
        for block in markdown::extract_directives(&doc) {
            if let Err(e) = bilim_stats::spec::TableSpec::parse(&block.source) {
                let _ = (e.line + block.line_offset, e.col);
            }
            let _ = toml::from_str::<ChartSpec>(&block.source);
        }
        match markdown::render(&doc, &Fake) {
            Ok(r) => {
                if let Some(bad) = unsafe_markup(&r.html) {
                    panic!("{bad} in:\n{}", r.html);
                }
            }
            Err(e) => {
                for d in e.diagnostics() {
                    assert!(d.line >= 1, "diagnostic without a line: {d}");
                }
            }
        }
        if lang == Lang::En {
            continue;
        }
        break;
    }
});
