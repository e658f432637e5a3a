//! Helpers shared by the integration tests: fixture sites in temporary directories, running the
//! binary, reading the output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A copy of `tests/fixtures/<name>` with the default theme, in a fresh temporary directory.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures").join(name), tmp.path());
    if !tmp.path().join("themes").exists() {
        copy_dir(&repo().join("themes"), &tmp.path().join("themes"));
    }
    tmp
}

/// Run the bilim binary in `root`.
pub fn bilim(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bilim"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1795305600")
        .output()
        .unwrap()
}

/// Every file under `dir`: relative path → bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

/// Read an output file as text.
pub fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Values of an attribute (`href`, `src`) in an HTML document.
pub fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(end) = rest.find('"') {
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

/// Ids defined in an HTML document.
pub fn ids(html: &str) -> Vec<String> {
    attr_values(html, "id")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Check every internal link, asset and anchor of a built site served under `base` (e.g. `/kb/`).
/// Returns the broken ones as "page -> target".
pub fn broken_links(out: &Path, base: &str) -> Vec<String> {
    let files = snapshot(out);
    let mut id_cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut broken = Vec::new();
    for (page, bytes) in &files {
        if !page.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        let mut targets = attr_values(&html, "href");
        targets.extend(attr_values(&html, "src"));
        for t in targets {
            if t.starts_with("http://")
                || t.starts_with("https://")
                || t.starts_with("mailto:")
                || t.starts_with("data:")
            {
                continue;
            }
            let (path_part, anchor) = t
                .split_once('#')
                .map_or((t.as_str(), None), |(a, b)| (a, Some(b)));
            let target_file = if path_part.is_empty() {
                page.clone()
            } else if let Some(rest) = path_part.strip_prefix(base) {
                let rest = percent_decode(rest);
                if rest.is_empty() || rest.ends_with('/') {
                    format!("{rest}index.html")
                } else {
                    rest
                }
            } else {
                broken.push(format!("{page} -> {t} (not under the base path {base})"));
                continue;
            };
            if !files.contains_key(&target_file) {
                broken.push(format!("{page} -> {t}"));
                continue;
            }
            if let Some(a) = anchor.filter(|a| !a.is_empty()) {
                let ids = id_cache
                    .entry(target_file.clone())
                    .or_insert_with(|| ids(&String::from_utf8_lossy(&files[&target_file])));
                if !ids.iter().any(|i| i == &percent_decode(a)) {
                    broken.push(format!("{page} -> {t} (no such anchor)"));
                }
            }
        }
    }
    broken
}
