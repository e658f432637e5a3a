//! Checks of the knowledge base itself (content/ and data/ of this repository).

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use common::*;

fn articles() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(repo().join("content/articles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn front_matter(text: &str) -> toml::Table {
    let rest = text.strip_prefix("+++\n").expect("front matter");
    let end = rest.find("\n+++\n").expect("closed front matter");
    rest[..end].parse().expect("valid TOML")
}

fn body(text: &str) -> &str {
    let rest = text.strip_prefix("+++\n").unwrap();
    &rest[rest.find("\n+++\n").unwrap() + 5..]
}

#[test]
fn every_article_has_three_complete_language_versions() {
    let list = articles();
    assert!(list.len() >= 22, "only {} articles", list.len());
    for dir in list {
        let en = front_matter(&std::fs::read_to_string(dir.join("index.md")).unwrap());
        for key in [
            "title",
            "original_title",
            "source_lang",
            "authors",
            "year",
            "cite_key",
            "keywords",
            "topics",
            "methods",
            "description",
        ] {
            assert!(en.contains_key(key), "{}: no {key}", dir.display());
        }
        for a in en["authors"].as_array().unwrap() {
            assert!(
                !a["name"].as_str().unwrap().trim().is_empty(),
                "{}: author without a name",
                dir.display()
            );
        }
        assert!(
            !en["topics"].as_array().unwrap().is_empty(),
            "{}: no topics",
            dir.display()
        );
        for lang in ["ru", "kk"] {
            let path = dir.join(format!("index.{lang}.md"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing {}", path.display()));
            let fm = front_matter(&text);
            for key in ["title", "description", "keywords"] {
                assert!(
                    fm.get(key)
                        .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty())),
                    "{}: no {key}",
                    path.display()
                );
            }
            let words = body(&text).split_whitespace().count();
            assert!(words >= 300, "{}: only {words} words", path.display());
        }
    }
}

#[test]
fn the_knowledge_base_builds_and_every_dataset_is_used() {
    let out = tempfile::tempdir().unwrap();
    let o = bilim(
        &repo(),
        &[
            "build",
            "--output",
            out.path().join("site").to_str().unwrap(),
        ],
    );
    assert!(
        o.status.success(),
        "the knowledge base does not build:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let site = out.path().join("site");
    let tables: serde_json::Value = serde_json::from_str(&read(&site, "tables.json")).unwrap();
    let used: BTreeSet<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["dataset"].as_str())
        .collect();
    let mut unused = Vec::new();
    for e in std::fs::read_dir(repo().join("data")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".csv") {
            if !used.contains(id) {
                unused.push(id.to_string());
            }
        }
    }
    assert!(unused.is_empty(), "datasets used by no table: {unused:?}");
    let checks: serde_json::Value = serde_json::from_str(&read(&site, "checks.json")).unwrap();
    assert!(checks.as_array().unwrap().len() >= 100, "too few checks");
    for c in checks.as_array().unwrap() {
        assert!(
            ["match", "mismatch"].contains(&c["status"].as_str().unwrap()),
            "a check could not be evaluated: {c}"
        );
    }
    let broken = broken_links(&site, "/bilim/");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Lowercased words of a text (letters and digits of any script).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('ё', "е"))
        .collect()
}

/// The prose of a summary: no directive or code blocks, no quotations marked as such.
fn prose(md: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.trim_start().starts_with('>') {
            continue;
        }
        // Text inside quotation marks is a marked quotation.
        let mut depth = 0;
        for c in line.chars() {
            match c {
                '«' | '“' => depth += 1,
                '»' | '”' => depth = (depth - 1).max(0),
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn no_eight_word_run_is_copied_from_the_seeds() {
    let seeds = repo().join("../shared/seeds");
    assert!(
        seeds.is_dir(),
        "the seeds are expected at {} (shared/ beside the repository)",
        seeds.display()
    );
    let mut grams: HashSet<Vec<String>> = HashSet::new();
    for e in std::fs::read_dir(&seeds).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let w = words(&text);
        for g in w.windows(8) {
            grams.insert(g.to_vec());
        }
    }
    let mut copied = Vec::new();
    for dir in articles() {
        for file in ["index.md", "index.ru.md", "index.kk.md"] {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let w = words(&prose(body(&text)));
            if let Some(g) = w.windows(8).find(|g| grams.contains(*g)) {
                copied.push(format!(
                    "{}: \"{}\"",
                    path.strip_prefix(repo()).unwrap_or(Path::new("")).display(),
                    g.join(" ")
                ));
            }
        }
    }
    assert!(
        copied.is_empty(),
        "eight-word runs also found in the seeds:\n{}",
        copied.join("\n")
    );
}
