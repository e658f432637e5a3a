//! Incremental rebuilds (the ones `serve` runs) must equal clean builds: after every edit of a
//! random sequence, the session's output directory is compared byte for byte with a clean build
//! of the same project into a fresh directory.

mod common;

use std::path::Path;

use bilim::incremental::Session;
use bilim::site::{build, BuildOptions};
use common::{fixture, snapshot};

/// A small deterministic generator (xorshift64*), so a failing sequence can be replayed by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn word(&mut self) -> &'static str {
        const WORDS: [&str; 8] = [
            "akimat",
            "маслихат",
            "сенім",
            "governance",
            "бюджет",
            "reform",
            "қоғам",
            "participation",
        ];
        WORDS[self.below(WORDS.len())]
    }
}

fn set_env() {
    // The build date comes from here; the clean and the incremental build must agree on it.
    std::env::set_var("SOURCE_DATE_EPOCH", "1795305600");
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, f(text)).unwrap();
}

const ALPHA: &str = "content/articles/alpha-study/index.md";
const BETA: &str = "content/articles/beta-study/index.md";
const BETA_KK: &str = "content/articles/beta-study/index.kk.md";
const GAMMA: &str = "content/articles/gamma-study/index.md";

fn gamma_article(word: &str) -> String {
    format!(
        "+++\ntitle = \"Gamma study of {word}\"\noriginal_title = \"Gamma study of {word}\"\n\
         source_lang = \"en\"\ncite_key = \"gamma2023\"\nmethods = [\"survey\"]\n\
         authors = [{{ name = \"Nurlanov, Erlan\" }}]\nyear = 2023\n\
         keywords = [\"{word}\"]\ntopics = [\"local-self-government\"]\n\
         description = \"A generated article.\"\ndate = \"2026-11-01\"\n+++\n\n\
         ## Findings\n\nSee @tbl-alpha-desc; the text mentions {word}.\n"
    )
}

const GAMMA_BIB: &str = "\n@article{gamma2023,\n  author = {Nurlanov, Erlan},\n  \
     title = {Gamma study},\n  journaltitle = {Fixture Journal},\n  year = {2023},\n}\n";

/// Add the gamma article together with its bibliography entry.
fn add_gamma(root: &Path, word: &str) {
    std::fs::create_dir_all(root.join("content/articles/gamma-study")).unwrap();
    std::fs::write(root.join(GAMMA), gamma_article(word)).unwrap();
    edit(root, "data/references.bib", |t| t + GAMMA_BIB);
}

fn remove_gamma(root: &Path) {
    std::fs::remove_dir_all(root.join("content/articles/gamma-study")).unwrap();
    edit(root, "data/references.bib", |t| {
        t.replacen(GAMMA_BIB, "", 1)
    });
}

