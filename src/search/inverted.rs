//! The inverted index of a site build, in memory: per key, the documents that have it with
//! their term frequencies and best body chunk, and per document its field lengths. It is what
//! the static export ([`super::export`]) reads.
//!
//! `bilim search` keeps a tantivy index on disk ([`super::index`]); the site build does not need
//! one, because the browser index is written from postings alone. Building it straight from the
//! analysed documents saves what tantivy's writer costs (its documents carry pre-tokenised text
//! serialised as JSON) and lets `serve` keep each document's terms between rebuilds
//! ([`crate::incremental::Memo::terms`]).
//!
//! The numbers are tantivy's: field lengths are quantised with tantivy's field-norm code, tokens
//! longer than tantivy's limit are dropped as tantivy drops them, and [`Inverted::key_entry`]
//! applies the same BM25 functions as [`super::index::Index::key_entry`]. A test checks that the
//! two agree on every key, so the terminal and the browser still rank alike.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::tokenizer::MAX_TOKEN_LEN;

use super::analyzer::analyze;
use super::index::{avg_lengths, idf, simple_texts, tf_weight, KeyEntry, Posting, FIELDS};
use super::{Corpus, SearchDoc};

/// Index of the body among [`FIELDS`].
const BODY: usize = 3;

/// One key of one document: term frequency per field and the body chunk with most occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyTf {
    key: Box<str>,
    tf: [u32; 4],
    /// Chunk with most occurrences, plus one (the first on ties); 0 if not in the body.
    chunk: u32,
}

/// What one document contributes to the index: its analysed fields reduced to counts. It does
/// not hold the document's id, so it can be reused when documents are renumbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTerms {
    /// Tokens per field (title, keywords, authors, body).
    lengths: [u32; 4],
    /// Keys in byte order.
    keys: Vec<KeyTf>,
}

/// Running counts of one key while a document is analysed.
#[derive(Default)]
struct Tally {
    tf: [u32; 4],
    /// Body chunk being counted and its count (body tokens come chunk by chunk).
    current: Option<(u32, u32)>,
    /// Best body chunk so far and its count.
    best: Option<(u32, u32)>,
}

impl Tally {
    fn body_token(&mut self, chunk: u32) {
        self.current = match self.current {
            Some((c, n)) if c == chunk => Some((c, n + 1)),
            other => {
                self.settle(other);
                Some((chunk, 1))
            }
        };
    }

    /// Compare a finished chunk's count with the best; earlier chunks win ties.
    fn settle(&mut self, finished: Option<(u32, u32)>) {
        if let Some((c, n)) = finished {
            if self.best.is_none_or(|(_, bn)| n > bn) {
                self.best = Some((c, n));
            }
        }
    }

    fn chunk(mut self) -> u32 {
        let current = self.current.take();
        self.settle(current);
        self.best.map_or(0, |(c, _)| c + 1)
    }
}

impl DocTerms {
    /// Analyse a document (normalising, stemming, folding: the costly part of indexing).
    pub fn of(d: &SearchDoc) -> DocTerms {
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        let mut lengths = [0u32; 4];
        let mut count = |field: usize, key: String, chunk: Option<u32>| {
            // tantivy drops such tokens (and does not count them in the field's length)
            if key.len() > MAX_TOKEN_LEN {
                return;
            }
            lengths[field] += 1;
            let t = tallies.entry(key).or_default();
            t.tf[field] += 1;
            if let Some(c) = chunk {
                t.body_token(c);
            }
        };
        for (field, text) in simple_texts(d).iter().enumerate() {
            for t in analyze(text, d.lang) {
                count(field, t.key, None);
            }
        }
        for (c, chunk) in d.chunks.iter().enumerate() {
            // as in tantivy's positions (`index::body_field`); `chunk_text` keeps at most 4,000
            // chunks, so the number fits the bits above `CHUNK_SHIFT`
            let c = c as u32;
            for t in analyze(chunk, d.lang) {
                count(BODY, t.key, Some(c));
            }
        }
        let mut keys: Vec<KeyTf> = tallies
            .into_iter()
            .map(|(key, t)| KeyTf {
                key: key.into_boxed_str(),
                tf: t.tf,
                chunk: t.chunk(),
            })
            .collect();
        keys.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        DocTerms { lengths, keys }
    }
}

/// One document in a key's postings.
#[derive(Debug, Clone, Copy)]
struct Entry {
    doc: u32,
    tf: [u32; 4],
    chunk: u32,
}

