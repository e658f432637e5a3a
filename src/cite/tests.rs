use super::*;
use crate::markdown::CiteItem;

const BIB: &str = "@article{abdullayev2024,\n  author = {Abdullayev, A. M. and Kadirova, M. B.},\n  title = {Assessment of local governance},\n  journaltitle = {Public Administration},\n  year = {2024},\n  volume = {2},\n  pages = {10--20},\n  doi = {10.52123/1994-2370-2024-1184},\n}\n";

/// Works with Cyrillic and romanised Kazakh names, to check sorting and initials.
const NAMES: &str = r#"
@article{kaz,
  author = {Қасымов, Ерлан},
  title = {Қазақ атаулары},
  journaltitle = {Қоғам \& Дәуір},
  year = {2026},
  number = {1 (89)},
  pages = {1--10},
  langid = {kazakh},
}
@article{abay,
  author = {Абаев, Болат},
  title = {Атаулар},
  journaltitle = {Қоғам \& Дәуір},
  year = {2026},
  langid = {kazakh},
}
@article{schwa,
  author = {Әбілов, Жұлдыз},
  title = {Әліпби},
  journaltitle = {Қоғам \& Дәуір},
  year = {2026},
  langid = {kazakh},
}
@article{kushero,
  author = {Кушеров, Нұрғиса},
  title = {Лоббизм},
  journaltitle = {Қоғам \& Дәуір},
  year = {2026},
  langid = {kazakh},
}
@article{latin,
  author = {Burova, Elena},
  title = {Values},
  journaltitle = {Kazakhstan-Spektr},
  year = {2025},
  langid = {english},
}
@article{makul,
  author = {Makulbayeva, G.A. and Davletbayeva, Zh.Zh.},
  title = {Citizen-centric governance},
  year = {2026},
}
@article{zhul,
  author = {family=Davletbayeva, given=Zhuldyz, given-i=Zh and Макулбаева, Г.А.},
  title = {Maslikhats},
  journaltitle = {Kazakhstan-Spektr},
  year = {2025},
}
"#;

fn cite(key: &str, in_text: bool) -> Citation {
    Citation {
        items: vec![item(key, "", "", false)],
        in_text,
    }
}

fn item(key: &str, prefix: &str, locator: &str, suppress: bool) -> CiteItem {
    CiteItem {
        key: key.into(),
        prefix: prefix.into(),
        locator: locator.into(),
        suppress_author: suppress,
    }
}

fn bib(text: &str) -> Bibliography {
    Bibliography::parse(text, Path::new("r.bib")).unwrap()
}

#[test]
fn apa_citation_and_reference() {
    let b = bib(BIB);
    assert!(b.has("abdullayev2024"));
    let p = b.format_page(&[cite("abdullayev2024", false)], Style::Apa, Lang::En);
    assert!(
        p.citations[0].contains("Abdullayev") && p.citations[0].contains("2024"),
        "{:?}",
        p.citations
    );
    assert!(p.citations[0].contains("href=\"#ref-abdullayev2024\""));
    assert_eq!(p.references.len(), 1);
    assert!(
        p.references[0].1.contains("Assessment of local governance"),
        "{:?}",
        p.references
    );
}

