//! Text analysis shared by indexing, the terminal and (as data) the browser client.
//!
//! 1. **Words**: maximal runs of letters and digits (Unicode `Alphabetic` or `Numeric`, plus the
//!    combining acute, grave, breve, dot and diaeresis so that decomposed `й`, `ё` and stress
//!    marks stay inside a word). Hyphens and apostrophes separate words (`өзін-өзі` is two).
//! 2. **Normalisation** of each word: Unicode NFKC, lower case, stress marks and the combining
//!    dot removed, `ё→е`; other letters (the Kazakh `ә ғ қ ң ө ұ ү һ і` included) are kept.
//!    Words of one character or more than 40 are skipped.
//! 3. **Stop words** of the word's language are skipped.
//! 4. **Stemming** by the word's language: Snowball English, Snowball Russian, or the Kazakh
//!    stemmer of [`super::kazakh`]. In a document the language is chosen by script: Latin words
//!    are English (or Kazakh if they use letters of the Kazakh Latin alphabet such as `ä ñ ş`),
//!    Cyrillic words are Kazakh if they use Kazakh letters or stand in a Kazakh document, else
//!    Russian. A query word's language is unknown, so it is analysed every way its script allows.
//! 5. **Folding** of the stem into the script-neutral key ([`super::translit::fold`]).

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::kazakh;
use super::translit::{fold, latin_to_kazakh, latin_to_russian};
use crate::i18n::Lang;

/// English stop words.
pub const STOP_EN: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
    "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him",
    "his", "how", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most",
    "my", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
    "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the",
    "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your",
];

/// Russian stop words.
pub const STOP_RU: &[&str] = &[
    "а",
    "без",
    "более",
    "бы",
    "был",
    "была",
    "были",
    "было",
    "быть",
    "в",
    "вам",
    "вас",
    "во",
    "вот",
    "все",
    "всего",
    "всех",
    "вы",
    "где",
    "да",
    "даже",
    "для",
    "до",
    "его",
    "ее",
    "если",
    "есть",
    "еще",
    "же",
    "за",
    "здесь",
    "и",
    "из",
    "или",
    "им",
    "их",
    "к",
    "как",
    "когда",
    "кто",
    "ли",
    "либо",
    "между",
    "меня",
    "мы",
    "на",
    "над",
    "не",
    "него",
    "нее",
    "нет",
    "ни",
    "них",
    "но",
    "ну",
    "о",
    "об",
    "однако",
    "он",
    "она",
    "они",
    "оно",
    "от",
    "по",
    "под",
    "при",
    "про",
    "с",
    "со",
    "так",
    "также",
    "такой",
    "там",
    "то",
    "того",
    "тоже",
    "том",
    "только",
    "у",
    "уже",
    "хотя",
    "чем",
    "что",
    "чтобы",
    "эта",
    "эти",
    "это",
    "этого",
    "этой",
    "этом",
    "этот",
    "я",
];

/// Kazakh stop words.
pub const STOP_KK: &[&str] = &[
    "ал",
    "алайда",
    "арқылы",
    "әр",
    "әрі",
    "бар",
    "бен",
    "біз",
    "бір",
    "бірақ",
    "бойынша",
    "бұл",
    "бұған",
    "бұның",
    "да",
    "де",
    "дейін",
    "деген",
    "еді",
    "екен",
    "емес",
    "ең",
    "және",
    "жоқ",
    "кейін",
    "мен",
    "менен",
    "мұндай",
    "не",
    "немесе",
    "оған",
    "одан",
    "ол",
    "олар",
    "оның",
    "оны",
    "онда",
    "осы",
    "пен",
    "сол",
    "сондай",
    "сияқты",
    "та",
    "те",
    "туралы",
    "үшін",
    "ғана",
    "қана",
    "ия",
    "яғни",
];

/// Groups of words that name the same thing in the knowledge base's three languages (an
/// institution's Kazakh and Russian names, or spellings that folding cannot join). A query
/// term in a group also searches the other members. Each member is analysed like a query word.
pub const EQUIVALENTS: &[&[&str]] = &[
    &["akimat", "акимат", "әкімдік", "äkimdik"],
    &["kurultai", "qurultai", "курултай", "құрылтай", "qūryltai"],
    &["maslikhat", "маслихат", "мәслихат", "mäslihat"],
    &["mazhilis", "мажилис", "мәжіліс", "mäjilis"],
    &["kazakhstan", "казахстан", "қазақстан", "qazaqstan"],
    &["oblast", "область", "облыс", "oblys"],
];

