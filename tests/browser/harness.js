// Shared set-up for the browser tests: build the knowledge base under a sub-path (as GitHub
// Pages serves a project site), serve it with a minimal static server that behaves like Pages
// (directory → index.html, unknown path → 404.html with status 404), and start Debian's
// Chromium through playwright-core.
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize, extname, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = process.env.BILIM_BIN || join(REPO, "target", "release", "bilim");
export const SUB = "/bilim/";

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".json": "application/json", ".xml": "application/xml", ".csv": "text/csv", ".svg": "image/svg+xml", ".bib": "text/plain", ".ris": "text/plain", ".png": "image/png", ".bin": "application/octet-stream" };

function serveStatic(root) {
  return createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let path = decodeURIComponent(url.pathname);
    if (!path.startsWith(SUB)) { res.writeHead(404); res.end("outside the base path"); return; }
    path = normalize(path.slice(SUB.length));
    if (path.startsWith("..")) { res.writeHead(400); res.end(); return; }
    let file = join(root, path);
    try { if (statSync(file).isDirectory()) file = join(file, "index.html"); } catch {}
    if (!existsSync(file)) {
      res.writeHead(404, { "content-type": TYPES[".html"] });
      res.end(readFileSync(join(root, "404.html")));
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
    res.end(readFileSync(file));
  });
}

/** Build `root` (default: the repository's knowledge base) and serve it; returns { base, out, close }. */
export async function buildAndServe(root = REPO) {
  const out = mkdtempSync(join(tmpdir(), "bilim-browser-"));
  const server = serveStatic(out);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}${SUB}`;
  const r = spawnSync(BIN, ["--root", root, "build", "--output", out, "--base-url", base], { encoding: "utf8", env: { ...process.env, SOURCE_DATE_EPOCH: "1795305600" } });
  if (r.status !== 0) throw new Error(`bilim build failed:\n${r.stderr}`);
  return { base, out, close: () => new Promise((res) => server.close(res)) };
}

/** Launch headless Chromium with the flags this machine's closed network needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Open a page that records console errors, failed requests and HTTP errors. */
export async function trackedPage(browser, opts = {}) {
  const context = await browser.newContext(opts);
  const page = await context.newPage();
  page.problems = [];
  // Browsers ask the origin for /favicon.ico when they show a non-HTML file (atom.xml, CSV);
  // that address is outside a project site's base path, so its 404 is not the site's.
  page.on("console", (m) => { if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) page.problems.push(`console: ${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  // A request aborted because the test navigated on (net::ERR_ABORTED) is not a failure.
  page.on("requestfailed", (r) => { if (r.failure()?.errorText !== "net::ERR_ABORTED") page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
  page.on("response", (r) => { if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return page;
}
