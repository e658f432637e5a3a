//! The build pipeline: load → compute → render → write.
//!
//! [`load`] reads every input (configuration, theme, content, bibliography, datasets) and
//! validates it; [`compute`] runs the `{table}`/`{chart}` directives and the checks; [`render`]
//! turns Markdown and templates into the site's files; [`build`] writes them atomically.
//! Data flows one way: each stage takes the previous stage's output by reference.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::cite::{Bibliography, Style};
use crate::config::SiteConfig;
use crate::content::{Content, Document};
use crate::error::{Diagnostics, Error, Result};
use crate::i18n::{Date, Lang};
use crate::incremental::{hash_of, Memo};
use crate::markdown::{self, Citation, Rendered, Resolver};
use crate::output::SiteFiles;
use crate::render::Theme;
use crate::tables::{Computed, Datasets};

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Project root.
    pub root: PathBuf,
    /// Output directory (default `<root>/public`).
    pub output: PathBuf,
    /// Override of `base_url`.
    pub base_url: Option<String>,
    /// Inject the live-reload script (serve).
    pub live_reload: bool,
}

impl BuildOptions {
    /// Defaults for a project root.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        BuildOptions {
            output: root.join("public"),
            root,
            base_url: None,
            live_reload: false,
        }
    }
}

/// Every validated input of a build.
pub struct Project {
    /// Project root.
    pub root: PathBuf,
    /// `site.toml`.
    pub config: SiteConfig,
    /// Templates, static files, strings.
    pub theme: Theme,
    /// Articles and pages.
    pub content: Content,
    /// `data/references.bib`.
    pub bibliography: Arc<Bibliography>,
    /// `data/*.csv` with metadata.
    pub datasets: Datasets,
    /// The build date (from `SOURCE_DATE_EPOCH`, else the newest content date).
    pub build_date: Date,
}

/// What a build did, for the summary line.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// HTML pages written.
    pub pages: usize,
    /// All files written.
    pub files: usize,
    /// Computed tables.
    pub tables: usize,
    /// Checks that matched / did not.
    pub checks_matched: usize,
    /// Checks whose recomputation differs from the printed value.
    pub checks_mismatched: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Problems that did not stop the build, as `file: warning: …` lines.
    pub warnings: Vec<String>,
}

/// Stage 1: read and validate every input, reporting all problems at once.
pub fn load(opts: &BuildOptions) -> Result<Project> {
    load_with_memo(opts, None)
}

/// Stage 1, reusing parsed datasets whose files did not change (serve).
fn load_with_memo(opts: &BuildOptions, memo: Option<&Memo>) -> Result<Project> {
    let root = &opts.root;
    if !root.join("site.toml").is_file() {
        return Err(Error::Other(format!(
            "{}: no site.toml here — run bilim in a knowledge-base directory or pass --root DIR",
            root.display()
        )));
    }
    let mut config = SiteConfig::load(root)?;
    if let Some(url) = &opts.base_url {
        config = config.with_base_url(url);
    }
    // Nothing is read through a symbolic link that leads out of the project.
    crate::fsguard::check_dirs(root, &config.theme)?;
    let mut diags = Diagnostics::default();
    let theme = diags.collect(timed("  theme", || Theme::load(root, &config)))?;
    let content = diags.collect(timed("  content", || Content::load(root, &config, memo)))?;
    let bibliography = diags.collect(timed("  bibliography", || {
        Bibliography::load_kept(root, &config.theme, memo)
    }))?;
    let datasets = diags.collect(timed("  datasets", || Datasets::load(root, memo)))?;
    diags.finish()?;
    let (Some(theme), Some(content), Some(bibliography), Some(datasets)) =
        (theme, content, bibliography, datasets)
    else {
        return Err(Error::Other(
            "internal error: a stage failed without a diagnostic".into(),
        ));
    };
    let build_date = build_date(&content);
    let project = Project {
        root: root.clone(),
        config,
        theme,
        content,
        bibliography,
        datasets,
        build_date,
    };
    timed("  cross-references", || validate_references(&project))?;
    Ok(project)
}

