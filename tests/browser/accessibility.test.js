// axe-core in the browser on every main page type, in the three languages and both colour
// schemes: no serious or critical violations.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { buildAndServe, launch, trackedPage } from "./harness.js";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const PAGES = [
  "", "articles/", "articles/citizen-centric-governance-values/", "topics/", "topics/local-self-government/",
  "authors/", "datasets/", "datasets/ccg-descriptives/", "tables/tbl-ccg-ols/", "checks/", "search/", "about/",
];

let site, browser;
before(async () => { site = await buildAndServe(); browser = await launch(); });
after(async () => { await browser?.close(); await site?.close(); });

for (const scheme of ["light", "dark"]) {
  for (const lang of ["", "ru/", "kk/"]) {
    test(`axe: no serious or critical violations (${lang || "en/"}, ${scheme})`, async () => {
      const page = await trackedPage(browser, { colorScheme: scheme });
      const failures = [];
      for (const path of PAGES) {
        const r = await page.goto(site.base + lang + path);
        if (r.status() !== 200) { failures.push(`${lang}${path}: HTTP ${r.status()}`); continue; }
        // Inject axe through the DevTools protocol so the page's CSP does not block it.
        await page.evaluate(AXE);
        const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
        for (const v of result.violations.filter((v) => ["serious", "critical"].includes(v.impact))) {
          failures.push(`${lang}${path}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
        }
      }
      assert.deepEqual(failures, []);
      await page.context().close();
    });
  }
}
