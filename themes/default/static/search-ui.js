// Search UI: the header box (suggestions as you type, keyboard navigation) on every page and
// the results page `search/?q=…` (bookmarkable, facet filters with counts). The search client
// `search/search.js` is imported only when the search box is used. Result text is inserted with
// textContent; highlights are <mark> elements built from DOM nodes.
const NAMES = { en: "English", ru: "Русский", kk: "Қазақша" };
const PREFIX = { en: "", ru: "ru/", kk: "kk/" };
const FILTERS = ["lang", "kind", "year", "topic", "method", "issue"];
let client = null;
const strings = (ds) => (k) => ds[`t${k[0].toUpperCase()}${k.slice(1)}`];
function load(url) {
  if (!client) client = import(url).catch((e) => { client = null; throw e; });
  return client;
}
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v; else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
/** The excerpt with <mark> elements for the highlighted ranges (code-point offsets). */
function marked(text, ranges) {
  const cps = Array.from(text);
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [s, e] of ranges) {
    if (s < at) continue;
    frag.append(document.createTextNode(cps.slice(at, s).join("")));
    frag.append(el("mark", {}, cps.slice(s, e).join("")));
    at = e;
  }
  frag.append(document.createTextNode(cps.slice(at).join("")));
  return frag;
}

// ------------------------------------------------------------------ header box
const form = document.querySelector("[data-search-form]");
const input = form?.querySelector("[data-search-input]");
const list = form?.querySelector("#search-suggest");
if (form && input && list) {
  const t = form.dataset;
  const s = strings(t);
  let seq = 0, active = -1, timer = 0;
  const options = () => [...list.querySelectorAll("[role=option]")];
  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const setActive = (i) => {
    const opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach((o, j) => o.setAttribute("aria-selected", j === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  };
  const allUrl = () => `${form.action}?q=${encodeURIComponent(input.value.trim())}`;
  const suggest = async () => {
    const q = input.value;
    const mine = ++seq;
    if (!q.trim()) { close(); return; }
    let res;
    try {
      const { searchDetailed } = await load(t.index);
      res = await searchDetailed(q, { prefix: true, limit: 6 });
    } catch {
      if (mine !== seq) return;
      list.replaceChildren(el("li", { class: "search-suggest-note", role: "presentation" }, s("error")));
      list.hidden = false;
      return;
    }
    if (mine !== seq) return;
    const items = res.results.map((r, i) => el("li", { id: `search-opt-${i}`, role: "option", "aria-selected": "false", "data-url": r.url },
      el("a", { href: r.url, tabindex: "-1", lang: r.lang }, r.title),
      " ", el("span", { class: "badge" }, `${s(r.kind) || r.kind} · ${r.lang.toUpperCase()}`)));
    if (!items.length) items.push(el("li", { class: "search-suggest-note", role: "presentation" }, s("noResults")));
    items.push(el("li", { id: `search-opt-all`, role: "option", "aria-selected": "false", "data-url": allUrl(), class: "search-suggest-all" },
      el("a", { href: allUrl(), tabindex: "-1" }, `${s("seeAll")} (${res.total} ${s("count")})`)));
    list.replaceChildren(...items);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
    input.removeAttribute("aria-activedescendant");
  };
  input.addEventListener("focus", () => { load(t.index).catch(() => {}); }, { once: true });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 80); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) suggest(); else setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
    else if (e.key === "Escape") { if (!list.hidden) { e.preventDefault(); close(); } }
    else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      const url = options()[active]?.dataset.url;
      if (url) location.assign(url);
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { if (!form.contains(document.activeElement)) close(); }, 150));
  list.addEventListener("mousedown", (e) => e.preventDefault());
}

