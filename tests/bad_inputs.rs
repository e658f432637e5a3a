//! The bad-input suite: every case in `tests/bad-inputs/` breaks a copy of the `basic` fixture in
//! one way and names the exact error `bilim build` must report (see tests/bad-inputs/README.md).
//!
//! For every case, with the real binary: the exit code is 1 (an error, not a panic's 101 or a
//! signal), stderr has `file:line:col: error: <message>` and a `help:` line for it, nothing
//! panicked, and the `public/` built from the good fixture before the case was applied is
//! byte-identical afterwards, with no staging directory left behind.
//!
//! `BILIM_BAD_INPUTS=<substring>` runs only the matching cases; `BILIM_BAD_INPUTS_SHOW=1` prints
//! every case's stderr.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::*;
use serde::Deserialize;

/// One case: `tests/bad-inputs/<name>/case.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What is broken, in one sentence.
    about: String,
    /// One of [`CATEGORIES`].
    category: String,
    /// Changes to a copy of the fixture, applied in order.
    #[serde(default)]
    edit: Vec<Edit>,
    /// The error bilim must report.
    expect: Expect,
}

/// One change to one file (or directory) of the fixture copy.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    /// Path relative to the site root.
    file: String,
    /// Replace the first occurrence of this text (which must exist) ...
    replace: Option<String>,
    /// ... with this text.
    with: Option<String>,
    /// Add text at the end.
    append: Option<String>,
    /// Add text at the start.
    prepend: Option<String>,
    /// Replace the whole file (creating directories).
    write: Option<String>,
    /// Add raw bytes at the end, as hex (`"ff fe"`).
    append_hex: Option<String>,
    /// Delete the file or directory.
    #[serde(default)]
    remove: bool,
    /// Make `file` a symbolic link to this target (relative targets are relative to the link;
    /// `{outside}` is a directory outside the project that holds a file `secret.txt`).
    symlink: Option<String>,
    /// Turn `\n` line ends into `\r\n`.
    #[serde(default)]
    crlf: bool,
    /// Prefix a UTF-8 byte-order mark.
    #[serde(default)]
    bom: bool,
    /// Re-encode the (UTF-8) file in another encoding, e.g. "windows-1251" (lossy).
    encode: Option<String>,
    /// Generate big content at test time instead of committing it.
    generate: Option<Generate>,
}

/// Big inputs made at test time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
enum Generate {
    /// `data/survey.csv` with `rows` good data rows; data row `bad_row` (1-based) gets `bad_cell`
    /// as its wage.
    CsvRows {
        rows: usize,
        bad_row: usize,
        bad_cell: String,
    },
    /// Append one paragraph line of `len` letters followed by `tail`.
    LongLine { len: usize, tail: String },
}

/// The expected diagnostic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// `file:line:col` (or just `file` for a problem with a file or directory as such).
    at: String,
    /// A substring of the message.
    message: String,
}

/// Every category of the list; each must have at least one case.
const CATEGORIES: &[&str] = &[
    "config",
    "front-matter",
    "duplicates",
    "text-encoding",
    "csv",
    "directive",
    "bibliography",
    "cross-reference",
    "path-safety",
    "theme",
];

fn cases_dir() -> PathBuf {
    repo().join("tests/bad-inputs")
}

fn load_cases() -> Vec<(String, Case)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(cases_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(dir.join("case.toml"))
            .unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        out.push((name, case));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| panic!("bad hex byte {b}")))
        .collect()
}