#[test]
fn pandoc_forms_in_every_style() {
    let b = bib(&format!("{BIB}\n{NAMES}"));
    let cites = vec![
        cite("abdullayev2024", false),
        Citation {
            items: vec![item("abdullayev2024", "", "p. 12", false)],
            in_text: false,
        },
        Citation {
            items: vec![
                item("abdullayev2024", "", "", false),
                item("latin", "", "", false),
            ],
            in_text: false,
        },
        cite("abdullayev2024", true),
        Citation {
            items: vec![item("latin", "", "", true)],
            in_text: false,
        },
        Citation {
            items: vec![item("latin", "see", "ch. 2", false)],
            in_text: false,
        },
    ];
    let apa = b.format_page(&cites, Style::Apa, Lang::En);
    let text: Vec<String> = apa.citations.iter().map(|c| plain_text(c)).collect();
    assert_eq!(text[0], "(Abdullayev & Kadirova, 2024)", "{text:?}");
    assert_eq!(text[1], "(Abdullayev & Kadirova, 2024, p. 12)", "{text:?}");
    assert!(
        text[2].starts_with('(') && text[2].contains("2024; ") && text[2].contains("Burova, 2025"),
        "{text:?}"
    );
    assert_eq!(text[3], "Abdullayev and Kadirova (2024)", "{text:?}");
    assert_eq!(text[4], "(2025)", "{text:?}");
    assert!(
        text[5].starts_with("(see Burova, 2025") && text[5].contains('2'),
        "{text:?}"
    );

    let gost = b.format_page(&cites, Style::Gost, Lang::Ru);
    let text: Vec<String> = gost.citations.iter().map(|c| plain_text(c)).collect();
    assert_eq!(text[0], "[1]", "{text:?}");
    assert!(
        text[1].starts_with("[1, ") && text[1].contains("12"),
        "{text:?}"
    );
    assert_eq!(text[2], "[1, 2]", "{text:?}");
    assert!(
        text[3].contains("Abdullayev") && text[3].ends_with("[1]"),
        "{text:?}"
    );
    assert_eq!(
        text[4], "[2]",
        "year-only is the number in a numeric style: {text:?}"
    );
    assert!(text[5].starts_with("[see 2"), "{text:?}");
    assert_eq!(gost.references.len(), 2, "{:?}", gost.references);

    let chicago = b.format_page(&cites, Style::Chicago, Lang::En);
    let text: Vec<String> = chicago.citations.iter().map(|c| plain_text(c)).collect();
    assert_eq!(text[0], "(Abdullayev and Kadirova 2024)", "{text:?}");
    assert_eq!(text[1], "(Abdullayev and Kadirova 2024, 12)", "{text:?}");
    assert_eq!(text[3], "Abdullayev and Kadirova (2024)", "{text:?}");
    assert_eq!(text[4], "(2025)", "{text:?}");
}

#[test]
fn locators_keep_their_label() {
    assert_eq!(parse_locator("p. 12"), (Locator::Page, "12".into()));
    assert_eq!(parse_locator("pp. 3–5"), (Locator::Page, "3–5".into()));
    assert_eq!(parse_locator("12"), (Locator::Page, "12".into()));
    assert_eq!(parse_locator("с. 45"), (Locator::Page, "45".into()));
    assert_eq!(parse_locator("б. 7"), (Locator::Page, "7".into()));
    assert_eq!(parse_locator("ch. 3"), (Locator::Chapter, "3".into()));
    assert_eq!(parse_locator("table 2"), (Locator::Table, "2".into()));
    assert_eq!(parse_locator("pages 4-5"), (Locator::Page, "4-5".into()));
}

#[test]
fn bibliography_fields_are_escaped() {
    let bib_text = BIB.replace(
        "Assessment of local governance",
        "Trust <script>alert(1)</script>",
    );
    let b = bib(&bib_text);
    let p = b.format_page(&[cite("abdullayev2024", false)], Style::Apa, Lang::En);
    assert!(
        p.references[0].1.contains("Trust &lt;script&gt;"),
        "{:?}",
        p.references
    );
    assert!(
        !p.references[0].1.contains("style="),
        "no inline styles (CSP)"
    );
    assert!(
        p.references[0].1.contains("<i>"),
        "italics kept: {:?}",
        p.references
    );
}

#[test]
fn gost_is_numeric_with_russian_terms() {
    let b = bib(BIB);
    let p = b.format_page(&[cite("abdullayev2024", false)], Style::Gost, Lang::Ru);
    assert_eq!(plain_text(&p.citations[0]), "[1]");
    let r = plain_text(&p.references[0].1);
    assert!(r.contains("С. 10–20") || r.contains("С. 10-20"), "{r}");
}

