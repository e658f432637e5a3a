//! Query parsing and ranking: the algorithm `search/search.js` repeats line for line.
//!
//! * Each query word becomes the set of keys it may stand for ([`analyzer::query_keys`]), plus
//!   equivalents; in prefix mode (as you type) the last word also gets the [`PREFIX_K`] most
//!   frequent index keys that start with its folded form.
//! * A document's score for a word is the best of its keys: `idf × impact`; the document's
//!   score is the sum over words, times the number of words it matches (coordination).
//! * Language versions are grouped: a group (article, dataset or table) ranks by its best
//!   version, which represents it; ties go to the lower document id. Groups are sorted by score,
//!   then document id. All arithmetic is on integers, so both implementations agree exactly.

use std::collections::{BTreeMap, BTreeSet};

use super::analyzer::{self, expand_equivalents, is_word_char, query_keys, Token};
use super::index::KeyEntry;
use crate::i18n::Lang;

/// Shortest folded prefix that is expanded as you type.
pub const PREFIX_MIN: usize = 3;
/// Keys added for a prefix.
pub const PREFIX_K: usize = 5;
/// Words in an excerpt.
pub const WINDOW: usize = 24;

/// One query word and its keys (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The normalised word.
    pub text: String,
    /// Keys it may stand for.
    pub keys: Vec<String>,
}

/// Analyse a query. `prefix_keys(p)` lists index keys starting with `p` with their document
/// frequencies; it is called only in prefix mode.
pub fn parse(
    query: &str,
    prefix: bool,
    mut prefix_keys: impl FnMut(&str) -> Vec<(String, u32)>,
) -> Vec<Word> {
    let words = analyzer::words(query);
    let open_end = query.chars().last().is_some_and(is_word_char);
    let n = words.len();
    let mut out = Vec::new();
    for (i, (_, _, w)) in words.into_iter().enumerate() {
        let mut keys = expand_equivalents(&query_keys(&w));
        if prefix && open_end && i + 1 == n {
            let p = analyzer::prefix_key(&w);
            if p.chars().count() >= PREFIX_MIN {
                let mut cands: Vec<(String, u32)> = prefix_keys(&p)
                    .into_iter()
                    .filter(|(k, _)| !keys.contains(k))
                    .collect();
                cands.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                keys.extend(cands.into_iter().take(PREFIX_K).map(|(k, _)| k));
                keys.sort();
                keys.dedup();
            }
        }
        if !keys.is_empty() {
            out.push(Word { text: w, keys });
        }
    }
    out
}

/// A scored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocScore {
    /// Document id.
    pub doc: u32,
    /// Σ over words of the best key's idf × impact, times the words matched.
    pub score: u64,
    /// Chunk (0-based) that best shows the matches.
    pub chunk: u32,
}

/// A ranked group: the best version and the other versions that match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The representing version.
    pub best: DocScore,
    /// Other matching versions, by id.
    pub others: Vec<u32>,
}

/// Score every allowed document that matches a word.
pub fn score(
    words: &[Word],
    entries: &BTreeMap<String, KeyEntry>,
    allowed: impl Fn(u32) -> bool,
) -> Vec<DocScore> {
    // doc → per word (contribution, chunk)
    let mut best: BTreeMap<u32, Vec<(u64, u32)>> = BTreeMap::new();
    for (wi, w) in words.iter().enumerate() {
        for key in &w.keys {
            let Some(e) = entries.get(key) else { continue };
            for p in &e.postings {
                if !allowed(p.doc) {
                    continue;
                }
                let slots = best
                    .entry(p.doc)
                    .or_insert_with(|| vec![(0, 0); words.len()]);
                let contrib = u64::from(e.idf) * u64::from(p.impact);
                if contrib > slots[wi].0 {
                    slots[wi] = (contrib, p.chunk);
                }
            }
        }
    }
    best.into_iter()
        .map(|(doc, slots)| {
            let sum: u64 = slots.iter().map(|s| s.0).sum();
            let matched = slots.iter().filter(|s| s.0 > 0).count() as u64;
            let mut votes: BTreeMap<u32, u64> = BTreeMap::new();
            for &(c, chunk) in &slots {
                if chunk > 0 {
                    *votes.entry(chunk - 1).or_default() += c;
                }
            }
            let chunk = votes
                .iter()
                .fold(None::<(u32, u64)>, |acc, (&ch, &v)| match acc {
                    Some((_, av)) if av >= v => acc,
                    _ => Some((ch, v)),
                })
                .map_or(0, |(ch, _)| ch);
            DocScore {
                doc,
                score: sum * matched,
                chunk,
            }
        })
        .collect()
}

