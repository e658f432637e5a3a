//! Citation exports: CSL-JSON, BibTeX (biblatex dialect) and RIS.
//!
//! CSL-JSON is the canonical form: works from the bibliography are converted to it from their
//! BibLaTeX entry, and what the knowledge base publishes (summaries, datasets, computed tables,
//! the knowledge base itself) is described in it directly. BibTeX and RIS are written from it,
//! except that a bibliography entry's `.bib` download is the entry itself (plain names).
//!
//! Escaping: BibTeX values are brace-delimited with TeX specials escaped and braces balanced;
//! RIS values are single lines (line breaks become spaces); JSON is serde_json's.

use serde_json::{json, Map, Value};

use biblatex::{ChunksExt, EntryType};

/// CSL type of a BibLaTeX entry type.
fn csl_type(t: &EntryType) -> &'static str {
    match t {
        EntryType::Article => "article-journal",
        EntryType::Book | EntryType::MvBook | EntryType::BookInBook => "book",
        EntryType::InBook | EntryType::InCollection | EntryType::SuppBook => "chapter",
        EntryType::InProceedings => "paper-conference",
        EntryType::Proceedings | EntryType::MvProceedings => "book",
        EntryType::Collection | EntryType::MvCollection => "book",
        EntryType::Report | EntryType::TechReport => "report",
        EntryType::Thesis | EntryType::PhdThesis | EntryType::MastersThesis => "thesis",
        EntryType::Online => "webpage",
        EntryType::Dataset => "dataset",
        EntryType::Software => "software",
        EntryType::Unpublished => "manuscript",
        EntryType::Patent => "patent",
        EntryType::Periodical => "periodical",
        EntryType::Manual => "report",
        EntryType::Reference | EntryType::MvReference => "book",
        EntryType::InReference => "entry-encyclopedia",
        _ => "document",
    }
}

/// BCP 47 code for a `langid`/`language` value (babel names or codes).
pub fn language_code(lang: &str) -> String {
    let l = lang.trim().to_lowercase();
    match l.as_str() {
        "english" | "american" | "british" | "en" => "en",
        "russian" | "ru" => "ru",
        "kazakh" | "kk" => "kk",
        "ukrainian" | "uk" => "uk",
        "german" | "ngerman" | "de" => "de",
        "french" | "fr" => "fr",
        "turkish" | "tr" => "tr",
        "kyrgyz" | "ky" => "ky",
        "uzbek" | "uz" => "uz",
        "chinese" | "zh" => "zh",
        _ => return l,
    }
    .to_string()
}

fn field_text(e: &biblatex::Entry, name: &str) -> Option<String> {
    let chunks = e.fields.get(name)?;
    let s = chunks.format_verbatim();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

fn names_json(e: &biblatex::Entry, field: &str) -> Option<Value> {
    let chunks = e.fields.get(field)?;
    let people = <Vec<biblatex::Person> as biblatex::Type>::from_chunks(chunks).ok()?;
    let list: Vec<Value> = people
        .iter()
        .map(|p| {
            let family = if p.prefix.is_empty() {
                p.name.clone()
            } else {
                format!("{} {}", p.prefix, p.name)
            };
            if p.given_name.is_empty() {
                json!({"literal": family})
            } else {
                let mut m = json!({"family": family, "given": p.given_name});
                if !p.suffix.is_empty() {
                    m["suffix"] = json!(p.suffix);
                }
                m
            }
        })
        .collect();
    (!list.is_empty()).then_some(Value::Array(list))
}

/// Year, month and day of an entry's `date` or `year`/`month` fields.
pub fn entry_date(e: &biblatex::Entry) -> Vec<i64> {
    let raw = field_text(e, "date").or_else(|| field_text(e, "year"));
    let mut parts: Vec<i64> = raw
        .as_deref()
        .map(|d| {
            d.split(['-', '/'])
                .take(3)
                .map_while(|p| p.trim().parse::<i64>().ok())
                .collect()
        })
        .unwrap_or_default();
    if parts.len() == 1 {
        if let Some(m) = field_text(e, "month").and_then(|m| m.parse::<i64>().ok()) {
            parts.push(m);
        }
    }
    parts
}

/// The CSL-JSON item of a bibliography entry.
pub fn csl_of_entry(e: &biblatex::Entry) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(e.key));
    let ty = csl_type(&e.entry_type);
    m.insert("type".into(), json!(ty));
    for (bib, csl) in [
        ("author", "author"),
        ("editor", "editor"),
        ("translator", "translator"),
    ] {
        if let Some(v) = names_json(e, bib) {
            m.insert(csl.into(), v);
        }
    }
    if let Some(t) = field_text(e, "title") {
        m.insert("title".into(), json!(t));
    }
    if let Some(t) = field_text(e, "titleaddon") {
        let t = t
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim();
        m.insert("translated-title".into(), json!(t));
    }
    let container = match e.entry_type {
        EntryType::Article | EntryType::Periodical => {
            field_text(e, "journaltitle").or_else(|| field_text(e, "journal"))
        }
        _ => field_text(e, "booktitle").or_else(|| field_text(e, "maintitle")),
    };
    if let Some(c) = container {
        m.insert("container-title".into(), json!(c));
    }
    for (bib, csl) in [
        ("volume", "volume"),
        ("edition", "edition"),
        ("doi", "DOI"),
        ("url", "URL"),
        ("issn", "ISSN"),
        ("isbn", "ISBN"),
        ("publisher", "publisher"),
        ("location", "publisher-place"),
        ("address", "publisher-place"),
        ("note", "note"),
        ("keywords", "keyword"),
        ("version", "version"),
    ] {
        if let Some(v) = field_text(e, bib) {
            m.entry(csl.to_string()).or_insert(json!(v));
        }
    }
    let number = field_text(e, "number").or_else(|| field_text(e, "issue"));
    if let Some(n) = number {
        let key = if matches!(e.entry_type, EntryType::Article | EntryType::Periodical) {
            "issue"
        } else {
            "number"
        };
        m.insert(key.into(), json!(n));
    }
    if let Some(p) = field_text(e, "pages") {
        m.insert("page".into(), json!(p.replace("--", "-").replace('–', "-")));
    }
    if let Some(l) = field_text(e, "langid").or_else(|| field_text(e, "language")) {
        m.insert("language".into(), json!(language_code(&l)));
    }
    let date = entry_date(e);
    if !date.is_empty() {
        m.insert("issued".into(), json!({"date-parts": [date]}));
    }
    Value::Object(m)
}

