//! The static index under `search/`, for the browser.
//!
//! | file | holds | fetched |
//! |---|---|---|
//! | `search/search.js` | the client (ES module) with the analyser's tables and the index manifest (first key of every shard, group ranges) embedded | when the search box is first used |
//! | `search/t/<n>.json` | a shard of the sorted term dictionary: `[key, df, idf, postings]` where postings are inline (base64url of varints) for rare keys or the number of a postings file | the shards holding the query's keys |
//! | `search/p/<n>.bin` | postings of a frequent key: varints `doc delta, impact, chunk` | per query key |
//! | `search/d/<doc>-<chunk>.json` | title, URL and one body chunk of a result | per result shown |
//! | `search/facets.json` | facet values, labels and each group's values | when facet counts are shown |
//!
//! Everything is sorted, so the same input gives the same bytes.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{json, Value};

use super::analyzer::{self, equivalent_groups};
use super::index::KeyEntry;
use super::inverted::Inverted;
use super::{engine, kazakh, translit, Corpus, FACETS};
use crate::error::Result;
use crate::output::{SharedText, SiteFiles};

/// Target size of a dictionary shard (bytes of JSON).
pub const SHARD_BYTES: usize = 6 * 1024;
/// Postings up to this many bytes are stored inline in the dictionary.
pub const INLINE_BYTES: usize = 60;

/// The client, with `/*@BILIM_INDEX@*/null` standing for the manifest.
pub const CLIENT_JS: &str = include_str!("search.js");

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Postings as varints: doc delta, impact, chunk.
pub fn encode_postings(e: &KeyEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(e.postings.len() * 4);
    let mut prev = 0u32;
    for p in &e.postings {
        varint(u64::from(p.doc - prev), &mut out);
        prev = p.doc;
        varint(u64::from(p.impact), &mut out);
        varint(u64::from(p.chunk), &mut out);
    }
    out
}

/// base64url without padding.
pub fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let k = c.len() + 1;
        for i in 0..k {
            s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    s
}

fn suffixes(list: &[kazakh::Suffix]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| json!([s.form, s.harmony.to_string(), s.after]))
            .collect(),
    )
}

/// The analyser's tables, as the client needs them (one source: the Rust constants).
pub fn analyzer_tables() -> Value {
    let pairs_c = |t: &[(char, &str)]| -> Value {
        Value::Object(
            t.iter()
                .map(|(k, v)| (k.to_string(), Value::String((*v).to_string())))
                .collect(),
        )
    };
    let pairs_s = |t: &[(&str, &str)]| -> Value {
        Value::Array(t.iter().map(|(k, v)| json!([k, v])).collect())
    };
    json!({
        "stop": {"en": analyzer::STOP_EN, "ru": analyzer::STOP_RU, "kk": analyzer::STOP_KK},
        "kazakh": {
            "case": suffixes(kazakh::CASE), "possessive": suffixes(kazakh::POSSESSIVE),
            "plural": suffixes(kazakh::PLURAL), "derivational": suffixes(kazakh::DERIVATIONAL),
            "back": kazakh::BACK_VOWELS, "front": kazakh::FRONT_VOWELS, "neutral": kazakh::NEUTRAL_VOWELS,
            "letters": kazakh::KAZAKH_LETTERS, "min": kazakh::MIN_STEM, "min_derived": kazakh::MIN_DERIVED_STEM,
            "protected": kazakh::PROTECTED,
        },
        "latin_letters": analyzer::KAZAKH_LATIN_LETTERS,
        "fold_cyrillic": pairs_c(translit::FOLD_CYRILLIC),
        "fold_latin": pairs_c(translit::FOLD_LATIN),
        "fold_digraphs": pairs_s(translit::FOLD_DIGRAPHS),
        "latin_to_kazakh": pairs_s(translit::LATIN_TO_KAZAKH),
        "latin_to_russian": pairs_s(translit::LATIN_TO_RUSSIAN),
        "equivalents": equivalent_groups(),
        "prefix_min": engine::PREFIX_MIN, "prefix_k": engine::PREFIX_K, "window": engine::WINDOW,
    })
}

