//! Incremental rebuilds for `serve`.
//!
//! A [`Session`] runs the same pipeline as a clean build (`site::build_into`) but keeps, between
//! builds, the results of the expensive per-document steps and the hash of every file it wrote:
//!
//! - rendered documents (Markdown → HTML with citations formatted), by document;
//! - rendered pages, by output path and a hash of the page's template context;
//! - formatted citations (hayagriva), by the hash of the CSL item, style and language;
//! - the search analysis (normalising, stemming, folding) of each search document, as counts;
//! - parsed datasets (CSV and metadata parsed, column summaries), by the hash of their files;
//! - parsed articles, by the stamps of their files (size, inode, modification and change times;
//!   a file changed less than two seconds ago is read again, git's "racy clean" rule);
//! - each search document's result files and the inverted index itself, which the next build
//!   patches with the documents that changed instead of merging every document again;
//! - the output: a file whose bytes did not change is not written again, a file that a build no
//!   longer produces is removed.
//!
//! Computed tables are cached by the table cache (`tables::cache`) already, for every build.
//!
//! Every cached result is keyed by a hash of *all* the inputs that produce it, never by "what the
//! watcher said changed": a missed or merged file event cannot make a rebuild stale, and an
//! incremental build equals a clean one by construction. `tests/incremental.rs` checks that
//! after random sequences of edits.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::output::SharedText;
use crate::site::{BuildOptions, BuildReport, RenderedDoc};

/// A 64-bit hash of anything hashable: XXH3 with its default seed (stable within a process,
/// which is all an in-memory cache needs; the table cache on disk uses SHA-256). It keys every
/// cache and decides which output files changed, over hundreds of megabytes per rebuild: std's
/// SipHash took an eighth of a 10,000-page rebuild.
pub fn hash_of(value: &impl Hash) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    value.hash(&mut h);
    h.finish()
}

/// How long after its last change a file's stamp is trusted by default. File times come from a
/// coarse clock (a few milliseconds on Linux, two seconds on FAT), so two writes in one tick can
/// leave the same size and times; a file changed this recently is read again instead (git's
/// "racy clean" rule).
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

/// A hash of what identifies a file's version without reading it: its size, inode and
/// modification and change times (the change time cannot be set back by tools that restore
/// modification times). `None` if the file cannot be read or changed less than `settled` ago,
/// so the caller reads it. Serve keys parsed articles by it: stat-ing 30,000 files costs far
/// less than reading, hashing and parsing them.
fn file_stamp(path: &Path, settled: std::time::Duration) -> Option<u64> {
    let m = std::fs::metadata(path).ok()?;
    let modified = m.modified().ok()?;
    #[cfg(unix)]
    let (ids, changed) = {
        use std::os::unix::fs::MetadataExt;
        let ctime = std::time::UNIX_EPOCH
            + std::time::Duration::new(m.ctime().try_into().ok()?, m.ctime_nsec().try_into().ok()?);
        (
            (m.ino(), m.dev(), m.ctime(), m.ctime_nsec()),
            ctime.max(modified),
        )
    };
    #[cfg(not(unix))]
    let (ids, changed) = ((), modified);
    let age = std::time::SystemTime::now().duration_since(changed).ok()?;
    if age < settled {
        return None;
    }
    Some(hash_of(&(m.len(), modified, ids)))
}

/// One cached value, with the hash of the inputs it was made from and the build that last used
/// it (entries no build used are dropped, so a long session does not accumulate old versions).
struct Entry<T> {
    key: u64,
    value: Arc<T>,
    used: u64,
}

/// A cache of values by name (a document path, a search document's URL), each valid for one key.
struct Cache<K, T> {
    entries: Mutex<HashMap<K, Entry<T>>>,
    /// Values made (not found) since the last [`Cache::take_counts`].
    made: AtomicUsize,
    /// Values found since the last [`Cache::take_counts`].
    found: AtomicUsize,
}

impl<K: Hash + Eq + Clone, T> Cache<K, T> {
    fn new() -> Self {
        Cache {
            entries: Mutex::new(HashMap::new()),
            made: AtomicUsize::new(0),
            found: AtomicUsize::new(0),
        }
    }