/// A bibliography entry as a `.bib` download: the entry with plain `Family, Given` names.
pub fn bibtex_of_entry(e: &biblatex::Entry) -> String {
    let mut e = e.clone();
    for field in ["author", "editor", "translator"] {
        let Some(chunks) = e.fields.get(field) else {
            continue;
        };
        let Ok(mut people) = <Vec<biblatex::Person> as biblatex::Type>::from_chunks(chunks) else {
            continue;
        };
        for p in &mut people {
            p.given_initials = None;
            p.prefix_initials = None;
            p.id = None;
            p.use_prefix = None;
        }
        e.fields.insert(
            field.into(),
            super::names::zero_spans(biblatex::Type::to_chunks(&people)),
        );
    }
    let mut s = e.to_biblatex_string();
    s.push('\n');
    s
}

/// A string as a brace-delimited BibTeX value: TeX specials escaped, so braces always balance.
pub fn bib_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('{');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\r' | '\n' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.push('}');
    out
}

/// A URL as a BibTeX value: verbatim, only braces, backslashes and `%` (TeX's comment
/// character) escaped.
fn bib_url(s: &str) -> String {
    let mut out = String::from("{");
    for c in s.chars() {
        match c {
            '{' | '}' | '\\' | '%' => out.push_str(&format!("%{:02X}", c as u32)),
            '\r' | '\n' | ' ' => out.push_str("%20"),
            _ => out.push(c),
        }
    }
    out.push('}');
    out
}

/// A BibTeX key: ASCII letters, digits and `-_:.`; anything else becomes `-`.
pub fn bib_key(s: &str) -> String {
    let k: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if k.is_empty() {
        "item".into()
    } else {
        k
    }
}

