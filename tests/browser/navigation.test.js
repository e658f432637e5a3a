// Follows every link on the home page of each language, on the site served under a sub-path,
// and fails on any 404, failed request or console error (CSP violations are console errors).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildAndServe, launch, trackedPage } from "./harness.js";

let site, browser;
before(async () => { site = await buildAndServe(); browser = await launch(); });
after(async () => { await browser?.close(); await site?.close(); });

for (const lang of ["", "ru/", "kk/"]) {
  test(`every link from the ${lang || "en/"} home page works`, async () => {
    const page = await trackedPage(browser);
    const home = site.base + lang;
    const resp = await page.goto(home);
    assert.equal(resp.status(), 200);
    const links = await page.$$eval("a[href]", (as) => [...new Set(as.map((a) => a.href))]);
    const internal = links.filter((h) => h.startsWith(site.base) && !h.includes("#"));
    assert.ok(internal.length > 20, `only ${internal.length} internal links on ${home}`);
    for (const href of internal) {
      const r = await page.goto(href);
      assert.equal(r.status(), 200, `${href} answered ${r.status()}`);
    }
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test("an unknown address shows the 404 page with working links", async () => {
  const page = await trackedPage(browser);
  const r = await page.goto(site.base + "no/such/page/");
  assert.equal(r.status(), 404);
  assert.match(await page.title(), /not found/i);
  const homeLink = await page.$eval("a.brand", (a) => a.href);
  assert.equal(homeLink, site.base);
  // The 404 status of the page itself is expected; nothing else may fail.
  page.problems = page.problems.filter((p) => !p.startsWith("HTTP 404") && !p.includes("status of 404"));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test("keyboard: the skip link is first and moves focus to the main content", async () => {
  const page = await trackedPage(browser);
  await page.goto(site.base);
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement.className);
  assert.equal(first, "skip");
  await page.keyboard.press("Enter");
  const hash = await page.evaluate(() => location.hash);
  assert.equal(hash, "#main");
  await page.context().close();
});

test("the layout fits a 360 px phone without horizontal scrolling", async () => {
  const page = await trackedPage(browser, { viewport: { width: 360, height: 740 } });
  for (const path of ["", "articles/subsidized-vacancies-wages/", "ru/topics/", "kk/articles/citizen-centric-governance-values/"]) {
    await page.goto(site.base + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
  }
  await page.context().close();
});