/// Apply edit number `kind` (the kinds cover every input the site is built from). Returns a
/// description for failure messages.
fn apply(root: &Path, kind: usize, rng: &mut Rng) -> String {
    let w = rng.word();
    match kind {
        0 => {
            edit(root, ALPHA, |t| {
                format!("{t}\nA new paragraph about {w}.\n")
            });
            format!("alpha body += {w}")
        }
        1 => {
            edit(root, BETA, |t| {
                let (line, rest) = t.split_once('\n').unwrap();
                let (_, rest) = rest.split_once('\n').unwrap();
                format!("{line}\ntitle = \"Trust in maslikhats: {w}\"\n{rest}")
            });
            format!("beta title = {w}")
        }
        2 => {
            edit(root, ALPHA, |t| {
                t.replacen("keywords = [", &format!("keywords = [\"{w}\", "), 1)
            });
            format!("alpha keyword += {w}")
        }
        3 => {
            if root.join(BETA_KK).exists() {
                std::fs::remove_file(root.join(BETA_KK)).unwrap();
                "beta kk removed".into()
            } else {
                std::fs::write(
                    root.join(BETA_KK),
                    format!(
                        "+++\ntitle = \"Мәслихатқа сенім ({w})\"\ndescription = \"Қазақша аударма.\"\nkeywords = [\"{w}\"]\n+++\n\nҚысқаша мазмұны: {w}.\n"
                    ),
                )
                .unwrap();
                "beta kk added".into()
            }
        }
        4 => {
            let dir = root.join("content/articles/gamma-study");
            if dir.exists() {
                remove_gamma(root);
                "gamma removed".into()
            } else {
                add_gamma(root, w);
                format!("gamma added ({w})")
            }
        }
        5 => {
            let wage = 300_000 + rng.below(100_000);
            edit(root, "data/survey.csv", |t| {
                let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                let last = lines.len() - 1;
                let cells: Vec<&str> = lines[last].rsplitn(4, ',').collect();
                // cells: respondents, price, wage, city (reversed)
                lines[last] = format!("{},{wage},{},{}", cells[3], cells[1], cells[0]);
                lines.join("\n") + "\n"
            });
            format!("survey wage = {wage}")
        }
        6 => {
            let year = 2000 + rng.below(26);
            edit(root, "data/references.bib", |t| {
                let i = t.find("@article{beta2025").unwrap();
                let j = i + t[i..].find("year = {").unwrap() + "year = {".len();
                let k = j + t[j..].find('}').unwrap();
                format!("{}{year}{}", &t[..j], &t[k..])
            });
            format!("beta2025 year = {year}")
        }
        7 => {
            edit(root, ALPHA, |t| {
                let i = t.find("caption = \"Descriptive statistics").unwrap();
                let end = i + t[i..].find('\n').unwrap();
                format!(
                    "{}caption = \"Descriptive statistics ({w})\"{}",
                    &t[..i],
                    &t[end..]
                )
            });
            format!("alpha table caption = {w}")
        }
        8 => {
            edit(root, "site.toml", |t| {
                let i = t.find("description = ").unwrap();
                let end = i + t[i..].find('\n').unwrap();
                format!(
                    "{}description = \"Fixture about {w}.\"{}",
                    &t[..i],
                    &t[end..]
                )
            });
            format!("site description = {w}")
        }
        9 => {
            edit(root, "content/pages/about.md", |t| {
                format!("{t}\nUpdated: {w}.\n")
            });
            format!("about += {w}")
        }
        11 => {
            // A theme template: every page's output changes while no page's context does.
            edit(root, "themes/default/templates/base.html", |t| {
                t.replacen("</footer>", &format!("<!-- {w} --></footer>"), 1)
            });
            format!("base.html footer += {w}")
        }
        _ => {
            edit(root, ALPHA, |t| {
                t.replacen(
                    "columns = [\"wage\", \"price_m2\"]",
                    "columns = [\"wage\"]",
                    1,
                )
                .replacen(
                    "columns = [\"wage\"]\n",
                    "columns = [\"wage\", \"respondents\"]\n",
                    1,
                )
            });
            "alpha describe columns changed".into()
        }
    }
}

const KINDS: usize = 12;

fn assert_same_as_clean(root: &Path, session_out: &Path, step: &str) {
    let clean = tempfile::tempdir().unwrap();
    let mut opts = BuildOptions::new(root);
    opts.output = clean.path().join("public");
    build(&opts).unwrap_or_else(|e| panic!("clean build after {step}: {e}"));
    let got = snapshot(session_out);
    let want = snapshot(&opts.output);
    let got_names: Vec<_> = got.keys().collect();
    let want_names: Vec<_> = want.keys().collect();
    assert_eq!(got_names, want_names, "files differ after {step}");
    for (name, bytes) in &want {
        assert!(
            got[name] == *bytes,
            "{name} differs from a clean build after {step}"
        );
    }
}

