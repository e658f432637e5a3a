//! `bilim serve`: build, serve on 127.0.0.1, rebuild on change and reload the browser.
//!
//! The site is built into a private temporary directory (never `public/`, so a served build with
//! its live-reload script cannot be deployed by mistake). Only GET and HEAD are answered; paths
//! are decoded, `..` is rejected, and the resolved file must lie inside the output directory.
//! A failed rebuild replaces every HTML response with an error page until the next good build.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::error::{Error, Result};
use crate::incremental::Session;
use crate::markdown::escape_text;
use crate::site::BuildOptions;

/// The live-reload client: long-polls the server and reloads the page when a build finishes.
pub const LIVERELOAD_JS: &str = r#"(() => {
  let version = null;
  async function poll() {
    try {
      const r = await fetch("/__bilim/version?since=" + (version ?? ""), { cache: "no-store" });
      const v = await r.text();
      if (version !== null && v !== version) { location.reload(); return; }
      version = v;
      poll();
    } catch (_) { setTimeout(poll, 1000); }
  }
  poll();
})();
"#;

/// State shared between the builder and the request handlers.
struct Shared {
    version: AtomicU64,
    error: Mutex<Option<String>>,
    changed: (Mutex<u64>, Condvar),
}

/// Serve the site until interrupted.
pub fn serve(root: &Path, port: u16, quiet: bool) -> Result<()> {
    let out = std::env::temp_dir().join(format!("bilim-serve-{}", std::process::id()));
    let addr = format!("127.0.0.1:{port}");
    let server = tiny_http::Server::http(&addr)
        .map_err(|e| Error::Other(format!("cannot listen on {addr}: {e}")))?;
    let actual = server.server_addr().to_ip().map_or(port, |a| a.port());
    let base_url = format!("http://127.0.0.1:{actual}/");
    let opts = BuildOptions {
        output: out.clone(),
        base_url: Some(base_url.clone()),
        live_reload: true,
        ..BuildOptions::new(root)
    };
    let shared = Arc::new(Shared {
        version: AtomicU64::new(0),
        error: Mutex::new(None),
        changed: (Mutex::new(0), Condvar::new()),
    });
    // One session for the whole run: each rebuild reuses what the previous one computed and
    // rewrites only the files that changed (see `crate::incremental`).
    let mut session = Session::new(opts);
    rebuild(&mut session, &shared, quiet);
    eprintln!("serving {base_url} (Ctrl-C to stop)");
    spawn_watcher(root, session, shared.clone(), quiet)?;
    for request in server.incoming_requests() {
        let shared = shared.clone();
        let out = out.clone();
        std::thread::spawn(move || handle(request, &out, &shared));
    }
    Ok(())
}

fn rebuild(session: &mut Session, shared: &Shared, quiet: bool) {
    let start = Instant::now();
    match session.rebuild() {
        Ok(r) => {
            *shared.error.lock().unwrap_or_else(|e| e.into_inner()) = None;
            if !quiet {
                eprintln!(
                    "rebuilt {} pages in {} ms ({} documents and {} pages rendered, {} files written, {} removed)",
                    r.report.pages,
                    start.elapsed().as_millis(),
                    r.docs_rendered,
                    r.pages_rendered,
                    r.written,
                    r.removed
                );
            }
        }
        Err(e) => {
            eprintln!("{e}");
            *shared.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
        }
    }
    shared.version.fetch_add(1, Ordering::SeqCst);
    let (lock, cv) = &shared.changed;
    *lock.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    cv.notify_all();
}

fn spawn_watcher(
    root: &Path,
    mut session: Session,
    shared: Arc<Shared>,
    quiet: bool,
) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        // A build reads every source, and reading is reported too (inotify's open and
        // close-without-write): only changes may trigger a rebuild, or serve rebuilds forever.
        if let Ok(ev) = res {
            if !matches!(ev.kind, notify::EventKind::Access(_)) {
                let _ = tx.send(ev);
            }
        }
    })
    .map_err(|e| Error::Other(format!("cannot watch files: {e}")))?;
    for dir in ["content", "data", "themes"] {
        let p = root.join(dir);
        if p.exists() {
            watcher
                .watch(&p, RecursiveMode::Recursive)
                .map_err(|e| Error::Other(format!("cannot watch {}: {e}", p.display())))?;
        }
    }
    let _ = watcher.watch(&root.join("site.toml"), RecursiveMode::NonRecursive);
    std::thread::spawn(move || {
        let _keep = watcher;
        // Debounce: after the first event, wait until 50 ms pass without another. An editor's
        // save is a burst of events within a few milliseconds; a rebuild that starts too early
        // is only followed by another (every rebuild reads all its inputs), never left stale.
        while rx.recv().is_ok() {
            while rx.recv_timeout(Duration::from_millis(50)).is_ok() {}
            rebuild(&mut session, &shared, quiet);
        }
    });
    Ok(())
}

