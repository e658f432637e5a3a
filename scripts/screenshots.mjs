// Screenshots of the built knowledge base in headless Chromium, for docs/screenshots/ and the
// README: home, an article and a taxonomy page, at 1280 px and 390 px, in the three languages.
// Usage: node scripts/screenshots.mjs   (after `cargo build --release`)
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { buildAndServe, launch, REPO } from "../tests/browser/harness.js";

const OUT = join(REPO, "docs", "screenshots");
const PAGES = {
  home: "",
  article: "articles/subsidized-vacancies-wages/",
  taxonomy: "topics/",
  table: "tables/tbl-ccg-ols/",
  dataset: "datasets/ccg-descriptives/",
  checks: "checks/",
};
const only = process.argv.slice(2);
mkdirSync(OUT, { recursive: true });
const site = await buildAndServe();
const browser = await launch();
for (const [name, path] of Object.entries(PAGES)) {
  if (only.length && !only.includes(name)) continue;
  for (const lang of ["en", "ru", "kk"]) {
    for (const [w, h] of [[1280, 900], [390, 844]]) {
      const page = await browser.newPage({ viewport: { width: w, height: h }, deviceScaleFactor: 1 });
      await page.goto(site.base + (lang === "en" ? "" : lang + "/") + path);
      await page.screenshot({ path: join(OUT, `${name}-${lang}-${w}.png`), fullPage: w === 390 ? false : false });
      await page.close();
    }
  }
}
const dark = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
await dark.goto(site.base + PAGES.article);
await dark.screenshot({ path: join(OUT, "article-en-1280-dark.png") });
await browser.close();
await site.close();
console.log(`screenshots written to ${OUT}`);
