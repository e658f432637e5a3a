// bilim search vs Pagefind, in one run:
//  1. generate a synthetic trilingual corpus (corpus.mjs; 3,334 articles × 3 languages = 10,002
//     article pages), build it with bilim (timing its search index), run Pagefind over the
//     built article pages;
//  2. sizes on disk; in headless Chromium, for ≥ 50 queries: bytes and requests of a first
//     query (fresh browser context) and of a follow-up query, and latencies;
//  3. the judged query set (judged.json) on the real knowledge base: recall@10 and MRR for
//     bilim and for Pagefind over the same built site.
// Usage: npm ci && node run.mjs [--articles N] [--queries N]   (BILIM_BIN selects the binary)
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, statSync, existsSync, writeFileSync, readdirSync, mkdtempSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, normalize, extname } from "node:path";
import { tmpdir } from "node:os";
import { chromium } from "playwright-core";
import { REPO, generate, queries } from "./corpus.mjs";

const arg = (name, d) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : d; };
const ARTICLES = Number(arg("--articles", 3334));
const NQ = Number(arg("--queries", 60));
const BIN = process.env.BILIM_BIN || join(REPO, "target/release/bilim");
const PAGEFIND = join(REPO, "bench/search/node_modules/.bin/pagefind");
const SUB = "/bench/";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json", ".css": "text/css", ".bin": "application/octet-stream", ".wasm": "application/wasm" };
const GZIP = new Set([".html", ".js", ".json", ".css", ".xml", ".txt", ".svg"]);

function serve(root) {
  const stats = { requests: 0, bytes: 0 };
  const gz = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let path = decodeURIComponent(url.pathname);
    if (!path.startsWith(SUB)) { res.writeHead(404); res.end(); return; }
    let file = join(root, normalize(path.slice(SUB.length)));
    try { if (statSync(file).isDirectory()) file = join(file, "index.html"); } catch {}
    if (!existsSync(file)) { res.writeHead(404); res.end(); stats.requests++; return; }
    const ext = extname(file);
    let body = readFileSync(file);
    const headers = { "content-type": TYPES[ext] || "application/octet-stream", "cache-control": "max-age=600" };
    if (GZIP.has(ext) && /gzip/.test(req.headers["accept-encoding"] || "")) {
      if (!gz.has(file)) gz.set(file, gzipSync(body, { level: 9 }));
      body = gz.get(file);
      headers["content-encoding"] = "gzip";
    }
    stats.requests++;
    stats.bytes += body.length;
    res.writeHead(200, headers);
    res.end(body);
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, stats, base: `http://127.0.0.1:${server.address().port}${SUB}` })));
}

