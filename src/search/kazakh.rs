//! A suffix-stripping stemmer for Kazakh (Cyrillic script).
//!
//! Kazakh is agglutinative: a noun is `root + derivational suffixes + plural + possessive +
//! case`, and every suffix has allomorphs chosen by **vowel harmony** (back `а о ұ ы` versus
//! front `ә е ө ү і`) and by the **last sound of what precedes it** (vowel, sonorant, voiced or
//! voiceless consonant). The stemmer peels the layers from the end, outermost first:
//!
//! 1. one case ending (genitive, accusative, dative, locative, ablative, instrumental, and the
//!    locative-relational `-дағы/-дегі`); names such as `Қазақстан` are protected;
//! 2. one possessive ending (3rd person `-ы/-і/-сы/-сі`, 1st plural `-ымыз/-іміз`; the 1st and
//!    2nd person singular are left alone: they are rare in research prose and `-м`, `-ң` would
//!    cut many roots);
//! 3. the plural (`-лар/-лер/-дар/-дер/-тар/-тер`);
//! 4. up to two derivational suffixes (`-лық/-лік…`, `-дағы/-дегі…`, past participle
//!    `-ған/-ген…`, `-атын/-етін`, verbal noun `-у`). Agent nouns in `-шы/-ші` are kept: an
//!    akim (`әкім`) and the administration (`әкімшілік`) should not conflate.
//!
//! A suffix is removed only if it agrees with what remains: its harmony class must match the
//! last vowel of the remaining stem (loan-word vowels `и у ю я ё э` accept both classes), and
//! the allomorph must be the one Kazakh uses after the remaining stem's last sound (so `-дың` is
//! stripped after `р й у л ж з` but not after a vowel, where Kazakh writes `-ның`). Endings used
//! only after a 3rd-person possessive (`-н`, `-на`, `-нда`, `-нан`, `-ндағы`) require the stem to
//! end in `ы`/`і`; a final soft sign is transparent (`модельдің`). The remaining stem keeps at
//! least three letters and a vowel. Finally a stem-final `ы/і` is dropped (from stems of four or
//! more letters) and a stem-final `б г ғ` is devoiced to `п к қ`, which undoes the voicing
//! before vowel-initial suffixes (`кітабы` → `кітап`).
//!
//! The tables here are the single source of the rules: the browser's search client receives
//! them as data (see `super::export`), so query analysis is the same in the terminal and in the
//! browser.

/// Sound class of the last letter of a stem, for choosing allomorphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Vowels other than `и у`.
    V,
    /// `р й у и` (sonorants; `и у` are diphthongs ending in a glide).
    R,
    /// `л`.
    L,
    /// `м н ң`.
    N,
    /// `ж з`.
    Z,
    /// Voiceless consonants and loan-final `б в г д`.
    T,
}

/// Harmony of a suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Harmony {
    Back,
    Front,
    Any,
}

/// One suffix: its form, harmony, the classes it may follow (a string of `V R L N Z T`, plus
/// `P` for "after a 3rd-person possessive `ы/і`" and `*` for anything).
#[derive(Debug, Clone, Copy)]
pub struct Suffix {
    /// The suffix in Cyrillic.
    pub form: &'static str,
    /// `b`ack, `f`ront or `a`ny harmony.
    pub harmony: char,
    /// Classes of the preceding sound it may follow.
    pub after: &'static str,
}

const fn s(form: &'static str, harmony: char, after: &'static str) -> Suffix {
    Suffix {
        form,
        harmony,
        after,
    }
}

/// Case endings (layer 1).
pub const CASE: &[Suffix] = &[
    // genitive
    s("ның", 'b', "VN"),
    s("нің", 'f', "VN"),
    s("дың", 'b', "RLZ"),
    s("дің", 'f', "RLZ"),
    s("тың", 'b', "T"),
    s("тің", 'f', "T"),
    // accusative
    s("ны", 'b', "V"),
    s("ні", 'f', "V"),
    s("ды", 'b', "RLNZ"),
    s("ді", 'f', "RLNZ"),
    s("ты", 'b', "T"),
    s("ті", 'f', "T"),
    s("н", 'a', "P"),
    // dative
    s("ға", 'b', "VRLNZ"),
    s("ге", 'f', "VRLNZ"),
    s("қа", 'b', "T"),
    s("ке", 'f', "T"),
    s("на", 'b', "P"),
    s("не", 'f', "P"),
    // locative
    s("да", 'b', "VRLNZ"),
    s("де", 'f', "VRLNZ"),
    s("та", 'b', "T"),
    s("те", 'f', "T"),
    s("нда", 'b', "P"),
    s("нде", 'f', "P"),
    // ablative
    s("дан", 'b', "VRLZ"),
    s("ден", 'f', "VRLZ"),
    s("нан", 'b', "NP"),
    s("нен", 'f', "NP"),
    s("тан", 'b', "T"),
    s("тен", 'f', "T"),
    // instrumental
    s("мен", 'a', "VRLN"),
    s("менен", 'a', "VRLN"),
    s("бен", 'a', "Z"),
    s("бенен", 'a', "Z"),
    // locative + relational `-ғы`, outermost like a case ending
    s("дағы", 'b', "VRLNZ"),
    s("дегі", 'f', "VRLNZ"),
    s("тағы", 'b', "T"),
    s("тегі", 'f', "T"),
    s("ндағы", 'b', "P"),
    s("ндегі", 'f', "P"),
    s("пен", 'a', "T"),
    s("пенен", 'a', "T"),
];

