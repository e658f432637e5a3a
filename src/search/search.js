// bilim search client: an ES module with no dependencies.
//
//   import { search } from "<site>/search/search.js";
//   const results = await search("maslikhat budget", { lang: "ru", filters: { kind: "article" }, limit: 10 });
//   // → [{ url, title, lang, kind, score, excerpt, highlights, alternates }]
//
// It analyses the query exactly as `bilim` does at build time (the tables below are generated
// from the Rust sources; the Snowball stemmers are ports checked against rust-stemmers), fetches
// only the dictionary shards and postings of the query's keys and the excerpts of the results
// shown, relative to its own URL, and ranks with the same integer arithmetic as
// `bilim search`. Everything it returns is data: insert it with textContent.

const INDEX = /*@BILIM_INDEX@*/null;
const A = INDEX.analyzer;
const HERE = new URL("./", import.meta.url);
const SITE = new URL("../", HERE);
const LANGS = ["en", "ru", "kk"];
const PREFIX = ["", "ru/", "kk/"];

// ---------------------------------------------------------------- words and normalisation

const WORD_CHAR = /[\p{Alphabetic}\p{N}\u0300\u0301\u0306\u0307\u0308]/u;
const KEEP_CHAR = /[\p{Alphabetic}\p{N}\u0306\u0308]/u;

export function normalize(raw) {
  const lower = raw.normalize("NFKC").toLowerCase();
  let out = "";
  for (const c of lower) {
    if (c === "\u0300" || c === "\u0301" || c === "\u0307") continue;
    const d = c === "ё" ? "е" : c;
    if (KEEP_CHAR.test(d)) out += d;
  }
  return out.normalize("NFC");
}

/** Words of a text: [start, end (code-point offsets), normalised word]. */
export function words(text) {
  const cps = Array.from(text);
  const out = [];
  let start = -1;
  const push = (s, e) => {
    const w = normalize(cps.slice(s, e).join(""));
    const n = Array.from(w).length;
    if (n >= 2 && n <= 40) out.push([s, e, w]);
  };
  for (let i = 0; i < cps.length; i++) {
    if (WORD_CHAR.test(cps[i])) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      push(start, i);
      start = -1;
    }
  }
  if (start >= 0) push(start, cps.length);
  return out;
}

function script(word) {
  let cyr = 0, lat = 0;
  for (const c of word) {
    const n = c.codePointAt(0);
    if (n >= 0x400 && n <= 0x4ff) cyr++;
    else if ((n >= 0x61 && n <= 0x7a) || (n >= 0x41 && n <= 0x5a) || (n >= 0xc0 && n <= 0x24f && c !== "×" && c !== "÷")) lat++;
  }
  if (cyr === 0 && lat === 0) return "other";
  return cyr >= lat ? "cyrillic" : "latin";
}

// ---------------------------------------------------------------- Snowball English (Porter2)

const EN_V = "aeiouy";
const isV = (c) => c !== undefined && EN_V.includes(c);
const EN_EX1 = new Map(Object.entries({ skis: "ski", skies: "sky", dying: "die", lying: "lie", tying: "tie", idly: "idl", gently: "gentl", ugly: "ugli", early: "earli", only: "onli", singly: "singl", sky: "sky", news: "news", howe: "howe", atlas: "atlas", cosmos: "cosmos", bias: "bias", andes: "andes" }));
const EN_EX2 = new Set(["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"]);

function endsWith(a, s) {
  if (s.length > a.length) return false;
  for (let i = 0; i < s.length; i++) if (a[a.length - s.length + i] !== s[i]) return false;
  return true;
}
const CHARS = new Map();
const chars = (s) => { let c = CHARS.get(s); if (!c) { c = Array.from(s); CHARS.set(s, c); } return c; };
/** Longest suffix of `list` that `a` ends with, not reaching before `limit`. */
function among(a, list, limit = 0) {
  let best = null, bl = -1;
  for (const s of list) {
    const sa = chars(s);
    if (sa.length > bl && a.length - sa.length >= limit && endsWith(a, sa)) { best = s; bl = sa.length; }
  }
  return best;
}
function replaceEnd(a, n, rep) { a.splice(a.length - n, n, ...Array.from(rep)); }