/// Cross-file checks: every cite key and dataset named in front matter exists.
fn validate_references(p: &Project) -> Result<()> {
    let mut diags = Diagnostics::default();
    for a in &p.content.articles {
        let Some(en) = a.versions.get(&Lang::En) else {
            continue;
        };
        // (line, column) of the first line holding `needle`, in characters.
        let fm_pos = |needle: &str| -> (usize, usize) {
            std::fs::read_to_string(p.root.join(&en.doc.path))
                .ok()
                .and_then(|t| {
                    t.lines().enumerate().find_map(|(i, l)| {
                        l.find(needle).map(|c| {
                            (
                                i + 1,
                                l[..c].trim_start_matches('\u{feff}').chars().count() + 1,
                            )
                        })
                    })
                })
                .unwrap_or((1, 1))
        };
        let fm_line = |needle: &str| fm_pos(needle).0;
        if !p.bibliography.has(&a.meta.cite_key) {
            diags.push(
                crate::error::Diagnostic::at(
                    &en.doc.path,
                    fm_line("cite_key"),
                    1,
                    format!(
                        "cite_key `{}` is not in data/references.bib",
                        a.meta.cite_key
                    ),
                )
                .hint("add a BibLaTeX entry with this key or fix the key"),
            );
        }
        for d in &a.meta.datasets {
            let (line, col) = fm_pos(&format!("\"{d}\""));
            if !crate::content::is_slug(d) {
                diags.push(
                    crate::error::Diagnostic::at(
                        &en.doc.path,
                        line,
                        col,
                        format!("`{d}` is not a dataset id"),
                    )
                    .hint("dataset ids are slugs (lowercase a-z, 0-9, -) naming data/<id>.csv; paths are not allowed"),
                );
            } else if !p.datasets.contains(d) {
                diags.push(
                    crate::error::Diagnostic::at(
                        &en.doc.path,
                        line,
                        col,
                        format!("unknown dataset `{d}`"),
                    )
                    .hint("datasets are data/<id>.csv files; fix the id or add the file"),
                );
            }
        }
    }
    diags.finish()
}

fn build_date(content: &Content) -> Date {
    if let Some(d) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    {
        return Date::from_unix(d);
    }
    // Without SOURCE_DATE_EPOCH the newest content date keeps builds reproducible.
    content
        .articles
        .iter()
        .filter_map(|a| a.meta.date.as_deref().and_then(Date::parse))
        .max()
        .unwrap_or(Date {
            year: 2026,
            month: 1,
            day: 1,
        })
}

/// Stage 2: compute every table, chart and check.
pub fn compute(p: &Project) -> Result<Computed> {
    crate::tables::compute(p)
}

/// A document rendered to HTML, with its citations resolved.
#[derive(Debug, Clone)]
pub struct RenderedDoc {
    /// Markdown output with citations in place.
    pub body: Rendered,
    /// The page's reference list (key, HTML).
    pub references: Vec<(String, String)>,
    /// See [`RenderedDoc::plain_hash`] and [`RenderedDoc::page_hash`]: computed when first
    /// asked for (only serve asks), then kept with the document.
    hashes: std::sync::OnceLock<(u64, u64)>,
}

impl RenderedDoc {
    /// The hash of `body.plain`: what is derived from the text (search chunks) is keyed by it
    /// without hashing the text on every rebuild.
    pub fn plain_hash(&self) -> u64 {
        self.hashes().0
    }

    /// The hash of what a page shows of it (HTML, contents, references): serve keys article
    /// pages by it.
    pub fn page_hash(&self) -> u64 {
        self.hashes().1
    }

    fn hashes(&self) -> (u64, u64) {
        *self.hashes.get_or_init(|| {
            (
                hash_of(&self.body.plain),
                hash_of(&(&self.body.html, &self.body.toc, &self.references)),
            )
        })
    }
}

/// Citation marker: a private-use character pair that Markdown never produces.
const CITE_OPEN: char = '\u{E000}';
const CITE_CLOSE: char = '\u{E001}';

struct DocResolver<'a> {
    project: &'a Project,
    computed: &'a Computed,
    doc: &'a Document,
    base: String,
    citations: RefCell<Vec<Citation>>,
}