/// Possessive endings (layer 2).
pub const POSSESSIVE: &[Suffix] = &[
    s("мыз", 'b', "V"),
    s("міз", 'f', "V"),
    s("ымыз", 'b', "RLNZT"),
    s("іміз", 'f', "RLNZT"),
    s("сы", 'b', "V"),
    s("сі", 'f', "V"),
    s("ы", 'b', "RLNZT"),
    s("і", 'f', "RLNZT"),
];

/// Plural endings (layer 3).
pub const PLURAL: &[Suffix] = &[
    s("лар", 'b', "VR"),
    s("лер", 'f', "VR"),
    s("дар", 'b', "LNZ"),
    s("дер", 'f', "LNZ"),
    s("тар", 'b', "T"),
    s("тер", 'f', "T"),
];

/// Derivational suffixes (layer 4, applied up to twice).
pub const DERIVATIONAL: &[Suffix] = &[
    s("лық", 'b', "VR"),
    s("лік", 'f', "VR"),
    s("дық", 'b', "LNZ"),
    s("дік", 'f', "LNZ"),
    s("тық", 'b', "T"),
    s("тік", 'f', "T"),
    s("ған", 'b', "VRLNZ"),
    s("ген", 'f', "VRLNZ"),
    s("қан", 'b', "T"),
    s("кен", 'f', "T"),
    s("атын", 'b', "RLNZT"),
    s("етін", 'f', "RLNZT"),
    s("йтын", 'b', "V"),
    s("йтін", 'f', "V"),
    s("у", 'a', "*"),
];

/// Vowels of back harmony.
pub const BACK_VOWELS: &str = "аоұы";
/// Vowels of front harmony.
pub const FRONT_VOWELS: &str = "әеөүі";
/// Vowels of loan words, neutral for harmony.
pub const NEUTRAL_VOWELS: &str = "иуюяёэ";
/// Letters found in Kazakh but not in Russian.
pub const KAZAKH_LETTERS: &str = "әғқңөұүһі";

fn is_vowel(c: char) -> bool {
    BACK_VOWELS.contains(c) || FRONT_VOWELS.contains(c) || NEUTRAL_VOWELS.contains(c)
}

/// Class of the last sound of `stem`: a final soft or hard sign is transparent.
fn last_class(stem: &[char]) -> Option<Class> {
    let mut it = stem.iter().rev().filter(|&&c| c != 'ь' && c != 'ъ');
    it.next().map(|&c| class_of(c))
}

fn class_of(c: char) -> Class {
    match c {
        'р' | 'й' | 'у' | 'и' => Class::R,
        'л' => Class::L,
        'м' | 'н' | 'ң' => Class::N,
        'ж' | 'з' => Class::Z,
        c if is_vowel(c) => Class::V,
        _ => Class::T,
    }
}

fn class_letter(c: Class) -> char {
    match c {
        Class::V => 'V',
        Class::R => 'R',
        Class::L => 'L',
        Class::N => 'N',
        Class::Z => 'Z',
        Class::T => 'T',
    }
}

fn harmony_of(stem: &[char]) -> Harmony {
    for &c in stem.iter().rev() {
        if BACK_VOWELS.contains(c) {
            return Harmony::Back;
        }
        if FRONT_VOWELS.contains(c) {
            return Harmony::Front;
        }
        if NEUTRAL_VOWELS.contains(c) {
            return Harmony::Any;
        }
    }
    Harmony::Any
}

fn fits(stem: &[char], suffix: &Suffix, min_len: usize) -> bool {
    if stem.len() < min_len || !stem.iter().any(|&c| is_vowel(c)) {
        return false;
    }
    let Some(&last) = stem.last() else {
        return false;
    };
    let harmony_ok = matches!(
        (suffix.harmony, harmony_of(stem)),
        ('a', _) | (_, Harmony::Any) | ('b', Harmony::Back) | ('f', Harmony::Front)
    );
    if !harmony_ok {
        return false;
    }
    // `-сы/-сі` follows a vowel, but not `ы/і`: `жалақысы` is `жалақы + сы`, `жұмысы` is
    // `жұмыс + ы`; after `ы/і` the shorter reading is taken.
    if (suffix.form == "сы" || suffix.form == "сі") && (last == 'ы' || last == 'і') {
        return false;
    }
    let class = last_class(stem).map(class_letter);
    suffix.after.chars().any(|a| match a {
        '*' => true,
        'P' => last == 'ы' || last == 'і',
        other => Some(other) == class,
    })
}