/// The result files of one document: its title, URL and one body chunk each (one file with an
/// empty chunk for a document without a body).
fn doc_files(d: &super::SearchDoc) -> Vec<std::sync::Arc<SharedText>> {
    let chunks: Vec<&str> = if d.chunks.is_empty() {
        vec![""]
    } else {
        d.chunks.iter().map(String::as_str).collect()
    };
    chunks
        .iter()
        .map(|text| {
            let json = json!({"t": d.title, "u": d.url, "x": text}).to_string();
            std::sync::Arc::new(SharedText::new(json))
        })
        .collect()
}

/// How one key's postings are stored.
enum Postings {
    /// Inline in the dictionary: the JSON string of their base64url.
    Inline(String),
    /// In a file of their own under `search/p/` (numbered by position when written).
    File(std::sync::Arc<SharedText>),
}

/// One key of the dictionary, encoded.
struct Item {
    key: Box<str>,
    /// The item's JSON up to its postings: `["key",df,idf,`.
    head: String,
    postings: Postings,
}

impl Item {
    fn of(key: &str, e: &KeyEntry) -> Item {
        let bytes = encode_postings(e);
        let postings = if bytes.len() <= INLINE_BYTES {
            Postings::Inline(format!("\"{}\"", base64url(&bytes)))
        } else {
            Postings::File(std::sync::Arc::new(SharedText::from_bytes(bytes)))
        };
        Item {
            key: key.into(),
            head: format!("[{},{},{},", Value::from(key), e.df, e.idf),
            postings,
        }
    }

    /// Encode `key` as it is in `index`, or `None` if the index no longer has it.
    fn encode(index: &Inverted, key: &str) -> Option<Item> {
        Some(Item::of(key, &index.key_entry(key)?))
    }
}

/// The encoded dictionary of one index, sorted by key. `serve` keeps it for the next build
/// ([`crate::incremental::Memo::keep_search_dictionary`]): after an edit only the keys of the
/// changed documents are encoded again, the rest are the same items.
pub struct Dictionary {
    /// [`Inverted::version`] of the index encoded.
    index: u64,
    n_docs: u64,
    averages: [f64; 4],
    items: Vec<Item>,
    /// How many keys were encoded again, if patched from an earlier build's dictionary.
    patched: Option<usize>,
}

impl Dictionary {
    /// Every key of `index`, encoded in parallel.
    fn fresh(index: &Inverted) -> Dictionary {
        let keys = index.keys();
        Dictionary {
            index: index.version(),
            n_docs: index.n_docs(),
            averages: index.averages(),
            items: keys
                .par_iter()
                .filter_map(|&k| Item::encode(index, k))
                .collect(),
            patched: None,
        }
    }

    /// The dictionary of `index`, from `last` (an earlier build's) when `index` was patched
    /// from the index `last` encodes and the averages and document count, on which every
    /// impact and idf depend, are the same; otherwise from scratch.
    fn of(index: &Inverted, last: Option<Dictionary>) -> Dictionary {
        let Some(last) = last else {
            return Dictionary::fresh(index);
        };
        let changed = match index.changes_since(last.index) {
            Some(keys) if last.n_docs == index.n_docs() && last.averages == index.averages() => {
                keys
            }
            _ => return Dictionary::fresh(index),
        };
        let mut keys: Vec<&str> = changed.iter().map(|k| &**k).collect();
        keys.sort_unstable();
        let encoded: Vec<(&str, Option<Item>)> = keys
            .par_iter()
            .map(|&k| (k, Item::encode(index, k)))
            .collect();
        Dictionary {
            index: index.version(),
            n_docs: index.n_docs(),
            averages: index.averages(),
            patched: Some(encoded.len()),
            items: merge(last.items, encoded),
        }
    }
}

/// `items` (sorted) with the entries of `changed` (sorted, a subset of them or new keys)
/// replacing, removing (`None`) or adding theirs.
fn merge(items: Vec<Item>, changed: Vec<(&str, Option<Item>)>) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len() + changed.len());
    let mut changed = changed.into_iter().peekable();
    for item in items {
        while let Some((_, new)) = changed.next_if(|(k, _)| *k < &*item.key) {
            out.extend(new);
        }
        match changed.next_if(|(k, _)| *k == &*item.key) {
            Some((_, new)) => out.extend(new),
            None => out.push(item),
        }
    }
    out.extend(changed.filter_map(|(_, new)| new));
    out
}

