//! Integration tests: build fixture sites and inspect the output.

mod common;

use common::*;

fn build_ok(root: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let out = root.join("public");
    let o = bilim(
        root,
        &[&["build", "--output", out.to_str().unwrap()], extra].concat(),
    );
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn builds_every_page_kind_in_three_languages() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    for p in [
        "index.html",
        "ru/index.html",
        "kk/index.html",
        "404.html",
        ".nojekyll",
        "robots.txt",
        "sitemap.xml",
        "atom.xml",
        "articles/index.html",
        "articles/alpha-study/index.html",
        "ru/articles/alpha-study/index.html",
        "kk/articles/alpha-study/index.html",
        "kk/articles/beta-study/index.html",
        "topics/index.html",
        "topics/public-trust-participation/index.html",
        "authors/abdullayev-askar/index.html",
        "keywords/maslikhat/index.html",
        "ru/keywords/maslikhat/index.html",
        "issues/index.html",
        "years/2025/index.html",
        "languages/ru/index.html",
        "methods/survey/index.html",
        "about/index.html",
        "ru/about/index.html",
        "datasets/index.html",
        "datasets/survey/index.html",
        "datasets/survey/survey.csv",
        "datasets/survey/datapackage.json",
        "tables/tbl-alpha-hai/index.html",
        "tables/tbl-alpha-hai/tbl-alpha-hai.csv",
        "tables/tbl-alpha-hai/tbl-alpha-hai.json",
        "tables/tbl-alpha-hai/cite.bib",
        "tables/tbl-alpha-hai/cite.ris",
        "tables/tbl-alpha-hai/cite.json",
        "tables.json",
        "checks.json",
        "checks/index.html",
        "static/style.css",
        "articles/alpha-study/cite.bib",
    ] {
        assert!(out.join(p).exists(), "missing {p}");
    }
}

#[test]
fn languages_link_each_other() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let en = read(&out, "articles/alpha-study/index.html");
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains(
        "hreflang=\"ru\" href=\"https://example.github.io/kb/ru/articles/alpha-study/\""
    ));
    assert!(en.contains(
        "hreflang=\"kk\" href=\"https://example.github.io/kb/kk/articles/alpha-study/\""
    ));
    let ru = read(&out, "ru/articles/alpha-study/index.html");
    assert!(ru.contains("<html lang=\"ru\">"));
    assert!(ru.contains("Местные советы и доверие в Казахстане"));
    // The Kazakh page of an English-only article says so and links the version that exists.
    let kk = read(&out, "kk/articles/beta-study/index.html");
    assert!(
        kk.contains("class=\"notice\""),
        "no missing-translation notice"
    );
    assert!(kk.contains("href=\"/kb/articles/beta-study/\""));
    assert!(
        !kk.contains(
            "hreflang=\"kk\" href=\"https://example.github.io/kb/kk/articles/beta-study/\""
        ),
        "no hreflang for a version that does not exist"
    );
    let sitemap = read(&out, "sitemap.xml");
    assert!(sitemap.contains(
        "<xhtml:link rel=\"alternate\" hreflang=\"kk\" href=\"https://example.github.io/kb/kk/\"/>"
    ));
}

#[test]
fn taxonomy_counts() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let topics = read(&out, "topics/index.html");
    // public-trust-participation has both articles, local-self-government one.
    let trust = topics.find("Public trust</a>").expect("term listed");
    assert!(topics[trust..]
        .trim_start_matches("Public trust</a>")
        .trim_start()
        .contains(">2</span>"));
    let term = read(&out, "keywords/maslikhat/index.html");
    assert_eq!(term.matches("class=\"card\"").count(), 2);
    // Russian keyword pages use the Russian version's keywords (and English ones of untranslated articles).
    let ru_kw = read(&out, "ru/keywords/obshchestvennoe-doverie/index.html");
    assert_eq!(ru_kw.matches("class=\"card\"").count(), 1);
    assert!(!out
        .join("keywords/obshchestvennoe-doverie/index.html")
        .exists());
}