/// The inverted index of a corpus.
pub struct Inverted {
    postings: HashMap<Box<str>, Vec<Entry>>,
    /// Quantised field lengths (tantivy field-norm ids) by doc id.
    norms: Vec<[u8; 4]>,
    totals: [u64; 4],
    n_docs: u64,
    /// What each document contributed, by position in the corpus (kept by serve only, see
    /// [`Inverted::build`]).
    sources: Vec<Source>,
    /// How many documents a patched index had replaced (`None`: built from scratch).
    patched: Option<usize>,
    /// This index's number, unique in the process (see [`Inverted::changes_since`]).
    version: u64,
    /// For a patched index: the version it was patched from and every key whose postings the
    /// patch may have changed (added, removed, or holding a replaced document).
    changes: Option<(u64, HashSet<Box<str>>)>,
}

/// A new number for an index.
fn next_version() -> u64 {
    static VERSION: AtomicU64 = AtomicU64::new(1);
    VERSION.fetch_add(1, Ordering::Relaxed)
}

/// A document as indexed: its id, URL and terms.
struct Source {
    id: u32,
    url: String,
    terms: Arc<DocTerms>,
}

impl Inverted {
    /// Index `corpus`. With a memo (serve), documents analysed by an earlier build with the same
    /// text are not analysed again, and when the corpus has the same documents (ids and URLs)
    /// as the index the memo kept, that index is patched: only the documents whose terms
    /// changed are taken out and put back. Postings stay sorted by document, so the result
    /// equals a fresh build's.
    pub fn build(corpus: &Corpus, memo: Option<&crate::incremental::Memo>) -> Arc<Inverted> {
        let Some(m) = memo else {
            return Arc::new(Self::fresh(corpus));
        };
        let terms: Vec<Arc<DocTerms>> = corpus
            .docs
            .par_iter()
            .map(|d| {
                let key = crate::incremental::hash_of(&(
                    &d.title,
                    &d.keywords,
                    &d.authors,
                    &d.chunks,
                    d.lang,
                ));
                m.terms(&d.url, key, || DocTerms::of(d))
            })
            .collect();
        let same_docs = |inv: &Inverted| {
            inv.sources.len() == corpus.docs.len()
                && inv
                    .sources
                    .iter()
                    .zip(&corpus.docs)
                    .all(|(s, d)| s.id == d.id && s.url == d.url)
        };
        let kept = m
            .take_search_index()
            .and_then(|a| Arc::try_unwrap(a).ok())
            .filter(same_docs);
        let inv = match kept {
            Some(mut inv) => {
                let mut replaced = 0;
                let mut changed = HashSet::new();
                for (source, t) in inv.sources.iter_mut().zip(&terms) {
                    if !Arc::ptr_eq(&source.terms, t) {
                        replaced += 1;
                        let old = std::mem::replace(&mut source.terms, t.clone());
                        replace_doc(&mut inv.postings, &mut inv.totals, source.id, &old, t);
                        inv.norms[source.id as usize] =
                            t.lengths.map(FieldNormReader::fieldnorm_to_id);
                        // the document's field lengths changed too, so every key it had or
                        // has may weigh differently in it
                        changed.extend(old.keys.iter().chain(&t.keys).map(|k| k.key.clone()));
                    }
                }
                inv.patched = Some(replaced);
                inv.changes = Some((inv.version, changed));
                inv.version = next_version();
                inv
            }
            None => {
                let mut inv = Inverted::empty();
                for (d, t) in corpus.docs.iter().zip(&terms) {
                    inv.add(d.id, t);
                    inv.sources.push(Source {
                        id: d.id,
                        url: d.url.clone(),
                        terms: t.clone(),
                    });
                }
                inv
            }
        };
        let inv = Arc::new(inv);
        m.keep_search_index(inv.clone());
        inv
    }

    /// Index `corpus` from scratch, analysing a batch of documents at a time on every core so
    /// that few analysed documents wait in memory; they are then added in id order, which keeps
    /// every key's postings sorted.
    fn fresh(corpus: &Corpus) -> Inverted {
        let mut inv = Inverted::empty();
        for batch in corpus.docs.chunks(256) {
            let terms: Vec<DocTerms> = batch.par_iter().map(|d| DocTerms::of(d)).collect();
            for (d, t) in batch.iter().zip(terms) {
                inv.add(d.id, &t);
            }
        }
        inv
    }

    fn empty() -> Inverted {
        Inverted {
            postings: HashMap::new(),
            norms: Vec::new(),
            totals: [0; 4],
            n_docs: 0,
            sources: Vec::new(),
            patched: None,
            version: next_version(),
            changes: None,
        }
    }

