//! BibTeX / BibLaTeX: parse `data/references.bib` text (positioned errors, DOI checks), then format
//! every entry in every style and language, in running text and in brackets, with a locator.
//! Formatted HTML must never carry markup from the entry.
#![no_main]

use std::path::Path;

use bilim::cite::{Bibliography, Style};
use bilim::i18n::Lang;
use bilim::markdown::{Citation, CiteItem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let rel = Path::new("data/references.bib");
    let bib = match Bibliography::parse(text, rel) {
        Ok(b) => b,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let keys: Vec<String> = bib.keys().take(8).map(str::to_string).collect();
    let citations: Vec<Citation> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Citation {
            items: vec![CiteItem {
                key: k.clone(),
                prefix: if i % 2 == 0 {
                    String::new()
                } else {
                    "see".into()
                },
                locator: if i % 3 == 0 {
                    "p. 12".into()
                } else {
                    String::new()
                },
                suppress_author: i % 4 == 1,
            }],
            in_text: i % 2 == 1,
        })
        .collect();
    for style in Style::ALL {
        for lang in Lang::ALL {
            let page = bib.format_page(&citations, style, lang);
            for html in page
                .citations
                .iter()
                .chain(page.references.iter().map(|(_, h)| h))
            {
                let lower = html.to_ascii_lowercase();
                assert!(!lower.contains("<script"), "unescaped markup: {html}");
                assert!(!lower.contains("href=\"javascript:"), "unsafe link: {html}");
            }
        }
    }
    for k in &keys {
        let _ = bib.bibtex(k);
        let _ = bib.csl_item(k);
    }
});