#[test]
fn computed_tables_checks_and_citations_render() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let en = read(&out, "articles/alpha-study/index.html");
    assert!(
        en.contains("<span class=\"fig-num\">Table 1.</span> Housing affordability index by city")
    );
    assert!(en.contains("<span class=\"fig-num\">Table 2.</span> Descriptive statistics"));
    assert!(en.contains("<a class=\"xref\" href=\"#tbl-alpha-hai\">Table 1</a>"));
    assert!(en.contains("<a class=\"xref\" href=\"#fig-alpha-hai\">Figure 1</a>"));
    assert!(
        en.contains("79.21"),
        "formula value formatted with two decimals"
    );
    assert!(en.contains("check-ok"), "a matching check is marked");
    assert!(
        en.contains("class=\"discrepancy\""),
        "a mismatching check is marked"
    );
    assert!(en.contains("<svg class=\"chart\""));
    assert!(en.contains("<math"), "math rendered to MathML");
    assert!(
        en.contains("Abdullayev") && en.contains("2024"),
        "citation rendered"
    );
    assert!(en.contains("class=\"bibliography\""));
    // The Russian version shows the same table with its own caption and number format.
    let ru = read(&out, "ru/articles/alpha-study/index.html");
    assert!(ru.contains("Таблица 1.</span> Индекс доступности жилья по городам"));
    assert!(ru.contains("79,21"));
    assert!(
        ru.contains(">Индекс</th>"),
        "a translation's own column labels"
    );
    assert!(
        ru.contains(">Город</th>"),
        "dataset column labels in the page language"
    );
    assert!(
        en.contains(">Mean</th>") && en.contains(">Median</th>"),
        "standard statistics named by the theme"
    );
    let checks: serde_json::Value = serde_json::from_str(&read(&out, "checks.json")).unwrap();
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 2);
    let status: Vec<&str> = checks
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["match", "mismatch"]);
    assert_eq!(checks[0]["table"], "tbl-alpha-hai");
    assert!((checks[0]["computed"].as_f64().unwrap() - 400000.0 / 505000.0 * 100.0).abs() < 1e-9);
    let tables: serde_json::Value = serde_json::from_str(&read(&out, "tables.json")).unwrap();
    let ids: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["tbl-alpha-desc", "tbl-alpha-hai"]);
    let tj: serde_json::Value =
        serde_json::from_str(&read(&out, "tables/tbl-alpha-hai/tbl-alpha-hai.json")).unwrap();
    assert_eq!(tj["provenance"]["dataset"], "survey");
    assert_eq!(tj["provenance"]["op"], "formula");
    assert_eq!(
        tj["provenance"]["dataset_sha256"].as_str().unwrap().len(),
        64
    );
    assert_eq!(tj["page"], "articles/alpha-study/");
}

#[test]
fn every_internal_link_resolves_under_a_sub_path() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let broken = broken_links(&out, "/kb/");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    let out2 = site.path().join("public-root");
    let o = bilim(
        site.path(),
        &[
            "build",
            "--output",
            out2.to_str().unwrap(),
            "--base-url",
            "http://127.0.0.1:9/",
        ],
    );
    assert!(o.status.success());
    let broken = broken_links(&out2, "/");
    assert!(
        broken.is_empty(),
        "broken links at the root:\n{}",
        broken.join("\n")
    );
}

#[test]
fn content_is_escaped_everywhere() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    for (path, bytes) in snapshot(&out) {
        let text = String::from_utf8_lossy(&bytes);
        if path.ends_with(".csv")
            || path.ends_with(".bib")
            || path.ends_with(".ris")
            || path.ends_with(".json")
        {
            continue; // data downloads are not HTML (served as text or JSON)
        }
        for payload in [
            "<script>alert",
            "<img src=x onerror",
            "<b>bold</b>",
            "<em>in</em>",
        ] {
            assert!(
                !text.contains(payload),
                "{path} contains the unescaped payload {payload}"
            );
        }
    }
    let home = read(&out, "articles/beta-study/index.html");
    assert!(home.contains("Trust in maslikhats &lt;script&gt;"));
}

#[test]
fn two_builds_are_byte_identical() {
    let site = fixture("basic");
    let a = site.path().join("a");
    let b = site.path().join("b");
    assert!(
        bilim(site.path(), &["build", "--output", a.to_str().unwrap()])
            .status
            .success()
    );
    assert!(
        bilim(site.path(), &["build", "--output", b.to_str().unwrap()])
            .status
            .success()
    );
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
    for (k, v) in &sa {
        assert!(v == &sb[k], "{k} differs between builds");
    }
}

#[test]
fn broken_front_matter_fails_with_position_and_keeps_old_output() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let before = snapshot(&out);
    let path = site.path().join("content/articles/alpha-study/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("year = 2024", "year = \"2024", 1)).unwrap();
    let o = bilim(site.path(), &["build", "--output", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("content/articles/alpha-study/index.md:9:"),
        "no file:line:col in: {err}"
    );
    assert!(err.contains("help:"), "no advice in: {err}");
    assert_eq!(snapshot(&out), before, "the previous output changed");
    let o = bilim(site.path(), &["check"]);
    assert!(!o.status.success());
}

