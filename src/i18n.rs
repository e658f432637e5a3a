//! Languages, interface strings and locale-aware formatting of numbers and dates.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Diagnostic, Result};

/// A language the site is built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, at the site root; the master language of summaries.
    En,
    /// Russian, under `ru/`.
    Ru,
    /// Kazakh, under `kk/`.
    Kk,
}

impl Lang {
    /// Every language, in display order.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Kk];

    /// Parse an ISO 639-1 code.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            "kk" => Some(Lang::Kk),
            _ => None,
        }
    }

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Kk => "kk",
        }
    }

    /// The language's name in itself, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
            Lang::Kk => "Қазақша",
        }
    }

    /// URL prefix relative to the base path: "" for English, "ru/" and "kk/".
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::En => "",
            Lang::Ru => "ru/",
            Lang::Kk => "kk/",
        }
    }

    /// File-name suffix of a translation: `index.ru.md` → Some(Ru).
    pub fn from_suffix(stem_suffix: Option<&str>) -> Option<Lang> {
        match stem_suffix {
            None => Some(Lang::En),
            Some(s) => Lang::parse(s).filter(|l| *l != Lang::En),
        }
    }
}

/// Interface strings of one language: flat `key = "text"`.
pub type Strings = BTreeMap<String, String>;

/// Interface strings of every language.
#[derive(Debug, Clone, Default)]
pub struct I18n {
    by_lang: BTreeMap<Lang, Strings>,
}

impl I18n {
    /// Load `i18n/{en,ru,kk}.toml` from a theme directory. Every key of `en.toml` must exist in
    /// the others, so no page shows a missing string.
    pub fn load(theme_dir: &Path, root: &Path, langs: &[Lang]) -> Result<Self> {
        let mut by_lang = BTreeMap::new();
        for &lang in langs {
            let path = theme_dir.join("i18n").join(format!("{}.toml", lang.code()));
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if !path.is_file() {
                return Err(
                    Diagnostic::file(&rel, "cannot read interface strings: no such file")
                        .hint("every language in site.toml needs themes/<theme>/i18n/<lang>.toml")
                        .into(),
                );
            }
            let text = crate::content::read_text(&path, &rel)?;
            let strings: Strings = toml::from_str(&text)
                .map_err(|e| crate::config::toml_diagnostic(&rel, &text, &e))?;
            by_lang.insert(lang, strings);
        }
        let me = I18n { by_lang };
        me.check_complete(theme_dir, root)?;
        Ok(me)
    }

    fn check_complete(&self, theme_dir: &Path, root: &Path) -> Result<()> {
        let Some(en) = self.by_lang.get(&Lang::En) else {
            return Ok(());
        };
        for (lang, strings) in &self.by_lang {
            if let Some(missing) = en.keys().find(|k| !strings.contains_key(*k)) {
                let path = theme_dir.join("i18n").join(format!("{}.toml", lang.code()));
                let rel = path.strip_prefix(root).unwrap_or(&path);
                return Err(
                    Diagnostic::file(rel, format!("missing interface string `{missing}`"))
                        .hint("add the key with its translation (en.toml has every key)")
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// The strings of one language.
    pub fn strings(&self, lang: Lang) -> &Strings {
        static EMPTY: Strings = BTreeMap::new();
        self.by_lang.get(&lang).unwrap_or(&EMPTY)
    }

    /// One string, falling back to the key itself (which tests would notice).
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.strings(lang).get(key).map_or(key, String::as_str)
    }
}

/// Format a number with `digits` decimals in a language's convention: English `12,345.67`;
/// Russian and Kazakh `12 345,67` with a narrow no-break space between thousands.
pub fn format_number(x: f64, digits: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "–".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    let s = format!("{:.*}", digits, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let (group, decimal) = match lang {
        Lang::En => (",", "."),
        Lang::Ru | Lang::Kk => ("\u{202f}", ","),
    };
    let mut out = String::new();
    // A value that rounds to zero is shown without a minus sign.
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    if int.len() <= 3 {
        out.push_str(int);
    } else {
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push_str(group);
            }
            out.push(ch);
        }
    }
    if !frac.is_empty() {
        out.push_str(decimal);
        out.push_str(frac);
    }
    out
}

/// Format a number without thousands grouping (years, codes), with the language's decimal mark.
pub fn format_plain(x: f64, digits: usize, lang: Lang) -> String {
    let s = format!("{:.*}", digits, x);
    let s = if x < 0.0 {
        s.replacen('-', "−", 1)
    } else {
        s
    };
    match lang {
        Lang::En => s,
        Lang::Ru | Lang::Kk => s.replace('.', ","),
    }
}

/// Format an integer in a language's convention.
pub fn format_int(x: i64, lang: Lang) -> String {
    format_number(x as f64, 0, lang)
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.splitn(3, '-');
        let year: i32 = it.next()?.parse().ok()?;
        let month: u32 = it.next()?.parse().ok()?;
        let day: u32 = it.next()?.parse().ok()?;
        let ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        (ok && s.len() == 10).then_some(Date { year, month, day })
    }

    /// The UTC date of a Unix timestamp (days-from-civil inverse, Howard Hinnant's algorithm).
    pub fn from_unix(secs: i64) -> Date {
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// ISO 8601 `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// RFC 3339 timestamp at midnight UTC (for feeds and sitemaps).
    pub fn rfc3339(&self) -> String {
        format!("{}T00:00:00Z", self.iso())
    }

    /// Human form in a language: `22 November 2026`, `22 ноября 2026 г.`, `2026 жылғы 22 қараша`.
    pub fn human(&self, lang: Lang) -> String {
        let i = (self.month as usize).saturating_sub(1).min(11);
        match lang {
            Lang::En => format!("{} {} {}", self.day, MONTHS_EN[i], self.year),
            Lang::Ru => format!("{} {} {} г.", self.day, MONTHS_RU_GEN[i], self.year),
            Lang::Kk => format!("{} жылғы {} {}", self.year, self.day, MONTHS_KK[i]),
        }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_RU_GEN: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const MONTHS_KK: [&str; 12] = [
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_language() {
        assert_eq!(format_number(12345.678, 2, Lang::En), "12,345.68");
        assert_eq!(format_number(12345.678, 2, Lang::Ru), "12\u{202f}345,68");
        assert_eq!(format_number(-0.5, 1, Lang::Kk), "−0,5");
        assert_eq!(format_number(-0.0001, 2, Lang::En), "0.00");
        assert_eq!(format_number(2024.0, 0, Lang::Ru), "2\u{202f}024");
        assert_eq!(format_plain(2024.0, 0, Lang::Ru), "2024");
        assert_eq!(format_number(1234567.0, 0, Lang::En), "1,234,567");
        assert_eq!(format_number(f64::NAN, 2, Lang::En), "–");
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_unix(0).iso(), "1970-01-01");
        assert_eq!(Date::from_unix(1_795_305_600).iso(), "2026-11-22");
        assert_eq!(Date::from_unix(951_782_400).iso(), "2000-02-29");
        let d = Date::parse("2026-11-22").unwrap();
        assert_eq!(d.human(Lang::Ru), "22 ноября 2026 г.");
        assert_eq!(d.human(Lang::Kk), "2026 жылғы 22 қараша");
        assert!(Date::parse("2026-02-30").is_none());
        assert!(Date::parse("2026-1-2").is_none());
    }
}