/// Interpretation of a word: which stemmer and stop list apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interp {
    /// Latin script, English.
    En,
    /// Cyrillic, Russian.
    Ru,
    /// Cyrillic, Kazakh.
    Kk,
    /// Latin script read as Kazakh.
    KkLatin,
    /// Latin script read as Russian.
    RuLatin,
    /// Digits or another script: no stemming.
    Plain,
}

/// Script of a normalised word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Mostly Latin letters.
    Latin,
    /// Mostly Cyrillic letters.
    Cyrillic,
    /// Digits only, or another script.
    Other,
}

/// Letters of the Kazakh Latin alphabet that English does not use.
pub const KAZAKH_LATIN_LETTERS: &str = "äğñöūüşçı";

/// Whether `c` belongs to a word (see the module documentation).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '\u{300}' | '\u{301}' | '\u{306}' | '\u{307}' | '\u{308}')
}

/// Normalise one raw word: NFKC, lower case, marks removed, `ё→е`, non-word characters dropped.
pub fn normalize(raw: &str) -> String {
    let lower: String = raw.nfkc().collect::<String>().to_lowercase();
    lower
        .chars()
        .filter(|&c| !matches!(c, '\u{300}' | '\u{301}' | '\u{307}'))
        .map(|c| if c == 'ё' { 'е' } else { c })
        .filter(|&c| c.is_alphanumeric() || c == '\u{306}' || c == '\u{308}')
        .collect::<String>()
        .nfc()
        .collect()
}

/// The words of `text`: (byte start, byte end, normalised word), skipping words of one
/// character or longer than 40.
pub fn words(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let push = |out: &mut Vec<(usize, usize, String)>, s: usize, e: usize| {
        let w = normalize(&text[s..e]);
        let n = w.chars().count();
        if (2..=40).contains(&n) {
            out.push((s, e, w));
        }
    };
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            push(&mut out, s, i);
        }
    }
    if let Some(s) = start {
        push(&mut out, s, text.len());
    }
    out
}

/// Script of a normalised word.
pub fn script(word: &str) -> Script {
    let (mut cyr, mut lat) = (0usize, 0usize);
    for c in word.chars() {
        if ('\u{400}'..='\u{4ff}').contains(&c) {
            cyr += 1;
        } else if c.is_ascii_alphabetic()
            || (('\u{c0}'..='\u{24f}').contains(&c) && c != '×' && c != '÷')
        {
            lat += 1;
        }
    }
    if cyr == 0 && lat == 0 {
        Script::Other
    } else if cyr >= lat {
        Script::Cyrillic
    } else {
        Script::Latin
    }
}

fn english() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn russian() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::Russian))
}

/// The key of `word` under one interpretation, or `None` if it is a stop word there.
pub fn key_as(word: &str, interp: Interp) -> Option<String> {
    let stem = match interp {
        Interp::En => {
            if STOP_EN.contains(&word) {
                return None;
            }
            english().stem(word).into_owned()
        }
        Interp::Ru | Interp::RuLatin => {
            let cyr = if interp == Interp::RuLatin {
                latin_to_russian(word)
            } else {
                word.to_string()
            };
            if STOP_RU.contains(&cyr.as_str()) {
                return None;
            }
            russian().stem(&cyr).into_owned()
        }
        Interp::Kk | Interp::KkLatin => {
            let cyr = if interp == Interp::KkLatin {
                latin_to_kazakh(word)
            } else {
                word.to_string()
            };
            if STOP_KK.contains(&cyr.as_str()) {
                return None;
            }
            kazakh::stem(&cyr)
        }
        Interp::Plain => word.to_string(),
    };
    let key = fold(&stem);
    (!key.is_empty()).then_some(key)
}

fn has_kazakh_letters(word: &str) -> bool {
    word.chars().any(|c| kazakh::KAZAKH_LETTERS.contains(c))
}

fn has_kazakh_latin_letters(word: &str) -> bool {
    word.chars().any(|c| KAZAKH_LATIN_LETTERS.contains(c))
}

/// How a word of a document in `lang` is read.
pub fn doc_interp(word: &str, lang: Lang) -> Interp {
    match script(word) {
        Script::Cyrillic if has_kazakh_letters(word) || lang == Lang::Kk => Interp::Kk,
        Script::Cyrillic => Interp::Ru,
        Script::Latin if has_kazakh_latin_letters(word) => Interp::KkLatin,
        Script::Latin => Interp::En,
        Script::Other => Interp::Plain,
    }
}