function enShortV(a, end) {
  // (non-v_WXY v non-v) or (non-v v atlimit), looking backwards from `end`
  const c1 = a[end - 1], c2 = a[end - 2], c3 = a[end - 3];
  // backwards: the last letter is non-v_WXY, the one before a vowel, the one before that non-v
  if (end >= 3 && c1 !== undefined && !"aeiouywxY".includes(c1) && isV(c2) && c3 !== undefined && !isV(c3)) return true;
  return end === 2 && !isV(c1) && isV(c2);
}

export function stemEnglish(word) {
  if (EN_EX1.has(word)) return EN_EX1.get(word);
  let a = Array.from(word);
  if (a.length < 3) return word;
  // prelude
  let yFound = false;
  if (a[0] === "'") a.shift();
  if (a[0] === "y") { a[0] = "Y"; yFound = true; }
  for (let i = 1; i < a.length; i++) if (a[i] === "y" && isV(a[i - 1])) { a[i] = "Y"; yFound = true; }
  // mark_regions
  let p1 = a.length, p2 = a.length;
  (() => {
    const s = a.join("");
    let i;
    const pre = ["gener", "commun", "arsen"].find((x) => s.startsWith(x));
    if (pre) i = Array.from(pre).length;
    else {
      i = 0;
      while (i < a.length && !isV(a[i])) i++;
      if (i >= a.length) return;
      i++;
      while (i < a.length && isV(a[i])) i++;
      if (i >= a.length) return;
      i++;
    }
    p1 = i;
    while (i < a.length && !isV(a[i])) i++;
    if (i >= a.length) return;
    i++;
    while (i < a.length && isV(a[i])) i++;
    if (i >= a.length) return;
    p2 = i + 1;
  })();
  const R1 = (pos) => p1 <= pos, R2 = (pos) => p2 <= pos;
  // Step 1a
  let s = among(a, ["'", "'s", "'s'"]);
  if (s) a.length -= Array.from(s).length;
  s = among(a, ["sses", "ied", "ies", "s", "us", "ss"]);
  if (s === "sses") replaceEnd(a, 4, "ss");
  else if (s === "ied" || s === "ies") replaceEnd(a, 3, a.length - 3 >= 2 ? "i" : "ie");
  else if (s === "s") {
    let found = false;
    for (let i = a.length - 3; i >= 0; i--) if (isV(a[i])) { found = true; break; }
    if (found) a.length -= 1;
  }
  if (!EN_EX2.has(a.join(""))) {
    // Step 1b
    s = among(a, ["eed", "eedly", "ed", "edly", "ing", "ingly"]);
    if (s === "eed" || s === "eedly") {
      const st = a.length - Array.from(s).length;
      if (R1(st)) replaceEnd(a, Array.from(s).length, "ee");
    } else if (s) {
      const st = a.length - Array.from(s).length;
      let found = false;
      for (let i = st - 1; i >= 0; i--) if (isV(a[i])) { found = true; break; }
      if (found) {
        a.length = st;
        const t = among(a, ["at", "bl", "iz", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"]);
        if (t === "at" || t === "bl" || t === "iz") a.push("e");
        else if (t) a.length -= 1;
        else if (a.length === p1 && enShortV(a, a.length)) a.push("e");
      }
    }
    // Step 1c
    if ((a[a.length - 1] === "y" || a[a.length - 1] === "Y") && a.length >= 2 && !isV(a[a.length - 2]) && a.length - 2 > 0) a[a.length - 1] = "i";
    // Step 2
    const S2 = { tional: "tion", enci: "ence", anci: "ance", abli: "able", entli: "ent", izer: "ize", ization: "ize", ational: "ate", ation: "ate", ator: "ate", alism: "al", aliti: "al", alli: "al", fulness: "ful", ousli: "ous", ousness: "ous", iveness: "ive", iviti: "ive", biliti: "ble", bli: "ble", ogi: null, fulli: "ful", lessli: "less", li: null };
    s = among(a, Object.keys(S2));
    if (s && R1(a.length - Array.from(s).length)) {
      const n = Array.from(s).length;
      if (s === "ogi") { if (a[a.length - 4] === "l") replaceEnd(a, 3, "og"); }
      else if (s === "li") { if ("cdeghkmnrt".includes(a[a.length - 3] ?? "#")) a.length -= 2; }
      else replaceEnd(a, n, S2[s]);
    }
    // Step 3
    const S3 = { tional: "tion", ational: "ate", alize: "al", icate: "ic", iciti: "ic", ical: "ic", ful: "", ness: "", ative: null };
    s = among(a, Object.keys(S3));
    if (s && R1(a.length - Array.from(s).length)) {
      const n = Array.from(s).length;
      if (s === "ative") { if (R2(a.length - n)) a.length -= n; }
      else replaceEnd(a, n, S3[s]);
    }
    // Step 4
    s = among(a, ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion"]);
    if (s && R2(a.length - Array.from(s).length)) {
      const n = Array.from(s).length;
      if (s === "ion") { const c = a[a.length - 4]; if (c === "s" || c === "t") a.length -= 3; }
      else a.length -= n;
    }
    // Step 5
    const last = a[a.length - 1];
    if (last === "e") {
      const st = a.length - 1;
      if (R2(st) || (R1(st) && !enShortV(a, st))) a.length -= 1;
    } else if (last === "l") {
      const st = a.length - 1;
      if (R2(st) && a[st - 1] === "l") a.length -= 1;
    }
  }
  if (yFound) for (let i = 0; i < a.length; i++) if (a[i] === "Y") a[i] = "y";
  return a.join("");
}

// ---------------------------------------------------------------- Snowball Russian

const RU_V = "аеиоуыэюя";
const RU_GERUND1 = ["в", "вши", "вшись"], RU_GERUND2 = ["ив", "ивши", "ившись", "ыв", "ывши", "ывшись"];
const RU_ADJ = ["ее", "ие", "ые", "ое", "ими", "ыми", "ей", "ий", "ый", "ой", "ем", "им", "ым", "ом", "его", "ого", "ему", "ому", "их", "ых", "ую", "юю", "ая", "яя", "ою", "ею"];
const RU_PART1 = ["ем", "нн", "вш", "ющ", "щ"], RU_PART2 = ["ивш", "ывш", "ующ"];
const RU_REFL = ["ся", "сь"];
const RU_VERB1 = ["ла", "на", "ете", "йте", "ли", "й", "л", "ем", "н", "ло", "но", "ет", "ют", "ны", "ть", "ешь", "нно"];
const RU_VERB2 = ["ила", "ыла", "ена", "ейте", "уйте", "ите", "или", "ыли", "ей", "уй", "ил", "ыл", "им", "ым", "ен", "ило", "ыло", "ено", "ят", "ует", "уют", "ит", "ыт", "ены", "ить", "ыть", "ишь", "ую", "ю"];
const RU_NOUN = ["а", "ев", "ов", "ие", "ье", "е", "иями", "ями", "ами", "еи", "ии", "и", "ией", "ей", "ой", "ий", "й", "иям", "ям", "ием", "ем", "ам", "ом", "о", "у", "ах", "иях", "ях", "ы", "ь", "ию", "ью", "ю", "ия", "ья", "я"];

export function stemRussian(word) {
  const a = Array.from(word);
  let pV = a.length, p2 = a.length;
  (() => {
    let i = 0;
    while (i < a.length && !RU_V.includes(a[i])) i++;
    if (i >= a.length) return;
    pV = ++i;
    while (i < a.length && RU_V.includes(a[i])) i++;
    if (i >= a.length) return;
    i++;
    while (i < a.length && !RU_V.includes(a[i])) i++;
    if (i >= a.length) return;
    i++;
    while (i < a.length && RU_V.includes(a[i])) i++;
    if (i >= a.length) return;
    p2 = i + 1;
  })();
  const lim = pV;
  // returns true if removed; `pre1` entries need а/я before them
  const strip = (list1, list2) => {
    const s = among(a, [...list1, ...list2], lim);
    if (s === null) return false;
    const n = Array.from(s).length;
    if (list1.includes(s) && !list2.includes(s)) {
      const c = a[a.length - n - 1];
      if (a.length - n - 1 < lim || (c !== "а" && c !== "я")) return false;
    }
    a.length -= n;
    return true;
  };
  if (!strip(RU_GERUND1, RU_GERUND2)) {
    strip([], RU_REFL);
    if (strip([], RU_ADJ)) strip(RU_PART1, RU_PART2);
    else if (!strip(RU_VERB1, RU_VERB2)) strip([], RU_NOUN);
  }
  if (a.length - 1 >= lim && a[a.length - 1] === "и") a.length -= 1;
  const d = among(a, ["ост", "ость"], lim);
  if (d !== null && p2 <= a.length - Array.from(d).length) a.length -= Array.from(d).length;
  const t = among(a, ["ейш", "ейше", "н", "ь"], lim);
  if (t === "ейш" || t === "ейше") {
    a.length -= Array.from(t).length;
    if (a.length - 2 >= lim && a[a.length - 1] === "н" && a[a.length - 2] === "н") a.length -= 1;
  } else if (t === "н") {
    if (a.length - 2 >= lim && a[a.length - 2] === "н") a.length -= 1;
  } else if (t === "ь") a.length -= 1;
  return a.join("");
}

// ---------------------------------------------------------------- Kazakh (tables from Rust)

const K = A.kazakh;
const kIsVowel = (c) => K.back.includes(c) || K.front.includes(c) || K.neutral.includes(c);
function kClass(c) {
  if ("рйуи".includes(c)) return "R";
  if (c === "л") return "L";
  if ("мнң".includes(c)) return "N";
  if ("жз".includes(c)) return "Z";
  return kIsVowel(c) ? "V" : "T";
}
function kHarmony(stem) {
  for (let i = stem.length - 1; i >= 0; i--) {
    const c = stem[i];
    if (K.back.includes(c)) return "b";
    if (K.front.includes(c)) return "f";
    if (K.neutral.includes(c)) return "a";
  }
  return "a";
}
function kFits(stem, [form, harmony, after], min) {
  if (stem.length < min || !stem.some(kIsVowel)) return false;
  const last = stem[stem.length - 1];
  const h = kHarmony(stem);
  if (!(harmony === "a" || h === "a" || harmony === h)) return false;
  if ((form === "сы" || form === "сі") && (last === "ы" || last === "і")) return false;
  const sounds = stem.filter((c) => c !== "ь" && c !== "ъ");
  const cls = sounds.length ? kClass(sounds[sounds.length - 1]) : null;
  for (const x of after) {
    if (x === "*") return true;
    if (x === "P" && (last === "ы" || last === "і")) return true;
    if (x === cls) return true;
  }
  return false;
}
function kStrip(w, list, min) {
  const cands = list
    .filter(([form]) => { const n = Array.from(form).length; return n < w.length && endsWith(w, Array.from(form)); })
    .map((s, i) => [s, i])
    .sort((x, y) => Array.from(y[0][0]).length - Array.from(x[0][0]).length || x[1] - y[1]);
  for (const [s] of cands) {
    const n = Array.from(s[0]).length;
    if (kFits(w.slice(0, w.length - n), s, min)) { w.length -= n; return true; }
  }
  return false;
}
export function stemKazakh(word) {
  const w = Array.from(word);
  if (w.length < 3 || !w.some((c) => c >= "\u0400" && c <= "\u04ff")) return word;
  if (!K.protected.includes(word)) kStrip(w, K.case, K.min);
  kStrip(w, K.possessive, K.min);
  kStrip(w, K.plural, K.min);
  if (kStrip(w, K.derivational, K.min_derived)) kStrip(w, K.derivational, K.min_derived);
  if (w.length >= 4 && (w[w.length - 1] === "ы" || w[w.length - 1] === "і")) w.pop();
  const last = w.length - 1;
  if (last >= 0) w[last] = ({ "б": "п", "г": "к", "ғ": "қ" })[w[last]] ?? w[last];
  return w.join("");
}

// ---------------------------------------------------------------- spelling systems

const FOLD = new Map([...Object.entries(A.fold_cyrillic), ...Object.entries(A.fold_latin).filter(([k]) => !(k in A.fold_cyrillic))]);
export function fold(word) {
  const c = Array.from(word);
  let out = "";
  outer: for (let i = 0; i < c.length;) {
    for (const [from, to] of A.fold_digraphs) {
      const f = Array.from(from);
      if (i + f.length <= c.length && f.every((x, j) => c[i + j] === x)) { out += to; i += f.length; continue outer; }
    }
    out += FOLD.has(c[i]) ? FOLD.get(c[i]) : c[i];
    i++;
  }
  return out;
}
function convert(word, table) {
  const c = Array.from(word);
  let out = "";
  for (let i = 0; i < c.length;) {
    let best = null;
    for (const [from, to] of table) {
      const f = Array.from(from);
      if (i + f.length <= c.length && f.every((x, j) => c[i + j] === x) && (best === null || f.length > best[0])) best = [f.length, to];
    }
    if (best) { out += best[1]; i += best[0]; } else { out += c[i]; i++; }
  }
  return out;
}
const LAT_V = "aeiouyäöüūıáéíóú";
function markGlides(word) {
  const c = Array.from(word);
  return c.map((x, i) => ((x === "i" || x === "y") && i > 0 && LAT_V.includes(c[i - 1]) && !(i + 1 < c.length && LAT_V.includes(c[i + 1])) ? "й" : x)).join("");
}
export const latinToKazakh = (w) => convert(markGlides(w), A.latin_to_kazakh);
export const latinToRussian = (w) => convert(markGlides(w), A.latin_to_russian);

// ---------------------------------------------------------------- keys

function keyAs(word, interp) {
  let stem;
  if (interp === "en") {
    if (A.stop.en.includes(word)) return null;
    stem = stemEnglish(word);
  } else if (interp === "ru" || interp === "ru-latin") {
    const cyr = interp === "ru-latin" ? latinToRussian(word) : word;
    if (A.stop.ru.includes(cyr)) return null;
    stem = stemRussian(cyr);
  } else if (interp === "kk" || interp === "kk-latin") {
    const cyr = interp === "kk-latin" ? latinToKazakh(word) : word;
    if (A.stop.kk.includes(cyr)) return null;
    stem = stemKazakh(cyr);
  } else stem = word;
  const key = fold(stem);
  return key === "" ? null : key;
}
const hasKk = (w) => Array.from(w).some((c) => K.letters.includes(c));
const hasKkLatin = (w) => Array.from(w).some((c) => A.latin_letters.includes(c));

const DOC_KEYS = new Map();
export function docKey(word, lang) {
  const id = lang + ":" + word;
  if (!DOC_KEYS.has(id)) DOC_KEYS.set(id, docKeyUncached(word, lang));
  return DOC_KEYS.get(id);
}
function docKeyUncached(word, lang) {
  const s = script(word);
  let interp;
  if (s === "cyrillic") interp = hasKk(word) || lang === "kk" ? "kk" : "ru";
  else if (s === "latin") interp = hasKkLatin(word) ? "kk-latin" : "en";
  else interp = "plain";
  return keyAs(word, interp);
}

export function queryKeys(word) {
  const s = script(word);
  let keys = [];
  if (s === "cyrillic" && hasKk(word)) keys = [keyAs(word, "kk")];
  else if (s === "cyrillic") {
    const ru = keyAs(word, "ru"), kk = keyAs(word, "kk");
    keys = ru !== null && kk !== null ? [ru, kk] : [];
  } else if (s === "latin" && hasKkLatin(word)) keys = [keyAs(word, "kk-latin")];
  else if (s === "latin") {
    const en = keyAs(word, "en");
    keys = en === null ? [] : [en, keyAs(word, "kk-latin"), keyAs(word, "ru-latin")];
  } else keys = [keyAs(word, "plain")];
  return uniqSorted(keys.filter((k) => k !== null));
}

/** Compare strings by code points (as Rust does), not UTF-16 units. */
export function cmp(x, y) {
  const a = Array.from(x), b = Array.from(y);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i].codePointAt(0) - b[i].codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}
function uniqSorted(list) {
  const s = [...new Set(list)];
  s.sort(cmp);
  return s;
}
function expandEquivalents(keys) {
  const out = [...keys];
  for (const g of A.equivalents) if (keys.some((k) => g.includes(k))) out.push(...g);
  return uniqSorted(out);
}

/** Analyse a document text: tokens with code-point offsets and keys. */
export function analyze(text, lang) {
  const out = [];
  for (const [start, end, w] of words(text)) {
    const key = docKey(w, lang);
    if (key !== null) out.push({ start, end, key });
  }
  return out;
}

/** How a word is analysed, as `bilim search --analyze` prints it. */
export function analyzeWord(w) {
  return { word: w, query: expandEquivalents(queryKeys(w)), en: docKey(w, "en"), ru: docKey(w, "ru"), kk: docKey(w, "kk") };
}
/** `analyzeWord` for every word of a text. */
export function analyzeText(text) {
  return words(text).map(([, , w]) => analyzeWord(w));
}

// ---------------------------------------------------------------- fetching

const cache = new Map();
function fetchOnce(path, kind) {
  if (!cache.has(path)) {
    const p = fetch(new URL(path, HERE)).then((r) => {
      if (!r.ok) throw new Error(`search index: ${path}: HTTP ${r.status}`);
      return kind === "bin" ? r.arrayBuffer().then((b) => new Uint8Array(b)) : r.json();
    });
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return cache.get(path);
}

function shardOf(key) {
  const s = INDEX.shards;
  let lo = 0, hi = s.length - 1, ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(s[mid], key) <= 0) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}
async function shard(n) {
  const list = await fetchOnce(`t/${n}.json`, "json");
  if (!list.byKey) list.byKey = new Map(list.map((e) => [e[0], e]));
  return list;
}
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
function unbase64(s) {
  const out = [];
  for (let i = 0; i < s.length; i += 4) {
    const chunk = s.slice(i, i + 4);
    let n = 0;
    for (let j = 0; j < 4; j++) n = n * 64 + (j < chunk.length ? B64.indexOf(chunk[j]) : 0);
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    out.push(...bytes.slice(0, chunk.length - 1));
  }
  return Uint8Array.from(out);
}
function decodePostings(bytes) {
  const out = [];
  let i = 0, doc = 0;
  const next = () => {
    let v = 0, mul = 1;
    for (;;) {
      const b = bytes[i++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  };
  while (i < bytes.length) {
    doc += next();
    out.push({ doc, impact: next(), chunk: next() });
  }
  return out;
}
async function entry(key) {
  if (INDEX.shards.length === 0) return null;
  const e = (await shard(shardOf(key))).byKey.get(key);
  if (!e) return null;
  if (!e.postings) {
    const bytes = typeof e[3] === "string" ? unbase64(e[3]) : await fetchOnce(`p/${e[3]}.bin`, "bin");
    e.postings = decodePostings(bytes);
  }
  return { df: e[1], idf: e[2], postings: e.postings };
}
async function keysWithPrefix(p) {
  const out = [];
  const s = INDEX.shards;
  for (let n = shardOf(p); n < s.length; n++) {
    if (n > shardOf(p) && !s[n].startsWith(p) && cmp(s[n], p) > 0) break;
    for (const e of await shard(n)) if (e[0].startsWith(p)) out.push([e[0], e[1]]);
  }
  return out;
}

// ---------------------------------------------------------------- ranking (as src/search/engine.rs)

export async function parse(query, prefix = false) {
  const ws = words(query);
  const cps = Array.from(query);
  const openEnd = cps.length > 0 && WORD_CHAR.test(cps[cps.length - 1]);
  const out = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i][2];
    let keys = expandEquivalents(queryKeys(w));
    if (prefix && openEnd && i + 1 === ws.length) {
      const p = fold(w);
      if (Array.from(p).length >= A.prefix_min) {
        const cands = (await keysWithPrefix(p)).filter(([k]) => !keys.includes(k));
        cands.sort((x, y) => y[1] - x[1] || cmp(x[0], y[0]));
        keys = uniqSorted([...keys, ...cands.slice(0, A.prefix_k).map(([k]) => k)]);
      }
    }
    if (keys.length) out.push({ text: w, keys });
  }
  return out;
}

function score(ws, entries, allowed) {
  const best = new Map();
  ws.forEach((w, wi) => {
    for (const key of w.keys) {
      const e = entries.get(key);
      if (!e) continue;
      for (const p of e.postings) {
        if (!allowed(p.doc)) continue;
        let slots = best.get(p.doc);
        if (!slots) { slots = ws.map(() => [0, 0]); best.set(p.doc, slots); }
        const contrib = e.idf * p.impact;
        if (contrib > slots[wi][0]) slots[wi] = [contrib, p.chunk];
      }
    }
  });
  const out = [];
  for (const [doc, slots] of best) {
    let sum = 0, matched = 0;
    const votes = new Map();
    for (const [c, chunk] of slots) {
      sum += c;
      if (c > 0) matched++;
      if (chunk > 0) votes.set(chunk - 1, (votes.get(chunk - 1) || 0) + c);
    }
    let chunk = 0, bv = -1;
    for (const ch of [...votes.keys()].sort((x, y) => x - y)) if (votes.get(ch) > bv) { bv = votes.get(ch); chunk = ch; }
    out.push({ doc, score: sum * matched, chunk });
  }
  return out;
}

function group(scores) {
  const groups = new Map();
  for (const s of scores) {
    const g = Math.floor(s.doc / 3);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(s);
  }
  const hits = [];
  for (const members of groups.values()) {
    members.sort((a, b) => b.score - a.score || a.doc - b.doc);
    hits.push({ best: members[0], others: members.slice(1).map((m) => m.doc).sort((a, b) => a - b) });
  }
  hits.sort((a, b) => b.best.score - a.best.score || a.best.doc - b.best.doc);
  return hits;
}

/** Excerpt of `text` around the densest cluster of `keys` (as engine::excerpt). */
export function excerpt(text, lang, keys) {
  const cps = Array.from(text);
  const tokens = analyze(text, lang);
  if (tokens.length === 0) {
    const s = cps.slice(0, 160).join("");
    return [s.replaceAll("\n", " ") + (cps.length > 160 ? " …" : ""), []];
  }
  const n = tokens.length, W = A.window;
  let bd = 0, bc = 0, bs = 0;
  for (let s = 0; s < n; s++) {
    const hits = tokens.slice(s, Math.min(s + W, n)).filter((t) => keys.has(t.key)).map((t) => t.key);
    const distinct = new Set(hits).size;
    if (distinct > bd || (distinct === bd && hits.length > bc)) { bd = distinct; bc = hits.length; bs = s; }
  }
  const e = Math.min(bs + W, n);
  const start = bs === 0 ? 0 : tokens[bs].start;
  const end = e === n ? cps.length : tokens[e - 1].end;
  const lead = start > 0 ? "… " : "", tail = end < cps.length ? " …" : "";
  const offset = Array.from(lead).length;
  const hl = tokens.slice(bs, e).filter((t) => keys.has(t.key)).map((t) => [offset + t.start - start, offset + t.end - start]);
  return [lead + cps.slice(start, end).join("").replaceAll("\n", " ") + tail, hl];
}

function kindOf(doc) {
  const g = Math.floor(doc / 3), [a, d] = INDEX.groups;
  return g < a ? "article" : g < a + d ? "dataset" : "table";
}

/** Facet values, labels and each group's values (fetched on first use). */
export function facets() {
  return fetchOnce("facets.json", "json");
}

/**
 * Search with everything the results page needs: `results` (as `search()`), `total` (groups
 * that match), `counts` ({lang, kind, year, topic, method, issue} → value → groups, over the
 * matches before filtering by that facet when `counts: true`), and the parsed `words`.
 */
export async function searchDetailed(query, { lang, filters = {}, limit = 10, prefix = false, counts = false } = {}) {
  const ws = await parse(String(query ?? ""), prefix);
  const entries = new Map();
  await Promise.all(ws.flatMap((w) => w.keys).map(async (k) => { const e = await entry(k); if (e) entries.set(k, e); }));
  const active = { ...filters };
  if (lang) active.lang = lang;
  const needFacets = counts || ["year", "topic", "method", "issue"].some((f) => active[f]);
  const F = needFacets ? await facets() : null;
  const has = (doc, f, v) => {
    if (f === "lang") return LANGS[doc % 3] === v;
    if (f === "kind") return kindOf(doc) === v;
    const fi = F.order.indexOf(f);
    const g = F.groups[Math.floor(doc / 3)];
    return fi >= 0 && g !== undefined && g[fi].some((i) => F.facets[f].values[i] === v);
  };
  const allowedExcept = (skip) => (doc) => Object.entries(active).every(([f, v]) => f === skip || v === undefined || v === null || v === "" || has(doc, f, String(v)));
  const hits = group(score(ws, entries, allowedExcept(null)));
  const keys = new Set(ws.flatMap((w) => w.keys));
  for (const w of ws) w.matched = w.keys.some((k) => entries.has(k));
  const results = await Promise.all(hits.slice(0, limit).map(async (h) => {
    const d = await fetchOnce(`d/${h.best.doc}-${h.best.chunk}.json`, "json");
    const lang = LANGS[h.best.doc % 3];
    const [text, highlights] = excerpt(d.x, lang, keys);
    const path = d.u.replace(/^(ru|kk)\//, "");
    const alternates = h.others.map((o) => ({ lang: LANGS[o % 3], url: new URL(PREFIX[o % 3] + path, SITE).pathname }));
    return { url: new URL(d.u, SITE).pathname, title: d.t, lang, kind: kindOf(h.best.doc), score: h.best.score / 10000, excerpt: text, highlights, alternates };
  }));
  let facetCounts = null;
  if (counts) {
    facetCounts = {};
    for (const f of ["lang", "kind", ...F.order]) {
      const c = new Map();
      for (const h of group(score(ws, entries, allowedExcept(f)))) {
        const docs = [h.best.doc, ...h.others];
        const vals = new Set();
        for (const d of docs) {
          if (f === "lang") vals.add(LANGS[d % 3]);
          else if (f === "kind") vals.add(kindOf(d));
          else { const g = F.groups[Math.floor(d / 3)]; for (const i of g ? g[F.order.indexOf(f)] : []) vals.add(F.facets[f].values[i]); }
        }
        for (const v of vals) c.set(v, (c.get(v) || 0) + 1);
      }
      facetCounts[f] = Object.fromEntries([...c].sort((x, y) => y[1] - x[1] || cmp(String(x[0]), String(y[0]))));
    }
  }
  return { results, total: hits.length, counts: facetCounts, words: ws, labels: F ? F.facets : null };
}

/** The SPEC API: ranked results `[{url, title, lang, kind, score, excerpt}]` (+ highlights, alternates). */
export async function search(query, options = {}) {
  return (await searchDetailed(query, options)).results;
}
