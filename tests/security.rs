//! Security: hostile content never runs, templates cannot read outside the project, and a build
//! reads only the project and never touches the network.
//!
//! `tests/fixtures/xss` puts an XSS payload into every text field that reaches a page: the site
//! title and labels in `site.toml`, article titles, authors, affiliations, journals, keywords,
//! Markdown (raw HTML, link titles, image alt text, code, footnotes), table and chart captions,
//! axis labels, CSV cells, dataset titles, notes and column labels, bibliography fields. The
//! payload tries HTML text, double- and single-quoted attributes, `</script>` (JSON-LD), SVG and
//! XML (`]]>`). `tests/browser/xss.test.js` loads the same site in Chromium.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A start tag: lowercase name and attributes (lowercase names, raw values).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    /// For `<script>` and `<style>`: the raw text up to the end tag.
    raw_text: Option<String>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of an HTML or XML document, read the way a browser tokenizer reads them
/// (comments, doctype and CDATA skipped, script and style contents as raw text).
fn start_tags(doc: &str) -> Vec<Tag> {
    let b = doc.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &doc[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            i += rest.find("]]>").map_or(b.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            i += rest.find('>').map_or(b.len(), |e| e + 1);
            continue;
        }
        if !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        // Tag name.
        let mut j = i + 1;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = doc[i + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        // Attributes.
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                j += 1;
                break;
            }
            let start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let attr_name = doc[start..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                match b.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = doc[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                        value = doc[j + 1..end].to_string();
                        j = end + 1;
                    }
                    _ => {
                        let start = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        value = doc[start..j].to_string();
                    }
                }
            }
            if !attr_name.is_empty() {
                attrs.push((attr_name, value));
            }
        }
        let mut raw_text = None;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let end = doc[j.min(doc.len())..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(doc.len(), |e| j + e);
            raw_text = Some(doc[j.min(end)..end].to_string());
            j = end;
        }
        out.push(Tag {
            name,
            attrs,
            raw_text,
        });
        i = j;
    }
    out
}

const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "srcset",
];

/// Problems in one HTML/SVG/XML document: markup or script that came from content.
fn unsafe_markup(path: &str, doc: &str, base: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for t in start_tags(doc) {
        for (name, value) in &t.attrs {
            if name.starts_with("on") {
                problems.push(format!("{path}: <{} {name}=…> event handler", t.name));
            }
            if name == "class" && value.contains("xss-injected") {
                problems.push(format!("{path}: injected <{}> element", t.name));
            }
            if URL_ATTRS.contains(&name.as_str()) {
                let v = value.trim().to_ascii_lowercase();
                if ["javascript:", "vbscript:", "data:text"]
                    .iter()
                    .any(|s| v.starts_with(s))
                {
                    problems.push(format!("{path}: <{} {name}=\"{value}\">", t.name));
                }
            }
        }
        match t.name.as_str() {
            "script" => {
                let src = t.attr("src");
                let ld = t.attr("type") == Some("application/ld+json");
                if let Some(src) = src {
                    if !src.starts_with(&format!("{base}static/")) {
                        problems.push(format!("{path}: script from {src}"));
                    }
                } else if ld {
                    let text = t.raw_text.as_deref().unwrap_or("");
                    if text.contains('<') {
                        problems.push(format!("{path}: `<` inside JSON-LD"));
                    }
                    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
                        problems.push(format!("{path}: JSON-LD does not parse: {e}"));
                    }
                } else {
                    problems.push(format!("{path}: inline <script> without src"));
                }
            }
            "iframe" | "object" | "embed" | "base" | "frame" | "frameset" | "applet" => {
                problems.push(format!("{path}: <{}> element", t.name));
            }
            "meta"
                if t.attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("refresh")) =>
            {
                problems.push(format!("{path}: <meta http-equiv=refresh>"));
            }
            _ => {}
        }
    }
    for raw in [
        "<img src=x",
        "<script class=xss",
        "<svg onload",
        "<b class=xss",
    ] {
        if doc.contains(raw) {
            problems.push(format!("{path}: the raw payload `{raw}` survived"));
        }
    }
    if path.ends_with(".xml") && doc.contains("]]>") {
        problems.push(format!("{path}: `]]>` in XML text"));
    }
    problems
}

