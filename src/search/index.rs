//! The tantivy index and the BM25 impact of each (key, document) pair.
//!
//! Documents are analysed by [`super::analyzer`] and given to tantivy pre-tokenised, one text
//! field per part (title, keywords, authors, body). Body token positions carry the chunk the
//! token is in (`chunk << CHUNK_SHIFT | index`), so the postings tell which chunk of a document
//! best shows a term. tantivy records term frequencies, positions and (quantised) field
//! lengths; [`Index::key_entry`] turns them into BM25 weights:
//!
//! * per field, the saturated term frequency `tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))`
//!   (k1 = 1.2, b = 0.75, `len` from tantivy's field norms), quantised to 0‥1000;
//! * the document's **impact** for the key: those values summed with the field boosts
//!   (title 4, keywords 3, authors 2, body 1);
//! * the key's idf `ln(1 + (N − df + 0.5)/(df + 0.5))` over documents, ×100, rounded.
//!
//! A query's score is then integer arithmetic on these numbers ([`super::engine`]), which is
//! why the terminal and the browser rank identically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST,
    STORED,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{DocSet, Searcher, TantivyDocument, Term, TERMINATED};

use super::analyzer::analyze;
use super::{Corpus, SearchDoc};
use crate::error::{Error, Result};

/// BM25 k1.
pub const K1: f64 = 1.2;
/// BM25 b.
pub const B: f64 = 0.75;
/// Scale of quantised term-frequency weights.
pub const TF_SCALE: f64 = 1000.0;
/// Scale of quantised idf.
pub const IDF_SCALE: f64 = 100.0;
/// Bits of a body position that number the token within its chunk.
pub const CHUNK_SHIFT: u32 = 20;
/// Text fields and their boosts.
pub const FIELDS: [(&str, u32); 4] = [("title", 4), ("keywords", 3), ("authors", 2), ("body", 1)];

fn err(e: impl std::fmt::Display) -> Error {
    Error::Other(format!("search index: {e}"))
}

/// A tantivy index of a corpus.
pub struct Index {
    index: tantivy::Index,
    searcher: Searcher,
    text: [Field; 4],
    doc_field: Field,
    url: Field,
    title: Field,
    chunk: Field,
    facet: Field,
    /// tantivy doc id → bilim doc id, per segment.
    doc_map: Vec<Vec<u32>>,
    /// Average field lengths.
    avg: [f64; 4],
    n_docs: u64,
}

/// One posting of a key: document, impact, and chunk (`0` = not in the body, else index + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// bilim doc id.
    pub doc: u32,
    /// Sum over fields of boost × quantised saturated tf.
    pub impact: u32,
    /// Chunk with most occurrences, plus one; 0 if the key is not in the body.
    pub chunk: u32,
}

/// Everything about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// Documents containing the key in any field.
    pub df: u32,
    /// Quantised idf.
    pub idf: u32,
    /// Postings by doc id.
    pub postings: Vec<Posting>,
}

/// Stored fields of one document.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// URL relative to the site root.
    pub url: String,
    /// Title.
    pub title: String,
    /// Body chunks.
    pub chunks: Vec<String>,
}

/// Significant bits kept of an average field length (see [`avg_lengths`]).
const AVG_BITS: u32 = 7;

/// Average field lengths from the total tokens per field (1 for an empty field or corpus),
/// rounded to [`AVG_BITS`] significant bits (relative error at most 1/128, 0.8 %).
///
/// Why rounded: every impact in the index depends on the averages, so an edit that changes one
/// article's length would otherwise change every key's postings, and `serve` could not keep the
/// encoded dictionary between rebuilds. Rounded, an edit changes them rarely (one in tens of
/// thousands of tokens moves an average by a step of 1/64 to 1/128). The error is far below what the
/// field lengths themselves lose to tantivy's one-byte field norms.
pub fn avg_lengths(totals: [u64; 4], n_docs: u64) -> [f64; 4] {
    totals.map(|t| {
        if n_docs == 0 || t == 0 {
            1.0
        } else {
            round_significant(t as f64 / n_docs as f64, AVG_BITS)
        }
    })
}

/// `x` (positive and finite) rounded to the nearest value with `bits` significant bits.
fn round_significant(x: f64, bits: u32) -> f64 {
    let drop = 52 - (bits - 1);
    let half = 1u64 << (drop - 1);
    // adding half a step may carry into the exponent, which is the right rounding too
    f64::from_bits((x.to_bits() + half) & !((1u64 << drop) - 1))
}

/// Quantised idf of a key in `df` of `n_docs` documents.
pub fn idf(n_docs: u64, df: u32) -> u32 {
    let n = n_docs as f64;
    let df = f64::from(df);
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    ((idf * IDF_SCALE).round() as u32).max(1)
}