/// A session on `root` that trusts file stamps at once: the tests edit files faster than serve's
/// default settling time, and every edit must still be picked up.
fn session_for(root: &Path) -> (Session, std::path::PathBuf) {
    let out = root.join("public");
    let mut session = Session::new(BuildOptions::new(root));
    session.trust_stamps_at_once();
    (session, out)
}

#[test]
fn random_edit_sequences_equal_clean_builds() {
    set_env();
    for seed in [0x9E37_79B9_7F4A_7C15u64, 42, 2026] {
        let site = fixture("basic");
        let root = site.path();
        let (mut session, out) = session_for(root);
        session.rebuild().expect("first build");
        assert_same_as_clean(root, &out, "first build");
        let mut rng = Rng(seed);
        for step in 0..14 {
            let kind = rng.below(KINDS);
            let what = apply(root, kind, &mut rng);
            let label = format!("seed {seed:#x} step {step}: {what}");
            session.rebuild().unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_same_as_clean(root, &out, &label);
        }
    }
}

#[test]
fn a_body_edit_renders_one_document_and_rewrites_few_files() {
    set_env();
    let site = fixture("basic");
    let root = site.path();
    let (mut session, out) = session_for(root);
    let first = session.rebuild().unwrap();
    assert!(first.docs_rendered >= 5, "{first:?}");
    assert_eq!(first.pages_reused, 0, "{first:?}");
    let files = snapshot(&out).len();
    assert_eq!(first.written, files);
    // Two articles in three languages: every article page, every taxonomy term page, the
    // lists of articles and the bibliography are reused without their context.
    let article_pages = snapshot(&out)
        .keys()
        .filter(|k| k.contains("articles/") && k.ends_with("-study/index.html"))
        .count();
    assert_eq!(article_pages, 6);
    let term_pages = snapshot(&out).keys().filter(|k| is_term_page(k)).count();
    assert!(term_pages >= 20, "{term_pages}");
    // and the list of all articles, in each language
    let list_pages = snapshot(&out)
        .keys()
        .filter(|k| k.ends_with("articles/index.html"))
        .count();
    assert_eq!(list_pages, 3);
    // and the bibliography, in each language
    let bibliography_pages = snapshot(&out)
        .keys()
        .filter(|k| k.ends_with("bibliography/index.html"))
        .count();
    assert_eq!(bibliography_pages, 3);
    // and the page of every table and dataset, in each language
    let part_pages = snapshot(&out)
        .keys()
        .filter(|k| is_table_or_dataset_page(k))
        .count();
    assert_eq!(part_pages, 3 * 3, "two tables and one dataset");
    // and the index of every taxonomy, in each language
    let index_pages = snapshot(&out)
        .keys()
        .filter(|k| is_taxonomy_index(k))
        .count();
    assert_eq!(index_pages, 7 * 3);

    let datasets = std::fs::read_dir(root.join("data"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("csv".as_ref()))
        .count();
    assert_eq!(first.datasets_parsed, datasets, "{first:?}");
    let articles = std::fs::read_dir(root.join("content/articles"))
        .unwrap()
        .count();
    assert_eq!(first.articles_parsed, articles, "{first:?}");

    let again = session.rebuild().unwrap();
    assert_eq!(
        (
            again.docs_rendered,
            again.datasets_parsed,
            again.articles_parsed,
            again.written,
            again.removed
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        again.pages_reused,
        article_pages + term_pages + list_pages + bibliography_pages + part_pages + index_pages,
        "{again:?}"
    );

    let before = snapshot(&out);
    edit(root, ALPHA, |t| format!("{t}\nOne more sentence.\n"));
    let edited = session.rebuild().unwrap();
    assert_eq!(edited.docs_rendered, 1, "{edited:?}");
    assert_eq!(edited.datasets_parsed, 0, "{edited:?}");
    assert_eq!(edited.articles_parsed, 1, "{edited:?}");
    // The edited article's page is built again in each language; the other article's is not,
    // nor is any term page (a body edit changes no article card) or bibliography page (it
    // cites nothing new), nor the page of any table or dataset.
    assert_eq!(
        edited.pages_reused,
        article_pages + term_pages + list_pages + bibliography_pages + part_pages + index_pages - 3,
        "{edited:?}"
    );
    // The article's page in English and the "cite this knowledge base" pages (which carry its
    // version) change; no other page's context does.
    assert!(edited.pages_rendered <= 6, "{edited:?}");
    let after = snapshot(&out);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    // Only files whose bytes changed are written: the page itself, the versioned citations of
    // the knowledge base (cite/ pages, cite.*) and the search shards holding the page.
    assert_eq!(edited.written, changed.len(), "{edited:?}: {changed:?}");
    assert!(edited.written <= 12, "{edited:?} of {files}: {changed:?}");
    assert!(
        !changed.iter().any(|k| k.contains("beta-study")),
        "{changed:?}"
    );
    assert!(
        std::fs::read_to_string(out.join("articles/alpha-study/index.html"))
            .unwrap()
            .contains("One more sentence."),
    );
    assert_same_as_clean(root, &out, "body edit");

    // A body that stops citing a work changes the bibliography pages ("cited on").
    let bibliography = || std::fs::read_to_string(out.join("bibliography/index.html")).unwrap();
    let cited_on_alpha = |html: &str| {
        let beta = &html[html.find("id=\"ref-beta2025\"").unwrap()..];
        beta[..beta.find("</li>").unwrap()].contains("articles/alpha-study/")
    };
    assert!(cited_on_alpha(&bibliography()));
    edit(root, ALPHA, |t| {
        t.replace(
            "The earlier view is in @beta2025.",
            "The earlier view differs.",
        )
    });
    let uncited = session.rebuild().unwrap();
    assert_eq!(
        uncited.pages_reused,
        article_pages + term_pages + list_pages + part_pages + index_pages - 3,
        "{uncited:?}"
    );
    assert!(!cited_on_alpha(&bibliography()));
    assert_same_as_clean(root, &out, "citation removed");
}

#[test]
fn a_csv_edit_parses_that_dataset_only() {
    set_env();
    let site = fixture("basic");
    let root = site.path();
    // Enough rows for three pages of rows (200 a page), so that row pages exist.
    edit(root, "data/survey.csv", |t| {
        let rows: String = (0..450)
            .map(|i| format!("Kostanay,{},505000,{}\n", 400_000 + i, i % 50 + 1))
            .collect();
        format!("{t}{rows}")
    });
    let (mut session, out) = session_for(root);
    let first = session.rebuild().unwrap();
    assert_eq!(first.datasets_parsed, 1, "{first:?}");
    let files = snapshot(&out);
    let row_pages = files.keys().filter(|k| k.contains("/rows/")).count();
    assert_eq!(
        row_pages,
        2 * 3,
        "{:?}",
        files
            .keys()
            .filter(|k| k.contains("/rows/"))
            .collect::<Vec<_>>()
    );
    let article_pages = files
        .keys()
        .filter(|k| k.contains("articles/") && k.ends_with("-study/index.html"))
        .count();
    let term_pages = files.keys().filter(|k| is_term_page(k)).count();
    let list_pages = files
        .keys()
        .filter(|k| k.ends_with("articles/index.html"))
        .count();
    let part_pages = files.keys().filter(|k| is_table_or_dataset_page(k)).count();
    let index_pages = files.keys().filter(|k| is_taxonomy_index(k)).count();
    // Another input changes: the dataset is not parsed again and its row pages are reused.
    edit(root, ALPHA, |t| format!("{t}\nOne more sentence.\n"));
    let edited = session.rebuild().unwrap();
    assert_eq!(edited.datasets_parsed, 0, "{edited:?}");
    let bibliography_pages = 3;
    assert_eq!(
        edited.pages_reused,
        article_pages - 3
            + term_pages
            + list_pages
            + bibliography_pages
            + row_pages
            + part_pages
            + index_pages,
        "{edited:?}"
    );
    // Its CSV changes (the last row, on the third page of rows): it is parsed again, and the
    // row pages show the new value.
    let page3 = || std::fs::read_to_string(out.join("datasets/survey/rows/3/index.html")).unwrap();
    assert!(!page3().contains("987"));
    edit(root, "data/survey.csv", |t| {
        t.replace("Kostanay,400449,", "Kostanay,987654,")
    });
    let edited = session.rebuild().unwrap();
    assert_eq!(edited.datasets_parsed, 1, "{edited:?}");
    assert!(page3().contains("987"));
    assert_same_as_clean(root, &out, "the last survey row changed");
}

/// The taxonomies' URL segments.
const TAXONOMIES: [&str; 7] = [
    "keywords",
    "authors",
    "years",
    "topics",
    "methods",
    "issues",
    "languages",
];

/// The segments of an output path without its language prefix (`ru/`, `kk/`).
fn segments(path: &str) -> Vec<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.first() {
        Some(&"ru") | Some(&"kk") => parts[1..].to_vec(),
        _ => parts,
    }
}

/// `tables/<id>/index.html` or `datasets/<id>/index.html` in any language (not a dataset's
/// later row pages).
fn is_table_or_dataset_page(path: &str) -> bool {
    matches!(
        segments(path).as_slice(),
        ["tables" | "datasets", _, "index.html"]
    )
}

/// A taxonomy's index (`keywords/index.html`, `ru/years/index.html`).
fn is_taxonomy_index(path: &str) -> bool {
    matches!(segments(path).as_slice(), [kind, "index.html"] if TAXONOMIES.contains(kind))
}

/// A taxonomy term's page (`keywords/x/index.html`, `ru/years/2024/index.html`), not a
/// taxonomy's index.
fn is_term_page(path: &str) -> bool {
    matches!(segments(path).as_slice(), [kind, _, "index.html"] if TAXONOMIES.contains(kind))
}

#[test]
fn a_failed_rebuild_keeps_the_site_and_the_next_one_is_correct() {
    set_env();
    let site = fixture("basic");
    let root = site.path();
    let (mut session, out) = session_for(root);
    session.rebuild().unwrap();
    let before = snapshot(&out);

    let good = std::fs::read_to_string(root.join(BETA)).unwrap();
    std::fs::write(root.join(BETA), good.replacen("title = \"", "title = ", 1)).unwrap();
    assert!(session.rebuild().is_err());
    assert!(
        snapshot(&out) == before,
        "a failed rebuild changed the output"
    );

    std::fs::write(root.join(BETA), good.replace("maslikhats", "councils")).unwrap();
    session.rebuild().unwrap();
    assert_same_as_clean(root, &out, "fix after failure");
}

#[test]
fn removed_pages_disappear_from_the_output() {
    set_env();
    let site = fixture("basic");
    let root = site.path();
    let (mut session, out) = session_for(root);
    add_gamma(root, "reform");
    session.rebuild().unwrap();
    assert!(out.join("articles/gamma-study/index.html").exists());

    remove_gamma(root);
    let r = session.rebuild().unwrap();
    assert!(r.removed >= 1, "{r:?}");
    assert!(!out.join("articles/gamma-study").exists());
    assert_same_as_clean(root, &out, "gamma removed");
}

#[test]
fn a_template_edit_reaches_every_page() {
    set_env();
    let site = fixture("basic");
    let root = site.path();
    let (mut session, out) = session_for(root);
    session.rebuild().unwrap();
    let mut rng = Rng(7);
    apply(root, 11, &mut rng);
    let r = session.rebuild().unwrap();
    assert!(r.pages_rendered >= 100, "{r:?}");
    assert!(std::fs::read_to_string(out.join("about/index.html"))
        .unwrap()
        .contains("--></footer>"));
    assert_same_as_clean(root, &out, "template edit");
}