    fn add(&mut self, doc: u32, t: &DocTerms) {
        let slot = doc as usize;
        if self.norms.len() <= slot {
            self.norms.resize(slot + 1, [0; 4]);
        }
        self.norms[slot] = t.lengths.map(FieldNormReader::fieldnorm_to_id);
        for (total, len) in self.totals.iter_mut().zip(t.lengths) {
            *total += u64::from(len);
        }
        self.n_docs += 1;
        for k in &t.keys {
            let entry = Entry {
                doc,
                tf: k.tf,
                chunk: k.chunk,
            };
            match self.postings.get_mut(&k.key) {
                Some(list) => list.push(entry),
                None => {
                    self.postings.insert(k.key.clone(), vec![entry]);
                }
            }
        }
    }

    /// How many documents this index replaced in the one an earlier build kept, or `None` if it
    /// was built from scratch.
    pub fn patched(&self) -> Option<usize> {
        self.patched
    }

    /// This index's number: no other index in the process has it.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// If this index was patched from the one numbered `version`: the keys whose entries
    /// ([`Inverted::key_entry`]) may differ from that index's. The entries of every other key
    /// are the same, provided [`Inverted::averages`] and [`Inverted::n_docs`] are too.
    pub fn changes_since(&self, version: u64) -> Option<&HashSet<Box<str>>> {
        match &self.changes {
            Some((base, keys)) if *base == version => Some(keys),
            _ => None,
        }
    }

    /// Average field lengths, as BM25 uses them.
    pub fn averages(&self) -> [f64; 4] {
        avg_lengths(self.totals, self.n_docs)
    }

    /// Number of documents.
    pub fn n_docs(&self) -> u64 {
        self.n_docs
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.postings.keys().map(|k| &**k).collect();
        keys.sort_unstable();
        keys
    }

    /// Postings, df and idf of a key; `None` if no document has it.
    pub fn key_entry(&self, key: &str) -> Option<KeyEntry> {
        let list = self.postings.get(key)?;
        let avg = self.averages();
        let postings = list
            .iter()
            .map(|e| {
                let norms = self.norms[e.doc as usize];
                let impact = (0..FIELDS.len())
                    .filter(|&f| e.tf[f] > 0)
                    .map(|f| FIELDS[f].1 * tf_weight(avg[f], e.tf[f], norms[f]))
                    .sum();
                Posting {
                    doc: e.doc,
                    impact,
                    chunk: e.chunk,
                }
            })
            .collect();
        let df = list.len() as u32;
        Some(KeyEntry {
            df,
            idf: idf(self.n_docs, df),
            postings,
        })
    }
}

