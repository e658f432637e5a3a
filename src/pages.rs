//! Which pages the site has, and the template context of each.
//!
//! Every page is rendered once per language; URLs are `base + lang prefix + path`, so the site
//! works under any base path. Pages that have no translation in a language still exist there,
//! with a visible note linking the versions that do exist.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::render::PageContext as Context;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::content::{Article, Page};
use crate::error::{Diagnostics, Result};
use crate::i18n::Lang;
use crate::markdown::escape_text;
use crate::output::{SharedText, SiteFiles};
use crate::render::json_for_script;
use crate::site::{timed, Project};
use crate::tables::{CheckCounts, Computed};
use crate::taxonomy::{self, Kind};

/// One page to render: output path, template and context.
struct PageJob {
    path: String,
    template: &'static str,
    ctx: Context,
}

/// Shared state for building contexts.
pub struct SiteRender<'a> {
    /// The project.
    pub p: &'a Project,
    /// Computed tables.
    pub computed: &'a Computed,
    /// Rendered Markdown by source path.
    pub docs: &'a crate::site::Docs,
    /// Base path, e.g. `/repo/`.
    pub base: String,
    /// Absolute base URL with trailing slash.
    pub base_url: String,
    /// Citation facts computed once per build (versions, the knowledge base's citation).
    pub cite: crate::cite::site::SiteCite<'a>,
    live_reload: bool,
    /// Every taxonomy in every language, built once (term pages, the home page and the
    /// language switcher of keyword pages all need them).
    taxonomies: Arc<Taxonomies>,
    /// Serve: the hash of everything the taxonomies are built from (see [`taxonomies`]); set
    /// whenever `reuse` is.
    taxonomies_key: Option<u64>,
    /// The keyword slugs of each language (keyword terms differ between languages).
    keyword_slugs: HashMap<Lang, HashSet<String>>,
    /// Serve: what reusing pages of earlier builds needs.
    reuse: Option<PageReuse<'a>>,
}

/// Serve reuses a page of an earlier build when nothing it reads changed, without building its
/// context (see [`SiteRender::reusable`]). The keys combine these hashes, computed once per build.
struct PageReuse<'a> {
    memo: &'a crate::incremental::Memo,
    /// Per language: what every page reads besides its own subject (theme, configuration, …).
    site: HashMap<Lang, u64>,
    /// Per article slug: what the article's own pages read of it (the article, its rendered
    /// documents and its checks; the same in every language, so hashed once).
    articles: HashMap<&'a str, u64>,
    /// Per article, by position in `content.articles`: what an article card in a list reads of
    /// it (metadata and the titles and descriptions of its versions, not the bodies).
    card_list: Vec<u64>,
    /// The card inputs of every article in list order ([`SiteRender::sorted_articles`]): what
    /// the list of all articles and the feeds read.
    list: u64,
    /// Per bibliography key: the card inputs of the first article with that key (the article
    /// a dataset's page links to as its source).
    sources: HashMap<&'a str, u64>,
    /// What the bibliography page reads besides the site inputs
    /// ([`crate::cite::site::works_inputs`]).
    works: u64,
}

/// What a job yields: a page to render, or a page rendered by an earlier build (serve) from
/// inputs that hash the same.
enum Work {
    /// Render the page; with `inputs`, remember the HTML under that hash of its inputs.
    Render { job: PageJob, inputs: Option<u64> },
    /// Write this HTML, rendered before from the same inputs.
    Reuse { path: String, html: Arc<SharedText> },
}