/// Writes the dictionary's shards (`search/t/`) and postings files (`search/p/`), item by item
/// in key order.
struct DictionaryWriter<'f> {
    files: &'f mut SiteFiles,
    /// The shard being filled (an open JSON array).
    shard: String,
    shards: usize,
    /// The first key of every shard.
    shard_first: Vec<String>,
    postings_files: usize,
    item: String,
}

impl<'f> DictionaryWriter<'f> {
    fn new(files: &'f mut SiteFiles) -> Self {
        DictionaryWriter {
            files,
            shard: String::new(),
            shards: 0,
            shard_first: Vec::new(),
            postings_files: 0,
            item: String::new(),
        }
    }

    fn push(&mut self, it: &Item) {
        self.item.clear();
        self.item.push_str(&it.head);
        match &it.postings {
            Postings::Inline(b64) => self.item.push_str(b64),
            Postings::File(bytes) => {
                let path = format!("search/p/{}.bin", self.postings_files);
                self.files.add_shared(path, bytes.clone());
                self.item.push_str(&self.postings_files.to_string());
                self.postings_files += 1;
            }
        }
        self.item.push(']');
        // The size counts the comma or bracket beside the item.
        let size = self.item.len() + 1;
        if !self.shard.is_empty() && self.shard.len() + size <= SHARD_BYTES {
            self.shard.push(',');
        } else {
            self.close_shard();
            self.shard_first.push(it.key.to_string());
            self.shard.push('[');
        }
        self.shard.push_str(&self.item);
    }

    fn close_shard(&mut self) {
        if !self.shard.is_empty() {
            self.shard.push(']');
            let path = format!("search/t/{}.json", self.shards);
            self.files.add(path, std::mem::take(&mut self.shard));
            self.shards += 1;
        }
    }

    /// Write the last shard; the first key of every shard, for the manifest.
    fn finish(mut self) -> Vec<String> {
        self.close_shard();
        self.shard_first
    }
}

/// Write a dictionary kept for the next build.
fn write_dictionary(dict: &Dictionary, files: &mut SiteFiles) -> Vec<String> {
    let mut w = DictionaryWriter::new(files);
    for it in &dict.items {
        w.push(it);
    }
    w.finish()
}

/// Encode and write every key of `index`, a batch of keys at a time (in parallel within a
/// batch), so that a clean build never holds the whole encoded dictionary: at 100,000 articles
/// it is over a gigabyte.
fn write_fresh_dictionary(index: &Inverted, files: &mut SiteFiles) -> Vec<String> {
    let keys = index.keys();
    let mut w = DictionaryWriter::new(files);
    for batch in keys.chunks(16 * 1024) {
        let items: Vec<Item> = (batch.par_iter())
            .filter_map(|&k| Item::encode(index, k))
            .collect();
        for it in &items {
            w.push(it);
        }
    }
    w.finish()
}