fn apply(root: &Path, outside: &Path, e: &Edit) -> Result<(), String> {
    let path = root.join(&e.file);
    let read = || std::fs::read(&path).map_err(|err| format!("{}: {err}", e.file));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| err.to_string())?;
    }
    if e.remove {
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(|err| err.to_string())?;
        } else {
            std::fs::remove_file(&path).map_err(|err| err.to_string())?;
        }
    }
    if let Some(text) = &e.write {
        std::fs::write(&path, text).map_err(|err| err.to_string())?;
    }
    if let Some(from) = &e.replace {
        let to = e.with.as_deref().ok_or("`replace` needs `with`")?;
        let text = String::from_utf8(read()?).map_err(|_| "not UTF-8")?;
        if !text.contains(from.as_str()) {
            return Err(format!(
                "{}: the text to replace is not there: {from:?}",
                e.file
            ));
        }
        std::fs::write(&path, text.replacen(from.as_str(), to, 1)).map_err(|e| e.to_string())?;
    }
    if let Some(text) = &e.prepend {
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend(read()?);
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    if let Some(text) = &e.append {
        let mut bytes = read().unwrap_or_default();
        bytes.extend(text.as_bytes());
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    if let Some(hex) = &e.append_hex {
        let mut bytes = read().unwrap_or_default();
        bytes.extend(hex_bytes(hex));
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    if e.crlf {
        let text = String::from_utf8(read()?).map_err(|_| "not UTF-8")?;
        std::fs::write(&path, text.replace("\r\n", "\n").replace('\n', "\r\n"))
            .map_err(|e| e.to_string())?;
    }
    if let Some(enc) = &e.encode {
        let text = String::from_utf8(read()?).map_err(|_| "not UTF-8")?;
        let encoding = encoding_rs::Encoding::for_label(enc.as_bytes())
            .ok_or_else(|| format!("unknown encoding {enc}"))?;
        // Characters the encoding lacks become `&#NNNN;`, as a Windows export would write them.
        let (bytes, _, _) = encoding.encode(&text);
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    if e.bom {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(read()?);
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    }
    if let Some(target) = &e.symlink {
        if std::fs::symlink_metadata(&path).is_ok() {
            if path.is_dir() && !path.is_symlink() {
                std::fs::remove_dir_all(&path).map_err(|e| e.to_string())?;
            } else {
                std::fs::remove_file(&path).map_err(|e| e.to_string())?;
            }
        }
        let target = target.replace("{outside}", &outside.to_string_lossy());
        std::os::unix::fs::symlink(&target, &path).map_err(|e| e.to_string())?;
    }
    if let Some(g) = &e.generate {
        generate(&path, g).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn generate(path: &Path, g: &Generate) -> std::io::Result<()> {
    match g {
        Generate::CsvRows {
            rows,
            bad_row,
            bad_cell,
        } => {
            let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(f, "city,wage,price_m2,respondents")?;
            for i in 1..=*rows {
                if i == *bad_row {
                    writeln!(f, "City {i},{bad_cell},{},{}", 300_000 + i % 997, i % 500)?;
                } else {
                    writeln!(
                        f,
                        "City {i},{},{},{}",
                        200_000 + i % 1009,
                        300_000 + i % 997,
                        i % 500
                    )?;
                }
            }
            f.flush()
        }
        Generate::LongLine { len, tail } => {
            let mut text = std::fs::read_to_string(path)?;
            text.push('\n');
            text.extend(std::iter::repeat_n('a', *len));
            text.push_str(tail);
            text.push('\n');
            std::fs::write(path, text)
        }
    }
}

/// Check one case; returns the problems found (empty when it passes).
fn run_case(
    template: &Path,
    before: &BTreeMap<String, Vec<u8>>,
    name: &str,
    case: &Case,
) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "top secret\n").unwrap();
    copy_tree(template, &root);
    // The case's own files (binary ones, mostly) are copied over the fixture first.
    let files = cases_dir().join(name).join("files");
    if files.is_dir() {
        copy_tree(&files, &root);
    }
    for e in &case.edit {
        if let Err(msg) = apply(&root, &outside, e) {
            return vec![format!("cannot apply the case: {msg}")];
        }
    }
    let o = bilim(&root, &["build"]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    if std::env::var_os("BILIM_BAD_INPUTS_SHOW").is_some() {
        eprintln!("---- {name}: {}\n{stderr}", o.status);
    }
    let mut problems = Vec::new();
    match o.status.code() {
        Some(1) => {}
        Some(101) => problems.push("exit code 101: bilim panicked".to_string()),
        other => problems.push(format!("exit code {other:?}, expected 1")),
    }
    if stderr.contains("panicked") {
        problems.push("\"panicked\" in stderr".into());
    }
    let head = format!("{}: error: ", case.expect.at);
    let lines: Vec<&str> = stderr.lines().collect();
    match lines
        .iter()
        .position(|l| l.starts_with(&head) && l.contains(&case.expect.message))
    {
        None => problems.push(format!(
            "no line `{head}…{}…` in stderr",
            case.expect.message
        )),
        Some(i) => {
            // The message may span lines (a formula with a caret); its help comes before the
            // next diagnostic.
            let has_help = lines[i + 1..]
                .iter()
                .take_while(|l| !l.contains(": error: "))
                .any(|l| l.starts_with("  help: ") && l.len() > "  help: ".len());
            if !has_help {
                problems.push("the diagnostic has no `help:` line".into());
            }
        }
    }
    let after = snapshot(&root.join("public"));
    if &after != before {
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .take(5)
            .collect();
        problems.push(format!("the previous public/ changed: {changed:?}"));
    }
    let leftovers: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public."))
        .collect();
    if !leftovers.is_empty() {
        problems.push(format!("staging directories left behind: {leftovers:?}"));
    }
    if !problems.is_empty() {
        problems.push(format!("stderr was:\n{}", stderr.trim_end()));
    }
    problems
}

#[test]
fn every_bad_input_fails_cleanly_with_its_position() {
    let cases = load_cases();
    let filter = std::env::var("BILIM_BAD_INPUTS").ok();
    let only_some = filter.is_some();
    let cases: Vec<(String, Case)> = cases
        .into_iter()
        .filter(|(n, _)| filter.as_deref().is_none_or(|f| n.contains(f)))
        .collect();
    if !only_some {
        assert!(cases.len() >= 60, "only {} bad-input cases", cases.len());
        for cat in CATEGORIES {
            assert!(
                cases.iter().any(|(_, c)| c.category == *cat),
                "no case in category {cat}"
            );
        }
    }
    for (name, c) in &cases {
        assert!(
            CATEGORIES.contains(&c.category.as_str()),
            "{name}: unknown category {}",
            c.category
        );
        assert!(!c.about.trim().is_empty(), "{name}: no `about`");
    }
    // The good site, built once; every case starts from a copy of it, public/ included.
    let template = fixture("basic");
    let o = bilim(template.path(), &["build"]);
    assert!(
        o.status.success(),
        "the good fixture does not build:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let before = snapshot(&template.path().join("public"));
    assert!(before.contains_key("index.html"));
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((name, case)) = cases.get(i) else {
                    break;
                };
                let problems = run_case(template.path(), &before, name, case);
                if !problems.is_empty() {
                    failures.lock().unwrap().push(format!(
                        "{name} ({}):\n  {}",
                        case.about,
                        problems.join("\n  ")
                    ));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