function run(cmd, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}\n${r.stderr.slice(0, 2000)}\n${r.stdout.slice(0, 2000)}`);
  return { s, out: r.stdout + r.stderr };
}
function du(dir) {
  let bytes = 0, files = 0;
  const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else { bytes += statSync(p).size; files++; } } };
  walk(dir);
  return { bytes, files };
}
function benchPages(out) {
  for (const l of ["en", "ru", "kk"]) writeFileSync(join(out, `bench-${l}.html`), `<!doctype html><html lang="${l}"><head><meta charset="utf-8"><title>bench</title></head><body></body></html>`);
}
function buildBoth(root, out, base) {
  const b = run(BIN, ["--root", root, "build", "--output", out, "--base-url", base], { BILIM_SEARCH_TIMING: "1", SOURCE_DATE_EPOCH: "1795305600" });
  const m = /search index: (\d+) documents in ([\d.]+) s/.exec(b.out);
  benchPages(out);
  const p = run(PAGEFIND, ["--site", out, "--glob", "**/articles/*/index.html", "--output-subdir", "pagefind"]);
  return { bilimBuild: b.s, bilimIndex: m ? Number(m[2]) : NaN, docs: m ? Number(m[1]) : NaN, pagefind: p.s };
}

const CLIENT = {
  bilim: async ({ base, q, limit }) => {
    const t0 = performance.now();
    const m = await import(base + "search/search.js");
    const t1 = performance.now();
    const r = await m.search(q, { limit });
    return { total: performance.now() - t0, afterFirst: performance.now() - t1, urls: r.map((x) => x.url) };
  },
  pagefind: async ({ base, q, limit }) => {
    const t0 = performance.now();
    const pf = await import(base + "pagefind/pagefind.js");
    const t1 = performance.now();
    const s = await pf.search(q);
    const data = await Promise.all(s.results.slice(0, limit).map((x) => x.data()));
    return { total: performance.now() - t0, afterFirst: performance.now() - t1, urls: data.map((d) => new URL(d.url, location.href).pathname) };
  },
};

async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN; };

async function measure(browser, srv, engine, qs) {
  const rows = [];
  for (let i = 0; i < qs.length; i++) {
    const q = qs[i], follow = qs.filter((x) => x.lang === q.lang)[(Math.floor(i / 3) + 1) % Math.floor(qs.length / 3)];
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(srv.base + `bench-${q.lang}.html`);
    const fn = CLIENT[engine];
    Object.assign(srv.stats, { requests: 0, bytes: 0 });
    const first = await page.evaluate(fn, { base: srv.base, q: q.q, limit: 10 });
    const s1 = { ...srv.stats };
    Object.assign(srv.stats, { requests: 0, bytes: 0 });
    const second = await page.evaluate(fn, { base: srv.base, q: follow.q, limit: 10 });
    const s2 = { ...srv.stats };
    const warm = await page.evaluate(fn, { base: srv.base, q: follow.q, limit: 10 });
    rows.push({ q: q.q, first, second, warm, s1, s2 });
    await ctx.close();
  }
  const col = (f) => rows.map(f);
  const summary = (xs) => ({ median: pct(xs, 0.5), p90: pct(xs, 0.9) });
  return {
    firstBytes: summary(col((r) => r.s1.bytes)), firstRequests: summary(col((r) => r.s1.requests)),
    followBytes: summary(col((r) => r.s2.bytes)), followRequests: summary(col((r) => r.s2.requests)),
    firstMs: summary(col((r) => r.first.total)), firstAfterFetchMs: summary(col((r) => r.first.afterFirst)),
    followMs: summary(col((r) => r.second.total)), warmMs: summary(col((r) => r.warm.total)),
    withResults: rows.filter((r) => r.first.urls.length > 0).length, queries: rows.length,
  };
}

async function judgedScores(browser, srv) {
  const judged = JSON.parse(readFileSync(join(REPO, "bench/search/judged.json"), "utf8"));
  const out = {};
  for (const engine of ["bilim", "pagefind"]) {
    let found = 0, total = 0, rr = 0;
    const perLang = {};
    const ctx = await browser.newContext();
    const pages = {};
    for (const l of ["en", "ru", "kk"]) { pages[l] = await ctx.newPage(); await pages[l].goto(srv.base + `bench-${l}.html`); }
    for (const j of judged) {
      const r = await pages[j.lang].evaluate(CLIENT[engine], { base: srv.base, q: j.q, limit: 10 });
      const slugOf = (u) => (/\/articles\/([^/]+)\//.exec(u) || [])[1];
      const slugs = r.urls.map(slugOf);
      let first = 0;
      for (const rel of j.relevant) {
        total++;
        const k = slugs.indexOf(rel);
        if (k >= 0) { found++; if (!first || k + 1 < first) first = k + 1; }
      }
      rr += first ? 1 / first : 0;
      const key = `${j.lang}-${j.script}`;
      perLang[key] ??= { found: 0, total: 0 };
      perLang[key].total += j.relevant.length;
      perLang[key].found += j.relevant.filter((x) => slugs.includes(x)).length;
    }
    await ctx.close();
    out[engine] = { recall: found / total, mrr: rr / judged.length, queries: judged.length, perLang };
  }
  return out;
}

const fmtB = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const fmtMs = (m) => `${m.toFixed(1)} ms`;

async function main() {
  const work = mkdtempSync(join(tmpdir(), "bilim-bench-"));
  const corpus = join(work, "corpus"), out = join(work, "site");
  console.error(`generating ${ARTICLES} articles × 3 languages in ${corpus}`);
  generate(corpus, ARTICLES);
  const srv = await serve(out);
  console.error("building with bilim and Pagefind");
  const build = buildBoth(corpus, out, srv.base);
  const sizes = { bilim: du(join(out, "search")), pagefind: du(join(out, "pagefind")) };
  const qs = queries(NQ);
  const browser = await launch();
  console.error(`measuring ${qs.length} queries in Chromium`);
  const res = { bilim: await measure(browser, srv, "bilim", qs), pagefind: await measure(browser, srv, "pagefind", qs) };
  srv.server.close();
  // judged set on the real knowledge base
  const kbOut = join(work, "kb");
  const kbSrv = await serve(kbOut);
  buildBoth(REPO, kbOut, kbSrv.base);
  const judged = await judgedScores(browser, kbSrv);
  kbSrv.server.close();
  await browser.close();
  const r = res;
  const line = (name, f) => `| ${name} | ${f(r.bilim, "bilim")} | ${f(r.pagefind, "pagefind")} |`;
  const md = [
    `Corpus: ${ARTICLES} articles × 3 languages = ${build.docs} article pages (synthetic, sentences of the knowledge base's summaries); ${qs.length} queries (${qs.length / 3} per language), 1–3 words; Chromium headless, localhost, gzip for text files as on GitHub Pages; 2-core machine.`,
    "",
    "| | bilim | Pagefind |",
    "|---|---|---|",
    `| index build time | ${build.bilimIndex.toFixed(2)} s (search step; whole site build ${build.bilimBuild.toFixed(1)} s) | ${build.pagefind.toFixed(1)} s |`,
    `| index size on disk | ${fmtB(sizes.bilim.bytes)} in ${sizes.bilim.files} files | ${fmtB(sizes.pagefind.bytes)} in ${sizes.pagefind.files} files |`,
    line("first query: bytes transferred, median / p90", (x) => `${fmtB(x.firstBytes.median)} / ${fmtB(x.firstBytes.p90)}`),
    line("first query: requests, median / p90", (x) => `${x.firstRequests.median} / ${x.firstRequests.p90}`),
    line("follow-up query: bytes, median / p90", (x) => `${fmtB(x.followBytes.median)} / ${fmtB(x.followBytes.p90)}`),
    line("follow-up query: requests, median / p90", (x) => `${x.followRequests.median} / ${x.followRequests.p90}`),
    line("first query: time to results, median / p90", (x) => `${fmtMs(x.firstMs.median)} / ${fmtMs(x.firstMs.p90)}`),
    line("first query: time after the client is loaded, median / p90", (x) => `${fmtMs(x.firstAfterFetchMs.median)} / ${fmtMs(x.firstAfterFetchMs.p90)}`),
    line("follow-up query: time to results, median / p90", (x) => `${fmtMs(x.followMs.median)} / ${fmtMs(x.followMs.p90)}`),
    line("repeated query (all cached), median / p90", (x) => `${fmtMs(x.warmMs.median)} / ${fmtMs(x.warmMs.p90)}`),
    line("queries with results", (x) => `${x.withResults} / ${x.queries}`),
    "",
    `Judged set on the knowledge base (${judged.bilim.queries} queries; Pagefind searched from a page in the query's language):`,
    "",
    "| | recall@10 | MRR |",
    "|---|---|---|",
    `| bilim | ${judged.bilim.recall.toFixed(3)} | ${judged.bilim.mrr.toFixed(3)} |`,
    `| Pagefind | ${judged.pagefind.recall.toFixed(3)} | ${judged.pagefind.mrr.toFixed(3)} |`,
    "",
    "| language-script | bilim recall@10 | Pagefind recall@10 |",
    "|---|---|---|",
    ...Object.keys(judged.bilim.perLang).sort().map((k) => `| ${k} | ${(judged.bilim.perLang[k].found / judged.bilim.perLang[k].total).toFixed(2)} | ${(judged.pagefind.perLang[k].found / judged.pagefind.perLang[k].total).toFixed(2)} |`),
  ].join("\n");
  writeFileSync(join(REPO, "bench/search/results.md"), md + "\n");
  writeFileSync(join(REPO, "bench/search/results.json"), JSON.stringify({ build, sizes, res, judged }, null, 1) + "\n");
  console.log(md);
}
main().catch((e) => { console.error(e); process.exit(1); });