#[test]
fn kazakh_pages_use_the_kazakh_locale() {
    let b = bib(&format!("{BIB}\n{NAMES}"));
    let text = |style, key: &str| b.reference_text(key, style, Lang::Kk).unwrap();
    // Kazakh terms: "және" for "and" in Chicago, "Б." for pages in GOST.
    let chicago = text(Style::Chicago, "abdullayev2024");
    assert!(chicago.contains("және"), "{chicago}");
    let gost = text(Style::Gost, "kaz");
    assert!(gost.contains("Б. 1–10") || gost.contains("б."), "{gost}");
    assert!(
        gost.contains("№ 1 (89)") || gost.contains("1 (89)"),
        "{gost}"
    );
}

#[test]
fn cyrillic_names_sort_by_the_alphabet_of_the_page() {
    let b = bib(NAMES);
    let kk = b.sorted_keys(Lang::Kk);
    let pos = |k: &str| kk.iter().position(|x| x == k).unwrap();
    // А < Ә < Қ (Kazakh alphabet), К < Қ; Cyrillic before Latin on Kazakh and Russian pages.
    assert!(pos("abay") < pos("schwa"), "{kk:?}");
    assert!(pos("schwa") < pos("kushero"), "{kk:?}");
    assert!(pos("kushero") < pos("kaz"), "{kk:?}");
    assert!(pos("kaz") < pos("latin"), "{kk:?}");
    let ru = b.sorted_keys(Lang::Ru);
    let pos = |k: &str| ru.iter().position(|x| x == k).unwrap();
    assert!(
        pos("kushero") < pos("latin"),
        "Cyrillic first on Russian pages: {ru:?}"
    );
    let en = b.sorted_keys(Lang::En);
    let pos = |k: &str| en.iter().position(|x| x == k).unwrap();
    assert!(
        pos("latin") < pos("abay"),
        "Latin first on English pages: {en:?}"
    );
}

#[test]
fn initials_are_abbreviated_correctly() {
    let b = bib(NAMES);
    // Joined initials are kept whole; digraph initials from given-i or as written.
    let apa = b.reference_text("makul", Style::Apa, Lang::En).unwrap();
    assert!(
        apa.starts_with("Makulbayeva, G. A., & Davletbayeva, Zh. Zh."),
        "{apa}"
    );
    let apa = b.reference_text("zhul", Style::Apa, Lang::En).unwrap();
    assert!(
        apa.starts_with("Davletbayeva, Zh., & Макулбаева, Г. А."),
        "{apa}"
    );
    let gost = b.reference_text("zhul", Style::Gost, Lang::Ru).unwrap();
    assert!(gost.contains("Zh.") && gost.contains("Г. А."), "{gost}");
    let chicago = b.reference_text("zhul", Style::Chicago, Lang::En).unwrap();
    assert!(
        chicago.starts_with("Davletbayeva, Zhuldyz"),
        "full names stay: {chicago}"
    );
    // Downloads use plain names, not biblatex's extended name format.
    let bibtex = b.bibtex("zhul").unwrap();
    assert!(bibtex.contains("Davletbayeva, Zhuldyz"), "{bibtex}");
    assert!(!bibtex.contains("given-i"), "{bibtex}");
}

#[test]
fn titleaddon_gives_the_english_title_in_brackets() {
    let b = bib(
        "@article{k,\n author = {Kacheev, Denis},\n title = {Некоторые аспекты},\n langid = {russian},\n titleaddon = {[Some Aspects]},\n journaltitle = {Kazakhstan-Spektr},\n year = {2025},\n}\n",
    );
    for style in Style::ALL {
        let r = b.reference_text("k", style, Lang::En).unwrap();
        assert!(
            r.contains("Некоторые аспекты [Some Aspects]"),
            "{style:?}: {r}"
        );
    }
    let csl = b.csl_item("k").unwrap();
    assert_eq!(csl["title"], "Некоторые аспекты");
    assert_eq!(csl["translated-title"], "Some Aspects");
}

