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
                let html = r.html.to_ascii_lowercase();
                for bad in ["<script", "<iframe", "<object", "<embed", "javascript:", "vbscript:"] {
                    // `javascript:` may appear as escaped text, never as a URL.
                    let as_markup = match bad {
                        "javascript:" | "vbscript:" => {
                            html.contains(&format!("href=\"{bad}")) || html.contains(&format!("src=\"{bad}"))
                        }
                        _ => html.contains(bad),
                    };
                    assert!(!as_markup, "unescaped {bad} in:\n{}", r.html);
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