/// Group language versions (`id / 3`) and rank the groups.
pub fn group(scores: Vec<DocScore>) -> Vec<Hit> {
    let mut groups: BTreeMap<u32, Vec<DocScore>> = BTreeMap::new();
    for s in scores {
        groups.entry(s.doc / 3).or_default().push(s);
    }
    let mut hits: Vec<Hit> = groups
        .into_values()
        .filter_map(|mut members| {
            members.sort_by(|a, b| b.score.cmp(&a.score).then(a.doc.cmp(&b.doc)));
            let mut it = members.into_iter();
            let best = it.next()?;
            let mut others: Vec<u32> = it.map(|m| m.doc).collect();
            others.sort_unstable();
            Some(Hit { best, others })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.best
            .score
            .cmp(&a.best.score)
            .then(a.best.doc.cmp(&b.best.doc))
    });
    hits
}

/// Every key of the parsed query.
pub fn all_keys(words: &[Word]) -> BTreeSet<String> {
    words.iter().flat_map(|w| w.keys.iter().cloned()).collect()
}

/// An excerpt of `text` around the densest cluster of `keys`, with highlighted ranges in
/// characters (Unicode scalar values) of the excerpt.
pub fn excerpt(text: &str, lang: Lang, keys: &BTreeSet<String>) -> (String, Vec<(usize, usize)>) {
    let tokens: Vec<Token> = analyzer::analyze(text, lang);
    if tokens.is_empty() {
        let s: String = text.chars().take(160).collect();
        let more = s.len() < text.len();
        return (
            format!("{}{}", s.replace('\n', " "), if more { " …" } else { "" }),
            Vec::new(),
        );
    }
    let n = tokens.len();
    let mut best = (0usize, 0usize, 0usize); // (distinct, count, start)
    for s in 0..n {
        let window = &tokens[s..(s + WINDOW).min(n)];
        let hits: Vec<&str> = window
            .iter()
            .filter(|t| keys.contains(&t.key))
            .map(|t| t.key.as_str())
            .collect();
        let distinct = hits.iter().collect::<BTreeSet<_>>().len();
        if (distinct, hits.len()) > (best.0, best.1) {
            best = (distinct, hits.len(), s);
        }
    }
    let s = best.2;
    let e = (s + WINDOW).min(n);
    let start = if s == 0 { 0 } else { tokens[s].start };
    let end = if e == n {
        text.len()
    } else {
        tokens[e - 1].end
    };
    let lead = if start > 0 { "… " } else { "" };
    let tail = if end < text.len() { " …" } else { "" };
    let body = text[start..end].replace('\n', " ");
    let offset = lead.chars().count();
    let highlights = tokens[s..e]
        .iter()
        .filter(|t| keys.contains(&t.key))
        .map(|t| {
            let a = offset + text[start..t.start].chars().count();
            (a, a + text[t.start..t.end].chars().count())
        })
        .collect();
    (format!("{lead}{body}{tail}"), highlights)
}

#[cfg(test)]
mod tests {
    use super::super::index::{KeyEntry, Posting};
    use super::*;

    fn entry(idf: u32, postings: &[(u32, u32, u32)]) -> KeyEntry {
        KeyEntry {
            df: postings.len() as u32,
            idf,
            postings: postings
                .iter()
                .map(|&(doc, impact, chunk)| Posting { doc, impact, chunk })
                .collect(),
        }
    }

    #[test]
    fn versions_are_grouped_and_coordination_counts() {
        let words = vec![
            Word {
                text: "a".into(),
                keys: vec!["a".into()],
            },
            Word {
                text: "b".into(),
                keys: vec!["b".into()],
            },
        ];
        let mut entries = BTreeMap::new();
        entries.insert(
            "a".into(),
            entry(10, &[(0, 100, 1), (1, 120, 2), (3, 50, 1)]),
        );
        entries.insert("b".into(), entry(20, &[(3, 10, 1), (7, 500, 0)]));
        let hits = group(score(&words, &entries, |_| true));
        // group 2 (doc 7): 20·500 = 10000; group 1 (doc 3): (500 + 200)·2 = 1400;
        // group 0: best version doc 1 with 1200 (doc 0 grouped under it).
        let order: Vec<u32> = hits.iter().map(|h| h.best.doc).collect();
        assert_eq!(order, [7, 3, 1]);
        assert_eq!(hits[2].others, [0]);
        assert_eq!(hits[1].best.score, 1400);
        assert_eq!(hits[2].best.chunk, 1);
    }

    #[test]
    fn excerpt_centres_on_matches_and_marks_them() {
        let text = format!(
            "{} мәслихат депутаттары бюджет {}",
            "сөз ".repeat(40),
            "сөз ".repeat(40)
        );
        let keys: BTreeSet<String> = [analyzer::doc_key("мәслихат", Lang::Kk).unwrap()].into();
        let (ex, hl) = excerpt(&text, Lang::Kk, &keys);
        assert!(ex.starts_with("… "));
        assert_eq!(hl.len(), 1);
        let marked: String = ex.chars().skip(hl[0].0).take(hl[0].1 - hl[0].0).collect();
        assert_eq!(marked, "мәслихат");
    }
}