#[test]
fn unknown_citation_key_and_table_reference_fail_at_their_line() {
    let site = fixture("basic");
    let path = site.path().join("content/articles/beta-study/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{text}\nSee [@nobody1999] and @tbl-nothing.\n"),
    )
    .unwrap();
    let o = bilim(site.path(), &["check"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let line = text.lines().count() + 2;
    assert!(err.contains(&format!("content/articles/beta-study/index.md:{line}:5: error: unknown citation key `@nobody1999`")), "{err}");
    assert!(
        err.contains("unknown table or figure `@tbl-nothing`"),
        "{err}"
    );
}

#[test]
fn check_writes_nothing_and_new_scaffolds() {
    let site = fixture("basic");
    let o = bilim(site.path(), &["check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!site.path().join("public").exists());
    let o = bilim(site.path(), &["new", "article", "gamma-study"]);
    assert!(o.status.success());
    assert!(site
        .path()
        .join("content/articles/gamma-study/index.md")
        .exists());
    // The scaffold is a draft, so the site still builds.
    assert!(bilim(site.path(), &["check"]).status.success());
    assert!(
        !bilim(site.path(), &["new", "article", "gamma-study"])
            .status
            .success(),
        "refuses to overwrite"
    );
}

#[test]
fn table_command_prints_formats() {
    let site = fixture("basic");
    let o = bilim(site.path(), &["table", "tbl-alpha-hai", "--format", "csv"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8_lossy(&o.stdout);
    assert!(csv.starts_with("city,hai\n"));
    assert!(csv.contains("Astana,79.20792079207"));
    let o = bilim(
        site.path(),
        &["table", "tbl-alpha-hai", "--format", "markdown"],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("| city | hai |"));
    assert!(!bilim(site.path(), &["table", "tbl-missing"])
        .status
        .success());
}

#[test]
fn cite_command_for_articles_and_tables() {
    let site = fixture("basic");
    let o = bilim(site.path(), &["cite", "alpha-study", "--format", "bibtex"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("alpha2024"));
    let o = bilim(site.path(), &["cite", "alpha-study", "--format", "apa"]);
    let apa = String::from_utf8_lossy(&o.stdout);
    assert!(
        apa.contains("Abdullayev") && apa.contains("(2024)"),
        "{apa}"
    );
    let o = bilim(site.path(), &["cite", "tbl-alpha-hai", "--format", "ris"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("TY  - DATA"));
}

#[test]
fn computed_tables_are_cached_by_dataset_and_directive() {
    let site = fixture("basic");
    let out = build_ok(site.path(), &[]);
    let cache = site.path().join(".bilim-cache/tables");
    let entries = || std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(entries(), 2, "one cache entry per table");
    // Unchanged inputs: no new entries, same output.
    let before = read(&out, "tables/tbl-alpha-hai/tbl-alpha-hai.csv");
    build_ok(site.path(), &[]);
    assert_eq!(entries(), 2);
    assert_eq!(read(&out, "tables/tbl-alpha-hai/tbl-alpha-hai.csv"), before);
    // A changed dataset invalidates both tables computed from it.
    let csv = site.path().join("data/survey.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    std::fs::write(&csv, text.replace("Astana,400000", "Astana,404000")).unwrap();
    build_ok(site.path(), &[]);
    assert_eq!(entries(), 4);
    assert!(read(&out, "tables/tbl-alpha-hai/tbl-alpha-hai.csv").contains("Astana,80"));
}

#[test]
fn large_datasets_are_paged() {
    let site = fixture("basic");
    let mut csv = String::from("k,v\n");
    for i in 0..450 {
        csv.push_str(&format!("r{i},{}\n", i * 2));
    }
    std::fs::write(site.path().join("data/big.csv"), csv).unwrap();
    // Every dataset must be used by a table: show it on the about page.
    let about = site.path().join("content/pages/about.md");
    let text = std::fs::read_to_string(&about).unwrap();
    std::fs::write(&about, format!("{text}\n```{{table}}\nid = \"tbl-big\"\ncaption = \"Big\"\ndataset = \"big\"\nop = \"describe\"\ncolumns = [\"v\"]\n```\n")).unwrap();
    let out = site.path().join("public");
    let o = bilim(site.path(), &["build", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("data/big.csv: warning:"),
        "inferred types are reported: {stderr}"
    );
    let first = read(&out, "datasets/big/index.html");
    assert!(
        first.contains(">r199<") && !first.contains(">r200<"),
        "page 1 holds rows 1–200"
    );
    let third = read(&out, "ru/datasets/big/rows/3/index.html");
    assert!(
        third.contains(">r449<") && !third.contains(">r399<"),
        "page 3 holds rows 401–450"
    );
    assert!(
        third.contains("href=\"/kb/ru/datasets/big/rows/2/\""),
        "pager links the other pages"
    );
    assert!(!out.join("datasets/big/rows/4/index.html").exists());
    assert!(broken_links(&out, "/kb/").is_empty());
}