fn handle(request: tiny_http::Request, out: &Path, shared: &Shared) {
    use tiny_http::{Header, Method, Response, StatusCode};
    let header = |k: &str, v: &str| Header::from_bytes(k.as_bytes(), v.as_bytes()).ok();
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let mut r = Response::from_string("method not allowed").with_status_code(StatusCode(405));
        if let Some(h) = header("Allow", "GET, HEAD") {
            r.add_header(h);
        }
        let _ = request.respond(r);
        return;
    }
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    if path == "/__bilim/version" {
        let since: Option<u64> = query.strip_prefix("since=").and_then(|s| s.parse().ok());
        let (lock, cv) = &shared.changed;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if since == Some(shared.version.load(Ordering::SeqCst)) {
            let _ = cv.wait_timeout(guard, Duration::from_secs(25));
        } else {
            drop(guard);
        }
        let v = shared.version.load(Ordering::SeqCst).to_string();
        let _ = request.respond(Response::from_string(v));
        return;
    }
    let error = shared
        .error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let resolved = resolve(out, path);
    let is_html = resolved
        .as_ref()
        .is_none_or(|p| p.extension().is_some_and(|e| e == "html"));
    if let (Some(err), true) = (error, is_html) {
        let body = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Build error</title><script src=\"/static/livereload.js\" defer></script><body style=\"font:16px system-ui;margin:2rem;max-width:60rem\"><h1>The site could not be built</h1><p>Fix the problem below; this page reloads by itself.</p><pre style=\"white-space:pre-wrap;background:#fee;padding:1rem\">{}</pre></body></html>",
            escape_text(&err)
        );
        let mut r = Response::from_string(body).with_status_code(StatusCode(500));
        if let Some(h) = header("Content-Type", "text/html; charset=utf-8") {
            r.add_header(h);
        }
        let _ = request.respond(r);
        return;
    }
    let (file, status) = match resolved {
        Some(f) => (f, 200),
        None => (out.join("404.html"), 404),
    };
    match std::fs::read(&file) {
        Ok(bytes) => {
            let mut r = Response::from_data(bytes).with_status_code(StatusCode(status));
            if let Some(h) = header("Content-Type", content_type(&file)) {
                r.add_header(h);
            }
            if let Some(h) = header("Cache-Control", "no-store") {
                r.add_header(h);
            }
            let _ = request.respond(r);
        }
        Err(_) => {
            let _ = request
                .respond(Response::from_string("not found").with_status_code(StatusCode(404)));
        }
    }
}

/// Map a URL path to a file inside `root`, or None. Directories resolve to their `index.html`;
/// there are no listings. `..`, absolute components and NUL bytes are rejected outright.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut p = root.join(rel);
    if p.is_dir() {
        p = p.join("index.html");
    }
    let canon = std::fs::canonicalize(&p).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    (canon.starts_with(&root) && canon.is_file()).then_some(canon)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "csv" => "text/csv; charset=utf-8",
        "bib" | "ris" | "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/index.html"), "x").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "s").unwrap();
        assert!(resolve(&root, "/a/").is_some());
        assert!(resolve(&root, "/a").is_some());
        assert!(resolve(&root, "/../secret.txt").is_none());
        assert!(resolve(&root, "/%2e%2e/secret.txt").is_none());
        assert!(resolve(&root, "/a/%00").is_none());
        assert!(
            resolve(&root, "/").is_none(),
            "no index.html at the root, and no listing"
        );
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), root.join("link.txt")).unwrap();
        assert!(
            resolve(&root, "/link.txt").is_none(),
            "symlinks out of the root are refused"
        );
    }
}