fn str_field(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Names of a CSL name list: (family, given) or a literal (given empty).
fn csl_names(item: &Value, key: &str) -> Vec<(String, String)> {
    item.get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|n| {
                    if let Some(l) = n.get("literal").and_then(Value::as_str) {
                        Some((l.to_string(), String::new()))
                    } else {
                        let f = n.get("family").and_then(Value::as_str)?;
                        let g = n.get("given").and_then(Value::as_str).unwrap_or("");
                        Some((f.to_string(), g.to_string()))
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn csl_date(item: &Value, key: &str) -> Vec<i64> {
    item.get(key)
        .and_then(|d| d.get("date-parts"))
        .and_then(|p| p.get(0))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn iso_date(parts: &[i64]) -> String {
    match parts {
        [y] => format!("{y:04}"),
        [y, m] => format!("{y:04}-{m:02}"),
        [y, m, d, ..] => format!("{y:04}-{m:02}-{d:02}"),
        [] => String::new(),
    }
}

/// A CSL-JSON item as a biblatex entry.
pub fn bibtex_of_csl(item: &Value) -> String {
    let ty = str_field(item, "type").unwrap_or_default();
    let bib_type = match ty.as_str() {
        "article-journal" | "article" | "article-magazine" | "article-newspaper" => "article",
        "dataset" => "dataset",
        "webpage" | "post" | "post-weblog" => "online",
        "book" => "book",
        "chapter" => "incollection",
        "paper-conference" => "inproceedings",
        "report" => "report",
        "thesis" => "thesis",
        "manuscript" => "unpublished",
        "software" => "software",
        _ => "misc",
    };
    let key = bib_key(&str_field(item, "id").unwrap_or_default());
    let mut fields: Vec<(&str, String)> = Vec::new();
    let names = |k: &str| -> Option<String> {
        let n = csl_names(item, k);
        (!n.is_empty()).then(|| {
            let parts: Vec<String> = n
                .iter()
                .map(|(f, g)| {
                    let v = bib_value(f);
                    if g.is_empty() {
                        // A literal name: its own braces keep it one name.
                        v
                    } else {
                        let g = bib_value(g);
                        format!("{}, {}", &v[1..v.len() - 1], &g[1..g.len() - 1])
                    }
                })
                .collect();
            format!("{{{}}}", parts.join(" and "))
        })
    };
    if let Some(a) = names("author") {
        fields.push(("author", a));
    }
    if let Some(a) = names("editor") {
        fields.push(("editor", a));
    }
    let text = |k: &str| str_field(item, k).map(|v| bib_value(&v));
    if let Some(t) = text("title") {
        fields.push(("title", t));
    }
    if let Some(t) = str_field(item, "translated-title") {
        fields.push(("titleaddon", bib_value(&format!("[{t}]"))));
    }
    if let Some(c) = text("container-title") {
        let name = match bib_type {
            "article" => "journaltitle",
            "online" => "organization",
            "incollection" | "inproceedings" => "booktitle",
            _ => "howpublished",
        };
        fields.push((name, c));
    }
    for (csl, bib) in [
        ("volume", "volume"),
        ("issue", "number"),
        ("number", "number"),
        ("edition", "edition"),
        ("publisher", "publisher"),
        ("publisher-place", "location"),
        ("version", "version"),
        ("genre", "type"),
        ("ISSN", "issn"),
        ("ISBN", "isbn"),
        ("note", "note"),
        ("keyword", "keywords"),
    ] {
        if fields.iter().any(|(k, _)| *k == bib) {
            continue;
        }
        if let Some(v) = text(csl) {
            fields.push((bib, v));
        }
    }
    if let Some(p) = str_field(item, "page") {
        fields.push(("pages", bib_value(&p.replace('-', "--"))));
    }
    if let Some(l) = str_field(item, "language") {
        fields.push(("langid", bib_value(&babel_name(&l))));
    }
    let issued = csl_date(item, "issued");
    if !issued.is_empty() {
        fields.push(("date", bib_value(&iso_date(&issued))));
    }
    if let Some(d) = str_field(item, "DOI") {
        fields.push(("doi", bib_url(&d)));
    }
    if let Some(u) = str_field(item, "URL") {
        fields.push(("url", bib_url(&u)));
    }
    let accessed = csl_date(item, "accessed");
    if !accessed.is_empty() {
        fields.push(("urldate", bib_value(&iso_date(&accessed))));
    }
    let mut s = format!("@{bib_type}{{{key},\n");
    for (k, v) in fields {
        s.push_str(&format!("  {k} = {v},\n"));
    }
    s.push_str("}\n");
    s
}

fn babel_name(code: &str) -> String {
    match code {
        "en" => "english",
        "ru" => "russian",
        "kk" => "kazakh",
        "uk" => "ukrainian",
        "de" => "ngerman",
        "fr" => "french",
        "tr" => "turkish",
        other => other,
    }
    .to_string()
}

/// A value for one RIS line: a single line, trimmed.
pub fn ris_value(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A CSL-JSON item as an RIS record (CRLF line ends, as the format specifies).
pub fn ris_of_csl(item: &Value) -> String {
    let ty = str_field(item, "type").unwrap_or_default();
    let ris_type = match ty.as_str() {
        "article-journal" => "JOUR",
        "article-magazine" => "MGZN",
        "article-newspaper" => "NEWS",
        "dataset" => "DATA",
        "webpage" | "post" | "post-weblog" => "ELEC",
        "book" => "BOOK",
        "chapter" => "CHAP",
        "paper-conference" => "CPAPER",
        "report" => "RPRT",
        "thesis" => "THES",
        "manuscript" => "UNPB",
        "software" => "COMP",
        _ => "GEN",
    };
    let mut lines: Vec<(String, String)> = vec![("TY".into(), ris_type.into())];
    let mut push = |tag: &str, v: String| {
        let v = ris_value(&v);
        if !v.is_empty() {
            lines.push((tag.to_string(), v));
        }
    };
    for (f, g) in csl_names(item, "author") {
        push("AU", if g.is_empty() { f } else { format!("{f}, {g}") });
    }
    for (f, g) in csl_names(item, "editor") {
        push("A2", if g.is_empty() { f } else { format!("{f}, {g}") });
    }
    if let Some(t) = str_field(item, "title") {
        push("TI", t);
    }
    if let Some(t) = str_field(item, "translated-title") {
        push("TT", t);
    }
    if let Some(c) = str_field(item, "container-title") {
        push("T2", c);
    }
    let issued = csl_date(item, "issued");
    if let Some(y) = issued.first() {
        push("PY", y.to_string());
        let d = |i: usize| issued.get(i).map_or(String::new(), |x| format!("{x:02}"));
        push("DA", format!("{y:04}/{}/{}/", d(1), d(2)));
    }
    for (csl, tag) in [
        ("volume", "VL"),
        ("issue", "IS"),
        ("number", "IS"),
        ("edition", "ET"),
        ("version", "ET"),
        ("publisher", "PB"),
        ("publisher-place", "CY"),
        ("DOI", "DO"),
        ("URL", "UR"),
        ("ISSN", "SN"),
        ("ISBN", "SN"),
        ("language", "LA"),
        ("genre", "M3"),
        ("note", "N1"),
    ] {
        if let Some(v) = str_field(item, csl) {
            push(tag, v);
        }
    }
    if let Some(p) = str_field(item, "page") {
        let (sp, ep) = p
            .split_once(['-', '–'])
            .map_or((p.clone(), String::new()), |(a, b)| {
                (a.trim().to_string(), b.trim().to_string())
            });
        push("SP", sp);
        push("EP", ep);
    }
    if let Some(k) = str_field(item, "keyword") {
        for kw in k.split([',', ';']) {
            push("KW", kw.trim().to_string());
        }
    }
    let accessed = csl_date(item, "accessed");
    if !accessed.is_empty() {
        push("Y2", iso_date(&accessed).replace('-', "/"));
    }
    let mut s = String::new();
    for (tag, v) in lines {
        s.push_str(&format!("{tag}  - {v}\r\n"));
    }
    s.push_str("ER  - \r\n");
    s
}

/// CSL-JSON file content: an array of items, pretty-printed, with a final newline.
pub fn csl_json(items: &[Value]) -> String {
    let mut s = serde_json::to_string_pretty(&Value::Array(items.to_vec())).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bibtex_values_are_escaped_and_balanced() {
        assert_eq!(bib_value("a {b} 50% & c_d"), "{a \\{b\\} 50\\% \\& c\\_d}");
        assert_eq!(bib_value("x\\y"), "{x\\textbackslash{}y}");
        let item = json!({"id": "tbl x", "type": "dataset", "title": "Trust } {", "author": [{"literal": "bilim maintainers"}], "issued": {"date-parts": [[2026, 11, 22]]}, "URL": "https://e.org/a b%"});
        let b = bibtex_of_csl(&item);
        assert!(b.starts_with("@dataset{tbl-x,\n"), "{b}");
        assert!(b.contains("author = {{bilim maintainers}}"), "{b}");
        assert!(b.contains("date = {2026-11-22}"), "{b}");
        assert!(b.contains("url = {https://e.org/a%20b%25}"), "{b}");
        let parsed = biblatex::Bibliography::parse(&b).expect("valid biblatex");
        let e = parsed.get("tbl-x").unwrap();
        assert_eq!(e.title().unwrap().format_verbatim(), "Trust } {");
    }

    #[test]
    fn ris_is_one_line_per_value() {
        let item = json!({"id": "x", "type": "article-journal", "title": "A\nB", "author": [{"family": "Бурова", "given": "Е."}], "page": "7-23", "issued": {"date-parts": [[2025]]}});
        let r = ris_of_csl(&item);
        assert!(r.starts_with("TY  - JOUR\r\n"));
        assert!(r.contains("TI  - A B\r\n"));
        assert!(r.contains("AU  - Бурова, Е.\r\n"));
        assert!(r.contains("SP  - 7\r\nEP  - 23\r\n"));
        assert!(r.ends_with("ER  - \r\n"));
    }
}