/// The key of a document word, or `None` for a stop word.
pub fn doc_key(word: &str, lang: Lang) -> Option<String> {
    key_as(word, doc_interp(word, lang))
}

/// The keys a query word may stand for (sorted, without duplicates); empty for a stop word.
/// Equivalents are not included (see [`expand_equivalents`]).
pub fn query_keys(word: &str) -> Vec<String> {
    let mut keys: Vec<String> = match script(word) {
        Script::Cyrillic if has_kazakh_letters(word) => {
            key_as(word, Interp::Kk).into_iter().collect()
        }
        Script::Cyrillic => match (key_as(word, Interp::Ru), key_as(word, Interp::Kk)) {
            (Some(a), Some(b)) => vec![a, b],
            _ => Vec::new(),
        },
        Script::Latin if has_kazakh_latin_letters(word) => {
            key_as(word, Interp::KkLatin).into_iter().collect()
        }
        Script::Latin => match key_as(word, Interp::En) {
            None => Vec::new(),
            Some(en) => {
                let mut v = vec![en];
                v.extend(key_as(word, Interp::KkLatin));
                v.extend(key_as(word, Interp::RuLatin));
                v
            }
        },
        Script::Other => key_as(word, Interp::Plain).into_iter().collect(),
    };
    keys.sort();
    keys.dedup();
    keys
}

/// The equivalence groups as sorted key lists (computed once from [`EQUIVALENTS`]).
pub fn equivalent_groups() -> &'static Vec<Vec<String>> {
    static G: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    G.get_or_init(|| {
        EQUIVALENTS
            .iter()
            .map(|group| {
                let mut keys: Vec<String> = group
                    .iter()
                    .flat_map(|w| query_keys(&normalize(w)))
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            })
            .collect()
    })
}

/// `keys` plus the members of every equivalence group one of them belongs to (sorted, unique).
pub fn expand_equivalents(keys: &[String]) -> Vec<String> {
    let mut out: Vec<String> = keys.to_vec();
    for g in equivalent_groups() {
        if keys.iter().any(|k| g.contains(k)) {
            out.extend(g.iter().cloned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The prefix key of a partly typed word (for matching as you type).
pub fn prefix_key(word: &str) -> String {
    fold(word)
}

/// One analysed word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the word in the text.
    pub start: usize,
    /// Byte offset after the word.
    pub end: usize,
    /// The match key.
    pub key: String,
}

/// Analyse a document text in `lang`.
pub fn analyze(text: &str, lang: Lang) -> Vec<Token> {
    words(text)
        .into_iter()
        .filter_map(|(start, end, w)| doc_key(&w, lang).map(|key| Token { start, end, key }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize("ЁЛКА"), "елка");
        assert_eq!(normalize("Дове\u{301}рие"), "доверие");
        assert_eq!(normalize("ҚАЗАҚСТАН"), "қазақстан");
        assert_eq!(normalize("ﬁnance"), "finance");
        assert_eq!(normalize("İstanbul"), "istanbul");
    }

    #[test]
    fn words_split_on_hyphens_and_skip_single_letters() {
        let w: Vec<String> = words("өзін-өзі басқару, а 2025 ж.")
            .into_iter()
            .map(|x| x.2)
            .collect();
        assert_eq!(w, ["өзін", "өзі", "басқару", "2025"]);
    }

    #[test]
    fn documents_and_queries_meet_across_scripts() {
        let doc = doc_key("мәслихаттарының", Lang::Kk).unwrap();
        for q in [
            "maslikhat",
            "mäslihat",
            "мәслихат",
            "маслихат",
            "maslikhats",
        ] {
            assert!(query_keys(&normalize(q)).contains(&doc), "{q}");
        }
        let ru = doc_key("государственным", Lang::Ru).unwrap();
        assert!(query_keys("gosudarstvennym").contains(&ru));
        assert!(query_keys("государственных").contains(&ru));
    }

    #[test]
    fn stop_words_are_dropped() {
        assert!(query_keys("the").is_empty());
        assert!(query_keys("және").is_empty());
        assert!(query_keys("и").is_empty());
        assert_eq!(doc_key("the", Lang::En), None);
    }

    #[test]
    fn equivalents() {
        let akimat = query_keys("akimat");
        let expanded = expand_equivalents(&akimat);
        assert!(expanded.contains(&doc_key("әкімдіктің", Lang::Kk).unwrap()));
        let k = expand_equivalents(&query_keys("kurultai"));
        assert!(k.contains(&doc_key("құрылтайдың", Lang::Kk).unwrap()));
    }
}