#[test]
fn csl_items_format_in_every_style() {
    let b = bib(BIB);
    let item = serde_json::json!({
        "id": "tbl-x", "type": "dataset", "title": "Housing affordability by city",
        "author": [{"literal": "bilim maintainers"}], "publisher": "bilim",
        "issued": {"date-parts": [[2026, 11, 22]]}, "version": "abc123def456",
        "URL": "https://example.org/tables/tbl-x/",
    });
    for style in Style::ALL {
        let html = b
            .format_items(std::slice::from_ref(&item), style, Lang::En)
            .pop()
            .unwrap();
        let text = plain_text(&html);
        assert!(
            text.to_lowercase()
                .contains("housing affordability by city"),
            "{style:?}: {text}"
        );
        assert!(text.contains("bilim maintainers"), "{style:?}: {text}");
        if style != Style::Gost {
            // GOST describes data sets without their URL: the site formats them as web pages.
            assert!(
                text.contains("https://example.org/tables/tbl-x/"),
                "{style:?}: {text}"
            );
        }
    }
    let apa = plain_text(&b.format_items(&[item], Style::Apa, Lang::En)[0]);
    assert!(apa.contains("abc123def456"), "version shown: {apa}");
}

#[test]
fn errors_have_lines() {
    let dup = format!("{BIB}\n{BIB}");
    let e = Bibliography::parse(&dup, Path::new("r.bib")).unwrap_err();
    assert!(e.to_string().contains("r.bib:11:"), "{e}");
    let bad_doi = BIB.replace("10.52123/1994-2370-2024-1184", "doi.org/123");
    let e = Bibliography::parse(&bad_doi, Path::new("r.bib")).unwrap_err();
    assert!(e.to_string().contains("r.bib:8:"), "{e}");
    let broken = "@article{x,\n title = {unclosed\n";
    assert!(Bibliography::parse(broken, Path::new("r.bib")).is_err());
    let untitled = "@article{x,\n author = {A, B},\n year = {2020},\n}\n";
    let e = Bibliography::parse(untitled, Path::new("r.bib")).unwrap_err();
    assert!(
        e.to_string().contains("r.bib:1:") && e.to_string().contains("no title"),
        "{e}"
    );
}

#[test]
fn no_panic_on_odd_input() {
    for text in [
        "",
        "@",
        "@article{",
        "@article{x,}",
        "@article{x, title = {}}",
        "@article{x, title = {T}, year = {abc}}",
        "@article{x, title = {T}, author = { and }}",
        "@misc{x, title = {T}, date = {2020-13-45}}",
        "@article{x, title = {T}, pages = {--}}",
    ] {
        if let Ok(b) = Bibliography::parse(text, Path::new("r.bib")) {
            for key in b.keys().map(str::to_string).collect::<Vec<_>>() {
                for style in Style::ALL {
                    let _ = b.reference_html(&key, style, Lang::Kk);
                }
                let _ = b.bibtex(&key);
                let _ = b.csl_item(&key).map(|i| export::ris_of_csl(&i));
            }
        }
    }
}

#[test]
fn theme_locales_are_loaded_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let csl = dir.path().join("themes/t/csl");
    std::fs::create_dir_all(&csl).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/references.bib"), BIB).unwrap();
    // A theme's own Kazakh locale replaces the compiled-in one.
    let kk = KK_LOCALE.replace(
        "<term name=\"and\">және</term>",
        "<term name=\"and\">ЖӘНЕ</term>",
    );
    std::fs::write(csl.join("locales-kk-KZ.xml"), kk).unwrap();
    let b = Bibliography::load_with_theme(dir.path(), "t").unwrap();
    let r = b
        .reference_text("abdullayev2024", Style::Chicago, Lang::Kk)
        .unwrap();
    assert!(r.contains("ЖӘНЕ"), "{r}");
    // A broken locale is an error naming the file.
    std::fs::write(csl.join("locales-kk-KZ.xml"), "<locale").unwrap();
    let e = Bibliography::load_with_theme(dir.path(), "t").unwrap_err();
    assert!(
        e.to_string().contains("themes/t/csl/locales-kk-KZ.xml"),
        "{e}"
    );
    // Without a csl directory the compiled-in Kazakh locale is used.
    std::fs::remove_dir_all(&csl).unwrap();
    let b = Bibliography::load_with_theme(dir.path(), "t").unwrap();
    let r = b
        .reference_text("abdullayev2024", Style::Chicago, Lang::Kk)
        .unwrap();
    assert!(r.contains("және"), "{r}");
}
