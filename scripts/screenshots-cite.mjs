// Screenshots of the "Cite this" blocks, for docs/screenshots/: an article's (the source article
// and the summary) and a computed table's, in English, Russian and Kazakh.
// Usage: node scripts/screenshots-cite.mjs   (after `cargo build --release`; BILIM_BIN to use
// another binary)
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { buildAndServe, launch, REPO } from "../tests/browser/harness.js";

const OUT = join(REPO, "docs", "screenshots");
const PAGES = {
  "cite-article": "articles/subsidized-vacancies-wages/",
  "cite-table": "tables/tbl-ccg-ols/",
};
mkdirSync(OUT, { recursive: true });
const site = await buildAndServe();
const browser = await launch();
for (const [name, path] of Object.entries(PAGES)) {
  for (const lang of ["en", "ru", "kk"]) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(site.base + (lang === "en" ? "" : lang + "/") + path);
    const section = page.locator("section.cite-this");
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: join(OUT, `${name}-${lang}.png`) });
    await page.close();
  }
}
await browser.close();
await site.close();
console.log(`citation screenshots written to ${OUT}`);