fn build(root: &Path) -> PathBuf {
    let out = root.join("public");
    let o = bilim(root, &["build", "--output", out.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn xss_payloads_never_survive_unescaped() {
    let site = fixture("xss");
    let out = build(site.path());
    let files = snapshot(&out);
    let mut problems = Vec::new();
    let mut escaped_markers = 0;
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        if path.ends_with(".html") || path.ends_with(".svg") || path.ends_with(".xml") {
            problems.extend(unsafe_markup(path, &text, "/kb/"));
            escaped_markers += text.matches("class=xss-injected&gt;").count();
        } else if path.ends_with(".json") {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(bytes) {
                problems.push(format!("{path}: invalid JSON: {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The payloads did reach the pages (escaped): the test is not vacuous.
    assert!(
        escaped_markers > 200,
        "only {escaped_markers} escaped payloads"
    );
    // Text is escaped for its context: `"` stays `"` in element text and becomes `&quot;` in
    // attributes; either way `<` never survives.
    let shows_escaped = |html: &str, label: &str| {
        html.match_indices(label).any(|(i, _)| {
            // The quote before it is `"`, `&quot;` or a typographic quote (smart punctuation).
            let after = &html[i + label.len()..];
            after
                .find("&gt;&lt;img src=x onerror=alert(1) class=xss-injected&gt;")
                .is_some_and(|at| at <= "&quot;".len())
        })
    };
    for (page, label) in [
        ("index.html", "KB "),
        ("articles/xss-study/index.html", "Title "),
        ("articles/xss-study/index.html", "Ivanova, Irina "),
        ("articles/xss-study/index.html", "Affiliation "),
        ("articles/xss-study/index.html", "Caption "),
        ("articles/xss-study/index.html", "Chart "),
        ("articles/xss-study/index.html", "Footnote "),
        ("articles/xss-study/index.html", "Journal "),
        ("articles/xss-study/index.html", "Raw HTML in a paragraph: "),
        ("ru/articles/xss-study/index.html", "Подпись "),
        ("tables/tbl-xss/index.html", "Caption "),
        ("datasets/payloads/index.html", "Notes "),
        ("datasets/payloads/index.html", "Label "),
        ("about/index.html", "About "),
        ("atom.xml", "Title "),
    ] {
        let html = read(&out, page);
        assert!(
            shows_escaped(&html, label),
            "{page} does not show the payload after `{label}`, escaped"
        );
    }
    let article = read(&out, "articles/xss-study/index.html");
    assert!(
        article.contains("&lt;div class=&quot;xss-injected&quot; onclick=&quot;alert(5)&quot;&gt;")
            || article.contains("&lt;div class=\"xss-injected\" onclick=\"alert(5)\"&gt;"),
        "the raw HTML block is shown as text"
    );
    // The bibliography's fields are formatted and escaped; its javascript: URL is not a link.
    assert!(!article.contains("href=\"javascript:"));
}

#[test]
fn the_scanner_finds_what_it_must() {
    let bad = [
        "<p onclick=\"x()\">a</p>",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<a href=' javascript:alert(1)'>x</a>",
        "<b class=\"xss-injected\">x</b>",
        "<script type=\"application/ld+json\">{\"a\":\"</b>\"}</script>",
        "<iframe src=\"https://example.com/\"></iframe>",
    ];
    for doc in bad {
        assert!(
            !unsafe_markup("t.html", doc, "/").is_empty(),
            "missed: {doc}"
        );
    }
    let good = "<!doctype html><p title=\"&quot;onclick=&quot;\">a &lt;script&gt; b</p><script type=\"module\" src=\"/static/ui.js\"></script><script type=\"application/ld+json\">{\"a\":\"\\u003cb\"}</script>";
    assert_eq!(unsafe_markup("t.html", good, "/"), Vec::<String>::new());
}

#[test]
fn every_page_has_a_csp_without_unsafe_inline_scripts() {
    let site = fixture("basic");
    let out = build(site.path());
    let mut pages = 0;
    for (path, bytes) in snapshot(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        pages += 1;
        let html = String::from_utf8_lossy(&bytes);
        let csp = start_tags(&html)
            .into_iter()
            .find(|t| {
                t.name == "meta"
                    && t.attr("http-equiv")
                        .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
            })
            .and_then(|t| t.attr("content").map(str::to_string))
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src") || d.starts_with("default-src"))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp}"));
        assert!(!script_src.contains("'unsafe-inline'"), "{path}: {csp}");
        assert!(!script_src.contains("'unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("base-uri 'self'"), "{path}: {csp}");
    }
    assert!(pages > 50);
}

#[test]
fn templates_cannot_read_files_outside_the_project() {
    let site = fixture("basic");
    let secret = site
        .path()
        .parent()
        .unwrap()
        .join(format!("bilim-secret-{}.html", std::process::id()));
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let page = site.path().join("themes/default/templates/page.html");
    let original = std::fs::read_to_string(&page).unwrap();
    for include in [
        "../../../etc/passwd".to_string(),
        "/etc/passwd".to_string(),
        secret.to_string_lossy().into_owned(),
        "../../../../".to_string() + secret.file_name().unwrap().to_str().unwrap(),
    ] {
        std::fs::write(
            &page,
            original.replacen(
                "{% block content %}",
                &format!("{{% block content %}}{{% include \"{include}\" %}}"),
                1,
            ),
        )
        .unwrap();
        let o = bilim(site.path(), &["build"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{include}: {err}");
        assert!(
            err.contains("themes/default/templates/page.html:")
                && err.contains(&format!("Unknown template `{include}`")),
            "{include}: {err}"
        );
        assert!(
            !err.contains("root:x:0") && !err.contains("TOP-SECRET"),
            "{err}"
        );
        assert!(!site.path().join("public").exists());
    }
    std::fs::remove_file(&secret).unwrap();
}

/// One system call from `strace -f`: (name, arguments and result).
fn syscalls(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|l| {
            // "<pid> name(args) = result" (after `-f`), possibly "<... resumed>" pieces.
            let l = l.split_once(' ').map_or(l, |(_, r)| r).trim_start();
            let open = l.find('(')?;
            let name = &l[..open];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| (name.to_string(), l[open..].to_string()))
        })
        .collect()
}

/// The first quoted path of a system call's arguments.
fn first_path(args: &str) -> Option<String> {
    let start = args.find('"')? + 1;
    let end = args[start..].find('"')? + start;
    Some(args[start..end].to_string())
}

#[test]
fn a_build_reads_only_the_project_and_uses_no_network() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!(
            "strace is not installed: skipping the system-call audit (apt-get install strace)"
        );
        return;
    }
    let site = fixture("basic");
    let root = std::fs::canonicalize(site.path()).unwrap();
    let log = root
        .parent()
        .unwrap()
        .join(format!("bilim-strace-{}.log", std::process::id()));
    let o = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%network", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_bilim"))
        .arg("--root")
        .arg(&root)
        .arg("build")
        .current_dir(&root)
        .env("SOURCE_DATE_EPOCH", "1795305600")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if !o.status.success() && text.is_empty() {
        eprintln!("strace cannot trace here (no ptrace?): skipping");
        return;
    }
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let calls = syscalls(&text);
    assert!(calls.len() > 50, "too few system calls traced:\n{text}");
    assert!(
        calls
            .iter()
            .any(|(n, a)| n.starts_with("open") && a.contains("/site.toml\"")),
        "the trace does not show site.toml being read:\n{text}"
    );
    let system = [
        "/etc/ld.so",
        "/lib",
        "/usr/lib",
        "/lib64",
        "/usr/lib64",
        "/proc/",
        "/sys/",
        "/dev/",
        "/etc/localtime",
        "/usr/share/zoneinfo",
    ];
    let bin = std::fs::canonicalize(env!("CARGO_BIN_EXE_bilim")).unwrap();
    let mut problems = Vec::new();
    for (name, args) in &calls {
        if matches!(
            name.as_str(),
            "socket" | "connect" | "bind" | "sendto" | "sendmsg" | "listen"
        ) {
            // Local sockets (AF_UNIX) would still not be network, but a build needs none at all.
            problems.push(format!("network call: {name}{args}"));
            continue;
        }
        let Some(path) = first_path(args) else {
            continue;
        };
        let failed = args
            .rsplit_once(" = ")
            .is_some_and(|(_, result)| result.starts_with("-1 "));
        let abs = if path.starts_with('/') {
            PathBuf::from(&path)
        } else {
            root.join(&path)
        };
        let inside = abs.starts_with(&root);
        let writes = matches!(
            name.as_str(),
            "mkdir"
                | "mkdirat"
                | "rename"
                | "renameat"
                | "renameat2"
                | "unlink"
                | "unlinkat"
                | "rmdir"
                | "creat"
                | "link"
                | "linkat"
                | "symlink"
                | "symlinkat"
        ) || (name.starts_with("open")
            && (args.contains("O_WRONLY") || args.contains("O_RDWR") || args.contains("O_CREAT")));
        if writes && !failed {
            let rel = abs
                .strip_prefix(&root)
                .map(|r| r.to_string_lossy().into_owned());
            let ok = rel.as_deref().is_ok_and(|r| {
                r.starts_with("public")
                    || r.starts_with(".public.")
                    || r.starts_with(".bilim-cache")
            });
            if !ok {
                problems.push(format!("writes outside the output: {name}{args}"));
            }
        }
        if writes {
            continue;
        }
        // Reading a file's content or a directory's listing (not metadata: resolving the root's
        // own path stats its parents, and the dynamic loader probes its search path).
        let reads = matches!(name.as_str(), "open" | "openat" | "openat2" | "execve");
        if !reads || failed || inside {
            continue;
        }
        let allowed_system = system.iter().any(|p| path.starts_with(p))
            || std::fs::canonicalize(&abs).is_ok_and(|p| p == bin);
        if !allowed_system {
            problems.push(format!("reads outside the project: {name}{args}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
