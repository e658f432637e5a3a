//! Names: initials that CSL processors get wrong for Cyrillic and romanised Kazakh and Russian
//! names.
//!
//! - Initials written without spaces (`Макулбаева, Г.А.`, `Davletbayeva, Zh.Zh.`) are spaced
//!   before formatting, or hayagriva keeps only the first one.
//! - A romanised given name whose initial is a digraph (Жұлдыз → Zhuldyz → "Zh.", Ермек →
//!   Yermek → "Ye.") says so with biblatex's extended name format, `given-i=Zh`; a given name
//!   already written as initials (`Zh. Zh.`) keeps them. CSL takes the first letter only, so
//!   the formatted output is corrected afterwards: "Davletbayeva, Z." → "Davletbayeva, Zh.".

use std::collections::BTreeMap;

use biblatex::Person;

use crate::markdown::escape_text;

/// Corrections to formatted HTML, per bibliography entry: exact (wrong, right) replacements,
/// tried in order. They fix what hayagriva cannot produce: digraph initials, and the closing
/// parenthesis it drops after an issue number that ends in one ("1 (89)").
#[derive(Debug, Default, Clone)]
pub(crate) struct InitialFixes(BTreeMap<String, Vec<(String, String)>>);

impl InitialFixes {
    fn push(&mut self, key: &str, from: String, to: String) {
        let list = self.0.entry(key.to_string()).or_default();
        if from != to && !list.iter().any(|(f, _)| *f == from) {
            list.push((from, to));
        }
    }

    /// Register right initials for a name of entry `key`.
    fn add(&mut self, key: &str, family: &str, given: &str, right: &str) {
        let Ok(p) = hayagriva::types::Person::from_strings(vec![family, given]) else {
            return;
        };
        let mut wrong = String::new();
        if p.initials(&mut wrong, Some(". "), true).is_err() || wrong.trim() == right {
            return;
        }
        let (family, wrong) = (escape_text(family), wrong.trim().to_string());
        for inner in [" ", "\u{a0}", ""] {
            let w = wrong.replace(' ', inner);
            let r = right.replace(' ', inner);
            for sep in [", ", ",\u{a0}", " ", "\u{a0}"] {
                self.push(
                    key,
                    format!("{family}{sep}{w}"),
                    format!("{family}{sep}{r}"),
                );
            }
            for sep in [" ", "\u{a0}"] {
                self.push(
                    key,
                    format!("{w}{sep}{family}"),
                    format!("{r}{sep}{family}"),
                );
            }
        }
    }

    /// Register an issue number ending in `)`, whose closing parenthesis APA loses.
    pub(crate) fn add_issue(&mut self, key: &str, issue: &str) {
        if issue.ends_with(')') {
            let e = escape_text(issue);
            for after in [",", ".", " "] {
                self.push(key, format!("({e}{after}"), format!("({e}){after}"));
            }
        }
    }

    /// Apply the corrections of the given entries.
    pub(crate) fn apply<'a>(&self, keys: impl IntoIterator<Item = &'a str>, html: &str) -> String {
        let mut s = html.to_string();
        for key in keys {
            for (from, to) in self.0.get(key).into_iter().flatten() {
                if s.contains(from.as_str()) {
                    s = s.replace(from.as_str(), to);
                }
            }
        }
        s
    }
}

/// Chunks for a field bilim rewrote. The biblatex crate computes offsets from chunk spans when
/// it splits name lists, so rewritten chunks get empty spans at 0 rather than detached ones.
pub(crate) fn zero_spans(chunks: biblatex::Chunks) -> biblatex::Chunks {
    chunks
        .into_iter()
        .map(|c| biblatex::Spanned::zero(c.v))
        .collect()
}

/// "Г.А." → "Г. А.", "Zh.Zh." → "Zh. Zh.": a space after every full stop followed by a letter.
pub(crate) fn spaced_initials(given: &str) -> String {
    let mut out = String::with_capacity(given.len() + 4);
    let mut chars = given.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '.' && chars.peek().is_some_and(|n| n.is_alphabetic()) {
            out.push(' ');
        }
    }
    out
}

/// Whether every word of a given name is an initial ("G.", "Zh.", "Ye.").
fn is_initials(given: &str) -> bool {
    let words: Vec<&str> = given.split_whitespace().collect();
    !words.is_empty()
        && words.iter().all(|w| {
            w.split('-').all(|part| {
                let Some(stem) = part.strip_suffix('.') else {
                    return false;
                };
                let mut cs = stem.chars();
                cs.next().is_some_and(char::is_uppercase)
                    && stem.chars().count() <= 4
                    && cs.all(char::is_lowercase)
            })
        })
}

