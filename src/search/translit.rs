//! Spelling systems: reading Latin-script Kazakh and Russian, and the script-neutral match key.
//!
//! Every indexed term is a **match key**: the stem of a word, folded by [`fold`] into a small
//! Latin alphabet in which the Cyrillic spelling, the Kazakh Latin alphabet of 2021 and the
//! common English romanisations of a word coincide (`мәслихат`, `mäslihat` and `maslikhat` all
//! give `maslihat`; `жергілікті` and `jergilikti` give the same key). The rules:
//!
//! * Cyrillic letters map to one Latin letter or digraph each: `ә→a`, `ғ→g`, `қ→k`, `ң→n`,
//!   `ө→o`, `ұ ү→u`, `һ х→h`, `і и й ы→i`, `ж→zh`, `ш→sh`, `щ→shch`, `ч→ch`, `ц→ts`, `ю→iu`,
//!   `я→ia`, `э→e`, `ъ ь` dropped; the rest as in every romanisation.
//! * Latin letters fold the same way: `ä á→a`, `ğ→g`, `q→k`, `ñ→n`, `ö→o`, `ū ü→u`, `ı y→i`,
//!   `ş→sh`, `ç→ch`, `j→zh`, `x→ks`, the digraph `kh→h`, other accents dropped.
//!
//! To stem a Latin-script word as Kazakh or Russian, it is first read back into Cyrillic with
//! [`latin_to_kazakh`] (2021 alphabet plus English digraphs `sh ch zh kh gh`, `i→і`, `y→ы`, a
//! glide `i`/`y` after a vowel → `й`) or [`latin_to_russian`] (BGN/PCGN-style romanisation with
//! `shch sh ch zh kh ts ya yu ye yo`, `y→ы`, `-iy/-yy→-ий/-ый`, scientific `j ja ju`).
//! These tables are the single source of the rules; the browser's client receives them as data.

/// Cyrillic → key alphabet.
pub const FOLD_CYRILLIC: &[(char, &str)] = &[
    ('а', "a"),
    ('ә', "a"),
    ('б', "b"),
    ('в', "v"),
    ('г', "g"),
    ('ғ', "g"),
    ('д', "d"),
    ('е', "e"),
    ('ё', "e"),
    ('ж', "zh"),
    ('з', "z"),
    ('и', "i"),
    ('й', "i"),
    ('і', "i"),
    ('к', "k"),
    ('қ', "k"),
    ('л', "l"),
    ('м', "m"),
    ('н', "n"),
    ('ң', "n"),
    ('о', "o"),
    ('ө', "o"),
    ('п', "p"),
    ('р', "r"),
    ('с', "s"),
    ('т', "t"),
    ('у', "u"),
    ('ұ', "u"),
    ('ү', "u"),
    ('ф', "f"),
    ('х', "h"),
    ('һ', "h"),
    ('ц', "ts"),
    ('ч', "ch"),
    ('ш', "sh"),
    ('щ', "shch"),
    ('ъ', ""),
    ('ы', "i"),
    ('ь', ""),
    ('э', "e"),
    ('ю', "iu"),
    ('я', "ia"),
];

/// Latin letters with diacritics (and a few others) → key alphabet.
pub const FOLD_LATIN: &[(char, &str)] = &[
    ('à', "a"),
    ('á', "a"),
    ('â', "a"),
    ('ã', "a"),
    ('ä', "a"),
    ('å', "a"),
    ('æ', "ae"),
    ('ç', "ch"),
    ('è', "e"),
    ('é', "e"),
    ('ê', "e"),
    ('ë', "e"),
    ('ì', "i"),
    ('í', "i"),
    ('î', "i"),
    ('ï', "i"),
    ('ı', "i"),
    ('ñ', "n"),
    ('ń', "n"),
    ('ŋ', "n"),
    ('ò', "o"),
    ('ó', "o"),
    ('ô', "o"),
    ('õ', "o"),
    ('ö', "o"),
    ('ø', "o"),
    ('ù', "u"),
    ('ú', "u"),
    ('û', "u"),
    ('ü', "u"),
    ('ū', "u"),
    ('ý', "i"),
    ('ÿ', "i"),
    ('ß', "ss"),
    ('ğ', "g"),
    ('ǵ', "g"),
    ('ş', "sh"),
    ('š', "sh"),
    ('ž', "zh"),
    ('č', "ch"),
    ('y', "i"),
    ('q', "k"),
    ('j', "zh"),
    ('x', "ks"),
];

/// Latin digraphs folded before single letters.
pub const FOLD_DIGRAPHS: &[(&str, &str)] = &[("kh", "h")];

