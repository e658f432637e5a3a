//! `bilim serve`: loopback only, safe paths, GET/HEAD only, rebuild on change, error page.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

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

fn start(root: &std::path::Path) -> Server {
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
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

/// A raw HTTP/1.0 request; returns (status, body).
fn request(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "{method} {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
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

fn wait_for(port: u16, path: &str, pred: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let start = Instant::now();
    loop {
        let (status, body) = request(port, "GET", path);
        if pred(status, &body) || start.elapsed() > Duration::from_secs(20) {
            return (status, body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serves_safely_and_rebuilds_on_change() {
    let site = fixture("basic");
    let server = start(site.path());
    let port = server.port;
    let (status, body) = request(port, "GET", "/");
    assert_eq!(status, 200);
    assert!(body.contains("livereload.js"), "serve injects live reload");
    assert_eq!(request(port, "GET", "/articles/alpha-study/").0, 200);
    assert_eq!(request(port, "HEAD", "/static/style.css").0, 200);
    assert_eq!(request(port, "POST", "/").0, 405);
    assert_eq!(request(port, "DELETE", "/index.html").0, 405);
    for evil in [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/..%2fsite.toml",
        "/static/../../site.toml",
        "//etc/passwd",
    ] {
        let (status, body) = request(port, "GET", evil);
        assert_eq!(status, 404, "{evil} answered {status}");
        assert!(!body.contains("base_url"), "{evil} leaked a project file");
    }
    assert_eq!(request(port, "GET", "/no/such/").0, 404);
    // Edit a page: the new text is served after the rebuild.
    let path = site.path().join("content/articles/beta-study/index.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("Only English exists", "Freshly edited text"),
    )
    .unwrap();
    let (_, body) = wait_for(port, "/articles/beta-study/", |_, b| {
        b.contains("Freshly edited text")
    });
    assert!(body.contains("Freshly edited text"));
    // Break it: HTML requests get the error page with the position.
    std::fs::write(&path, text.replacen("year = 2025", "year = ", 1)).unwrap();
    let (status, body) = wait_for(port, "/articles/beta-study/", |s, _| s == 500);
    assert_eq!(status, 500);
    assert!(
        body.contains("content/articles/beta-study/index.md:"),
        "{body}"
    );
    // Fix it: the site comes back.
    std::fs::write(&path, &text).unwrap();
    let (status, _) = wait_for(port, "/articles/beta-study/", |s, _| s == 200);
    assert_eq!(status, 200);
}

#[test]
fn listens_on_loopback_only() {
    let site = fixture("basic");
    let server = start(site.path());
    // The port is bound to 127.0.0.1; the same port on another local address is not served.
    let other = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| {
        s.connect("192.0.2.1:9")?;
        s.local_addr()
    });
    if let Ok(addr) = other {
        if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
            let r = TcpStream::connect_timeout(
                &(addr.ip(), server.port).into(),
                Duration::from_secs(2),
            );
            assert!(r.is_err(), "serve answered on {}", addr.ip());
        }
    }
    assert_eq!(request(server.port, "GET", "/").0, 200);
}
