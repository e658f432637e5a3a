//! Crash safety and concurrency: a build killed with SIGKILL at random moments never damages the
//! previous site and the next build is correct; `serve` under a burst of edits ends serving the
//! final content; builds on one and two threads are byte-identical.
//!
//! `BILIM_CRASH_SEED=<n>` replays a run of the kill test (the seed is printed).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The `basic` fixture plus `n` generated articles, each with a computed table, keywords and
/// translations: large enough that a build takes about a second.
fn big_site(n: usize) -> tempfile::TempDir {
    let site = fixture("basic");
    for i in 0..n {
        let dir = site
            .path()
            .join(format!("content/articles/generated-{i:04}"));
        std::fs::create_dir_all(&dir).unwrap();
        let body = format!(
            "## Question {i}\n\nGenerated article {i} asks about trust [@alpha2024, p. {i}]. See @tbl-gen-{i}.\n\n\
             ```{{table}}\nid = \"tbl-gen-{i}\"\ncaption = \"Affordability, variant {i}\"\ndataset = \"survey\"\nop = \"formula\"\n\
             columns = {{ hai = \"wage / price_m2 * {k}\" }}\nkeep = [\"city\", \"hai\"]\n```\n\n{filler}\n",
            k = 100 + i,
            filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20)
        );
        std::fs::write(
            dir.join("index.md"),
            format!(
                "+++\ntitle = \"Generated study {i}\"\noriginal_title = \"Generated study {i}\"\nsource_lang = \"en\"\n\
                 authors = [{{ name = \"Author{a}, Test\" }}]\nyear = {year}\njournal = \"Journal {j}\"\nvolume = \"{v}\"\n\
                 cite_key = \"alpha2024\"\nkeywords = [\"keyword {i}\", \"shared {s}\"]\ntopics = [\"public-trust-participation\"]\n\
                 methods = [\"survey\"]\ndatasets = [\"survey\"]\ndescription = \"Generated description {i}.\"\ndate = \"2026-01-01\"\n+++\n\n{body}",
                a = i % 37,
                year = 1990 + i % 30,
                j = i % 5,
                v = i % 11,
                s = i % 13,
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("index.ru.md"),
            format!(
                "+++\ntitle = \"Сгенерированная статья {i}\"\ndescription = \"Описание {i}.\"\nkeywords = [\"ключ {i}\"]\n+++\n\n\
                 Текст {i}. См. @tbl-gen-{i}.\n\n```{{table}}\nid = \"tbl-gen-{i}\"\ncaption = \"Доступность, вариант {i}\"\n```\n"
            ),
        )
        .unwrap();
    }
    site
}

/// A small deterministic generator (xorshift64*), so a failing run can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn build_into(root: &Path, out: &Path, threads: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bilim"));
    cmd.arg("--root")
        .arg(root)
        .args(["build", "--output"])
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1795305600");
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().unwrap()
}

fn assert_built(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public."))
        .collect()
}