/// Latin → Kazakh Cyrillic, longest match first.
pub const LATIN_TO_KAZAKH: &[(&str, &str)] = &[
    ("shch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("gh", "ғ"),
    ("yu", "ю"),
    ("ya", "я"),
    ("yo", "е"),
    ("a", "а"),
    ("ä", "ә"),
    ("á", "ә"),
    ("b", "б"),
    ("c", "с"),
    ("ç", "ч"),
    ("d", "д"),
    ("e", "е"),
    ("f", "ф"),
    ("g", "г"),
    ("ğ", "ғ"),
    ("ǵ", "ғ"),
    ("h", "х"),
    ("i", "і"),
    ("ı", "і"),
    ("ï", "и"),
    ("í", "и"),
    ("j", "ж"),
    ("k", "к"),
    ("q", "қ"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("ñ", "ң"),
    ("ń", "ң"),
    ("ŋ", "ң"),
    ("o", "о"),
    ("ö", "ө"),
    ("ó", "ө"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("ş", "ш"),
    ("t", "т"),
    ("u", "у"),
    ("ū", "ұ"),
    ("ü", "ү"),
    ("ú", "ү"),
    ("v", "в"),
    ("w", "у"),
    ("x", "х"),
    ("y", "ы"),
    ("ý", "у"),
    ("z", "з"),
];

/// Latin → Russian Cyrillic, longest match first.
pub const LATIN_TO_RUSSIAN: &[(&str, &str)] = &[
    ("shch", "щ"),
    ("sch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("ye", "е"),
    ("yo", "е"),
    ("ja", "я"),
    ("ju", "ю"),
    ("a", "а"),
    ("b", "б"),
    ("c", "ц"),
    ("d", "д"),
    ("e", "е"),
    ("é", "э"),
    ("f", "ф"),
    ("g", "г"),
    ("h", "х"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("q", "к"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("w", "в"),
    ("x", "кс"),
    ("y", "ы"),
    ("z", "з"),
];

const LATIN_VOWELS: &str = "aeiouyäöüūıáéíóú";

fn lookup_char(table: &[(char, &'static str)], c: char) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// Fold a (normalised, stemmed) word into the script-neutral key alphabet.
pub fn fold(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    'outer: while i < chars.len() {
        for (from, to) in FOLD_DIGRAPHS {
            let n = from.chars().count();
            if i + n <= chars.len() && chars[i..i + n].iter().copied().eq(from.chars()) {
                out.push_str(to);
                i += n;
                continue 'outer;
            }
        }
        let c = chars[i];
        if let Some(v) = lookup_char(FOLD_CYRILLIC, c).or_else(|| lookup_char(FOLD_LATIN, c)) {
            out.push_str(v);
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

fn convert(word: &str, table: &[(&'static str, &'static str)]) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let mut best: Option<(usize, &str)> = None;
        for (from, to) in table {
            let n = from.chars().count();
            if i + n <= chars.len()
                && chars[i..i + n].iter().copied().eq(from.chars())
                && best.is_none_or(|(m, _)| n > m)
            {
                best = Some((n, to));
            }
        }
        match best {
            Some((n, to)) => {
                out.push_str(to);
                i += n;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

fn is_latin_vowel(c: Option<&char>) -> bool {
    c.is_some_and(|c| LATIN_VOWELS.contains(*c))
}

/// Mark glides: an `i`/`y` after a vowel and not before one is the consonant `й`.
fn mark_glides(word: &str, glide: char) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i == 0 { None } else { chars.get(i - 1) };
        if (c == 'i' || c == 'y')
            && i > 0
            && is_latin_vowel(prev)
            && !is_latin_vowel(chars.get(i + 1))
        {
            out.push(glide);
        } else {
            out.push(c);
        }
    }
    out
}

/// Read a lower-case Latin-script word as Kazakh Cyrillic.
pub fn latin_to_kazakh(word: &str) -> String {
    convert(&mark_glides(word, 'й'), LATIN_TO_KAZAKH)
}

/// Read a lower-case Latin-script word as Russian Cyrillic.
pub fn latin_to_russian(word: &str) -> String {
    convert(&mark_glides(word, 'й'), LATIN_TO_RUSSIAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_meet_in_one_key() {
        for w in ["мәслихат", "маслихат", "mäslihat", "maslikhat", "maslihat"] {
            assert_eq!(fold(w), "maslihat", "{w}");
        }
        assert_eq!(fold("қурултай"), fold("qurultai"));
        assert_eq!(fold("jergilikti"), fold("жергілікті"));
        assert_eq!(fold("zhergilikti"), fold("жергілікті"));
        assert_eq!(fold("almaty"), fold("алматы"));
        assert_eq!(fold("экспорт"), fold("export"));
    }

    #[test]
    fn latin_is_read_back_into_cyrillic() {
        assert_eq!(latin_to_kazakh("mäslihattardyñ"), "мәсліхаттардың");
        assert_eq!(latin_to_kazakh("jergilikti"), "жергілікті");
        assert_eq!(latin_to_kazakh("qurultai"), "құрұлтай".replace('ұ', "у"));
        assert_eq!(latin_to_russian("gosudarstvennym"), "государственным");
        assert_eq!(latin_to_russian("doverie"), "доверие");
        assert_eq!(latin_to_russian("shchedrin"), "щедрин");
        assert_eq!(latin_to_russian("novyy"), "новый");
        assert_eq!(latin_to_russian("kray"), "край");
    }
}
