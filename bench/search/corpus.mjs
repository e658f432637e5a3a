// Generate a synthetic trilingual knowledge base: N articles × (en, ru, kk) = 3N article pages,
// from sentences of the repository's own summaries (so the words are real English, Russian and
// Kazakh). Deterministic (seeded). Usage: node corpus.mjs OUT_DIR [ARTICLES]
import { readFileSync, readdirSync, mkdirSync, writeFileSync, cpSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

function clean(md) {
  const body = md.split(/^\+\+\+$/m).slice(2).join("");
  return body
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/^#.*$/gm, " ")
    .replace(/\[@[^\]]*\]/g, "")
    .replace(/\(?@(tbl|fig)-[\w-]+\)?/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`$|<>{}\[\]#@\\~^]/g, "")
    .replace(/\s+/g, " ");
}

export function pools() {
  const dir = join(REPO, "content/articles");
  const out = { en: [], ru: [], kk: [] };
  for (const a of readdirSync(dir).sort()) {
    for (const [lang, file] of [["en", "index.md"], ["ru", "index.ru.md"], ["kk", "index.kk.md"]]) {
      let text;
      try { text = readFileSync(join(dir, a, file), "utf8"); } catch { continue; }
      for (const s of clean(text).split(/(?<=[.!?])\s+/)) if (s.length > 40 && s.length < 400) out[lang].push(s.trim());
    }
  }
  return out;
}

const esc = (s) => s.replace(/\\/g, "").replace(/"/g, "'");

export function generate(out, articles = 3334, seed = 42) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "content/articles"), { recursive: true });
  mkdirSync(join(out, "data"), { recursive: true });
  cpSync(join(REPO, "themes"), join(out, "themes"), { recursive: true });
  const site = readFileSync(join(REPO, "site.toml"), "utf8");
  writeFileSync(join(out, "site.toml"), site);
  const bib = readFileSync(join(REPO, "data/references.bib"), "utf8");
  writeFileSync(join(out, "data/references.bib"), bib);
  const key = /^@\w+\{([^,\s]+),/m.exec(bib)[1];
  const topics = [...site.split("[topics]")[1].split(/^\[/m)[0].matchAll(/^([a-z-]+) = \{ en =/gm)].map((m) => m[1]);
  const P = pools();
  const r = rng(seed);
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const titleOf = (lang) => pick(P[lang]).split(" ").slice(0, 6 + Math.floor(r() * 5)).join(" ").replace(/[.,;:]$/, "");
  const body = (lang) => Array.from({ length: 12 + Math.floor(r() * 12) }, () => pick(P[lang])).reduce((acc, s, i) => acc + s + (i % 4 === 3 ? "\n\n" : " "), "");
  for (let i = 0; i < articles; i++) {
    const slug = `synthetic-${String(i).padStart(5, "0")}`;
    const d = join(out, "content/articles", slug);
    mkdirSync(d, { recursive: true });
    const t = { en: titleOf("en"), ru: titleOf("ru"), kk: titleOf("kk") };
    const desc = (lang) => esc(pick(P[lang]));
    writeFileSync(join(d, "index.md"), `+++
title = "${esc(t.en)}"
original_title = "${esc(t.en)}"
source_lang = "en"
authors = [{ name = "Author ${i % 97}, A." }]
year = ${2000 + (i % 26)}
journal = "Synthetic Journal"
issue = "${1 + (i % 4)}"
cite_key = "${key}"
keywords = ["k${i % 13}", "synthetic"]
topics = ["${topics[i % topics.length]}"]
methods = ["case-study"]
description = "${desc("en")}"
+++

${body("en")}
`);
    for (const lang of ["ru", "kk"]) writeFileSync(join(d, `index.${lang}.md`), `+++
title = "${esc(t[lang])}"
description = "${desc(lang)}"
keywords = ["k${i % 13}"]
+++

${body(lang)}
`);
  }
  return P;
}

/** Queries: 1–3 consecutive words of a random sentence of the corpus, per language. */
export function queries(n = 60, seed = 7) {
  const P = pools();
  const r = rng(seed);
  const out = [];
  const langs = ["en", "ru", "kk"];
  while (out.length < n) {
    const lang = langs[out.length % 3];
    const words = P[lang][Math.floor(r() * P[lang].length)].split(/[\s,.;:()«»"“”]+/).filter((w) => w.length > 4);
    if (words.length < 3) continue;
    const k = 1 + Math.floor(r() * 3), s = Math.floor(r() * (words.length - k));
    out.push({ q: words.slice(s, s + k).join(" "), lang });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generate(process.argv[2] || "/tmp/bilim-bench-corpus", Number(process.argv[3] || 3334));
}
