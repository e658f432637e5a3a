//! Citations end to end, through the real binary: every export of the knowledge base parses
//! (BibTeX with the biblatex crate, RIS with the small parser below, CSL-JSON against the CSL
//! data schema in tests/schemas/csl-data.json) and agrees with its source; JSON-LD carries the
//! properties search engines and reference managers need; every article, dataset and table
//! page cites in three styles with three downloads; `bilim cite` answers for every kind; and
//! bibliography errors stop the build at `file:line`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use biblatex::ChunksExt;
use common::*;
use serde_json::Value;

/// The knowledge base, built once for every test of this file.
fn site() -> &'static Path {
    static OUT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = OUT.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let o = bilim(&repo(), &["build", "--output", out.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "the knowledge base does not build:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        (tmp, out)
    });
    out
}

/// Files under the built site whose path ends with `suffix`.
fn files_ending(suffix: &str) -> Vec<String> {
    snapshot(site())
        .into_keys()
        .filter(|p| p.ends_with(suffix))
        .collect()
}

fn csl_schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/schemas/csl-data.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the CSL data schema compiles")
}

fn validate_csl(validator: &jsonschema::Validator, v: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid CSL-JSON: {errors:#?}"
    );
}

/// One RIS record: tag → values, in order. A deliberately strict reader: every line is
/// `XX  - value` with CRLF, a record starts with TY and ends with ER.
fn parse_ris(text: &str) -> Vec<BTreeMap<String, Vec<String>>> {
    assert!(
        !text.contains('\n') || text.contains("\r\n"),
        "RIS lines end with CRLF"
    );
    let mut records = Vec::new();
    let mut current: Option<BTreeMap<String, Vec<String>>> = None;
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            line.len() >= 6 && &line[2..6] == "  - ",
            "malformed RIS line {line:?}"
        );
        let tag = &line[..2];
        assert!(
            tag.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "bad tag {tag:?}"
        );
        let value = line[6..].to_string();
        assert!(!value.contains(['\r', '\n']));
        match tag {
            "TY" => {
                assert!(current.is_none(), "TY inside a record");
                let mut m = BTreeMap::new();
                m.insert("TY".to_string(), vec![value]);
                current = Some(m);
            }
            "ER" => records.push(current.take().expect("ER without TY")),
            _ => current
                .as_mut()
                .expect("a field outside a record")
                .entry(tag.to_string())
                .or_default()
                .push(value),
        }
    }
    assert!(current.is_none(), "a record without ER");
    records
}