impl From<(String, &'static str, Context)> for PageJob {
    fn from((path, template, ctx): (String, &'static str, Context)) -> PageJob {
        PageJob {
            path,
            template,
            ctx,
        }
    }
}

impl From<PageJob> for Work {
    fn from(job: PageJob) -> Work {
        Work::Render { job, inputs: None }
    }
}

impl From<(String, &'static str, Context)> for Work {
    fn from(page: (String, &'static str, Context)) -> Work {
        PageJob::from(page).into()
    }
}

/// A page to render. Its context is built on a worker thread right before rendering and dropped
/// right after, so a build never holds more than a few page contexts at once (at 100,000 pages
/// holding them all would take gigabytes).
type Job<'r> = Box<dyn FnOnce() -> Vec<Work> + Send + 'r>;

/// Every taxonomy's terms in every language.
pub type Taxonomies = BTreeMap<(Kind, Lang), taxonomy::Terms>;

/// The taxonomies, or (serve) those of an earlier build when no article's metadata or keywords
/// and no vocabulary changed: a body edit changes no term.
/// With a memo, also the hash they are kept by.
fn taxonomies(
    p: &Project,
    memo: Option<&crate::incremental::Memo>,
) -> (Arc<Taxonomies>, Option<u64>) {
    let Some(m) = memo else {
        return (Arc::new(all_taxonomies(p)), None);
    };
    let articles: Vec<_> = p
        .content
        .articles
        .iter()
        .map(|a| {
            let keywords: Vec<_> = a.versions.iter().map(|(l, v)| (l, &v.keywords)).collect();
            (&a.slug, &a.meta, keywords)
        })
        .collect();
    let c = &p.config;
    let key = crate::incremental::hash_of(&(c.langs(), &c.topics, &c.methods, articles));
    (m.taxonomies(key, || all_taxonomies(p)), Some(key))
}

/// Every taxonomy of the site in each of its languages.
fn all_taxonomies(p: &Project) -> Taxonomies {
    let keys: Vec<(Kind, Lang)> = p
        .config
        .langs()
        .into_iter()
        .flat_map(|l| Kind::ALL.into_iter().map(move |k| (k, l)))
        .collect();
    keys.into_par_iter()
        .map(|(k, l)| {
            (
                (k, l),
                taxonomy::build(k, &p.content.articles, &p.config, l),
            )
        })
        .collect()
}

fn keyword_slugs(t: &BTreeMap<(Kind, Lang), taxonomy::Terms>) -> HashMap<Lang, HashSet<String>> {
    t.iter()
        .filter(|((k, _), _)| *k == Kind::Keywords)
        .map(|((_, l), terms)| (*l, terms.iter().map(|t| t.slug.clone()).collect()))
        .collect()
}

/// Build every page's context and render it, in parallel; a staged build writes each page into
/// `stage` at once and keeps only its path.
fn render_pages(
    p: &Project,
    jobs: Vec<Job<'_>>,
    stage: Option<&Path>,
    memo: Option<&crate::incremental::Memo>,
) -> Vec<(String, Result<Option<Arc<SharedText>>>)> {
    timed("  page contexts and templates", || {
        jobs.into_par_iter()
            .flat_map_iter(|job| job())
            .map(|work| {
                let (path, html) = match work {
                    Work::Render { job, inputs } => {
                        let html = render_page(p, &job, memo);
                        if let (Some(m), Some(key), Ok(h)) = (memo, inputs, &html) {
                            m.remember_page_by_inputs(&job.path, key, h.clone());
                        }
                        (job.path, html)
                    }
                    Work::Reuse { path, html } => (path, Ok(html)),
                };
                let kept = match (&stage, html) {
                    (Some(dir), Ok(h)) => {
                        SiteFiles::write_file(dir, &path, h.as_bytes()).map(|()| None)
                    }
                    (None, Ok(h)) => Ok(Some(h)),
                    (_, Err(e)) => Err(e),
                };
                (path, kept)
            })
            .collect()
    })
}

/// Render one page's template, or (serve) take it from the memo when its context is unchanged.
fn render_page(
    p: &Project,
    j: &PageJob,
    memo: Option<&crate::incremental::Memo>,
) -> Result<Arc<SharedText>> {
    let render = || p.theme.render(j.template, &j.ctx);
    match (memo, j.ctx.key()) {
        (Some(m), Some(k)) => m.page(
            &j.path,
            crate::incremental::hash_of(&(p.theme.fingerprint, j.template, k)),
            render,
        ),
        _ => render().map(|h| Arc::new(SharedText::new(h))),
    }
}

/// Render every page and file of the site.
pub fn render_site(
    p: &Project,
    computed: &Computed,
    docs: &crate::site::Docs,
    live_reload: bool,
    mut files: SiteFiles,
    memo: Option<&crate::incremental::Memo>,
) -> Result<SiteFiles> {
    let (taxonomies, taxonomies_key) = timed("  taxonomies", || taxonomies(p, memo));
    let r = SiteRender {
        p,
        computed,
        docs,
        base: p.config.base_path(),
        base_url: p.config.base_url_slash(),
        cite: timed("  citation facts", || {
            crate::cite::site::SiteCite::new(p, memo)
        }),
        live_reload,
        keyword_slugs: keyword_slugs(&taxonomies),
        taxonomies,
        taxonomies_key,
        reuse: None,
    };
    let reuse = timed("  page reuse keys", || memo.map(|m| r.page_reuse(m)));
    let r = SiteRender { reuse, ..r };
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for lang in p.config.langs() {
        r.jobs_for_lang(lang, &mut jobs);
    }
    jobs.push(Box::new(|| vec![r.not_found_job().into()]));
    // A staged build writes each page as soon as it is rendered (see `SiteFiles::staged`).
    let stage = files.staging_dir().map(Path::to_path_buf);
    // The search index is built beside the pages: tantivy's writer is sequential, so the
    // pages keep the other core busy meanwhile.
    let mut search_files = files.part();
    let (rendered, search) = rayon::join(
        || render_pages(p, jobs, stage.as_deref(), memo),
        || {
            timed("  search index (beside the pages)", || {
                crate::search::export::write_site(p, computed, docs, &mut search_files, memo)
            })
        },
    );
    timed("  collect pages", || -> Result<()> {
        let mut diags = Diagnostics::default();
        for (path, html) in rendered {
            match diags.collect(html)? {
                Some(Some(h)) => files.add_shared(path, h),
                Some(None) => files.add_staged(path),
                None => {}
            }
        }
        diags.finish()?;
        search?;
        files.extend(search_files);
        Ok(())
    })?;
    for (name, bytes) in &p.theme.static_files {
        files.add(format!("static/{name}"), bytes.clone());
    }
    if r.live_reload {
        files.add("static/livereload.js", crate::serve::LIVERELOAD_JS);
    }
    timed("  hosting files", || r.hosting_files(&mut files));
    timed("  article downloads", || r.article_downloads(&mut files));
    timed("  table and dataset files", || {
        computed.write_files(&r, &mut files)
    })?;
    timed("  citation files", || {
        r.cite.write_files(p, &computed.cite_refs(), &mut files)
    });
    Ok(files)
}

impl<'a> SiteRender<'a> {
    /// Absolute-path URL of a page: `/repo/ru/articles/x/`.
    pub fn url(&self, lang: Lang, path: &str) -> String {
        format!("{}{}{}", self.base, lang.prefix(), path)
    }

    /// Full URL (for canonical links, feeds, citations).
    pub fn abs_url(&self, lang: Lang, path: &str) -> String {
        format!("{}{}{}", self.base_url, lang.prefix(), path)
    }

    fn t(&self, lang: Lang, key: &str) -> String {
        self.p.theme.i18n.get(lang, key).to_string()
    }

    /// The context every page shares.
    pub fn base_ctx(
        &self,
        lang: Lang,
        path: &str,
        title: &str,
        description: &str,
        available: &[Lang],
    ) -> Context {
        self.base_ctx_with_fallback(lang, path, title, description, available, None)
    }

    /// Like [`Self::base_ctx`], for pages that do not exist at all in some languages: the
    /// language switcher links those languages to `fallback` instead.
    pub fn base_ctx_with_fallback(
        &self,
        lang: Lang,
        path: &str,
        title: &str,
        description: &str,
        available: &[Lang],
        fallback: Option<&str>,
    ) -> Context {
        let cfg = &self.p.config;
        let mut ctx = Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("t", self.p.theme.i18n.strings(lang));
        ctx.insert("base", &self.base);
        ctx.insert("home_url", &self.url(lang, ""));
        let alternates: Vec<Value> = cfg
            .langs()
            .into_iter()
            .map(|l| {
                let target = match fallback {
                    Some(f) if !available.contains(&l) => f,
                    _ => path,
                };
                json!({
                    "lang": l.code(), "name": l.native_name(), "url": self.url(l, target),
                    "abs_url": self.abs_url(l, path), "current": l == lang, "exists": available.contains(&l),
                })
            })
            .collect();
        ctx.insert("alternates", &alternates);
        ctx.insert(
            "site",
            &json!({
                "title": cfg.title_in(lang), "description": cfg.description_in(lang),
                "license": cfg.license, "repository": cfg.repository,
                "maintainers": cfg.maintainers,
            }),
        );
        ctx.insert(
            "page",
            &json!({
                "title": title, "description": description, "path": path,
                "url": self.url(lang, path), "canonical": self.abs_url(lang, path),
                "translated": available.contains(&lang),
            }),
        );
        let mut nav = vec![
            json!({"label": self.t(lang, "nav_articles"), "url": self.url(lang, "articles/")}),
            json!({"label": self.t(lang, "nav_topics"), "url": self.url(lang, "topics/")}),
            json!({"label": self.t(lang, "nav_datasets"), "url": self.url(lang, "datasets/")}),
            json!({"label": self.t(lang, "nav_checks"), "url": self.url(lang, "checks/")}),
        ];
        let mut menu_pages: Vec<(&Page, i32)> = self
            .p
            .content
            .pages
            .iter()
            .filter_map(|pg| {
                pg.versions
                    .get(&Lang::En)
                    .filter(|(m, _)| m.menu)
                    .map(|(m, _)| (pg, m.weight))
            })
            .collect();
        menu_pages.sort_by_key(|(pg, w)| (*w, pg.name.clone()));
        for (pg, _) in menu_pages {
            let title = pg
                .versions
                .get(&lang)
                .or_else(|| pg.versions.get(&Lang::En))
                .map_or("", |(m, _)| m.title.as_str());
            nav.push(json!({"label": title, "url": self.url(lang, &format!("{}/", pg.name))}));
        }
        ctx.insert("nav", &nav);
        ctx.insert("search_url", &self.url(lang, "search/"));
        ctx.insert("build_date", &self.p.build_date.human(lang));
        ctx.insert("build_date_iso", &self.p.build_date.iso());
        ctx.insert("live_reload", &self.live_reload);
        ctx.insert("generator", concat!("bilim ", env!("CARGO_PKG_VERSION")));
        ctx.insert("cite_kb", &self.cite.footer(lang));
        ctx.insert("bibliography_url", &self.url(lang, "bibliography/"));
        ctx
    }

    fn with_jsonld(ctx: &mut Context, v: Value) {
        ctx.insert("jsonld", &json_for_script(&v));
    }

    fn breadcrumbs(&self, lang: Lang, items: &[(String, String)]) -> Value {
        let mut list = vec![
            json!({"@type": "ListItem", "position": 1, "name": self.p.config.title_in(lang), "item": self.abs_url(lang, "")}),
        ];
        for (i, (name, path)) in items.iter().enumerate() {
            list.push(json!({"@type": "ListItem", "position": i + 2, "name": name, "item": self.abs_url(lang, path)}));
        }
        json!({"@type": "BreadcrumbList", "itemListElement": list})
    }

    fn jobs_for_lang<'r>(&'r self, lang: Lang, jobs: &mut Vec<Job<'r>>) {
        jobs.push(Box::new(move || vec![self.home_job(lang).into()]));
        jobs.push(Box::new(move || vec![self.article_list_work(lang)]));
        for a in &self.p.content.articles {
            jobs.push(Box::new(move || vec![self.article_work(lang, a)]));
        }
        for page in &self.p.content.pages {
            jobs.push(Box::new(move || {
                vec![self.free_page_job(lang, page).into()]
            }));
        }
        for kind in Kind::ALL {
            let terms = self.terms(kind, lang);
            jobs.push(Box::new(move || {
                vec![self.taxonomy_index_work(lang, kind, terms)]
            }));
            for term in terms {
                jobs.push(Box::new(move || vec![self.term_work(lang, kind, term)]));
            }
        }
        jobs.push(Box::new(move || {
            vec![self
                .simple_job(
                    lang,
                    "search/",
                    "search.html",
                    "search_title",
                    "search_intro",
                )
                .into()]
        }));
        if self.p.theme.has_template("bibliography.html") {
            jobs.push(Box::new(move || vec![self.bibliography_work(lang)]));
        }
        if self.p.theme.has_template("cite.html") {
            jobs.push(Box::new(move || {
                vec![Work::from(crate::cite::site::kb_page_job(self, lang))]
            }));
        }
        for part in self.computed.page_parts(self.p) {
            jobs.push(Box::new(move || self.part_work(lang, part)));
        }
        for (id, e, page) in self.p.datasets.later_row_pages() {
            jobs.push(Box::new(move || {
                let path = format!("datasets/{id}/rows/{page}/");
                vec![self.reusable(lang, &path, (id, page, e.fingerprint), || {
                    crate::tables::rows_job(self, lang, id, e, page).into()
                })]
            }));
        }
    }

    /// The terms of a taxonomy in a language (empty for a language the site does not have).
    pub fn terms(&self, kind: Kind, lang: Lang) -> &[taxonomy::Term] {
        self.taxonomies
            .get(&(kind, lang))
            .map_or(&[], Vec::as_slice)
    }

    /// The output file of a page: `ru/datasets/index.html` for `datasets/` in Russian.
    pub fn out_path(lang: Lang, path: &str) -> String {
        format!("{}{}index.html", lang.prefix(), path)
    }

    fn simple_job(
        &self,
        lang: Lang,
        path: &str,
        template: &'static str,
        title_key: &str,
        intro_key: &str,
    ) -> PageJob {
        PageJob {
            path: Self::out_path(lang, path),
            template,
            ctx: self.simple_ctx(lang, path, title_key, intro_key),
        }
    }

    /// The context of a page in every language, titled and introduced by the interface strings
    /// `title_key` and `intro_key`.
    pub fn simple_ctx(&self, lang: Lang, path: &str, title_key: &str, intro_key: &str) -> Context {
        let title = self.t(lang, title_key);
        self.base_ctx(lang, path, &title, &self.t(lang, intro_key), &Lang::ALL)
    }

    /// A card for article lists.
    pub fn article_card(&self, lang: Lang, a: &Article) -> Value {
        let v = a.versions.get(&lang);
        let en = a.versions.get(&Lang::En);
        let title = v.or(en).map_or(a.meta.title.as_str(), |v| v.title.as_str());
        let description = v
            .or(en)
            .map_or(a.meta.description.as_str(), |v| v.description.as_str());
        let authors: Vec<&str> = a.meta.authors.iter().map(|x| x.name.as_str()).collect();
        json!({
            "slug": a.slug, "title": title, "description": description, "url": self.url(lang, &format!("articles/{}/", a.slug)),
            "authors": authors.join("; "), "year": a.meta.year, "journal": a.meta.journal,
            "source_lang": Lang::parse(&a.meta.source_lang).map_or("", |l| l.native_name()),
            "translated": v.is_some(),
            "topics": a.meta.topics.iter().map(|t| json!({"label": self.vocab(&self.p.config.topics, t, lang), "url": self.url(lang, &format!("topics/{t}/"))})).collect::<Vec<_>>(),
        })
    }

    fn vocab(
        &self,
        v: &BTreeMap<String, BTreeMap<String, String>>,
        slug: &str,
        lang: Lang,
    ) -> String {
        v.get(slug)
            .and_then(|l| l.get(lang.code()).or_else(|| l.get("en")))
            .cloned()
            .unwrap_or_else(|| slug.to_string())
    }

    fn sorted_articles(&self) -> Vec<&Article> {
        let mut list: Vec<&Article> = self.p.content.articles.iter().map(|a| &**a).collect();
        list.sort_by(|a, b| {
            b.meta
                .year
                .cmp(&a.meta.year)
                .then(a.meta.title.cmp(&b.meta.title))
        });
        list
    }

    fn home_job(&self, lang: Lang) -> PageJob {
        let cfg = &self.p.config;
        let mut ctx = self.base_ctx(
            lang,
            "",
            cfg.title_in(lang),
            cfg.description_in(lang),
            &Lang::ALL,
        );
        let list = self.sorted_articles();
        let featured: Vec<Value> = list
            .iter()
            .filter(|a| a.meta.featured)
            .map(|a| self.article_card(lang, a))
            .collect();
        let latest: Vec<Value> = list
            .iter()
            .take(6)
            .map(|a| self.article_card(lang, a))
            .collect();
        let topics: Vec<Value> = self.terms(Kind::Topics, lang).iter().map(|t| json!({"label": t.label, "count": t.positions.len(), "url": self.url(lang, &format!("topics/{}/", t.slug))})).collect();
        let issues = self.terms(Kind::Issues, lang);
        let (matched, mismatched) = self.computed.check_counts();
        ctx.insert("featured", &featured);
        ctx.insert("latest", &latest);
        ctx.insert("topics", &topics);
        ctx.insert(
            "stats",
            &json!({
                "articles": self.p.content.articles.len(), "datasets": self.p.datasets.len(),
                "tables": self.computed.table_count(), "checks_matched": matched, "checks_mismatched": mismatched,
                "issues": issues.len(),
            }),
        );
        Self::with_jsonld(
            &mut ctx,
            json!({
                "@context": "https://schema.org", "@type": "WebSite", "name": cfg.title_in(lang),
                "url": self.abs_url(lang, ""), "inLanguage": lang.code(), "description": cfg.description_in(lang),
            }),
        );
        PageJob {
            path: Self::out_path(lang, ""),
            template: "home.html",
            ctx,
        }
    }

    /// The list of all articles: it reads their cards only, so a body edit reuses it.
    fn article_list_work(&self, lang: Lang) -> Work {
        let inputs = self.reuse.as_ref().map(|r| r.list);
        self.reusable(lang, "articles/", inputs, || self.article_list_job(lang))
    }

    fn article_list_job(&self, lang: Lang) -> PageJob {
        let title = self.t(lang, "articles_title");
        let mut ctx = self.base_ctx(
            lang,
            "articles/",
            &title,
            &self.t(lang, "articles_intro"),
            &Lang::ALL,
        );
        let cards: Vec<Value> = self
            .sorted_articles()
            .iter()
            .map(|a| self.article_card(lang, a))
            .collect();
        ctx.insert("articles", &cards);
        ctx.insert("heading", &title);
        ctx.insert("intro", &self.t(lang, "articles_intro"));
        Self::with_jsonld(
            &mut ctx,
            self.breadcrumbs(lang, &[(title.clone(), "articles/".into())]),
        );
        PageJob {
            path: Self::out_path(lang, "articles/"),
            template: "list.html",
            ctx,
        }
    }

    /// A page that serve takes from an earlier build when the language's site inputs and
    /// `inputs` hash as they did then; otherwise `make`'s job, whose page is then remembered
    /// under that hash. Without a session every page is made. `inputs` must cover everything
    /// the page reads besides [`Self::site_inputs`]; `tests/incremental.rs` compares with clean
    /// builds, and the context hash of [`render_page`] stays the safety net for the template.
    fn reusable(
        &self,
        lang: Lang,
        path: &str,
        inputs: impl std::hash::Hash,
        make: impl FnOnce() -> PageJob,
    ) -> Work {
        let Some(reuse) = &self.reuse else {
            return make().into();
        };
        let key = crate::incremental::hash_of(&(reuse.site.get(&lang), inputs));
        let path = Self::out_path(lang, path);
        match reuse.memo.page_by_inputs(&path, key) {
            Some(html) => Work::Reuse { path, html },
            None => Work::Render {
                job: make(),
                inputs: Some(key),
            },
        }
    }

    /// The pages of one part of the tables and datasets; serve reuses a dataset's or table's
    /// page by [`Computed::part_inputs`].
    fn part_work(&self, lang: Lang, part: crate::tables::PagePart<'_>) -> Vec<Work> {
        let inputs = self.reuse.as_ref().and_then(|r| {
            self.computed
                .part_inputs(self.p, &part, |key| r.sources.get(key).copied())
        });
        let Some((path, inputs)) = inputs else {
            return (self.computed.page_jobs(self, lang, part).into_iter())
                .map(Work::from)
                .collect();
        };
        vec![self.reusable(lang, &path, inputs, || {
            let mut pages = self.computed.page_jobs(self, lang, part);
            debug_assert_eq!(pages.len(), 1, "a dataset or table part is one page");
            PageJob::from(pages.remove(0))
        })]
    }

    /// The bibliography page: a megabyte at 10,000 articles, the same after a body edit that
    /// cites nothing new.
    fn bibliography_work(&self, lang: Lang) -> Work {
        let inputs = self.reuse.as_ref().map(|r| r.works);
        self.reusable(lang, "bibliography/", inputs, || {
            crate::cite::site::bibliography_job(self, lang).into()
        })
    }

    /// An article page: building its context is most of the cost of a rebuild, and a site is
    /// mostly article pages.
    fn article_work(&self, lang: Lang, a: &Article) -> Work {
        let inputs = self.reuse.as_ref().map(|r| r.articles.get(a.slug.as_str()));
        self.reusable(lang, &format!("articles/{}/", a.slug), inputs, || {
            self.article_job(lang, a)
        })
    }

    /// The hashes that key [`Self::reusable`] (per article in parallel).
    fn page_reuse(&self, memo: &'a crate::incremental::Memo) -> PageReuse<'a> {
        let site = self
            .p
            .config
            .langs()
            .into_iter()
            .map(|l| (l, self.site_inputs(l)))
            .collect();
        let articles = &self.p.content.articles;
        let checks = self.computed.checks_by_page();
        let (articles, card_list): (HashMap<&str, u64>, Vec<u64>) = rayon::join(
            || {
                (articles.par_iter())
                    .map(|a| (a.slug.as_str(), self.article_inputs(a, &checks)))
                    .collect()
            },
            || articles.par_iter().map(|a| Self::card_inputs(a)).collect(),
        );
        let cards: HashMap<&str, u64> = (self.p.content.articles.iter())
            .zip(&card_list)
            .map(|(a, card)| (a.slug.as_str(), *card))
            .collect();
        let works = crate::cite::site::works_inputs(self, &cards);
        let mut sources = HashMap::new();
        for a in &self.p.content.articles {
            // The first article with a key, as `find` in the dataset and table pages.
            if let Some(card) = cards.get(a.slug.as_str()) {
                sources.entry(a.meta.cite_key.as_str()).or_insert(*card);
            }
        }
        let list: Vec<_> = self
            .sorted_articles()
            .iter()
            .map(|a| cards.get(a.slug.as_str()))
            .collect();
        PageReuse {
            memo,
            site,
            articles,
            list: crate::incremental::hash_of(&list),
            card_list,
            works,
            sources,
        }
    }

    /// A hash of what an article's pages read of the article: the article itself, its
    /// rendered documents and its checks (`checks`: [`Computed::checks_by_page`]).
    fn article_inputs(&self, a: &Article, checks: &HashMap<&str, CheckCounts>) -> u64 {
        let docs: Vec<_> = a
            .versions
            .values()
            .map(|v| self.docs.get(&v.doc.path).map(|d| d.page_hash()))
            .collect();
        let page = format!("articles/{}/", a.slug);
        let checks = checks.get(page.as_str()).copied().unwrap_or_default();
        crate::incremental::hash_of(&(a, docs, checks))
    }

    /// A hash of what [`Self::article_card`] reads of an article.
    fn card_inputs(a: &Article) -> u64 {
        let versions: Vec<_> = a
            .versions
            .iter()
            .map(|(l, v)| (l, &v.title, &v.description))
            .collect();
        crate::incremental::hash_of(&(&a.slug, &a.meta, versions))
    }

    /// A hash of what every page in `lang` reads besides its own subject: the theme and its
    /// strings, the configuration (base URL, styles, vocabularies, maintainers), the menu
    /// pages, the build date, the bibliography and locales, the datasets' titles and the
    /// footer's citation. Anything [`Self::base_ctx`] or an article page shows must be in
    /// here or in the page's own inputs.
    fn site_inputs(&self, lang: Lang) -> u64 {
        let p = self.p;
        let datasets: Vec<(&str, Option<&str>)> = p
            .datasets
            .iter()
            .map(|(id, _)| (id, p.datasets.title(id)))
            .collect();
        crate::incremental::hash_of(&(
            (lang, p.theme.fingerprint, format!("{:?}", p.theme.i18n)),
            (format!("{:?}", p.config), format!("{:?}", p.build_date)),
            (self.live_reload, &self.base, &self.base_url),
            format!("{:?}", p.content.pages),
            p.bibliography.fingerprint(),
            datasets,
            self.cite.footer(lang).to_string(),
        ))
    }

    fn article_job(&self, lang: Lang, a: &Article) -> PageJob {
        let path = format!("articles/{}/", a.slug);
        let available: Vec<Lang> = a.versions.keys().copied().collect();
        let version = a.versions.get(&lang);
        let shown = version.or_else(|| a.versions.get(&Lang::En));
        let (title, description) = shown
            .map_or((a.meta.title.clone(), a.meta.description.clone()), |v| {
                (v.title.clone(), v.description.clone())
            });
        let mut ctx = self.base_ctx(lang, &path, &title, &description, &available);
        let m = &a.meta;
        let issue = taxonomy::issue_term(a).map(|(slug, label)| json!({"label": label, "url": self.url(lang, &format!("issues/{slug}/"))}));
        let keywords = version.map_or(&m.keywords, |v| &v.keywords);
        let datasets: Vec<Value> = m.datasets.iter().map(|d| json!({"id": d, "title": self.p.datasets.title(d).unwrap_or(d), "url": self.url(lang, &format!("datasets/{d}/"))})).collect();
        ctx.insert("article", &json!({
            "slug": a.slug, "title": title, "original_title": m.original_title, "english_title": m.title,
            "authors": m.authors.iter().map(|x| json!({"name": x.name, "original": x.original, "affiliation": x.affiliation, "orcid": x.orcid, "url": self.url(lang, &format!("authors/{}/", taxonomy::term_slug(&x.name)))})).collect::<Vec<_>>(),
            "year": m.year, "year_url": self.url(lang, &format!("years/{}/", m.year)),
            "journal": m.journal, "volume": m.volume, "issue": m.issue, "pages": m.pages, "doi": m.doi,
            "issue_term": issue,
            "source_lang": Lang::parse(&m.source_lang).map_or("", |l| l.native_name()),
            "source_lang_code": m.source_lang,
            "source_lang_url": self.url(lang, &format!("languages/{}/", m.source_lang)),
            "keywords": keywords.iter().map(|k| json!({"label": k, "url": self.url(lang, &format!("keywords/{}/", taxonomy::term_slug(k)))})).collect::<Vec<_>>(),
            "topics": m.topics.iter().map(|t| json!({"label": self.vocab(&self.p.config.topics, t, lang), "url": self.url(lang, &format!("topics/{t}/"))})).collect::<Vec<_>>(),
            "methods": m.methods.iter().map(|t| json!({"label": self.vocab(&self.p.config.methods, t, lang), "url": self.url(lang, &format!("methods/{t}/"))})).collect::<Vec<_>>(),
            "datasets": datasets,
            "cite_key": m.cite_key,
        }));
        ctx.insert("cite", &self.cite.article_blocks(self.p, lang, a, &title));
        if let Some(v) = version {
            if let Some(doc) = self.docs.get(&v.doc.path) {
                ctx.insert("body", &doc.body.html);
                ctx.insert("toc", &doc.body.toc);
                ctx.insert(
                    "references",
                    &doc.references
                        .iter()
                        .map(|(k, h)| json!({"key": k, "html": h}))
                        .collect::<Vec<_>>(),
                );
            }
        }
        ctx.insert("checks", &self.computed.checks_for_page(&path));
        let crumbs = self.breadcrumbs(
            lang,
            &[
                (self.t(lang, "nav_articles"), "articles/".into()),
                (title.clone(), path.clone()),
            ],
        );
        Self::with_jsonld(
            &mut ctx,
            self.cite
                .article_jsonld(self.p, lang, a, &title, &description, keywords, crumbs),
        );
        PageJob {
            path: Self::out_path(lang, &path),
            template: "article.html",
            ctx,
        }
    }

    fn free_page_job(&self, lang: Lang, page: &Page) -> PageJob {
        let path = format!("{}/", page.name);
        let available: Vec<Lang> = page.versions.keys().copied().collect();
        let version = page
            .versions
            .get(&lang)
            .or_else(|| page.versions.get(&Lang::En))
            .or_else(|| page.versions.values().next());
        let (title, description) = version.map_or((page.name.clone(), String::new()), |(m, _)| {
            (m.title.clone(), m.description.clone())
        });
        let mut ctx = self.base_ctx(lang, &path, &title, &description, &available);
        if let Some((m, doc)) = page.versions.get(&lang) {
            if let Some(r) = self.docs.get(&doc.path) {
                ctx.insert("body", &r.body.html);
                ctx.insert("toc", &r.body.toc);
                ctx.insert(
                    "references",
                    &r.references
                        .iter()
                        .map(|(k, h)| json!({"key": k, "html": h}))
                        .collect::<Vec<_>>(),
                );
            }
            if let Some(t) = &m.topic {
                ctx.insert("topic", &json!({"label": self.vocab(&self.p.config.topics, t, lang), "url": self.url(lang, &format!("topics/{t}/"))}));
            }
        }
        ctx.insert("checks", &self.computed.checks_for_page(&path));
        Self::with_jsonld(
            &mut ctx,
            self.breadcrumbs(lang, &[(title.clone(), path.clone())]),
        );
        PageJob {
            path: Self::out_path(lang, &path),
            template: "page.html",
            ctx,
        }
    }

    /// The index of a taxonomy's terms: serve reuses it while the taxonomies are those of the
    /// last build (a body edit changes no term).
    fn taxonomy_index_work(&self, lang: Lang, kind: Kind, terms: &[taxonomy::Term]) -> Work {
        let inputs = (kind, self.taxonomies_key);
        self.reusable(lang, &format!("{}/", kind.slug()), inputs, || {
            self.taxonomy_index_job(lang, kind, terms)
        })
    }

    fn taxonomy_index_job(&self, lang: Lang, kind: Kind, terms: &[taxonomy::Term]) -> PageJob {
        let path = format!("{}/", kind.slug());
        let title = self.t(lang, &format!("tax_{}", kind.slug()));
        let mut ctx = self.base_ctx(
            lang,
            &path,
            &title,
            &self.t(lang, "taxonomy_intro"),
            &Lang::ALL,
        );
        let list: Vec<Value> = terms.iter().map(|t| json!({"label": t.label, "count": t.positions.len(), "url": self.url(lang, &format!("{}/{}/", kind.slug(), t.slug))})).collect();
        let taxonomies: Vec<Value> = Kind::ALL.iter().map(|k| json!({"label": self.t(lang, &format!("tax_{}", k.slug())), "url": self.url(lang, &format!("{}/", k.slug())), "current": *k == kind})).collect();
        ctx.insert("terms", &list);
        ctx.insert("heading", &title);
        ctx.insert("taxonomies", &taxonomies);
        if kind == Kind::Topics {
            let pages: BTreeMap<String, String> = self.topic_pages(lang);
            ctx.insert("topic_pages", &pages);
        }
        Self::with_jsonld(
            &mut ctx,
            self.breadcrumbs(lang, &[(title.clone(), path.clone())]),
        );
        PageJob {
            path: Self::out_path(lang, &path),
            template: "taxonomy.html",
            ctx,
        }
    }

    fn topic_pages(&self, lang: Lang) -> BTreeMap<String, String> {
        self.p
            .content
            .pages
            .iter()
            .filter_map(|pg| {
                let (m, _) = pg.versions.get(&Lang::En)?;
                Some((m.topic.clone()?, self.url(lang, &format!("{}/", pg.name))))
            })
            .collect()
    }

    /// A term page: the cards of the term's articles. A body edit changes no card, so serve
    /// reuses every term page of an edited article.
    fn term_work(&self, lang: Lang, kind: Kind, term: &taxonomy::Term) -> Work {
        // Keyword terms differ between languages; other taxonomies share their terms.
        let available: Vec<Lang> = if kind == Kind::Keywords {
            self.p
                .config
                .langs()
                .into_iter()
                .filter(|l| {
                    self.keyword_slugs
                        .get(l)
                        .is_some_and(|set| set.contains(&term.slug))
                })
                .collect()
        } else {
            Lang::ALL.to_vec()
        };
        // In the order of `content.articles`, as every list of the site.
        let members: Vec<&Article> = (term.positions.iter())
            .map(|&i| &*self.p.content.articles[i])
            .collect();
        let inputs = self.reuse.as_ref().map(|r| {
            // (a card's inputs include its article's slug)
            let cards: Vec<u64> = term.positions.iter().map(|&i| r.card_list[i]).collect();
            (kind, &term.slug, &term.label, &available, cards)
        });
        let path = format!("{}/{}/", kind.slug(), term.slug);
        self.reusable(lang, &path, inputs, || {
            self.term_job(lang, kind, term, &members, &available)
        })
    }

    fn term_job(
        &self,
        lang: Lang,
        kind: Kind,
        term: &taxonomy::Term,
        members: &[&Article],
        available: &[Lang],
    ) -> PageJob {
        let path = format!("{}/{}/", kind.slug(), term.slug);
        let tax_title = self.t(lang, &format!("tax_{}", kind.slug()));
        let mut ctx = self.base_ctx_with_fallback(
            lang,
            &path,
            &term.label,
            &format!("{tax_title}: {}", term.label),
            available,
            Some(&format!("{}/", kind.slug())),
        );
        let cards: Vec<Value> = members.iter().map(|a| self.article_card(lang, a)).collect();
        ctx.insert("articles", &cards);
        ctx.insert("heading", &term.label);
        ctx.insert(
            "taxonomy",
            &json!({"label": tax_title, "url": self.url(lang, &format!("{}/", kind.slug()))}),
        );
        if kind == Kind::Topics {
            if let Some(url) = self.topic_pages(lang).get(&term.slug) {
                ctx.insert("comparison_url", url);
            }
        }
        Self::with_jsonld(
            &mut ctx,
            self.breadcrumbs(
                lang,
                &[
                    (tax_title.clone(), format!("{}/", kind.slug())),
                    (term.label.clone(), path.clone()),
                ],
            ),
        );
        PageJob {
            path: Self::out_path(lang, &path),
            template: "list.html",
            ctx,
        }
    }

    fn not_found_job(&self) -> PageJob {
        let lang = Lang::En;
        let mut ctx = self.base_ctx_with_fallback(
            lang,
            "404.html",
            &self.t(lang, "notfound_title"),
            "",
            &[Lang::En],
            Some(""),
        );
        ctx.insert("noindex", &true);
        PageJob {
            path: "404.html".into(),
            template: "404.html",
            ctx,
        }
    }

    /// sitemap.xml, robots.txt, atom feeds, .nojekyll.
    fn hosting_files(&self, files: &mut SiteFiles) {
        files.add(".nojekyll", "");
        files.add(
            "robots.txt",
            format!(
                "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
                self.base_url
            ),
        );
        let langs = self.p.config.langs();
        let mut paths: Vec<&str> = files
            .paths()
            .filter(|p| p.ends_with("index.html"))
            .filter(|p| !p.starts_with("ru/") && !p.starts_with("kk/"))
            .collect();
        paths.sort();
        // The sitemap changes only when a page is added or removed.
        let inputs = (&paths, &langs, &self.base_url, self.p.build_date.iso());
        let sitemap = self.kept_file("sitemap.xml", inputs, || self.sitemap(&paths, &langs));
        files.add_shared("sitemap.xml", sitemap);
        for lang in langs {
            let name = format!("{}atom.xml", lang.prefix());
            // A feed lists every article's card, as the list of all articles does.
            let inputs = self.reuse.as_ref().map(|r| (r.site.get(&lang), r.list));
            let feed = self.kept_file(&name, inputs, || self.atom(lang));
            files.add_shared(name, feed);
        }
    }

    /// A file made from the whole site, or (serve) the one an earlier build made from inputs
    /// that hash the same; `inputs` must cover everything `make` reads.
    fn kept_file(
        &self,
        name: &str,
        inputs: impl std::hash::Hash,
        make: impl FnOnce() -> String,
    ) -> Arc<SharedText> {
        let make = || SharedText::new(make());
        match &self.reuse {
            Some(r) => r
                .memo
                .text(name, crate::incremental::hash_of(&inputs), make),
            None => Arc::new(make()),
        }
    }

    /// `sitemap.xml`: every page in every language, with its alternates.
    fn sitemap(&self, paths: &[&str], langs: &[Lang]) -> String {
        let mut sm = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n");
        for p in paths {
            let path = p.trim_end_matches("index.html");
            for l in langs {
                sm.push_str(&format!(
                    "<url><loc>{}</loc><lastmod>{}</lastmod>",
                    escape_text(&self.abs_url(*l, path)),
                    self.p.build_date.iso()
                ));
                for alt in langs {
                    sm.push_str(&format!(
                        "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                        alt.code(),
                        escape_text(&self.abs_url(*alt, path))
                    ));
                }
                sm.push_str("</url>\n");
            }
        }
        sm.push_str("</urlset>\n");
        sm
    }

    fn atom(&self, lang: Lang) -> String {
        let cfg = &self.p.config;
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<title>{}</title>\n<link href=\"{}\"/>\n<link rel=\"self\" href=\"{}\"/>\n<id>{}</id>\n<updated>{}</updated>\n<generator>bilim</generator>\n",
            lang.code(),
            escape_text(cfg.title_in(lang)),
            escape_text(&self.abs_url(lang, "")),
            escape_text(&self.abs_url(lang, "atom.xml")),
            escape_text(&self.abs_url(lang, "")),
            self.p.build_date.rfc3339()
        );
        for a in self.sorted_articles() {
            let v = a.versions.get(&lang).or_else(|| a.versions.get(&Lang::En));
            let (title, desc) = v
                .map_or((a.meta.title.as_str(), a.meta.description.as_str()), |v| {
                    (v.title.as_str(), v.description.as_str())
                });
            let url = self.abs_url(lang, &format!("articles/{}/", a.slug));
            let updated = a
                .meta
                .date
                .as_deref()
                .and_then(crate::i18n::Date::parse)
                .unwrap_or(self.p.build_date);
            s.push_str(&format!(
                "<entry><title>{}</title><link href=\"{}\"/><id>{}</id><updated>{}</updated><summary>{}</summary>{}</entry>\n",
                escape_text(title),
                escape_text(&url),
                escape_text(&url),
                updated.rfc3339(),
                escape_text(desc),
                a.meta.authors.iter().map(|x| format!("<author><name>{}</name></author>", escape_text(&x.name))).collect::<String>()
            ));
        }
        s.push_str("</feed>\n");
        s
    }

    fn article_downloads(&self, files: &mut SiteFiles) {
        for a in &self.p.content.articles {
            for asset in &a.assets {
                if let (Some(name), Ok(bytes)) = (asset.file_name(), std::fs::read(asset)) {
                    files.add(
                        format!("articles/{}/{}", a.slug, name.to_string_lossy()),
                        bytes,
                    );
                }
            }
        }
    }
}