fn set_title(root: &Path, version: usize) {
    let path = root.join("content/articles/generated-0000/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("title = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let text = format!(
        "{}title = \"Generated study 0, version {version}\"{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(path, text).unwrap();
}

#[test]
fn killed_builds_never_damage_the_previous_site() {
    let site = big_site(60);
    let root = site.path();
    let out = root.join("public");
    let seed = std::env::var("BILIM_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("BILIM_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let start = Instant::now();
    assert_built(&build_into(root, &out, None));
    let full = start.elapsed();
    let mut good = snapshot(&out);
    assert!(good.len() > 1000, "only {} files", good.len());
    eprintln!("a full build takes {full:?} ({} files)", good.len());
    let mut swapped = 0;
    for round in 1..=20 {
        // Every round changes the content, so a build that finished differs from the last site.
        set_title(root, round);
        let delay = Duration::from_millis(rng.below(full.as_millis() as u64 * 11 / 10 + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_bilim"))
            .arg("--root")
            .arg(root)
            .arg("build")
            .env("SOURCE_DATE_EPOCH", "1795305600")
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let now = snapshot(&out);
        if now == good {
            continue;
        }
        // The build finished (status 0) before the kill: the site must be exactly the new one.
        let reference = root.join(format!("reference-{round}"));
        assert_built(&build_into(root, &reference, None));
        let expected = snapshot(&reference);
        std::fs::remove_dir_all(&reference).unwrap();
        assert!(
            now == expected,
            "round {round} (killed after {delay:?}, {status}): public/ is neither the previous site nor the new one (seed {seed})"
        );
        swapped += 1;
        good = now;
    }
    eprintln!("{swapped} of 20 killed builds had already swapped in their site");
    // The next build is correct and cleans up what the killed builds left.
    set_title(root, 99);
    assert_built(&build_into(root, &out, None));
    let reference = root.join("reference-final");
    assert_built(&build_into(root, &reference, None));
    assert!(
        snapshot(&out) == snapshot(&reference),
        "the build after the kills differs"
    );
    assert_eq!(
        leftovers(root),
        Vec::<String>::new(),
        "staging directories left behind"
    );
    assert!(read(&out, "articles/generated-0000/index.html").contains("version 99"));
}

#[test]
fn builds_on_one_and_two_threads_are_byte_identical() {
    for site in [fixture("ops"), big_site(40)] {
        let a = site.path().join("one-thread");
        let b = site.path().join("two-threads");
        assert_built(&build_into(site.path(), &a, Some("1")));
        assert_built(&build_into(site.path(), &b, Some("2")));
        let (sa, sb): (BTreeMap<_, _>, BTreeMap<_, _>) = (snapshot(&a), snapshot(&b));
        assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
        for (k, v) in &sa {
            assert!(v == &sb[k], "{k} differs between 1 and 2 threads");
        }
        // The computed-table cache must not change anything either: build again, warm.
        let c = site.path().join("warm");
        assert_built(&build_into(site.path(), &c, Some("2")));
        assert!(snapshot(&c) == sa, "a warm-cache build differs");
    }
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(root: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bilim"))
        .args(["--root", root.to_str().unwrap(), "serve", "--port", "0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("serve exited").unwrap();
        if let Some(rest) = line.strip_prefix("serving http://127.0.0.1:") {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

#[test]
fn serve_ends_with_the_final_content_after_a_burst_of_edits() {
    let site = fixture("basic");
    let server = serve(site.path());
    let port = server.port;
    let (status, body) = get(port, "/about/");
    assert_eq!(status, 200);
    assert!(body.contains("About"));
    // No directory listings: a directory without index.html is a 404.
    assert_eq!(get(port, "/static/").0, 404);
    // An idle server does not rebuild (its own reads of the sources are not changes).
    let (_, v1) = get(port, "/__bilim/version");
    std::thread::sleep(Duration::from_millis(1500));
    let (_, v2) = get(port, "/__bilim/version");
    assert_eq!(v1, v2, "serve rebuilds without any change");
    let page = site.path().join("content/pages/about.md");
    let original = std::fs::read_to_string(&page).unwrap();
    let data = site.path().join("data/survey.csv");
    let csv = std::fs::read_to_string(&data).unwrap();
    // 100 edits in about 3 seconds, of a page and of a dataset, written the way editors do
    // (truncate, then write) so that some builds see half-written files.
    let start = Instant::now();
    for i in 0..100 {
        std::fs::write(
            &page,
            original.replace("title = \"About\"", &format!("title = \"Edit {i:03}\"")),
        )
        .unwrap();
        if i % 10 == 0 {
            std::fs::write(
                &data,
                csv.replace("Astana,400000", &format!("Astana,4{i:03}00")),
            )
            .unwrap();
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    eprintln!("100 edits in {:?}", start.elapsed());
    // Wait until the server shows the last edit and its build counter stops moving.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_version = String::new();
    loop {
        let (_, version) = get(port, "/__bilim/version");
        let (status, body) = get(port, "/about/");
        if status == 200 && body.contains("Edit 099") && version == last_version {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not settle on the final content: status {status}, version {version}"
        );
        last_version = version;
        std::thread::sleep(Duration::from_millis(700));
    }
    std::thread::sleep(Duration::from_secs(1));
    let (status, about) = get(port, "/about/");
    assert_eq!(status, 200);
    assert!(
        about.contains("<title>Edit 099 ·"),
        "the final title is served"
    );
    let (_, home) = get(port, "/");
    assert!(home.contains("Edit 099"), "the menu shows the final title");
    for page in [&about, &home] {
        for i in 0..99 {
            assert!(
                !page.contains(&format!("Edit {i:03}")),
                "a stale edit {i} is served"
            );
        }
    }
    let (_, table) = get(port, "/tables/tbl-alpha-hai/tbl-alpha-hai.csv");
    let astana = 409_000.0_f64 / 505_000.0 * 100.0;
    assert!(
        table.contains(&format!("Astana,{}", &format!("{astana}")[..8])),
        "the table is computed from the final dataset: {table}"
    );
}