/// Swap one document's terms in the postings and field-length totals (its place in every key's
/// postings, sorted by document, is found by binary search).
fn replace_doc(
    postings: &mut HashMap<Box<str>, Vec<Entry>>,
    totals: &mut [u64; 4],
    doc: u32,
    old: &DocTerms,
    new: &DocTerms,
) {
    for k in &old.keys {
        if let Some(list) = postings.get_mut(&k.key) {
            if let Ok(i) = list.binary_search_by_key(&doc, |e| e.doc) {
                list.remove(i);
            }
            if list.is_empty() {
                postings.remove(&k.key);
            }
        }
    }
    for k in &new.keys {
        let entry = Entry {
            doc,
            tf: k.tf,
            chunk: k.chunk,
        };
        let list = postings.entry(k.key.clone()).or_default();
        match list.binary_search_by_key(&doc, |e| e.doc) {
            Ok(i) => list[i] = entry,
            Err(i) => list.insert(i, entry),
        }
    }
    for (total, (o, n)) in totals.iter_mut().zip(old.lengths.iter().zip(new.lengths)) {
        *total = *total - u64::from(*o) + u64::from(n);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::search::index::Index;
    use crate::search::DocKind;

    fn doc(id: u32, lang: Lang, title: &str, keywords: &[&str], chunks: &[&str]) -> SearchDoc {
        SearchDoc {
            id,
            group: id / 3,
            lang,
            kind: DocKind::Article,
            url: format!("{}articles/a{}/", lang.prefix(), id / 3),
            title: title.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            authors: vec!["Aigerim Bekova".into(), "Айгерім Бекова".into()],
            chunks: Arc::new(crate::search::Chunks::new(
                chunks.iter().map(|s| s.to_string()).collect(),
            )),
        }
    }

    /// A small corpus in three languages with repeated words, several chunks (a word most
    /// frequent in a later chunk, ties between chunks), empty fields and a missing version.
    pub(crate) fn corpus() -> Corpus {
        let docs = vec![
            doc(
                0,
                Lang::En,
                "Civil service reform in Kazakhstan",
                &["civil service", "meritocracy"],
                &[
                    "The reform of the civil service began in 1999. Reform continued.",
                    "Meritocracy and reform, reform, reform: the service was rebuilt.",
                ],
            ),
            doc(
                1,
                Lang::Ru,
                "Реформа государственной службы",
                &["государственная служба"],
                &[
                    "Реформа государственной службы началась в 1999 году.",
                    "Службы и службы.",
                    "Реформы службы реформы.",
                ],
            ),
            doc(
                2,
                Lang::Kk,
                "Мемлекеттік қызмет реформасы",
                &[],
                &["Мемлекеттік қызметтің реформасы. Qyzmet reformasy."],
            ),
            doc(3, Lang::En, "Budget transparency", &[], &[]),
            doc(
                5,
                Lang::Kk,
                "Бюджет ашықтығы",
                &["бюджет"],
                &[
                    "Бюджеттің ашықтығы мен бюджет.",
                    "Бюджет бюджет.",
                    "бюджеттер",
                ],
            ),
        ];
        Corpus {
            groups: vec![Default::default(); 2],
            articles: 2,
            docs: docs.into_iter().map(Arc::new).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn agrees_with_the_tantivy_index_on_every_key() {
        let c = corpus();
        let tantivy = Index::build(&c, None).unwrap();
        let ours = Inverted::build(&c, None);
        let tantivy_keys: Vec<String> = tantivy.all_keys().unwrap().into_iter().collect();
        assert_eq!(ours.keys(), tantivy_keys);
        assert!(tantivy_keys.len() > 20, "{tantivy_keys:?}");
        assert_eq!(ours.n_docs(), tantivy.n_docs());
        for k in &tantivy_keys {
            assert_eq!(ours.key_entry(k), tantivy.key_entry(k).unwrap(), "key {k}");
        }
        // the fixture exercises what it is meant to: a later chunk winning, and the boost of a
        // key in a title (the body alone weighs at most `TF_SCALE`)
        let postings: Vec<Posting> = tantivy_keys
            .iter()
            .filter_map(|k| ours.key_entry(k))
            .flat_map(|e| e.postings)
            .collect();
        assert!(postings.iter().any(|p| p.chunk > 1));
        assert!(postings.iter().any(|p| p.impact > 1000));
    }

    /// Everything the export reads, for comparing two indexes.
    fn contents(inv: &Inverted) -> Vec<(String, KeyEntry)> {
        inv.keys()
            .into_iter()
            .map(|k| (k.to_string(), inv.key_entry(k).unwrap()))
            .collect()
    }

    #[test]
    fn a_patched_index_equals_a_fresh_one() {
        let memo = crate::incremental::Memo::new();
        let mut c = corpus();
        let first = Inverted::build(&c, Some(&memo));
        assert_eq!(first.patched(), None);
        assert_eq!(contents(&first), contents(&Inverted::fresh(&c)));
        drop(first);
        // a body, a title and keywords change; one document loses its whole body (keys vanish)
        let mut body = c.docs[0].chunks.to_vec();
        body[1] = "Meritocracy returned; the akimat budget grew.".into();
        Arc::make_mut(&mut c.docs[0]).chunks = Arc::new(crate::search::Chunks::new(body));
        Arc::make_mut(&mut c.docs[3]).title = "Budget transparency and reform".into();
        Arc::make_mut(&mut c.docs[4]).keywords.clear();
        Arc::make_mut(&mut c.docs[2]).chunks = Arc::new(crate::search::Chunks::new(Vec::new()));
        let patched = Inverted::build(&c, Some(&memo));
        assert_eq!(patched.patched(), Some(4));
        let fresh = Inverted::fresh(&c);
        assert_eq!(contents(&patched), contents(&fresh));
        assert_eq!(patched.n_docs(), fresh.n_docs());
        assert!(contents(&patched).iter().any(|(k, _)| k == "akimat"));
        assert!(!contents(&patched).iter().any(|(k, _)| k == "qyzmet"));
        drop(patched);
        // a document renumbered (an article added before it): built from scratch
        Arc::make_mut(&mut c.docs[4]).id = 6;
        let rebuilt = Inverted::build(&c, Some(&memo));
        assert_eq!(rebuilt.patched(), None);
        assert_eq!(contents(&rebuilt), contents(&Inverted::fresh(&c)));
    }

    #[test]
    fn best_chunk_is_the_most_frequent_and_the_first_on_ties() {
        let mut t = Tally::default();
        for c in [0, 1, 1, 2, 2] {
            t.body_token(c);
        }
        assert_eq!(t.chunk(), 2); // chunk 1 (plus one), tied with chunk 2
        let mut t = Tally::default();
        for c in [0, 2, 2, 2, 3] {
            t.body_token(c);
        }
        assert_eq!(t.chunk(), 3);
        assert_eq!(Tally::default().chunk(), 0);
    }
}
