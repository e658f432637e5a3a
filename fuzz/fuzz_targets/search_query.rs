//! The search query parser and analyzer: words, keys, prefix expansion, excerpts and highlights
//! for arbitrary (mixed-script) text.
#![no_main]

use bilim::i18n::Lang;
use bilim::search::{analyzer, cli, engine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for prefix in [false, true] {
        let words = engine::parse(text, prefix, |p| {
            vec![
                (format!("{p}a"), 3),
                (format!("{p}ы"), 1),
                (p.to_string(), 2),
            ]
        });
        let keys = engine::all_keys(&words);
        for lang in Lang::ALL {
            let (excerpt, ranges) = engine::excerpt(text, lang, &keys);
            let chars = excerpt.chars().count();
            for &(a, b) in &ranges {
                // Ranges count characters of the excerpt.
                assert!(
                    a <= b && b <= chars,
                    "range {a}..{b} outside the excerpt ({chars} chars)"
                );
            }
            let _ = cli::highlight(&excerpt, &ranges, true);
            let _ = analyzer::analyze(text, lang);
        }
    }
    let _ = analyzer::normalize(text);
    let _ = cli::analyze_words(text);
});