// ------------------------------------------------------------------ results page
const out = document.querySelector("[data-search-results]");
if (out) {
  const t = out.dataset;
  const s = strings(t);
  const pageLang = t.lang;
  const params = new URLSearchParams(location.search);
  const q = params.get("q") || "";
  const status = document.getElementById("search-status");
  const facetsBox = document.getElementById("search-facets");
  const pageInput = document.querySelector("[data-search-page-input]");
  if (pageInput) pageInput.value = q;
  if (input) input.value = q;
  const hrefWith = (changes) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) { if (v === null) p.delete(k); else p.set(k, v); }
    return `?${p}`;
  };
  const label = (facet, value, labels) => {
    if (facet === "lang") return NAMES[value] || value;
    if (facet === "kind") return s(value) || value;
    const f = labels?.[facet];
    const i = f ? f.values.indexOf(value) : -1;
    const l = i >= 0 ? f.labels[i] : null;
    return (l && (l[pageLang] || l.en)) || value;
  };
  const render = async () => {
    if (!q.trim()) return;
    status.textContent = s("loading");
    const filters = {};
    for (const f of FILTERS) if (params.get(f)) filters[f] = params.get(f);
    let res;
    try {
      const { searchDetailed } = await load(t.index);
      res = await searchDetailed(q, { filters, limit: 50, counts: true });
    } catch {
      status.textContent = s("error");
      return;
    }
    out.replaceChildren(...res.results.map((r) => {
      const alt = r.alternates.length
        ? el("p", { class: "result-alt" }, `${s("alsoIn")}: `, ...r.alternates.flatMap((a, i) => [i ? ", " : "", el("a", { href: a.url, hreflang: a.lang, lang: a.lang }, NAMES[a.lang])]))
        : null;
      return el("li", {},
        el("h2", { class: "result-title" }, el("a", { href: r.url, lang: r.lang }, r.title)),
        el("p", { class: "result-meta" }, el("span", { class: "badge" }, s(r.kind) || r.kind), " ", el("span", { class: "badge", lang: r.lang, title: NAMES[r.lang] }, NAMES[r.lang])),
        el("p", { class: "excerpt", lang: r.lang }, marked(r.excerpt, r.highlights)),
        alt);
    }));
    const active = FILTERS.filter((f) => params.get(f));
    if (res.total === 0) {
      status.textContent = s("noResults");
      const tips = [];
      if (active.length) tips.push(el("li", {}, el("a", { href: hrefWith(Object.fromEntries(FILTERS.map((f) => [f, null]))) }, s("withoutFilters"))));
      const found = res.words.filter((w) => w.matched).map((w) => w.text);
      if (found.length && found.length < res.words.length) tips.push(el("li", {}, el("a", { href: hrefWith({ q: found.join(" ") }) }, `${s("onlyWords")}: ${found.join(" ")}`)));
      tips.push(el("li", {}, s("suggest")));
      tips.push(el("li", {}, el("a", { href: t.topicsUrl }, s("browseTopics"))));
      out.replaceChildren(el("li", { class: "no-results" }, el("h2", {}, s("suggestions")), el("ul", {}, ...tips)));
    } else {
      status.textContent = `${res.total} ${s("count")}`;
    }
    // facets
    const blocks = [];
    for (const f of FILTERS) {
      const counts = res.counts?.[f] || {};
      const entries = Object.entries(counts);
      if (!entries.length && !params.get(f)) continue;
      const items = entries.map(([v, n]) => {
        const on = params.get(f) === v;
        return el("li", {}, el("a", { href: hrefWith({ [f]: on ? null : v }), "aria-current": on ? "true" : null, lang: f === "lang" ? v : null }, `${label(f, v, res.labels)} (${n})`));
      });
      blocks.push(el("h3", { id: `facet-${f}` }, s(`f${f[0].toUpperCase()}${f.slice(1)}`) || f), el("ul", { "aria-labelledby": `facet-${f}`, class: "facet" }, ...items));
    }
    if (active.length) blocks.push(el("p", {}, el("a", { href: hrefWith(Object.fromEntries(FILTERS.map((f) => [f, null]))) }, s("clear"))));
    const heading = facetsBox.querySelector("h2");
    facetsBox.replaceChildren(heading, ...blocks);
    facetsBox.hidden = blocks.length === 0;
  };
  render();
}