fn field(e: &biblatex::Entry, name: &str) -> Option<String> {
    e.fields.get(name).map(|c| {
        c.format_verbatim()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn names(e: &biblatex::Entry) -> Vec<(String, String)> {
    e.author()
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.name, p.given_name))
        .collect()
}

fn source_bib() -> biblatex::Bibliography {
    biblatex::Bibliography::parse(
        &std::fs::read_to_string(repo().join("data/references.bib")).unwrap(),
    )
    .unwrap()
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(site(), rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn front_matter(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap();
    let rest = text.strip_prefix("+++\n").unwrap();
    rest[..rest.find("\n+++\n").unwrap()].parse().unwrap()
}

fn articles() -> Vec<(String, toml::Table)> {
    let mut v: Vec<(String, toml::Table)> = std::fs::read_dir(repo().join("content/articles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                front_matter(&p.join("index.md")),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

const BUILD_DATE: &str = "2026-11-22"; // SOURCE_DATE_EPOCH 1795305600 in tests/common

#[test]
fn article_exports_parse_and_match_the_bibliography() {
    let source = source_bib();
    let schema = csl_schema();
    let list = articles();
    assert!(list.len() >= 22);
    for (slug, fm) in &list {
        let key = fm["cite_key"].as_str().unwrap();
        let src = source.get(key).unwrap();
        let dir = format!("articles/{slug}/");
        // BibTeX: one entry, the same key and fields, plain names.
        let text = read(site(), &format!("{dir}cite.bib"));
        assert!(
            !text.contains("given-i"),
            "{dir}cite.bib: extended name format"
        );
        let bib = biblatex::Bibliography::parse(&text)
            .unwrap_or_else(|e| panic!("{dir}cite.bib does not parse: {e:?}\n{text}"));
        assert_eq!(bib.len(), 1);
        let e = bib
            .get(key)
            .unwrap_or_else(|| panic!("{dir}cite.bib has no `{key}`"));
        for f in [
            "title",
            "titleaddon",
            "journaltitle",
            "year",
            "volume",
            "number",
            "pages",
            "doi",
            "issn",
            "langid",
        ] {
            assert_eq!(field(e, f), field(src, f), "{dir}cite.bib: {f}");
        }
        assert_eq!(names(e), names(src), "{dir}cite.bib: authors");
        // The front matter agrees with the bibliography entry.
        assert_eq!(
            field(src, "year").unwrap(),
            fm["year"].as_integer().unwrap().to_string(),
            "{slug}: year"
        );
        assert_eq!(
            field(src, "doi"),
            fm.get("doi").and_then(|d| d.as_str()).map(str::to_string),
            "{slug}: doi"
        );
        if let (Some(p), Some(fp)) = (field(src, "pages"), fm.get("pages")) {
            assert_eq!(p.replace("--", "–"), fp.as_str().unwrap(), "{slug}: pages");
        }
        assert_eq!(
            names(src).len(),
            fm["authors"].as_array().unwrap().len(),
            "{slug}: number of authors"
        );
        // CSL-JSON: valid against the schema, the same facts.
        let csl = json(&format!("{dir}cite.json"));
        validate_csl(&schema, &csl, &format!("{dir}cite.json"));
        let item = &csl[0];
        assert_eq!(item["id"], key);
        assert_eq!(item["type"], "article-journal");
        assert_eq!(
            item["title"].as_str(),
            field(src, "title").as_deref(),
            "{dir}cite.json title"
        );
        assert_eq!(
            item["issued"]["date-parts"][0][0],
            fm["year"].as_integer().unwrap()
        );
        assert_eq!(
            item["DOI"].as_str(),
            fm.get("doi").and_then(|d| d.as_str()),
            "{dir}cite.json DOI"
        );
        assert_eq!(item["author"].as_array().unwrap().len(), names(src).len());
        if let Some(addon) = field(src, "titleaddon") {
            assert_eq!(
                format!("[{}]", item["translated-title"].as_str().unwrap()),
                addon
            );
        }
        // RIS: one journal article record with the same title, year, DOI and authors.
        let ris = parse_ris(&read(site(), &format!("{dir}cite.ris")));
        assert_eq!(ris.len(), 1);
        let r = &ris[0];
        assert_eq!(r["TY"], ["JOUR"]);
        assert_eq!(r["TI"][0], item["title"].as_str().unwrap());
        assert_eq!(r["PY"][0], fm["year"].as_integer().unwrap().to_string());
        assert_eq!(r.get("AU").map_or(0, Vec::len), names(src).len());
        assert_eq!(
            r.get("DO").map(|d| d[0].as_str()),
            fm.get("doi").and_then(|d| d.as_str())
        );
    }
}

#[test]
fn dataset_table_and_knowledge_base_exports_parse_and_name_their_facts() {
    let schema = csl_schema();
    let base = "https://bilim-kb.github.io/bilim/";
    let tables = json("tables.json");
    let mut checked = 0;
    let mut dirs: Vec<(String, String)> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                format!("tables/{}/", t["id"].as_str().unwrap()),
                t["caption"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for entry in std::fs::read_dir(repo().join("data")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let id = path.file_stem().unwrap().to_string_lossy().into_owned();
            let meta: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
            dirs.push((
                format!("datasets/{id}/"),
                meta["title"].as_str().unwrap().to_string(),
            ));
        }
    }
    dirs.push((
        String::new(),
        "bilim — governance research in Kazakhstan".into(),
    ));
    for (dir, title) in &dirs {
        let url = format!("{base}{dir}");
        let csl = json(&format!("{dir}cite.json"));
        validate_csl(&schema, &csl, &format!("{dir}cite.json"));
        let item = &csl[0];
        assert_eq!(item["type"], "dataset", "{dir}");
        assert_eq!(item["title"].as_str(), Some(title.as_str()), "{dir}");
        assert_eq!(item["URL"].as_str(), Some(url.as_str()), "{dir}");
        assert_eq!(item["author"][0]["literal"], "bilim maintainers", "{dir}");
        assert_eq!(
            item["issued"]["date-parts"][0],
            serde_json::json!([2026, 11, 22])
        );
        let version = item["version"].as_str().unwrap();
        assert!(
            version.len() == 12 && version.chars().all(|c| c.is_ascii_hexdigit()),
            "{dir}: version {version}"
        );
        if !dir.is_empty() {
            assert!(
                item["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("erived from")),
                "{dir}: what it derives from"
            );
        }
        let text = read(site(), &format!("{dir}cite.bib"));
        let bib = biblatex::Bibliography::parse(&text)
            .unwrap_or_else(|e| panic!("{dir}cite.bib does not parse: {e:?}\n{text}"));
        assert_eq!(bib.len(), 1, "{dir}");
        let e = bib.iter().next().unwrap();
        assert_eq!(e.entry_type, biblatex::EntryType::Dataset, "{dir}");
        assert_eq!(
            field(e, "title").as_deref(),
            Some(title.as_str()),
            "{dir}cite.bib"
        );
        assert_eq!(
            field(e, "url").as_deref(),
            Some(url.as_str()),
            "{dir}cite.bib"
        );
        assert_eq!(
            field(e, "version").as_deref(),
            Some(version),
            "{dir}cite.bib"
        );
        assert_eq!(
            field(e, "date").as_deref(),
            Some(BUILD_DATE),
            "{dir}cite.bib"
        );
        assert_eq!(
            e.author().unwrap()[0].name,
            "bilim maintainers",
            "{dir}cite.bib: one literal author"
        );
        let ris = parse_ris(&read(site(), &format!("{dir}cite.ris")));
        assert_eq!(ris.len(), 1, "{dir}");
        let r = &ris[0];
        assert_eq!(r["TY"], ["DATA"], "{dir}");
        assert_eq!(r["TI"], std::slice::from_ref(title), "{dir}");
        assert_eq!(r["UR"], std::slice::from_ref(&url), "{dir}");
        assert_eq!(r["ET"], [version.to_string()], "{dir}");
        assert_eq!(r["DA"], ["2026/11/22/"], "{dir}");
        assert_eq!(r["AU"], ["bilim maintainers"], "{dir}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} exports");
}

#[test]
fn every_generated_export_parses() {
    for rel in files_ending(".bib") {
        let text = read(site(), &rel);
        biblatex::Bibliography::parse(&text)
            .unwrap_or_else(|e| panic!("{rel} does not parse: {e:?}"));
    }
    for rel in files_ending(".ris") {
        assert_eq!(parse_ris(&read(site(), &rel)).len(), 1, "{rel}");
    }
    let schema = csl_schema();
    for rel in files_ending("cite.json") {
        validate_csl(&schema, &json(&rel), &rel);
    }
}

/// The JSON-LD objects of a page (the `@graph` members, or the object itself).
fn json_ld(html: &str) -> Vec<Value> {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let v: Value = serde_json::from_str(&html[start..end]).expect("JSON-LD parses");
    assert_eq!(v["@context"], "https://schema.org");
    match v.get("@graph") {
        Some(Value::Array(list)) => list.clone(),
        _ => vec![v],
    }
}

fn of_type<'a>(items: &'a [Value], ty: &str) -> &'a Value {
    items
        .iter()
        .find(|v| v["@type"] == ty)
        .unwrap_or_else(|| panic!("no {ty} in {items:#?}"))
}

fn check_breadcrumbs(items: &[Value], page: &str) {
    let list = of_type(items, "BreadcrumbList")["itemListElement"]
        .as_array()
        .unwrap()
        .clone();
    assert!(list.len() >= 2, "{page}: breadcrumbs");
    for (i, it) in list.iter().enumerate() {
        assert_eq!(it["@type"], "ListItem");
        assert_eq!(it["position"], i + 1, "{page}");
        assert!(it["name"].as_str().is_some_and(|n| !n.is_empty()), "{page}");
        assert!(
            it["item"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://")),
            "{page}"
        );
    }
}

#[test]
fn json_ld_describes_summaries_truthfully_and_datasets_fully() {
    for (slug, fm) in articles() {
        for prefix in ["", "ru/", "kk/"] {
            let page = format!("{prefix}articles/{slug}/index.html");
            let html = read(site(), &page);
            let items = json_ld(&html);
            let s = of_type(&items, "ScholarlyArticle");
            assert_eq!(s["genre"], "summary", "{page}");
            for key in ["headline", "name", "url", "inLanguage", "description"] {
                assert!(
                    s[key].as_str().is_some_and(|v| !v.is_empty()),
                    "{page}: {key}"
                );
            }
            assert!(
                s["author"].is_array() && s["publisher"].is_object(),
                "{page}"
            );
            // The summary is not the article: no DOI of its own.
            let own = serde_json::to_string(&s["@id"]).unwrap()
                + &serde_json::to_string(&s["url"]).unwrap()
                + &serde_json::to_string(&s.get("sameAs")).unwrap()
                + &serde_json::to_string(&s.get("identifier")).unwrap();
            assert!(!own.contains("doi.org"), "{page}: the summary claims a DOI");
            let based = &s["isBasedOn"];
            assert_eq!(based["@type"], "ScholarlyArticle", "{page}");
            assert_eq!(
                based["name"],
                fm["original_title"].as_str().unwrap(),
                "{page}"
            );
            assert_eq!(
                based["author"].as_array().unwrap().len(),
                fm["authors"].as_array().unwrap().len()
            );
            if let Some(doi) = fm.get("doi").and_then(|d| d.as_str()) {
                assert_eq!(based["@id"], format!("https://doi.org/{doi}"), "{page}");
                assert_eq!(based["identifier"]["value"], doi, "{page}");
            }
            check_breadcrumbs(&items, &page);
            // Meta tags: no Highwire citation_* tags; Dublin Core names the source.
            assert!(!html.contains("name=\"citation_"), "{page}");
            if let Some(doi) = fm.get("doi").and_then(|d| d.as_str()) {
                assert!(
                    html.contains(&format!(
                        "<meta name=\"DC.source\" content=\"https://doi.org/{doi}\">"
                    )),
                    "{page}"
                );
            }
            assert!(html.contains("<meta property=\"og:title\""), "{page}");
        }
    }
    let tables = json("tables.json");
    let mut pages: Vec<String> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("tables/{}/index.html", t["id"].as_str().unwrap()))
        .collect();
    pages.extend(
        files_ending("index.html")
            .into_iter()
            .filter(|p| p.starts_with("datasets/") && p.matches('/').count() == 2),
    );
    assert!(pages.len() > 150, "{}", pages.len());
    for page in pages {
        let items = json_ld(&read(site(), &page));
        let d = of_type(&items, "Dataset");
        for key in ["name", "description", "url", "version", "dateModified"] {
            assert!(
                d[key].as_str().is_some_and(|v| !v.is_empty()),
                "{page}: {key}"
            );
        }
        assert!(
            d["description"].as_str().unwrap().chars().count() >= 50,
            "{page}: Google Dataset Search wants a description of 50+ characters"
        );
        assert!(
            d["creator"].as_array().is_some_and(|c| !c.is_empty()),
            "{page}"
        );
        let dist = d["distribution"].as_array().unwrap();
        assert!(
            dist.iter().any(|x| x["encodingFormat"] == "text/csv"
                && x["contentUrl"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(".csv"))),
            "{page}: a CSV distribution"
        );
        assert!(
            d["variableMeasured"]
                .as_array()
                .is_some_and(|v| !v.is_empty()),
            "{page}"
        );
        assert!(
            d["isBasedOn"].as_array().is_some_and(|v| !v.is_empty()),
            "{page}: isBasedOn"
        );
        if page.starts_with("tables/") {
            assert!(
                d["license"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("https://creativecommons.org/")),
                "{page}"
            );
        }
        check_breadcrumbs(&items, &page);
        let html = read(site(), &page);
        assert!(
            html.contains("<meta name=\"DC.type\" content=\"Dataset\">"),
            "{page}"
        );
        assert!(
            html.contains("<meta name=\"DC.creator\" content=\"bilim maintainers\">"),
            "{page}"
        );
    }
    let html = read(site(), "tables/tbl-ccg-ols/index.html");
    assert!(html.contains(
        "<meta name=\"DC.source\" content=\"https://doi.org/10.32523/3080-1702-2026-154-1-84-98\">"
    ));
    // temporalCoverage where the data has years: a year column, or years in column names.
    let coverage =
        |page: &str| of_type(&json_ld(&read(site(), page)), "Dataset")["temporalCoverage"].clone();
    assert_eq!(coverage("datasets/wfp-food-trade/index.html"), "2015/2023");
    assert_eq!(
        coverage("datasets/npmc-digital-2012-2022/index.html"),
        "2012/2022"
    );
    assert_eq!(coverage("tables/tbl-wfp-trade/index.html"), "2015/2023");
}

#[test]
fn every_article_dataset_and_table_page_cites_in_three_styles_with_downloads() {
    let files = snapshot(site());
    let mut pages = 0;
    for (rel, bytes) in &files {
        let kind = ["articles/", "datasets/", "tables/"].into_iter().find(|k| {
            let rest = rel
                .strip_prefix("ru/")
                .or_else(|| rel.strip_prefix("kk/"))
                .unwrap_or(rel);
            rest.starts_with(k) && rest.ends_with("/index.html") && rest.matches('/').count() == 2
        });
        let Some(kind) = kind else { continue };
        let html = String::from_utf8_lossy(bytes);
        let section = &html[html
            .find("<section class=\"cite-this\"")
            .unwrap_or_else(|| panic!("{rel}: no Cite this"))..];
        let section = &section[..section.find("</section>").unwrap()];
        let blocks = section.matches("class=\"cite-block\"").count();
        assert_eq!(blocks, if kind == "articles/" { 2 } else { 1 }, "{rel}");
        for style in ["apa", "gost", "chicago"] {
            let n = section.matches(&format!("-{style}\">")).count();
            assert_eq!(n, blocks, "{rel}: {style}");
        }
        for block in section.split("class=\"cite-block\"").skip(1) {
            for text in block.split("class=\"citation-text\"").skip(1) {
                let text = &text[text.find('>').unwrap() + 1..text.find("</p>").unwrap()];
                assert!(text.len() > 40, "{rel}: empty citation {text:?}");
            }
        }
        assert!(section.contains("data-copy=\""), "{rel}: copy buttons");
        for file in ["cite.bib", "cite.ris", "cite.json"] {
            let link = section
                .split("href=\"")
                .skip(1)
                .map(|s| &s[..s.find('"').unwrap()])
                .find(|h| h.ends_with(file))
                .unwrap_or_else(|| panic!("{rel}: no {file} download"));
            let target = link.strip_prefix("/bilim/").unwrap();
            assert!(files.contains_key(target), "{rel}: {link} missing");
        }
        pages += 1;
    }
    let datasets = files_ending("datapackage.json").len();
    let tables = json("tables.json").as_array().unwrap().len();
    assert_eq!(
        pages,
        3 * (articles().len() + datasets + tables),
        "pages with Cite this"
    );
}

#[test]
fn pages_show_their_language_terms() {
    // Kazakh pages: Kazakh terms from the theme's CSL locale ("және", "Б.", "Нұсқа").
    let kk = read(site(), "kk/articles/creative-industries/index.html");
    assert!(kk.contains("Bukharbayev, B., Beisenbayev, E., &amp; Byulegenova, B. (2026)"));
    assert!(
        kk.contains("№ 1 (89). Б. 7–24."),
        "GOST with Kazakh page label"
    );
    assert!(
        kk.contains("Bakhytzhan, Elnur Beisenbayev, және Bibigul"),
        "Chicago 'and'"
    );
    assert!(kk.contains("[Электрондық ресурс]"));
    // Russian pages: the Russian locale; GOST's page label is "С." for a range too.
    let ru = read(site(), "ru/articles/values-identity-methodology/index.html");
    assert!(ru.contains("Т. 114, № 2. С. 7–23."), "GOST in Russian");
    assert!(!ru.contains("Сс."));
    // The Society & Era issue is "No. 1 (89)" everywhere, with balanced parentheses.
    let en = read(site(), "articles/creative-industries/index.html");
    assert!(
        en.contains("</i>, (1 (89)), 7–24."),
        "APA issue without volume"
    );
    // Digraph initials of romanised names.
    let en = read(site(), "articles/maslikhats-almaty/index.html");
    assert!(en.contains("Davletbayeva, Zh., &amp; Akanova, A. (2025)"));
    let en = read(
        site(),
        "articles/citizen-centric-governance-values/index.html",
    );
    assert!(en.contains("Davletbayeva, Zh. Zh., &amp; Dyussenov, M. M."));
}

#[test]
fn the_bibliography_page_lists_every_work_and_the_pages_citing_it() {
    let source = source_bib();
    for prefix in ["", "ru/", "kk/"] {
        let html = read(site(), &format!("{prefix}bibliography/index.html"));
        for e in source.iter() {
            assert!(
                html.contains(&format!("<li id=\"ref-{}\">", e.key)),
                "{prefix}bibliography: {}",
                e.key
            );
        }
        // The versioned citation of the knowledge base has its own page, linked from here.
        assert!(html.contains(&format!("href=\"/bilim/{prefix}cite/\"")));
        let kb = read(site(), &format!("{prefix}cite/index.html"));
        assert!(kb.contains("id=\"cite-kb\""));
        assert!(!html.contains("id=\"cite-kb\""));
        // Every summary links back.
        for (slug, _) in articles() {
            assert!(
                html.contains(&format!("/bilim/{prefix}articles/{slug}/\"")),
                "{prefix}bibliography: {slug}"
            );
        }
    }
    // Alphabetical (APA, English): Abdullayev before Akkuliyeva before Zhunussova.
    let html = read(site(), "bibliography/index.html");
    let pos = |k: &str| html.find(&format!("id=\"ref-{k}\"")).unwrap();
    assert!(pos("abdullayev2024") < pos("akkuliyeva2026"));
    assert!(pos("akkuliyeva2026") < pos("zhunussova2025"));
    // The source article of a summary links to its bibliography entry.
    let article = read(site(), "articles/social-optimism/index.html");
    assert!(article.contains("/bilim/bibliography/#ref-zhunussova2025"));
    assert!(
        broken_links(site(), "/bilim/").is_empty(),
        "{:#?}",
        broken_links(site(), "/bilim/")
    );
}

#[test]
fn cite_command_prints_every_format_for_every_kind() {
    let schema = csl_schema();
    for id in [
        "values-identity-methodology",
        "ccg-correlations",
        "tbl-ccg-correlations",
        "kb",
    ] {
        for format in ["apa", "gost", "chicago", "bibtex", "ris", "csl-json"] {
            let o = bilim(&repo(), &["cite", id, "--format", format]);
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success(),
                "bilim cite {id} --format {format}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            match format {
                "bibtex" => {
                    let b = biblatex::Bibliography::parse(&out).expect("BibTeX parses");
                    assert_eq!(b.len(), 1, "{id}");
                }
                "ris" => {
                    let ris = parse_ris(&out.replace('\n', "\r\n"));
                    assert_eq!(ris.len(), 1, "{id}");
                }
                "csl-json" => {
                    validate_csl(&schema, &serde_json::from_str(&out).unwrap(), id);
                }
                _ => {
                    assert!(
                        out.trim().len() > 40 && !out.contains('<'),
                        "{id} {format}: {out}"
                    );
                }
            }
        }
    }
    // The same text as the files the site publishes.
    let o = bilim(
        &repo(),
        &["cite", "tbl-ccg-correlations", "--format", "csl-json"],
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        read(site(), "tables/tbl-ccg-correlations/cite.json")
    );
    let o = bilim(
        &repo(),
        &["cite", "values-identity-methodology", "--format", "apa"],
    );
    assert!(String::from_utf8_lossy(&o.stdout)
        .starts_with("Burova, E., Koyanbayeva, G., & Adamidi, A. (2025)."));
    let o = bilim(&repo(), &["cite", "no-such-thing", "--format", "apa"]);
    assert!(!o.status.success());
}

#[test]
fn citation_cff_matches_site_toml() {
    let cff = std::fs::read_to_string(repo().join("CITATION.cff")).expect("CITATION.cff");
    let site: toml::Table = std::fs::read_to_string(repo().join("site.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(cff.starts_with("cff-version: 1.2.0\n"));
    assert!(cff.contains("\nmessage: "));
    assert!(cff.contains(&format!(
        "\ntitle: \"{}\"\n",
        site["title"].as_str().unwrap()
    )));
    assert!(cff.contains(&format!(
        "\nurl: \"{}\"\n",
        site["base_url"].as_str().unwrap()
    )));
    assert!(cff.contains(&format!(
        "\nrepository-code: \"{}\"\n",
        site["repository"].as_str().unwrap()
    )));
    for m in site["maintainers"].as_array().unwrap() {
        assert!(
            cff.contains(&format!("  - name: \"{}\"\n", m["name"].as_str().unwrap())),
            "maintainer {m}"
        );
    }
    assert!(cff.contains("\nlicense: CC-BY-4.0\n"));
}

// ---- Errors in the bibliography and in citations stop the build at file:line -----------------

fn check_fails(site: &Path) -> String {
    let o = bilim(site, &["check"]);
    assert!(!o.status.success(), "the check passed");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn bib_path(site: &Path) -> PathBuf {
    site.join("data/references.bib")
}

#[test]
fn an_unknown_key_fails_at_its_line() {
    let site = fixture("basic");
    let path = site.path().join("content/articles/alpha-study/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l.contains("@beta2025")).unwrap() + 1;
    std::fs::write(
        &path,
        text.replace("in @beta2025", "in [-@gamma2030, p. 4]"),
    )
    .unwrap();
    let err = check_fails(site.path());
    assert!(
        err.contains(&format!(
            "content/articles/alpha-study/index.md:{line}:24: error: unknown citation key `@gamma2030`"
        )),
        "{err}"
    );
}

#[test]
fn a_duplicate_key_fails_at_the_second_entry() {
    let site = fixture("basic");
    let text = std::fs::read_to_string(bib_path(site.path())).unwrap();
    let dup = "@misc{alpha2024,\n  title = {Again},\n  year = {2024},\n}\n";
    std::fs::write(bib_path(site.path()), format!("{text}\n{dup}")).unwrap();
    let line = text.lines().count() + 2;
    let err = check_fails(site.path());
    assert!(
        err.contains(&format!("data/references.bib:{line}:")) && err.contains("alpha2024"),
        "{err}"
    );
}

#[test]
fn a_malformed_doi_fails_at_its_line() {
    let site = fixture("basic");
    let text = std::fs::read_to_string(bib_path(site.path())).unwrap();
    let line = text.lines().position(|l| l.contains("doi =")).unwrap() + 1;
    std::fs::write(
        bib_path(site.path()),
        text.replace("doi = {10.52123/", "doi = {https://doi.org/10.52123/"),
    )
    .unwrap();
    let err = check_fails(site.path());
    assert!(
        err.contains(&format!("data/references.bib:{line}:")) && err.contains("malformed DOI"),
        "{err}"
    );
}

#[test]
fn a_bib_syntax_error_fails_at_its_line() {
    let site = fixture("basic");
    let text = std::fs::read_to_string(bib_path(site.path())).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("volume = {114}"))
        .unwrap()
        + 1;
    std::fs::write(
        bib_path(site.path()),
        text.replace("volume = {114},", "volume = {114"),
    )
    .unwrap();
    let err = check_fails(site.path());
    assert!(
        err.contains("data/references.bib:") && err.contains("invalid BibLaTeX"),
        "{err}"
    );
    let reported: usize = err
        .split("data/references.bib:")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        reported >= line,
        "reported line {reported} before the error at {line}: {err}"
    );
    // The previous output stays: a failed build writes nothing.
    let o = bilim(site.path(), &["build"]);
    assert!(!o.status.success());
    assert!(!site.path().join("public/index.html").exists());
}

#[test]
fn an_unknown_cite_key_in_front_matter_fails_at_its_line() {
    let site = fixture("basic");
    let path = site.path().join("content/articles/alpha-study/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("cite_key"))
        .unwrap()
        + 1;
    std::fs::write(
        &path,
        text.replace("cite_key = \"alpha2024\"", "cite_key = \"alpha2042\""),
    )
    .unwrap();
    let err = check_fails(site.path());
    assert!(
        err.contains(&format!("content/articles/alpha-study/index.md:{line}:"))
            && err.contains("alpha2042"),
        "{err}"
    );
}

#[test]
fn the_citation_style_can_differ_per_language() {
    let site = fixture("basic");
    let cfg = site.path().join("site.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{text}\n[citation_style_i18n]\nru = \"gost\"\nkk = \"chicago\"\n"),
    )
    .unwrap();
    let out = site.path().join("public");
    let o = bilim(site.path(), &["build", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = |lang: &str| read(&out, &format!("{lang}articles/alpha-study/index.html"));
    let (en, ru, kk) = (page(""), page("ru/"), page("kk/"));
    assert!(
        en.contains("(Abdullayev &amp; Kadirova, 2024, p. 12)</a>"),
        "APA in English"
    );
    assert!(en.contains("Ivanova (2025)</a>"), "APA narrative citation");
    assert!(ru.contains(">[1]</a>"), "GOST in Russian");
    assert!(
        ru.contains("<li id=\"ref-alpha2024\">Abdullayev A., Kadirova M. Local councils"),
        "the list's own number, not a second one"
    );
    assert!(
        kk.contains("(Abdullayev және Kadirova 2024)</a>"),
        "Chicago in Kazakh"
    );
    // "Cite this" lists the language's style first, marked as the default.
    let first = |html: &str| {
        let i = html.find("class=\"cite-style cite-default\"").unwrap();
        html[i..].split("id=\"cite-source-").nth(1).unwrap()[..4].to_string()
    };
    assert_eq!(first(&en), "apa\"");
    assert_eq!(first(&ru), "gost");
    assert_eq!(first(&kk), "chic");
    // An unknown style is an error at its line in site.toml.
    std::fs::write(
        &cfg,
        format!("{text}\n[citation_style_i18n]\nru = \"mla\"\n"),
    )
    .unwrap();
    let err = check_fails(site.path());
    let line = text.lines().count() + 3;
    assert!(
        err.contains(&format!("site.toml:{line}:")) && err.contains("mla"),
        "{err}"
    );
}

#[test]
fn hostile_bibliography_fields_are_escaped_in_every_export() {
    let site = fixture("basic");
    let bib = bib_path(site.path());
    let text = std::fs::read_to_string(&bib).unwrap();
    let hostile = r#"Trust \{in\} 100\% \& <script>alert("x")</script> \$5 \#1 a\_b"#;
    std::fs::write(
        &bib,
        text.replace("Local councils and trust in Kazakhstan", hostile),
    )
    .unwrap();
    let out = site.path().join("public");
    let o = bilim(site.path(), &["build", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let title = r#"Trust {in} 100% & <script>alert("x")</script> $5 #1 a_b"#;
    let bib = biblatex::Bibliography::parse(&read(&out, "articles/alpha-study/cite.bib")).unwrap();
    assert_eq!(
        field(bib.get("alpha2024").unwrap(), "title").as_deref(),
        Some(title)
    );
    let csl: Value = serde_json::from_str(&read(&out, "articles/alpha-study/cite.json")).unwrap();
    assert_eq!(csl[0]["title"], title);
    validate_csl(&csl_schema(), &csl, "cite.json");
    let ris = parse_ris(&read(&out, "articles/alpha-study/cite.ris"));
    assert_eq!(ris[0]["TI"], [title]);
    for page in [
        "articles/alpha-study/index.html",
        "bibliography/index.html",
        "kk/articles/alpha-study/index.html",
    ] {
        let html = read(&out, page);
        assert!(!html.contains("<script>alert"), "{page}");
        assert!(html.contains("&lt;script&gt;alert"), "{page}");
        let ld = html
            .split("<script type=\"application/ld+json\">")
            .nth(1)
            .unwrap();
        let ld = &ld[..ld.find("</script>").unwrap()];
        assert!(!ld.contains('<'), "{page}: JSON-LD escapes <");
    }
}