/// Quantised saturated tf of one field whose average length is `avg`, for a document whose
/// length in it has tantivy's field-norm id `fieldnorm_id`.
pub fn tf_weight(avg: f64, tf: u32, fieldnorm_id: u8) -> u32 {
    let len = f64::from(FieldNormReader::id_to_fieldnorm(fieldnorm_id));
    let tf = f64::from(tf);
    let norm = K1 * (1.0 - B + B * len / avg);
    let part = tf * (K1 + 1.0) / (tf + norm);
    ((part / (K1 + 1.0) * TF_SCALE).round() as u32).max(1)
}

fn schema() -> Schema {
    let mut b = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("raw")
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let opts = TextOptions::default().set_indexing_options(indexing);
    for (name, _) in FIELDS {
        b.add_text_field(name, opts.clone());
    }
    b.add_u64_field("doc", FAST | STORED);
    b.add_text_field("url", STORED);
    b.add_text_field("title_text", STORED);
    b.add_text_field("chunk", STORED);
    b.add_facet_field("facet", FacetOptions::default());
    b.build()
}

fn pre_tokenized(text: &str, tokens: Vec<(usize, usize, String, u32)>) -> PreTokenizedString {
    PreTokenizedString {
        text: text.to_string(),
        tokens: tokens
            .into_iter()
            .map(|(from, to, key, position)| Token {
                offset_from: from,
                offset_to: to,
                position: position as usize,
                text: key,
                position_length: 1,
            })
            .collect(),
    }
}

/// The text of the title, keywords and authors fields of a document (the body is its chunks).
pub(super) fn simple_texts(d: &SearchDoc) -> [std::borrow::Cow<'_, str>; 3] {
    [
        d.title.as_str().into(),
        d.keywords.join("\n").into(),
        d.authors.join("\n").into(),
    ]
}

fn simple_field(text: &str, lang: crate::i18n::Lang) -> PreTokenizedString {
    let tokens = analyze(text, lang)
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t.start, t.end, t.key, i as u32))
        .collect();
    pre_tokenized(text, tokens)
}

fn body_field(d: &SearchDoc) -> PreTokenizedString {
    let mut text = String::new();
    let mut tokens = Vec::new();
    for (c, chunk) in d.chunks.iter().enumerate() {
        let base = text.len();
        for (i, t) in analyze(chunk, d.lang).into_iter().enumerate() {
            let pos = ((c as u32) << CHUNK_SHIFT) | (i as u32).min((1 << CHUNK_SHIFT) - 1);
            tokens.push((base + t.start, base + t.end, t.key, pos));
        }
        text.push_str(chunk);
        text.push('\n');
    }
    pre_tokenized(&text, tokens)
}