/// Strip at most one suffix of `list` (longest first) from `word`.
fn strip_one(word: &mut Vec<char>, list: &[Suffix], min_len: usize) -> bool {
    let mut candidates: Vec<&Suffix> = list
        .iter()
        .filter(|s| {
            let n = s.form.chars().count();
            n < word.len() && word[word.len() - n..].iter().copied().eq(s.form.chars())
        })
        .collect();
    candidates.sort_by_key(|s| std::cmp::Reverse(s.form.chars().count()));
    for s in candidates {
        let n = s.form.chars().count();
        if fits(&word[..word.len() - n], s, min_len) {
            word.truncate(word.len() - n);
            return true;
        }
    }
    false
}

/// Minimum stem length after removing an inflectional suffix.
pub const MIN_STEM: usize = 3;

/// Words that end like a case form but are names (`Қазақстан` is not `Қазақс + тан`).
pub const PROTECTED: &[&str] = &[
    "қазақстан",
    "өзбекстан",
    "қырғызстан",
    "тәжікстан",
    "түрікменстан",
    "ауғанстан",
    "пәкістан",
    "үндістан",
    "татарстан",
    "дағыстан",
];
/// Minimum stem length after removing a derivational suffix.
pub const MIN_DERIVED_STEM: usize = 3;

/// Stem one lower-case Kazakh word (Cyrillic). Words in other scripts come back unchanged.
pub fn stem(word: &str) -> String {
    let mut w: Vec<char> = word.chars().collect();
    if w.len() < 3 || !w.iter().any(|c| ('\u{0400}'..='\u{04ff}').contains(c)) {
        return word.to_string();
    }
    if !PROTECTED.contains(&word) {
        strip_one(&mut w, CASE, MIN_STEM);
    }
    strip_one(&mut w, POSSESSIVE, MIN_STEM);
    strip_one(&mut w, PLURAL, MIN_STEM);
    if strip_one(&mut w, DERIVATIONAL, MIN_DERIVED_STEM) {
        strip_one(&mut w, DERIVATIONAL, MIN_DERIVED_STEM);
    }
    // A stem-final `ы/і` is dropped, so a bare noun (`жалақы`) and its possessive form
    // (`жалақысы` → `жалақы`) meet.
    if w.len() >= 4 && matches!(w.last(), Some('ы' | 'і')) {
        w.pop();
    }
    if let Some(last) = w.last_mut() {
        *last = match *last {
            'б' => 'п',
            'г' => 'к',
            'ғ' => 'қ',
            c => c,
        };
    }
    w.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn layers() {
        assert_eq!(stem("мәслихаттардың"), "мәслихат");
        assert_eq!(stem("мәслихатының"), "мәслихат");
        assert_eq!(stem("мәслихаттарына"), "мәслихат");
        assert_eq!(stem("мәслихаттағы"), "мәслихат");
        assert_eq!(stem("әкімдікпен"), "әкім");
        assert_eq!(stem("әкімдіктер"), "әкім");
        assert_eq!(stem("қаласында"), "қала");
        assert_eq!(stem("кітабы"), "кітап");
    }

    #[test]
    fn harmony_and_allomorphs_are_respected() {
        // `-тар` does not follow a vowel (Kazakh writes `-лар` there)…
        assert_eq!(stem("қалатар"), "қалатар");
        assert_eq!(stem("қалалар"), "қала");
        // …and a front suffix is not taken from a back stem.
        assert_eq!(stem("адамдер"), "адамдер");
        assert_eq!(stem("адамдар"), "адам");
    }

    /// At least 200 inflected forms from the seed articles, each with a base form of the same
    /// word found in the seeds: both must give the same stem, and the form must lose a suffix.
    #[test]
    fn seed_word_list() {
        let mut n = 0;
        let mut suffixes = std::collections::BTreeSet::new();
        for line in include_str!("kazakh_forms.tsv").lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (form, base) = line.split_once('\t').expect("form<TAB>base");
            assert_eq!(stem(form), stem(base), "{form} / {base}");
            assert_ne!(stem(form), form, "{form} keeps its ending");
            suffixes.insert(&form[base.len().min(form.len())..]);
            n += 1;
        }
        assert!(n >= 200, "only {n} forms");
        assert!(
            suffixes.len() >= 40,
            "only {} different endings",
            suffixes.len()
        );
    }

    #[test]
    fn names_and_soft_signs() {
        assert_eq!(stem("қазақстан"), "қазақстан");
        assert_eq!(stem("қазақстанның"), "қазақстан");
        assert_eq!(stem("модельдің"), stem("модель"));
        assert_eq!(stem("қаласы"), stem("қала"));
        assert_eq!(stem("жұмысы"), stem("жұмыс"));
    }

    #[test]
    fn short_and_foreign_words_are_kept() {
        assert_eq!(stem("ел"), "ел");
        assert_eq!(stem("адам"), "адам");
        assert_eq!(stem("budget"), "budget");
        assert_eq!(stem(""), "");
    }
}