    /// The value of `name` for inputs hashed to `key`: the cached one if the key matches, else
    /// `make()`'s (which is then cached). `make` runs without the lock held.
    fn get_or_make<E>(
        &self,
        name: &K,
        key: u64,
        generation: u64,
        make: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<Arc<T>, E> {
        if let Some(value) = self.get(name, key, generation) {
            return Ok(value);
        }
        let value = Arc::new(make()?);
        self.made.fetch_add(1, Ordering::Relaxed);
        self.put(name.clone(), key, generation, value.clone());
        Ok(value)
    }

    /// [`Cache::get_or_make`] for a `make` that cannot fail.
    fn get_or_insert(
        &self,
        name: &K,
        key: u64,
        generation: u64,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let made: std::result::Result<_, std::convert::Infallible> =
            self.get_or_make(name, key, generation, || Ok(make()));
        match made {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// The cached value of `name` if it was made for `key` (and mark it used).
    fn get(&self, name: &K, key: u64, generation: u64) -> Option<Arc<T>> {
        let mut map = self.lock();
        let e = map.get_mut(name).filter(|e| e.key == key)?;
        e.used = generation;
        self.found.fetch_add(1, Ordering::Relaxed);
        Some(e.value.clone())
    }

    /// Remember `value` as the value of `name` for `key`.
    fn put(&self, name: K, key: u64, generation: u64, value: Arc<T>) {
        self.lock().insert(
            name,
            Entry {
                key,
                value,
                used: generation,
            },
        );
    }

    /// The entries; a panic elsewhere while the lock was held leaves them usable (each entry is
    /// inserted whole).
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forget entries that the build `generation` did not use.
    fn prune(&self, generation: u64) {
        self.lock().retain(|_, e| e.used == generation);
    }

    /// How many values were (made, found) since the last call (only the counts a [`Rebuild`]
    /// reports are taken; the others are never read).
    fn take_counts(&self) -> (usize, usize) {
        (
            self.made.swap(0, Ordering::Relaxed),
            self.found.swap(0, Ordering::Relaxed),
        )
    }
}

/// A cache that forgets what the last complete build did not use.
trait Prune {
    fn prune(&self, generation: u64);
}

impl<K: Hash + Eq + Clone, T> Prune for Cache<K, T> {
    fn prune(&self, generation: u64) {
        Cache::prune(self, generation);
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("generation", &self.generation)
            .finish()
    }
}

/// What one build may reuse from the previous ones (passed down the pipeline as `Option<&Memo>`;
/// a clean build passes `None`).
pub struct Memo {
    generation: u64,
    /// See [`SETTLED`].
    settled: std::time::Duration,
    docs: Cache<PathBuf, RenderedDoc>,
    terms: Cache<String, crate::search::inverted::DocTerms>,
    pages: Cache<String, SharedText>,
    /// Rendered pages by output path and a hash of the page's *inputs* (see
    /// [`Memo::page_by_inputs`]): a hit skips building the context at all.
    pages_by_inputs: Cache<String, SharedText>,
    citations: Cache<u64, String>,
    datasets: Cache<String, crate::tables::ParsedDataset>,
    /// The last build's inverted index (with what each document contributed), patched by the
    /// next build when its documents are the same.
    search_index: Mutex<Option<Arc<crate::search::inverted::Inverted>>>,
    /// The last build's encoded search dictionary, patched by the next build when its index
    /// was patched from the one the dictionary encodes.
    search_dictionary: Mutex<Option<crate::search::export::Dictionary>>,
    /// The result files of a search document (`search/d/`), by URL and its text.
    search_docs: Cache<String, Vec<Arc<SharedText>>>,
    /// What an article contributes to the search corpus, by slug and the objects it was made
    /// from ([`crate::search::ArticleSearch`]).
    search_articles: Cache<String, crate::search::ArticleSearch>,
    /// Parsed articles, by slug and the stamps of their files ([`file_stamp`]).
    articles: Cache<String, crate::content::Article>,
    /// Raw files (datasets' CSVs), by path and stamp.
    files: Cache<PathBuf, SharedText>,
    /// Directory listings under `content/`, by path and the directory's stamp.
    dirs: Cache<PathBuf, crate::content::DirListing>,
    /// The search chunks of an article version, by document path and its text's hash.
    chunks: Cache<PathBuf, crate::search::Chunks>,
    /// The parsed bibliography (with the references it formatted), by the hash of its text
    /// and the theme's locale files.
    bibliography: Cache<(), crate::cite::Bibliography>,
    /// Files derived from the whole site (the sitemap, the feeds), by name and a hash of their
    /// inputs.
    texts: Cache<String, SharedText>,
    /// Every taxonomy's terms, by a hash of the articles' metadata and keywords.
    taxonomies: Cache<(), crate::pages::Taxonomies>,
}

impl Memo {
    pub(crate) fn new() -> Self {
        Memo {
            generation: 0,
            settled: SETTLED,
            docs: Cache::new(),
            terms: Cache::new(),
            pages: Cache::new(),
            pages_by_inputs: Cache::new(),
            citations: Cache::new(),
            datasets: Cache::new(),
            articles: Cache::new(),
            files: Cache::new(),
            dirs: Cache::new(),
            chunks: Cache::new(),
            bibliography: Cache::new(),
            texts: Cache::new(),
            taxonomies: Cache::new(),
            search_docs: Cache::new(),
            search_articles: Cache::new(),
            search_index: Mutex::new(None),
            search_dictionary: Mutex::new(None),
        }
    }

    /// A rendered document: cached if `key` (the hash of the document and of everything its
    /// rendering reads) is the one it was rendered for.
    pub fn doc(
        &self,
        path: &Path,
        key: u64,
        render: impl FnOnce() -> Result<RenderedDoc>,
    ) -> Result<Arc<RenderedDoc>> {
        self.docs
            .get_or_make(&path.to_path_buf(), key, self.generation, render)
    }

    /// The analysed terms of a search document, by URL and the hash of its text.
    pub fn terms(
        &self,
        url: &str,
        key: u64,
        analyse: impl FnOnce() -> crate::search::inverted::DocTerms,
    ) -> Arc<crate::search::inverted::DocTerms> {
        self.terms
            .get_or_insert(&url.to_string(), key, self.generation, analyse)
    }
}

impl Memo {
    /// Drop every entry the current build did not use. `self` is taken apart field by field so
    /// that a cache added to `Memo` and left out here does not compile (it would grow forever).
    fn prune(&self) {
        let Memo {
            generation,
            settled: _,
            search_index: _,      // replaced by every build
            search_dictionary: _, // so is this
            docs,
            terms,
            pages,
            pages_by_inputs,
            citations,
            datasets,
            search_docs,
            search_articles,
            articles,
            files,
            dirs,
            chunks,
            bibliography,
            texts,
            taxonomies,
        } = self;
        let caches: [&dyn Prune; 15] = [
            docs,
            terms,
            pages,
            pages_by_inputs,
            citations,
            datasets,
            search_docs,
            search_articles,
            articles,
            files,
            dirs,
            chunks,
            bibliography,
            texts,
            taxonomies,
        ];
        for cache in caches {
            cache.prune(*generation);
        }
    }

    /// The stamp of a file (see [`file_stamp`]): `None` means "read it".
    pub fn file_stamp(&self, path: &Path) -> Option<u64> {
        file_stamp(path, self.settled)
    }

    /// A directory's listing, read again only when the directory's stamp changed (or could not
    /// be trusted).
    pub fn dir_listing(
        &self,
        path: &Path,
        list: impl FnOnce() -> std::io::Result<crate::content::DirListing>,
    ) -> std::io::Result<Arc<crate::content::DirListing>> {
        match self.file_stamp(path) {
            Some(stamp) => {
                (self.dirs).get_or_make(&path.to_path_buf(), stamp, self.generation, list)
            }
            None => list().map(Arc::new),
        }
    }

    /// A file's bytes, read again only when its stamp changed (or could not be trusted).
    pub fn file<E>(
        &self,
        path: &Path,
        read: impl FnOnce(&Path) -> std::result::Result<SharedText, E>,
    ) -> std::result::Result<Arc<SharedText>, E> {
        match self.file_stamp(path) {
            Some(stamp) => {
                self.files
                    .get_or_make(&path.to_path_buf(), stamp, self.generation, || read(path))
            }
            None => read(path).map(Arc::new),
        }
    }

    /// The search chunks of a document, by path and the hash of its description and body.
    pub fn chunks(
        &self,
        path: &Path,
        key: u64,
        make: impl FnOnce() -> crate::search::Chunks,
    ) -> Arc<crate::search::Chunks> {
        self.chunks
            .get_or_insert(&path.to_path_buf(), key, self.generation, make)
    }

    /// What an article contributes to the search corpus, by slug and a hash of its inputs.
    pub fn article_search(
        &self,
        slug: &str,
        key: u64,
        make: impl FnOnce() -> crate::search::ArticleSearch,
    ) -> Arc<crate::search::ArticleSearch> {
        self.search_articles
            .get_or_insert(&slug.to_string(), key, self.generation, make)
    }

    /// A file derived from the whole site, by name and the hash of its inputs.
    pub fn text(&self, name: &str, key: u64, make: impl FnOnce() -> SharedText) -> Arc<SharedText> {
        self.texts
            .get_or_insert(&name.to_string(), key, self.generation, make)
    }

    /// The taxonomies, by the hash of what they are built from.
    pub fn taxonomies(
        &self,
        key: u64,
        make: impl FnOnce() -> crate::pages::Taxonomies,
    ) -> Arc<crate::pages::Taxonomies> {
        self.taxonomies
            .get_or_insert(&(), key, self.generation, make)
    }

    /// The parsed bibliography, by the hash of its inputs.
    pub fn bibliography(
        &self,
        key: u64,
        parse: impl FnOnce() -> Result<crate::cite::Bibliography>,
    ) -> Result<Arc<crate::cite::Bibliography>> {
        self.bibliography
            .get_or_make(&(), key, self.generation, parse)
    }

    /// A parsed article, by slug and the hash of its files' stamps (and of the configuration
    /// it is validated against).
    pub fn article(
        &self,
        slug: &str,
        key: u64,
        parse: impl FnOnce() -> Result<crate::content::Article>,
    ) -> Result<Arc<crate::content::Article>> {
        self.articles
            .get_or_make(&slug.to_string(), key, self.generation, parse)
    }

    /// The inverted index kept by the last build, if any (taken: a build patches it in place).
    pub fn take_search_index(&self) -> Option<Arc<crate::search::inverted::Inverted>> {
        self.search_index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Keep an inverted index for the next build.
    pub fn keep_search_index(&self, index: Arc<crate::search::inverted::Inverted>) {
        *self.search_index.lock().unwrap_or_else(|e| e.into_inner()) = Some(index);
    }

    /// Take the search dictionary an earlier build kept.
    pub fn take_search_dictionary(&self) -> Option<crate::search::export::Dictionary> {
        self.search_dictionary
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Keep a search dictionary for the next build.
    pub fn keep_search_dictionary(&self, dict: crate::search::export::Dictionary) {
        *self
            .search_dictionary
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(dict);
    }

    /// The result files of a search document, by URL and the hash of its title, URL and chunks.
    pub fn search_doc_files(
        &self,
        url: &str,
        key: u64,
        make: impl FnOnce() -> Vec<Arc<SharedText>>,
    ) -> Arc<Vec<Arc<SharedText>>> {
        self.search_docs
            .get_or_insert(&url.to_string(), key, self.generation, make)
    }

    /// A parsed dataset, by id and the hash of its CSV and metadata files.
    pub fn dataset(
        &self,
        id: &str,
        key: u64,
        parse: impl FnOnce() -> Result<crate::tables::ParsedDataset>,
    ) -> Result<Arc<crate::tables::ParsedDataset>> {
        self.datasets
            .get_or_make(&id.to_string(), key, self.generation, parse)
    }

    /// A formatted citation, by the hash of the CSL item, style and language.
    pub fn citation(&self, key: u64, format: impl FnOnce() -> String) -> Arc<String> {
        self.citations
            .get_or_insert(&key, key, self.generation, format)
    }

    /// A rendered page, by output path and the hash of its template and context.
    pub fn page(
        &self,
        path: &str,
        key: u64,
        render: impl FnOnce() -> Result<String>,
    ) -> Result<Arc<SharedText>> {
        self.pages
            .get_or_make(&path.to_string(), key, self.generation, || {
                render().map(SharedText::new)
            })
    }

    /// A page rendered before from inputs that hash to `key`: for pages whose context is costly
    /// and whose inputs are few and known (article pages), so that an unchanged page costs a
    /// hash instead of a context. The context hash of [`Memo::page`] stays the safety net for
    /// every other page.
    pub fn page_by_inputs(&self, path: &str, key: u64) -> Option<Arc<SharedText>> {
        self.pages_by_inputs
            .get(&path.to_string(), key, self.generation)
    }

    /// Remember the page rendered from inputs that hash to `key`.
    pub fn remember_page_by_inputs(&self, path: &str, key: u64, html: Arc<SharedText>) {
        self.pages_by_inputs
            .put(path.to_string(), key, self.generation, html);
    }
}

/// Builds of one project into one output directory, each reusing what the last one computed.
pub struct Session {
    opts: BuildOptions,
    memo: Memo,
    /// Hash of every file in the output as this session last wrote it.
    written: HashMap<String, u64>,
}

/// What a rebuild did.
#[derive(Debug, Clone, Default)]
pub struct Rebuild {
    /// The build's summary.
    pub report: BuildReport,
    /// Documents rendered again (the others came from the cache).
    pub docs_rendered: usize,
    /// Pages whose template was rendered again (the others' contexts had not changed).
    pub pages_rendered: usize,
    /// Pages reused without building their context, because their inputs had not changed
    /// ([`Memo::page_by_inputs`]).
    pub pages_reused: usize,
    /// Datasets parsed again (the others' files had not changed).
    pub datasets_parsed: usize,
    /// Articles read and parsed again (the others' files had not changed).
    pub articles_parsed: usize,
    /// Files written (new or changed).
    pub written: usize,
    /// Files removed (no longer produced).
    pub removed: usize,
}

impl Session {
    /// A session writing into `opts.output`; its first build writes every file.
    pub fn new(opts: BuildOptions) -> Session {
        Session {
            opts,
            memo: Memo::new(),
            written: HashMap::new(),
        }
    }

    /// Trust file stamps as soon as a file is written (the default waits [`SETTLED`]). For tests
    /// that edit files between rebuilds faster than that: each rebuild there takes longer than
    /// a tick of the file clock, so an edit always leaves a new time.
    pub fn trust_stamps_at_once(&mut self) {
        self.memo.settled = std::time::Duration::ZERO;
    }

    /// Build (again). On error nothing is written and the caches keep every entry.
    pub fn rebuild(&mut self) -> Result<Rebuild> {
        self.memo.generation += 1;
        let built = crate::site::build_with_memo(&self.opts, Some(&self.memo));
        let (docs_rendered, _) = self.memo.docs.take_counts();
        let (pages_rendered, _) = self.memo.pages.take_counts();
        let (_, pages_reused) = self.memo.pages_by_inputs.take_counts();
        let (datasets_parsed, _) = self.memo.datasets.take_counts();
        let (articles_parsed, _) = self.memo.articles.take_counts();
        let (files, report) = built?;
        // Only a complete build knows which entries are still needed.
        self.memo.prune();
        let (written, removed) = crate::site::timed("write changed files", || {
            files.sync_into(&self.opts.output, &mut self.written)
        })?;
        Ok(Rebuild {
            report,
            docs_rendered,
            pages_rendered,
            pages_reused,
            datasets_parsed,
            articles_parsed,
            written,
            removed,
        })
    }
}