impl Resolver for DocResolver<'_> {
    fn directive_html(&self, index: usize) -> Option<String> {
        self.computed
            .directive_html(&self.doc.path, index)
            .map(str::to_string)
    }
    fn cross_ref(&self, id: &str) -> Option<(String, String)> {
        self.computed.cross_ref(
            &self.doc.path,
            id,
            self.doc.lang,
            &self.project.theme.i18n,
            &self.base,
        )
    }
    fn has_key(&self, key: &str) -> bool {
        self.project.bibliography.has(key)
    }
    fn cite(&self, citation: &Citation) -> String {
        let mut list = self.citations.borrow_mut();
        list.push(citation.clone());
        format!("{CITE_OPEN}{}{CITE_CLOSE}", list.len() - 1)
    }
    fn base_path(&self) -> &str {
        &self.base
    }
}

/// The citation style for a language.
pub fn style_for(cfg: &SiteConfig, lang: Lang) -> Style {
    cfg.citation_style_i18n
        .get(lang.code())
        .and_then(|s| Style::parse(s))
        .or_else(|| Style::parse(&cfg.citation_style))
        .unwrap_or(Style::Apa)
}

/// Render one document's Markdown with its citations.
pub fn render_doc(p: &Project, computed: &Computed, doc: &Document) -> Result<RenderedDoc> {
    let resolver = DocResolver {
        project: p,
        computed,
        doc,
        base: p.config.base_path(),
        citations: RefCell::new(Vec::new()),
    };
    let mut body = markdown::render(doc, &resolver)?;
    let citations = resolver.citations.into_inner();
    let formatted =
        p.bibliography
            .format_page(&citations, style_for(&p.config, doc.lang), doc.lang);
    body.html = replace_markers(&body.html, &formatted.citations);
    // Cleaned here rather than when the search corpus is built, so that serve's cache of
    // rendered documents also keeps the cleaned text (the search index reads nothing else of
    // it).
    body.plain = crate::search::clean(&body.plain);
    // Every document stays in memory until the pages are written: drop the growth slack.
    body.html.shrink_to_fit();
    body.plain.shrink_to_fit();
    body.toc.shrink_to_fit();
    Ok(RenderedDoc {
        hashes: std::sync::OnceLock::new(),
        body,
        references: formatted.references,
    })
}