impl Index {
    /// Index `corpus`, in `dir` (which must be empty or absent) or in memory.
    pub fn build(corpus: &Corpus, dir: Option<&Path>) -> Result<Index> {
        let schema = schema();
        let builder = tantivy::Index::builder().schema(schema.clone());
        let directory: Box<dyn tantivy::Directory> = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .map_err(|e| err(format!("cannot create {}: {e}", d.display())))?;
                Box::new(tantivy::directory::MmapDirectory::open(d).map_err(err)?)
            }
            None => Box::new(tantivy::directory::RamDirectory::create()),
        };
        let mut writer = builder
            .single_segment_index_writer(directory, 100_000_000)
            .map_err(err)?;
        // Only an index on disk serves `bilim search`, which shows stored titles and excerpts.
        let store = dir.is_some();
        // Analysis (normalising, stemming, folding) is most of the work and needs no index:
        // it runs on every core, a batch at a time so that few analysed documents wait in
        // memory; tantivy's single-segment writer then adds them in order.
        let fields_of = |d: &SearchDoc| {
            let [title, keywords, authors] = simple_texts(d);
            [
                simple_field(&title, d.lang),
                simple_field(&keywords, d.lang),
                simple_field(&authors, d.lang),
                body_field(d),
            ]
        };
        for batch in corpus.docs.chunks(256) {
            let fields: Vec<[PreTokenizedString; 4]> =
                batch.par_iter().map(|d| fields_of(d)).collect();
            for (d, fields) in batch.iter().zip(fields) {
                Self::add(&mut writer, d, fields, corpus, &schema, store)?;
            }
        }
        let index = writer.finalize().map_err(err)?;
        Self::from_index(index)
    }

    fn add(
        writer: &mut tantivy::SingleSegmentIndexWriter,
        d: &SearchDoc,
        fields: [PreTokenizedString; 4],
        corpus: &Corpus,
        schema: &Schema,
        store: bool,
    ) -> Result<()> {
        let f = |n: &str| schema.get_field(n).map_err(err);
        let text = [f("title")?, f("keywords")?, f("authors")?, f("body")?];
        let (doc_f, url_f, title_f, chunk_f, facet_f) = (
            f("doc")?,
            f("url")?,
            f("title_text")?,
            f("chunk")?,
            f("facet")?,
        );
        {
            let mut doc = TantivyDocument::default();
            for (field, value) in text.into_iter().zip(fields) {
                doc.add_pre_tokenized_text(field, value);
            }
            doc.add_u64(doc_f, u64::from(d.id));
            if store {
                doc.add_text(url_f, &d.url);
                doc.add_text(title_f, &d.title);
                for c in d.chunks.iter() {
                    doc.add_text(chunk_f, c);
                }
            }
            doc.add_facet(facet_f, Facet::from_path(["lang", d.lang.code()]));
            doc.add_facet(facet_f, Facet::from_path(["kind", d.kind.as_str()]));
            if let Some(g) = corpus.groups.get(d.group as usize) {
                for facet in super::FACETS {
                    for v in g.values(facet) {
                        doc.add_facet(facet_f, Facet::from_path([facet, v]));
                    }
                }
            }
            writer.add_document(doc).map_err(err)?;
        }
        Ok(())
    }

    /// Open an index written by [`Index::build`].
    pub fn open(dir: &Path) -> Result<Index> {
        Self::from_index(tantivy::Index::open_in_dir(dir).map_err(err)?)
    }

    fn from_index(index: tantivy::Index) -> Result<Index> {
        let schema = index.schema();
        let f = |n: &str| schema.get_field(n).map_err(err);
        let text = [f("title")?, f("keywords")?, f("authors")?, f("body")?];
        let reader = index.reader().map_err(err)?;
        let searcher = reader.searcher();
        let mut doc_map = Vec::new();
        let mut totals = [0u64; 4];
        let mut n_docs = 0u64;
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("doc").map_err(err)?;
            let map: Vec<u32> = (0..seg.max_doc())
                .map(|d| col.first(d).unwrap_or(0) as u32)
                .collect();
            doc_map.push(map);
            n_docs += u64::from(seg.num_docs());
            for (i, field) in text.iter().enumerate() {
                totals[i] += seg.inverted_index(*field).map_err(err)?.total_num_tokens();
            }
        }
        let avg = avg_lengths(totals, n_docs);
        Ok(Index {
            searcher,
            text,
            doc_field: f("doc")?,
            url: f("url")?,
            title: f("title_text")?,
            chunk: f("chunk")?,
            facet: f("facet")?,
            doc_map,
            avg,
            n_docs,
            index,
        })
    }

    /// Number of documents.
    pub fn n_docs(&self) -> u64 {
        self.n_docs
    }

    /// The tantivy index.
    pub fn tantivy(&self) -> &tantivy::Index {
        &self.index
    }

    /// Quantised idf of a key in `df` documents.
    pub fn idf(&self, df: u32) -> u32 {
        idf(self.n_docs, df)
    }

    /// Postings, df and idf of a key; `None` if no document has it.
    pub fn key_entry(&self, key: &str) -> Result<Option<KeyEntry>> {
        // doc → (impact, chunk votes)
        let mut acc: BTreeMap<u32, (u32, BTreeMap<u32, u32>)> = BTreeMap::new();
        let mut positions = Vec::new();
        for (seg_ord, seg) in self.searcher.segment_readers().iter().enumerate() {
            for (fi, field) in self.text.iter().enumerate() {
                let inv = seg.inverted_index(*field).map_err(err)?;
                let term = Term::from_field_text(*field, key);
                let Some(mut postings) = inv
                    .read_postings(&term, IndexRecordOption::WithFreqsAndPositions)
                    .map_err(err)?
                else {
                    continue;
                };
                let norms = seg.get_fieldnorms_reader(*field).map_err(err)?;
                let mut d = postings.doc();
                while d != TERMINATED {
                    let ours = self.doc_map[seg_ord].get(d as usize).copied().unwrap_or(0);
                    let w = FIELDS[fi].1
                        * tf_weight(self.avg[fi], postings.term_freq(), norms.fieldnorm_id(d));
                    let e = acc.entry(ours).or_default();
                    e.0 += w;
                    if FIELDS[fi].0 == "body" {
                        postings.positions(&mut positions);
                        for p in &positions {
                            *e.1.entry(p >> CHUNK_SHIFT).or_default() += 1;
                        }
                    }
                    d = postings.advance();
                }
            }
        }
        if acc.is_empty() {
            return Ok(None);
        }
        let df = acc.len() as u32;
        let postings = acc
            .into_iter()
            .map(|(doc, (impact, votes))| {
                // the chunk with most occurrences; the first on ties
                let chunk = votes
                    .iter()
                    .fold(None::<(u32, u32)>, |best, (&c, &n)| match best {
                        Some((_, bn)) if bn >= n => best,
                        _ => Some((c, n)),
                    })
                    .map_or(0, |(c, _)| c + 1);
                Posting { doc, impact, chunk }
            })
            .collect();
        Ok(Some(KeyEntry {
            df,
            idf: self.idf(df),
            postings,
        }))
    }

    /// Every key in the index, sorted.
    pub fn all_keys(&self) -> Result<BTreeSet<String>> {
        self.keys_in_range(b"", None)
    }

    /// Keys starting with `prefix`, sorted.
    pub fn keys_with_prefix(&self, prefix: &str) -> Result<BTreeSet<String>> {
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xff);
        self.keys_in_range(prefix.as_bytes(), Some(&upper))
    }

    fn keys_in_range(&self, lower: &[u8], upper: Option<&[u8]>) -> Result<BTreeSet<String>> {
        let mut keys = BTreeSet::new();
        for seg in self.searcher.segment_readers() {
            for field in &self.text {
                let inv = seg.inverted_index(*field).map_err(err)?;
                let mut range = inv.terms().range().ge(lower);
                if let Some(u) = upper {
                    range = range.lt(u);
                }
                let mut stream = range.into_stream().map_err(err)?;
                while stream.advance() {
                    if let Ok(k) = std::str::from_utf8(stream.key()) {
                        keys.insert(k.to_string());
                    }
                }
            }
        }
        Ok(keys)
    }

    fn address_of(&self, doc: u32) -> Option<tantivy::DocAddress> {
        for (seg, map) in self.doc_map.iter().enumerate() {
            if let Some(d) = map.iter().position(|&x| x == doc) {
                return Some(tantivy::DocAddress::new(seg as u32, d as u32));
            }
        }
        None
    }

    /// Stored fields of a document.
    pub fn stored(&self, doc: u32) -> Result<Option<StoredDoc>> {
        use tantivy::schema::Value;
        let Some(addr) = self.address_of(doc) else {
            return Ok(None);
        };
        let d: TantivyDocument = self.searcher.doc(addr).map_err(err)?;
        let text = |f: Field| -> Vec<String> {
            d.get_all(f)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        Ok(Some(StoredDoc {
            url: text(self.url).into_iter().next().unwrap_or_default(),
            title: text(self.title).into_iter().next().unwrap_or_default(),
            chunks: text(self.chunk),
        }))
    }

    /// bilim doc ids that have every facet value in `filters` (`/year/2025`, …), via tantivy.
    pub fn docs_with_facets(&self, filters: &[(String, String)]) -> Result<Option<BTreeSet<u32>>> {
        use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
        if filters.is_empty() {
            return Ok(None);
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = filters
            .iter()
            .map(|(k, v)| {
                let term =
                    Term::from_facet(self.facet, &Facet::from_path([k.as_str(), v.as_str()]));
                (
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let found = self
            .searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .map_err(err)?;
        Ok(Some(
            found
                .into_iter()
                .filter_map(|a| {
                    self.doc_map
                        .get(a.segment_ord as usize)
                        .and_then(|m| m.get(a.doc_id as usize))
                        .copied()
                })
                .collect(),
        ))
    }

    /// The doc-id field (for tests).
    pub fn doc_field(&self) -> Field {
        self.doc_field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_keep_seven_significant_bits() {
        // 100 = 1.5625 · 2^6 needs five significant bits: kept exactly
        assert_eq!(round_significant(100.0, 7), 100.0);
        // between 64 and 128 the step is 1: to the nearer
        assert_eq!(round_significant(100.4, 7), 100.0);
        assert_eq!(round_significant(100.6, 7), 101.0);
        // carrying into the exponent: 127.6 rounds up to 128
        assert_eq!(round_significant(127.6, 7), 128.0);
        for x in [1.0, 3.7, 523.25, 98_765.25] {
            let r = round_significant(x, 7);
            assert!((r - x).abs() / x <= 1.0 / 128.0, "{x} -> {r}");
        }
        // a small change in a large corpus leaves the average as it was
        assert_eq!(
            avg_lengths([30_000_000, 0, 0, 0], 30_000),
            avg_lengths([30_000_010, 0, 0, 0], 30_000)
        );
        assert_eq!(avg_lengths([0, 0, 0, 0], 0), [1.0; 4]);
    }
}
