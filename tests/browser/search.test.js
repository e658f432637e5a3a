// Search in headless Chromium on the knowledge base served under a sub-path: the browser's
// analyser and ranking agree with `bilim search` (same keys for every word of the knowledge
// base; same top-10 URLs, scores and excerpts for the judged queries), the required queries
// find their article, and the UI works with the keyboard, in three languages, without errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildAndServe, launch, trackedPage, REPO, BIN } from "./harness.js";

let site, browser, page;
before(async () => {
  site = await buildAndServe();
  browser = await launch();
  page = await trackedPage(browser);
  await page.goto(site.base + "search/");
});
after(async () => { await browser?.close(); await site?.close(); });

function cli(args) {
  const r = spawnSync(BIN, ["--root", REPO, "search", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`bilim search ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const clientUrl = () => site.base + "search/search.js";
function browserSearch(q, opts = {}) {
  return page.evaluate(async ({ url, q, opts }) => (await import(url)).search(q, opts), { url: clientUrl(), q, opts });
}
const judged = JSON.parse(readFileSync(join(REPO, "bench/search/judged.json"), "utf8"));

test("the browser analyses every word of the knowledge base as bilim does", async () => {
  const dir = join(REPO, "content/articles");
  let text = "";
  for (const a of readdirSync(dir)) for (const f of readdirSync(join(dir, a))) if (f.endsWith(".md")) text += readFileSync(join(dir, a, f), "utf8") + "\n";
  const words = [...new Set(text.split(/[^\p{L}\p{N}\u0301]+/u).filter(Boolean))];
  assert.ok(words.length > 5000, `${words.length} words`);
  for (let i = 0; i < words.length; i += 1500) {
    const chunk = words.slice(i, i + 1500).join(" ");
    const expected = cli(["--analyze", chunk]).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const got = await page.evaluate(async ({ url, chunk }) => (await import(url)).analyzeText(chunk), { url: clientUrl(), chunk });
    assert.equal(got.length, expected.length);
    for (let j = 0; j < got.length; j++) assert.deepEqual(got[j], expected[j], `word ${expected[j].word}`);
  }
});

const strip = (r) => ({ url: r.url, title: r.title, lang: r.lang, kind: r.kind, score: r.score, excerpt: r.excerpt, highlights: r.highlights, alternates: r.alternates });
const cases = [
  ...judged.map((j) => ({ q: j.q, args: [], opts: {} })),
  { q: "maslikhat", args: ["--lang", "kk"], opts: { lang: "kk" } },
  { q: "бюджет", args: ["--kind", "article", "--topic", "local-self-government"], opts: { filters: { kind: "article", topic: "local-self-government" } } },
  { q: "maslikh", args: ["--prefix"], opts: { prefix: true } },
  { q: "мәсли", args: ["--prefix"], opts: { prefix: true } },
  { q: "gosudarstv", args: ["--prefix"], opts: { prefix: true } },
  { q: "public trus", args: ["--prefix"], opts: { prefix: true } },
];
test("for every judged query the browser's top 10 equal `bilim search --json`, in order", async () => {
  for (const c of cases) {
    const expected = JSON.parse(cli(["--json", ...c.args, c.q])).map(strip);
    const got = (await browserSearch(c.q, { limit: 10, ...c.opts })).map(strip);
    assert.deepEqual(got.map((r) => r.url), expected.map((r) => r.url), `URLs for ${c.q}`);
    assert.deepEqual(got, expected, `results for ${c.q}`);
  }
});

test("a Kazakh inflected form, a Latin-spelled Kazakh term and a Russian query find their article", async () => {
  const top = async (q, n) => (await browserSearch(q, { limit: n })).map((r) => r.url);
  assert.ok((await top("мәслихаттардың", 1))[0].endsWith("/articles/maslikhats-almaty/"));
  assert.ok((await top("mäslihat", 3)).some((u) => u.endsWith("/articles/maslikhats-almaty/")));
  assert.ok((await top("maslikhat", 3)).some((u) => u.endsWith("/articles/maslikhats-almaty/")));
  assert.ok((await top("доверие к государственным органам", 1))[0].endsWith("/articles/good-governance-public-trust/"));
});

test("judged set: recall@10 ≥ 0.95 in the browser", async () => {
  let found = 0, total = 0;
  for (const j of judged) {
    const urls = (await browserSearch(j.q, { limit: 10 })).map((r) => r.url);
    for (const slug of j.relevant) { total++; if (urls.some((u) => u.endsWith(`/articles/${slug}/`))) found++; }
  }
  assert.ok(found / total >= 0.95, `recall ${found}/${total}`);
});

test("the header box suggests as you type and is keyboard-operable", async () => {
  const p = await trackedPage(browser);
  await p.goto(site.base + "ru/");
  await p.keyboard.press("/");
  assert.equal(await p.evaluate(() => document.activeElement.id), "search-q");
  await p.keyboard.type("маслих");
  const list = p.locator("#search-suggest [role=option]");
  await list.first().waitFor();
  assert.equal(await p.getAttribute("#search-q", "aria-expanded"), "true");
  // typing is letter by letter: a shorter prefix's list may show before the whole word's
  await p.waitForFunction(
    () => document.querySelectorAll("#search-suggest [role=option]").length >= 2,
    null,
    { timeout: 5000 },
  );
  await p.keyboard.press("ArrowDown");
  const active = await p.getAttribute("#search-q", "aria-activedescendant");
  assert.equal(await p.getAttribute(`#${active}`, "aria-selected"), "true");
  const target = await p.getAttribute(`#${active}`, "data-url");
  await Promise.all([p.waitForURL((u) => u.pathname === target), p.keyboard.press("Enter")]);
  await p.goto(site.base + "ru/");
  await p.focus("#search-q");
  await p.keyboard.type("маслих");
  await list.first().waitFor();
  await p.keyboard.press("Escape");
  assert.equal(await p.getAttribute("#search-q", "aria-expanded"), "false");
  assert.deepEqual(p.problems, []);
  await p.context().close();
});

test("the results page: bookmarkable, highlighted, facets with counts, localised, no-results help", async () => {
  const p = await trackedPage(browser);
  await p.goto(site.base + "kk/search/?q=" + encodeURIComponent("мәслихат"));
  await p.locator("#search-results li mark").first().waitFor();
  assert.match(await p.textContent("#search-status"), /^\d+ /);
  assert.equal(await p.inputValue("#search-page-q"), "мәслихат");
  // kinds are labelled in Kazakh; highlights are <mark> elements
  assert.ok((await p.locator("#search-results .badge").allTextContents()).some((t) => t === "Мақала"));
  // facets: counts, and a filter link narrows the results
  await p.locator("#search-facets a").first().waitFor();
  const link = p.locator("#search-facets ul[aria-labelledby=facet-kind] a", { hasText: "Деректер жиынтығы" });
  assert.match(await link.textContent(), /\(\d+\)/);
  await Promise.all([p.waitForURL(/kind=dataset/), link.click()]);
  await p.locator("#search-results li").first().waitFor();
  const badges = await p.locator("#search-results .result-meta .badge:first-child").allTextContents();
  assert.ok(badges.length > 0 && badges.every((t) => t === "Деректер жиынтығы"), badges.join(","));
  // no results
  await p.goto(site.base + "search/?q=" + encodeURIComponent("zzqxw maslikhat") + "&kind=table&year=1900");
  await p.locator(".no-results").waitFor();
  assert.equal(await p.textContent("#search-status"), "No results.");
  const tips = await p.locator(".no-results a").allTextContents();
  assert.ok(tips.includes("Search without filters"), tips.join("|"));
  assert.deepEqual(p.problems, []);
  await p.context().close();
});