fn replace_markers(html: &str, citations: &[String]) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(CITE_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + CITE_OPEN.len_utf8()..];
        let Some(end) = after.find(CITE_CLOSE) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let idx: usize = after[..end].parse().unwrap_or(usize::MAX);
        out.push_str("<span class=\"citation\">");
        out.push_str(citations.get(idx).map_or("", String::as_str));
        out.push_str("</span>");
        rest = &after[end + CITE_CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// Every rendered document by its source path. Only looked up, never walked in order, so a
/// hash map: a `BTreeMap` compared paths component by component, 15 times per lookup, and
/// the pages and search index look up 30,000 documents on every rebuild.
pub type Docs = std::collections::HashMap<PathBuf, Arc<RenderedDoc>>;

/// Stage 3a: render every document (in parallel), reporting all problems. With a memo (serve),
/// a document whose inputs hash as before is taken from it instead of rendered again.
pub fn render_docs(p: &Project, computed: &Computed, memo: Option<&Memo>) -> Result<Docs> {
    let mut docs: Vec<&Document> = Vec::new();
    for a in &p.content.articles {
        docs.extend(a.versions.values().map(|v| &v.doc));
    }
    for page in &p.content.pages {
        docs.extend(page.versions.values().map(|(_, d)| d));
    }
    let shared = memo.map(|_| render_inputs_hash(p, computed));
    let results: Vec<(PathBuf, Result<Arc<RenderedDoc>>)> = docs
        .par_iter()
        .map(|d| {
            let render = || render_doc(p, computed, d);
            let doc = match (memo, shared) {
                (Some(m), Some(shared)) => {
                    let key = hash_of(&(shared, d));
                    let key = computed.hash_doc_inputs(&d.path, key);
                    m.doc(&d.path, key, render)
                }
                _ => render().map(Arc::new),
            };
            (d.path.clone(), doc)
        })
        .collect();
    let mut diags = Diagnostics::default();
    let mut out = Docs::with_capacity(results.len());
    for (path, r) in results {
        if let Some(doc) = diags.collect(r)? {
            out.insert(path, doc);
        }
    }
    diags.finish()?;
    Ok(out)
}

/// A hash of everything besides the document itself that [`render_doc`] reads: configuration
/// (base path, citation styles), interface strings (cross-reference labels), the bibliography
/// and where every table and figure is (cross-references).
fn render_inputs_hash(p: &Project, computed: &Computed) -> u64 {
    hash_of(&(
        format!("{:?}", p.config),
        format!("{:?}", p.theme.i18n),
        p.bibliography.fingerprint(),
        computed.registry_hash(),
    ))
}

/// Stages 1–3 in memory: everything but writing. Used by `check`, `cite` and `table`.
pub fn build_files(opts: &BuildOptions) -> Result<(SiteFiles, BuildReport)> {
    build_into(opts, SiteFiles::default(), None)
}

/// Stages 1–3 in memory, reusing what `memo` holds from earlier builds (serve's incremental
/// rebuilds, see [`crate::incremental`]).
pub fn build_with_memo(
    opts: &BuildOptions,
    memo: Option<&Memo>,
) -> Result<(SiteFiles, BuildReport)> {
    guard_output(&opts.root, &opts.output)?;
    build_into(opts, SiteFiles::default(), memo)
}

/// Stages 1–3 into `files` (in memory, or staged on disk by `build`).
fn build_into(
    opts: &BuildOptions,
    files: SiteFiles,
    memo: Option<&Memo>,
) -> Result<(SiteFiles, BuildReport)> {
    let start = Instant::now();
    let project = timed("load", || load_with_memo(opts, memo))?;
    let computed = timed("compute", || compute(&project))?;
    let docs = timed("render documents", || {
        render_docs(&project, &computed, memo)
    })?;
    let files = timed("render site", || {
        crate::pages::render_site(&project, &computed, &docs, opts.live_reload, files, memo)
    })?;
    let (matched, mismatched) = computed.check_counts();
    let report = BuildReport {
        pages: files.paths().filter(|p| p.ends_with(".html")).count(),
        files: files.len(),
        tables: computed.table_count(),
        checks_matched: matched,
        checks_mismatched: mismatched,
        elapsed: start.elapsed(),
        warnings: project
            .datasets
            .iter()
            .flat_map(|(id, d)| {
                d.warnings
                    .iter()
                    .map(move |w| format!("data/{id}.csv: warning: {w}"))
            })
            .collect(),
    };
    Ok((files, report))
}

/// Build and write the site. On any error the previous output is left untouched.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    guard_output(&opts.root, &opts.output)?;
    let staged = SiteFiles::staged(&opts.output)?;
    let (files, mut report) = build_into(opts, staged, None)?;
    timed("write", || files.write_atomically(&opts.output))?;
    report.elapsed = report.elapsed.max(Duration::from_nanos(1));
    Ok(report)
}

/// Run `f`, printing its wall time on stderr when `BILIM_TIMINGS` is set: the per-stage figures
/// of docs/performance.md come from it.
pub fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    if std::env::var_os("BILIM_TIMINGS").is_none() {
        return f();
    }
    let start = Instant::now();
    let value = f();
    eprintln!("timing: {label}: {:.3} s", start.elapsed().as_secs_f64());
    value
}

/// Print a fact beside the stage times (when `BILIM_TIMINGS` is set), e.g. how much a stage
/// could reuse.
pub fn timing_note(note: &str) {
    if std::env::var_os("BILIM_TIMINGS").is_some() {
        eprintln!("timing: {note}");
    }
}

/// Refuse outputs that would destroy the project (the root itself, `content/`, …).
fn guard_output(root: &Path, output: &Path) -> Result<()> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root_abs = abs(root);
    let out_abs = if output.exists() {
        abs(output)
    } else {
        output.to_path_buf()
    };
    let dangerous = out_abs == root_abs
        || root_abs.starts_with(&out_abs)
        || ["content", "data", "themes", "src", ".git"]
            .iter()
            .any(|d| out_abs.starts_with(root_abs.join(d)));
    if dangerous {
        return Err(Error::Other(format!(
            "{}: refusing to write the site here: it would replace project files; choose another --output",
            output.display()
        )));
    }
    Ok(())
}