/// Write the static index of `corpus` (indexed in `index`) into `files` under `search/`. With a
/// memo (serve), the dictionary is patched from the last build's, and a document's result
/// files are reused while its title, URL and chunks are the same: they are most of the index's
/// bytes (164 MB of 201 MB at 10,000 articles).
pub fn write(
    index: &Inverted,
    corpus: &Corpus,
    files: &mut SiteFiles,
    memo: Option<&crate::incremental::Memo>,
) -> Result<()> {
    let shard_first = match memo {
        Some(m) => {
            let dict = Dictionary::of(index, m.take_search_dictionary());
            if let Some(n) = dict.patched {
                crate::site::timing_note(&format!(
                    "    dictionary patched: {n} keys encoded again"
                ));
            }
            let firsts = write_dictionary(&dict, files);
            m.keep_search_dictionary(dict);
            firsts
        }
        None => write_fresh_dictionary(index, files),
    };
    // Keyed, looked up and named in parallel; only adding them to the output is sequential.
    // A clean build adds (and so writes) each batch before making the next: the result files
    // are most of the index's bytes and need not all be in memory at once.
    let batch = if memo.is_some() {
        corpus.docs.len()
    } else {
        1024
    };
    for docs in corpus.docs.chunks(batch.max(1)) {
        let named: Vec<Vec<(String, std::sync::Arc<SharedText>)>> = docs
            .par_iter()
            .map(|d| {
                let made = match memo {
                    Some(m) => {
                        let key = crate::incremental::hash_of(&(&d.title, &d.url, &d.chunks));
                        m.search_doc_files(&d.url, key, || doc_files(d)).to_vec()
                    }
                    None => doc_files(d),
                };
                (made.into_iter().enumerate())
                    .map(|(c, file)| (format!("search/d/{}-{c}.json", d.id), file))
                    .collect()
            })
            .collect();
        for (path, file) in named.into_iter().flatten() {
            files.add_shared(path, file);
        }
    }
    // Serve keeps it while no facet value or label changed (a body edit changes none).
    let facets = || SharedText::new(facets_json(corpus).to_string());
    let facets = match memo {
        Some(m) => {
            let key = crate::incremental::hash_of(&(&corpus.groups, &corpus.labels));
            m.text("search/facets.json", key, facets)
        }
        None => std::sync::Arc::new(facets()),
    };
    files.add_shared("search/facets.json", facets);
    let manifest = json!({
        "v": 1,
        "n": index.n_docs(),
        "groups": [corpus.articles, corpus.datasets, corpus.tables],
        "shards": shard_first,
        "analyzer": analyzer_tables(),
    });
    files.add(
        "search/search.js",
        CLIENT_JS.replacen("/*@BILIM_INDEX@*/null", &manifest.to_string(), 1),
    );
    Ok(())
}

fn facets_json(corpus: &Corpus) -> Value {
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in FACETS {
        let mut v: Vec<&str> = corpus.groups.iter().flat_map(|g| g.values(f)).collect();
        v.sort_unstable();
        v.dedup();
        values.insert(f, v);
    }
    // Each value's position by map: a scan of the list per article was groups × values.
    let positions: BTreeMap<&str, std::collections::HashMap<&str, usize>> = values
        .iter()
        .map(|(f, list)| (*f, list.iter().enumerate().map(|(i, v)| (*v, i)).collect()))
        .collect();
    let groups: Vec<Value> = corpus
        .groups
        .iter()
        .map(|g| {
            Value::Array(
                FACETS
                    .iter()
                    .map(|f| {
                        let at = &positions[f];
                        json!(g
                            .values(f)
                            .iter()
                            .filter_map(|v| at.get(v).copied())
                            .collect::<Vec<_>>())
                    })
                    .collect(),
            )
        })
        .collect();
    let facets: serde_json::Map<String, Value> = FACETS
        .iter()
        .map(|f| {
            let labels: Vec<Value> = values[f]
                .iter()
                .map(|v| {
                    corpus
                        .labels
                        .get(*f)
                        .and_then(|m| m.get(*v))
                        .map_or(Value::Null, |l| json!(l))
                })
                .collect();
            (
                f.to_string(),
                json!({"values": values[f], "labels": labels}),
            )
        })
        .collect();
    json!({"order": FACETS, "facets": facets, "groups": groups})
}