/// The initials a given name should show: `given-i` when written, the name itself when it is
/// already initials, otherwise none (the CSL processor's first letters are right).
fn wanted_initials(given: &str, given_i: Option<&str>) -> Option<String> {
    if let Some(gi) = given_i.map(str::trim).filter(|g| !g.is_empty()) {
        let parts: Vec<String> = gi
            .split(|c: char| c == '.' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}."))
            .collect();
        return (!parts.is_empty()).then(|| parts.join(" "));
    }
    is_initials(given).then(|| given.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Space joined initials and register digraph initials, for every name list of an entry.
pub(crate) fn normalise_entry(entry: &mut biblatex::Entry, fixes: &mut InitialFixes) {
    for field in ["author", "editor", "translator"] {
        let Some(chunks) = entry.fields.get(field) else {
            continue;
        };
        let Ok(people) = <Vec<Person> as biblatex::Type>::from_chunks(chunks) else {
            continue;
        };
        let mut changed = false;
        let people: Vec<Person> = people
            .into_iter()
            .map(|mut p| {
                let spaced = spaced_initials(&p.given_name);
                if spaced != p.given_name {
                    p.given_name = spaced;
                    changed = true;
                }
                if let Some(right) = wanted_initials(&p.given_name, p.given_initials.as_deref()) {
                    fixes.add(&entry.key, &p.name, &p.given_name, &right);
                }
                p
            })
            .collect();
        if changed {
            // Rewritten as plain names: the extended name format inside a rewritten chunk
            // would not parse again, and its initials are registered above.
            let people: Vec<Person> = people
                .into_iter()
                .map(|mut p| {
                    p.given_initials = None;
                    p.prefix_initials = None;
                    p.id = None;
                    p.use_prefix = None;
                    p
                })
                .collect();
            entry.fields.insert(
                field.to_string(),
                zero_spans(biblatex::Type::to_chunks(&people)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_are_spaced() {
        assert_eq!(spaced_initials("Г.А."), "Г. А.");
        assert_eq!(spaced_initials("Zh.Zh."), "Zh. Zh.");
        assert_eq!(spaced_initials("Zhuldyz"), "Zhuldyz");
        assert_eq!(spaced_initials("A. M."), "A. M.");
    }

    #[test]
    fn wanted_initials_follow_given_i_or_written_initials() {
        assert_eq!(wanted_initials("Zhuldyz", Some("Zh")), Some("Zh.".into()));
        assert_eq!(
            wanted_initials("Zhuldyz Zhanovna", Some("Zh.Zh.")),
            Some("Zh. Zh.".into())
        );
        assert_eq!(wanted_initials("Zh. Zh.", None), Some("Zh. Zh.".into()));
        assert_eq!(wanted_initials("Г. А.", None), Some("Г. А.".into()));
        assert_eq!(wanted_initials("Zhuldyz", None), None);
    }

    #[test]
    fn fixes_replace_only_next_to_the_family_name() {
        let mut f = InitialFixes::default();
        f.add("k", "Davletbayeva", "Zh. Zh.", "Zh. Zh.");
        f.add("other", "Davletbayeva", "Zhuldyz", "Zh.");
        let html = "Makulbayeva, G. A., Davletbayeva, Z. Z., &amp; Z. Z. Other";
        assert_eq!(
            f.apply(["k"], html),
            "Makulbayeva, G. A., Davletbayeva, Zh. Zh., &amp; Z. Z. Other"
        );
        assert_eq!(f.apply(["k"], "Z. Z. Davletbayeva"), "Zh. Zh. Davletbayeva");
        assert_eq!(
            f.apply(["k"], "Davletbayeva Z.\u{a0}Z."),
            "Davletbayeva Zh.\u{a0}Zh."
        );
        assert_eq!(f.apply(["other"], "Davletbayeva, Z."), "Davletbayeva, Zh.");
        assert_eq!(f.apply(["none"], "Davletbayeva, Z."), "Davletbayeva, Z.");
        f.add_issue("k", "1 (89)");
        assert_eq!(
            f.apply(["k"], "<i>J</i>, (1 (89), 7–24."),
            "<i>J</i>, (1 (89)), 7–24."
        );
        assert_eq!(f.apply(["k"], "№ 1 (89). Б. 7"), "№ 1 (89). Б. 7");
    }
}
