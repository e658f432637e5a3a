// "Cite this" in the browser: the copy buttons appear with JavaScript and copy the citation
// exactly; without JavaScript the citations are all there and no dead button shows; the
// downloads are served under the sub-path.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildAndServe, launch, trackedPage } from "./harness.js";

let site, browser;
before(async () => { site = await buildAndServe(); browser = await launch(); });
after(async () => { await browser?.close(); await site?.close(); });

for (const path of ["articles/citizen-centric-governance-values/", "kk/tables/tbl-ccg-ols/", "ru/datasets/ccg-descriptives/"]) {
  test(`copy buttons copy the citation (${path})`, async () => {
    const page = await trackedPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
    await page.goto(site.base + path);
    const buttons = page.locator("section.cite-this button.copy");
    assert.ok(await buttons.count() >= 3);
    const first = buttons.first();
    assert.ok(await first.isVisible(), "the enhancement shows the buttons");
    const id = await first.getAttribute("data-copy");
    const expected = (await page.locator(`#${id}`).innerText()).trim();
    await first.click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, expected);
    for (const a of await page.locator("section.cite-this a[download]").all()) {
      const r = await page.request.get(new URL(await a.getAttribute("href"), page.url()).href);
      assert.equal(r.status(), 200, await a.getAttribute("href"));
    }
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test("without JavaScript every style is shown and no button", async () => {
  const page = await trackedPage(browser, { javaScriptEnabled: false });
  await page.goto(site.base + "ru/articles/citizen-centric-governance-values/");
  assert.equal(await page.locator("section.cite-this .citation-text").count(), 6);
  assert.equal(await page.locator("section.cite-this button.copy:visible").count(), 0);
  await page.context().close();
});