/// Build the corpus and the index in memory and write `search/` (called by the site build).
pub fn write_site(
    p: &crate::site::Project,
    computed: &crate::tables::Computed,
    docs: &crate::site::Docs,
    files: &mut SiteFiles,
    memo: Option<&crate::incremental::Memo>,
) -> Result<()> {
    let start = std::time::Instant::now();
    let corpus = crate::site::timed("    search corpus", || {
        super::corpus(p, computed, docs, memo)
    });
    let index = crate::site::timed("    search analysis and inverted index", || {
        Inverted::build(&corpus, memo)
    });
    if let Some(n) = index.patched() {
        crate::site::timing_note(&format!("    index patched: {n} documents replaced"));
    }
    crate::site::timed("    search static index", || {
        write(&index, &corpus, files, memo)
    })?;
    if std::env::var_os("BILIM_SEARCH_TIMING").is_some() {
        eprintln!(
            "search index: {} documents in {:.3} s",
            corpus.docs.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_alphabet() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    fn written(index: &Inverted, c: &Corpus, memo: Option<&crate::incremental::Memo>) -> SiteFiles {
        let mut files = SiteFiles::default();
        write(index, c, &mut files, memo).unwrap();
        files
    }

    fn same_files(a: &SiteFiles, b: &SiteFiles) {
        let a: Vec<(&str, &[u8])> = a.iter().collect();
        let b: Vec<(&str, &[u8])> = b.iter().collect();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{}", x.0);
        }
    }

    /// Set one chunk of a document's body.
    fn set_chunk(c: &mut Corpus, doc: usize, chunk: usize, text: &str) {
        let mut body = c.docs[doc].chunks.to_vec();
        body[chunk] = text.into();
        std::sync::Arc::make_mut(&mut c.docs[doc]).chunks =
            std::sync::Arc::new(crate::search::Chunks::new(body));
    }

    /// How the dictionary the memo keeps was made (and it is put back).
    fn dictionary_patched(memo: &crate::incremental::Memo) -> Option<usize> {
        let dict = memo.take_search_dictionary().unwrap();
        let n = dict.patched;
        memo.keep_search_dictionary(dict);
        n
    }

    #[test]
    fn a_patched_dictionary_writes_what_a_fresh_one_does() {
        let memo = crate::incremental::Memo::new();
        let mut c = crate::search::inverted::tests::corpus();
        let first = Inverted::build(&c, Some(&memo));
        same_files(
            &written(&first, &c, Some(&memo)),
            &written(&first, &c, None),
        );
        assert_eq!(dictionary_patched(&memo), None);
        drop(first);
        let fresh = |c: &Corpus| written(&Inverted::build(c, None), c, None);
        // Edits that keep every field's length (so the averages stay): a word replaced by a
        // new key, then replaced again (the key vanishes), and a word moved between documents.
        let edits: [(usize, usize, &str); 3] = [
            (
                0,
                0,
                "The reform of the civil service began in 1999. Akimat continued.",
            ),
            (
                0,
                0,
                "The reform of the civil service began in 1999. Reform continued.",
            ),
            (1, 2, "Реформы службы бюджета."),
        ];
        for (i, (doc, chunk, text)) in edits.into_iter().enumerate() {
            set_chunk(&mut c, doc, chunk, text);
            let patched = Inverted::build(&c, Some(&memo));
            assert_eq!(patched.patched(), Some(1));
            let files = written(&patched, &c, Some(&memo));
            let encoded = dictionary_patched(&memo).expect("the dictionary was patched");
            assert!(
                encoded > 0 && encoded < patched.keys().len(),
                "edit {i}: {encoded}"
            );
            same_files(&files, &fresh(&c));
            let akimat = files.iter().any(|(p, b)| {
                p.starts_with("search/t/") && String::from_utf8_lossy(b).contains("\"akimat\"")
            });
            assert_eq!(akimat, i == 0, "edit {i}");
        }
        // an edit that changes the averages: the dictionary is encoded afresh
        set_chunk(&mut c, 0, 0, "Budget.");
        let index = Inverted::build(&c, Some(&memo));
        let files = written(&index, &c, Some(&memo));
        assert_eq!(dictionary_patched(&memo), None);
        same_files(&files, &fresh(&c));
    }

    #[test]
    fn merge_replaces_removes_and_adds() {
        let item = |k: &str| Item {
            key: k.into(),
            head: format!("[{k}"),
            postings: Postings::Inline(String::new()),
        };
        let items = vec![item("b"), item("d"), item("f")];
        let mut changed = vec![("a", Some(item("a"))), ("d", None), ("f", Some(item("f")))];
        changed[2].1.as_mut().unwrap().head = "new".into();
        changed.push(("g", Some(item("g"))));
        let out = merge(items, changed);
        let got: Vec<(&str, &str)> = out.iter().map(|i| (&*i.key, &*i.head)).collect();
        assert_eq!(got, [("a", "[a"), ("b", "[b"), ("f", "new"), ("g", "[g")]);
    }

    #[test]
    fn varints() {
        let mut v = Vec::new();
        varint(300, &mut v);
        assert_eq!(v, [0xac, 0x02]);
    }
}
