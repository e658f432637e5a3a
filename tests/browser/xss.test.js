// Hostile content never runs, checked in a real browser: the `xss` fixture (every title,
// author, caption, cell, label, bibliography field and the site title carry XSS payloads, see
// tests/security.rs) is built and every page is loaded in Chromium. No dialog may open, no
// element the payloads try to create may exist, no element may carry an event-handler attribute,
// and no script may run but the theme's own. The search box and results page get the payloads as
// queries, since their results are built in the browser from the index.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildAndServe, launch, REPO } from "./harness.js";

let site, browser, root;
const dialogs = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), "bilim-xss-"));
  cpSync(join(REPO, "tests/fixtures/xss"), root, { recursive: true });
  cpSync(join(REPO, "themes"), join(root, "themes"), { recursive: true });
  site = await buildAndServe(root);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function htmlPages(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...htmlPages(p));
    else if (name.endsWith(".html")) out.push(relative(site.out, p).replace(/index\.html$/, ""));
  }
  return out.sort();
}

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("dialog", async (d) => { dialogs.push(`${d.type()}: ${d.message()} on ${page.url()}`); await d.dismiss(); });
  return page;
}

/** What a page would show if any payload had become markup or script. */
function injected(page) {
  return page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll("*")) {
      if (el.classList.contains("xss-injected")) found.push(`<${el.localName} class=xss-injected>`);
      for (const a of el.attributes) if (a.name.startsWith("on")) found.push(`<${el.localName} ${a.name}>`);
      for (const attr of ["href", "src", "action", "formaction"]) {
        const v = (el.getAttribute(attr) || "").trim().toLowerCase();
        if (v.startsWith("javascript:") || v.startsWith("vbscript:")) found.push(`<${el.localName} ${attr}="${v}">`);
      }
    }
    for (const s of document.scripts) {
      const ok = (s.src && new URL(s.src).pathname.includes("/static/")) || s.type === "application/ld+json";
      if (!ok) found.push(`<script> ${s.src || s.textContent.slice(0, 60)}`);
    }
    for (const n of ["iframe", "object", "embed", "base"]) if (document.querySelector(n)) found.push(`<${n}>`);
    if (window.__xss) found.push("window.__xss was set");
    return found;
  });
}

test("no page of the payload site opens a dialog or contains injected markup", async () => {
  const pages = htmlPages(site.out);
  assert.ok(pages.length > 50, `only ${pages.length} pages`);
  const page = await newPage();
  const problems = [];
  for (const path of pages) {
    await page.goto(site.base + path, { waitUntil: "load" });
    // Give handlers that would fire on load, focus or image errors a moment.
    await page.waitForTimeout(20);
    for (const p of await injected(page)) problems.push(`${path}: ${p}`);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(dialogs, []);
  // The payloads are on the pages, as text.
  await page.goto(site.base + "articles/xss-study/");
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /Title "><img src=x onerror=alert\(1\) class=xss-injected>/);
  const title = await page.title();
  assert.match(title, /<script class=xss-injected>/);
  await page.context().close();
});

test("payloads typed into the search box and the results page stay text", async () => {
  const page = await newPage();
  const problems = [];
  const queries = ["<img src=x onerror=alert(1)>", "xss-injected", "Title <script>", "\"><svg onload=alert(4)>", "javascript:alert(1)"];
  for (const lang of ["", "ru/"]) {
    await page.goto(site.base + lang);
    for (const q of queries) {
      await page.fill("#search-q", q);
      await page.waitForTimeout(300);
      for (const p of await injected(page)) problems.push(`${lang} suggest ${q}: ${p}`);
    }
    for (const q of queries) {
      await page.goto(`${site.base}${lang}search/?q=${encodeURIComponent(q)}`);
      await page.waitForTimeout(300);
      for (const p of await injected(page)) problems.push(`${lang} results ${q}: ${p}`);
    }
  }
  // The results do show the payload article (so its escaped title went through the UI).
  await page.goto(`${site.base}search/?q=${encodeURIComponent("xss-injected")}`);
  await page.waitForTimeout(500);
  const shown = await page.evaluate(() => document.querySelector("[data-search-results]")?.innerText || "");
  assert.match(shown, /xss-injected/);
  assert.deepEqual(problems, []);
  assert.deepEqual(dialogs, []);
  await page.context().close();
});
