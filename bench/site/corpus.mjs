// Generate the same synthetic trilingual knowledge base twice: as a bilim project and as a Hugo
// site, so the build benchmark compares the tools on identical Markdown.
//
//   node bench/site/corpus.mjs OUT PAGES [--seed S] [--datasets M] [--big-rows R]
//
// PAGES article pages = ceil(PAGES / 3) articles × (en, ru, kk). Text is drawn from the sentences
// of the repository's own summaries (real English, Russian and Kazakh vocabulary), with headings,
// lists, GFM tables, footnotes, emphasis, links and Pandoc citations. M datasets (default 12) of
// 2,000 rows, plus one of R rows (default 1,000,000), each with a regression, a crosstab with χ²
// and a description computed by bilim; one article in 50 shows one
// dataset's tables, until every dataset is shown. Deterministic by seed.
//
// OUT/bilim is a bilim project (theme, site.toml and bibliography of this repository);
// OUT/hugo is a Hugo site with the same content files and minimal layouts (single, list, taxonomy
// pages in three languages), which Pagefind can index after `hugo`.
import { mkdirSync, writeFileSync, readFileSync, cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO, rng, pools } from "../search/corpus.mjs";

const LANGS = ["en", "ru", "kk"];
const esc = (s) => s.replace(/\\/g, "").replace(/"/g, "'");
const REGIONS = ["Astana", "Almaty", "Shymkent", "Karaganda", "Aktobe", "Pavlodar", "Atyrau", "Kostanay"];
const SECTORS = ["health", "education", "transport", "housing", "digital"];

export function generate(out, pages, { seed = 42, datasets = 12, bigRows = 1_000_000 } = {}) {
  const articles = Math.ceil(pages / 3);
  rmSync(out, { recursive: true, force: true });
  const B = join(out, "bilim");
  const H = join(out, "hugo");
  for (const d of [join(B, "content/articles"), join(B, "data"), join(H, "content/articles")]) {
    mkdirSync(d, { recursive: true });
  }
  cpSync(join(REPO, "themes"), join(B, "themes"), { recursive: true });
  const site = readFileSync(join(REPO, "site.toml"), "utf8");
  writeFileSync(join(B, "site.toml"), site);
  const bib = readFileSync(join(REPO, "data/references.bib"), "utf8");
  writeFileSync(join(B, "data/references.bib"), bib);
  const keys = [...bib.matchAll(/^@(?!comment)\w+\{([^,\s]+),/gm)].map((m) => m[1]);
  const topics = [...site.split("[topics]")[1].split(/^\[/m)[0].matchAll(/^([a-z-]+) = \{ en =/gm)].map((m) => m[1]);
  const methods = [...site.split("[methods]")[1].split(/^\[/m)[0].matchAll(/^([a-z-]+) = \{ en =/gm)].map((m) => m[1]);

  const r = rng(seed);
  const P = pools();
  const pick = (arr) => arr[Math.floor(r() * arr.length)];
  const int = (n) => Math.floor(r() * n);
  const words = (lang, n) => pick(P[lang]).split(/\s+/).slice(0, n).join(" ").replace(/[.,;:!?]+$/, "");
  const tableIds = writeDatasets(B, datasets, bigRows, keys, r);

  for (let i = 0; i < articles; i++) {
    const slug = `synthetic-${String(i).padStart(6, "0")}`;
    const t = Object.fromEntries(LANGS.map((l) => [l, esc(words(l, 6 + int(5)))]));
    const d = Object.fromEntries(LANGS.map((l) => [l, esc(pick(P[l]))]));
    const cites = [pick(keys), pick(keys)];
    // Each dataset's tables are shown by one article (every 50th, until they run out).
    const table = i % 50 === 0 ? tableIds[i / 50] ?? null : null;
    const front = {
      en: `title = "${t.en}"
original_title = "${t.en}"
source_lang = "${LANGS[i % 3]}"
authors = [{ name = "Author${i % 97}, A. B." }, { name = "Writer${i % 89}, C." }]
year = ${2000 + (i % 26)}
journal = "Synthetic Journal of Governance"
volume = "${1 + (i % 9)}"
issue = "${1 + (i % 4)}"
pages = "${1 + (i % 200)}-${20 + (i % 200)}"
cite_key = "${cites[0]}"
keywords = ["k${i % 113}", "k${i % 17}", "synthetic"]
topics = ["${topics[i % topics.length]}"]
methods = ["${methods[i % methods.length]}", "${methods[(i * 7) % methods.length]}"]
description = "${d.en}"`,
      ru: `title = "${t.ru}"\ndescription = "${d.ru}"\nkeywords = ["k${i % 113}", "ru${i % 31}"]`,
      kk: `title = "${t.kk}"\ndescription = "${d.kk}"\nkeywords = ["k${i % 113}", "kk${i % 31}"]`,
    };
    const dir = [join(B, "content/articles", slug), join(H, "content/articles", slug)];
    for (const x of dir) mkdirSync(x, { recursive: true });
    for (const lang of LANGS) {
      const body = articleBody(lang, { pick, int, words, P, cites, table, first: lang === "en" });
      const file = lang === "en" ? "index.md" : `index.${lang}.md`;
      writeFileSync(join(dir[0], file), `+++\n${front[lang]}\n+++\n\n${body}`);
      // Hugo: the same Markdown; front matter extended with what Hugo's taxonomies need.
      const hugoFront = lang === "en" ? front.en : `${front[lang]}\ntopics = ["${topics[i % topics.length]}"]`;
      writeFileSync(join(dir[1], file), `+++\n${hugoFront}\n+++\n\n${body}`);
    }
  }
  writeHugo(H);
  return { articles, pages: articles * 3, tables: tableIds.length };
}

function articleBody(lang, { pick, int, words, P, cites, table, first }) {
  const para = (n) => Array.from({ length: n }, () => pick(P[lang])).join(" ");
  const heads = { en: ["Background", "Data and method", "Findings", "Discussion"], ru: ["Контекст", "Данные и метод", "Результаты", "Обсуждение"], kk: ["Контекст", "Деректер және әдіс", "Нәтижелер", "Талқылау"] }[lang];
  let s = `${para(3)} [@${cites[0]}]\n\n## ${heads[0]}\n\n${para(4)}[^1]\n\n`;
  s += `## ${heads[1]}\n\n${para(2)} See @${cites[1]} and *${words(lang, 3)}*.\n\n`;
  s += Array.from({ length: 3 + int(3) }, () => `- ${words(lang, 5 + int(6))}`).join("\n") + "\n\n";
  if (table) {
    const caption = { en: "Regression of the synthetic outcome", ru: "Регрессия синтетического показателя", kk: "Синтетикалық көрсеткіштің регрессиясы" }[lang];
    s += first ? table.block.replace("CAPTION", caption) : table.ids.map((id) => "```{table}\nid = \"" + id + "\"\ncaption = \"" + caption + "\"\n```\n\n").join("");
    s += `@${table.id} ${para(1)}\n\n`;
  }
  s += `## ${heads[2]}\n\n| ${words(lang, 2)} | 2019 | 2024 |\n|---|---:|---:|\n`;
  s += Array.from({ length: 3 + int(4) }, () => `| ${words(lang, 3)} | ${int(1000)} | ${int(1000)} |`).join("\n") + "\n\n";
  s += `${para(4)}\n\n1. ${words(lang, 6)}\n2. ${words(lang, 6)}\n\n## ${heads[3]}\n\n${para(5)} [see @${cites[1]}, p. ${1 + int(30)}]\n\n`;
  s += `[^1]: ${pick(P[lang])}\n`;
  return s;
}

/** Datasets with a linear outcome; returns one regression directive per dataset (and a crosstab
 * and a description for the big one, shown by the first article). */
function writeDatasets(B, m, bigRows, keys, r) {
  const out = [];
  const sizes = Array.from({ length: m }, () => 2000);
  if (bigRows > 0) sizes.unshift(bigRows);
  sizes.forEach((rows, k) => {
    const id = `synthetic-data-${k}`;
    writeFileSync(join(B, "data", `${id}.toml`), `title = "Synthetic survey ${k}"
description = "Generated for the build benchmark: ${rows} rows."
source = "${keys[k % keys.length]}"
source_table = "Table ${k + 1}"
license = "CC BY 4.0"
taken_from = "table"

[[columns]]
name = "region"
type = "string"

[[columns]]
name = "sector"
type = "string"

[[columns]]
name = "x1"
type = "number"

[[columns]]
name = "x2"
type = "number"

[[columns]]
name = "x3"
type = "number"

[[columns]]
name = "y"
type = "number"
`);
    const lines = ["region,sector,x1,x2,x3,y"];
    for (let i = 0; i < rows; i++) {
      const x1 = r() * 10, x2 = r() * 5, x3 = r() < 0.5 ? 0 : 1;
      const y = 1.5 + 0.8 * x1 - 0.3 * x2 + 2 * x3 + (r() + r() + r() - 1.5) * 2;
      lines.push(`${REGIONS[Math.floor(r() * 8)]},${SECTORS[Math.floor(r() * 5)]},${x1.toFixed(4)},${x2.toFixed(4)},${x3},${y.toFixed(4)}`);
    }
    writeFileSync(join(B, "data", `${id}.csv`), lines.join("\n") + "\n");
    const tid = `tbl-synthetic-ols-${k}`;
    let block = "```{table}\nid = \"" + tid + "\"\ncaption = \"CAPTION\"\ndataset = \"" + id + "\"\nop = \"regress\"\ny = \"y\"\nx = [\"x1\", \"x2\", \"x3\"]\nrobust = \"hc1\"\n```\n\n";
    block += "```{table}\nid = \"tbl-synthetic-xtab-" + k + "\"\ncaption = \"Region by sector\"\ndataset = \"" + id + "\"\nop = \"crosstab\"\nrows = \"region\"\ncols = \"sector\"\n```\n\n";
    block += "```{table}\nid = \"tbl-synthetic-desc-" + k + "\"\ncaption = \"Variables\"\ndataset = \"" + id + "\"\nop = \"describe\"\ncolumns = [\"x1\", \"x2\", \"y\"]\nby = \"sector\"\n```\n\n";
    out.push({ id: tid, ids: [tid, `tbl-synthetic-xtab-${k}`, `tbl-synthetic-desc-${k}`], block });
  });
  return out;
}

/** A minimal multilingual Hugo site with single, list and taxonomy templates. */
function writeHugo(H) {
  writeFileSync(join(H, "hugo.toml"), `baseURL = "http://127.0.0.1/"
title = "bilim benchmark"
defaultContentLanguage = "en"
disableKinds = ["RSS"]
[taxonomies]
topic = "topics"
method = "methods"
keyword = "keywords"
[markup.goldmark.renderer]
unsafe = false
[languages.en]
weight = 1
languageName = "English"
[languages.ru]
weight = 2
languageName = "Русский"
[languages.kk]
weight = 3
languageName = "Қазақша"
`);
  const L = join(H, "layouts/_default");
  mkdirSync(L, { recursive: true });
  writeFileSync(join(L, "baseof.html"), `<!doctype html><html lang="{{ .Language.Lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ .Title }} · {{ .Site.Title }}</title><meta name="description" content="{{ .Description }}"></head>
<body><header><nav><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>{{ range .Translations }} <a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a>{{ end }}</nav></header>
<main data-pagefind-body>{{ block "main" . }}{{ end }}</main></body></html>
`);
  writeFileSync(join(L, "single.html"), `{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ range .Params.authors }}{{ .name }}; {{ end }}{{ .Params.year }}</p>{{ .TableOfContents }}{{ .Content }}
<p>{{ range .GetTerms "topics" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}{{ range .GetTerms "keywords" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p></article>{{ end }}
`);
  writeFileSync(join(L, "list.html"), `{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.year }}</li>{{ end }}</ul>{{ end }}
`);
  writeFileSync(join(L, "terms.html"), `{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [out, pages, ...rest] = process.argv.slice(2);
  const opt = {};
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i].replace(/^--/, "").replace(/-(\w)/g, (_, c) => c.toUpperCase());
    opt[k] = Number(rest[i + 1]);
  }
  const res = generate(out || "/tmp/bilim-site-corpus", Number(pages || 1000), opt);
  console.log(JSON.stringify(res));
}
