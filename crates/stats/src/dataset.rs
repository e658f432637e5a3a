//! Datasets: `data/<id>.csv` plus its metadata `data/<id>.toml` (see `docs/authoring.md`).
//!
//! [`load`] parses the raw bytes of the CSV and the TOML source (the caller reads the files; this
//! crate never touches the file system) into a typed [`Dataset`]. Every problem is a [`DataError`]
//! naming the file ([`DataFile::Csv`] or [`DataFile::Toml`]), a 1-based line and column (for the
//! CSV: the physical line and the 1-based field number; for the TOML: line and character column),
//! a message quoting the offending text and a hint on how to fix it.
//!
//! Number parsing follows the `[dialect]`: `decimal` is `"."` or `","`; `thousands` is a grouping
//! separator that is only accepted between groups of exactly three digits (so `1,5` with
//! `thousands = ","` is an error, not fifteen). `thousands = " "` accepts the ordinary space, the
//! no-break space (U+00A0), the narrow no-break space (U+202F) and the thin space (U+2009), since
//! printed tables use all of them. Cells are trimmed before they are compared with the `missing`
//! markers and before numbers, booleans, dates and years are parsed; strings are kept as written.
//! `NaN` and infinities are not numbers here: declare such markers in `missing`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// Which of the two files of a dataset an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFile {
    /// `data/<id>.csv`
    Csv,
    /// `data/<id>.toml`
    Toml,
}

impl fmt::Display for DataFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataFile::Csv => f.write_str("csv"),
            DataFile::Toml => f.write_str("toml"),
        }
    }
}

/// A problem in a dataset's CSV or TOML, located at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message} (hint: {hint})")]
pub struct DataError {
    /// The file the problem is in.
    pub file: DataFile,
    /// 1-based line (CSV: physical line, counting the header as line 1).
    pub line: usize,
    /// 1-based column (CSV: field number; TOML: character column).
    pub column: usize,
    /// What is wrong, quoting the offending text.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl DataError {
    fn csv(
        line: usize,
        column: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        DataError {
            file: DataFile::Csv,
            line,
            column,
            message: message.into(),
            hint: hint.into(),
        }
    }
    fn toml_at(
        src: &str,
        offset: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let (line, column) = line_col(src, offset);
        DataError {
            file: DataFile::Toml,
            line,
            column,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// 1-based line and character column of a byte offset in `src` (clamped to the text).
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(src.len());
    while off > 0 && !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = src.get(..off).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before.get(line_start..).unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Where the numbers of a dataset were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TakenFrom {
    /// A printed table.
    Table,
    /// Numbers collected from the prose.
    Text,
}

/// The declared type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Whole numbers (`i64`).
    Integer,
    /// Real numbers (`f64`).
    Number,
    /// Text.
    String,
    /// `true`/`false` (also `yes`/`no`, `1`/`0`, any case).
    Boolean,
    /// An ISO date `YYYY-MM-DD`.
    Date,
    /// A calendar year (an integer).
    Year,
}

impl ColumnType {
    /// The name used in the TOML (`integer`, `number`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Number => "number",
            ColumnType::String => "string",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Year => "year",
        }
    }
    /// Integer, number and year columns hold numbers.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnType::Integer | ColumnType::Number | ColumnType::Year
        )
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[dialect]` of a dataset: how its CSV is written. All keys are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dialect {
    /// Field separator, one character (default `,`; `"\t"` for tabs).
    pub delimiter: String,
    /// Quote character (default `"`).
    pub quote: String,
    /// Decimal mark: `.` or `,`.
    pub decimal: String,
    /// Thousands separator: `""`, `" "`, `","`, `"."` or `"\u00a0"`.
    pub thousands: String,
    /// `utf-8` (a BOM is allowed) or `windows-1251`.
    pub encoding: String,
    /// Cell values that mean "missing" (compared after trimming).
    pub missing: Vec<String>,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: ",".into(),
            quote: "\"".into(),
            decimal: ".".into(),
            thousands: String::new(),
            encoding: "utf-8".into(),
            missing: vec![String::new(), "NA".into()],
        }
    }
}

/// One `[[columns]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMeta {
    /// Exactly the CSV header.
    pub name: String,
    /// The column type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Labels by language code (`en`, `ru`, `kk`).
    #[serde(default)]
    pub label: BTreeMap<String, String>,
    /// Unit (`"KZT"`, `"%"`, …); empty when none.
    #[serde(default)]
    pub unit: String,
}

/// The metadata of a dataset (`data/<id>.toml`). Unknown keys are errors.
///
/// Required: `title, source, source_table, license, taken_from, columns`; `description` and
/// `notes` default to empty strings (the main crate may warn); `source_page` and `[dialect]`
/// are optional. `source_page` may be written as a string or an integer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetMeta {
    /// Title of the dataset.
    pub title: String,
    /// What the rows and columns are.
    #[serde(default)]
    pub description: String,
    /// Cite key of the source article.
    pub source: String,
    /// `"Table 1"` or `"text"`.
    pub source_table: String,
    /// Page of the source table.
    #[serde(
        default,
        deserialize_with = "string_or_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_page: Option<String>,
    /// Licence of the source, or `"unknown"`.
    pub license: String,
    /// `table` or `text`.
    pub taken_from: TakenFrom,
    /// How printed cells were read.
    #[serde(default)]
    pub notes: String,
    /// CSV dialect.
    #[serde(default)]
    pub dialect: Dialect,
    /// One entry per CSV column, in order.
    pub columns: Vec<ColumnMeta>,
}

fn string_or_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrInt {
        S(String),
        I(i64),
    }
    Ok(Option::<StrOrInt>::deserialize(d)?.map(|v| match v {
        StrOrInt::S(s) => s,
        StrOrInt::I(i) => i.to_string(),
    }))
}

/// One typed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A missing value (one of the dialect's `missing` markers).
    Missing,
    /// From an `integer` or `year` column.
    Integer(i64),
    /// From a `number` column (always finite).
    Number(f64),
    /// From a `string` column.
    Text(String),
    /// From a `boolean` column.
    Boolean(bool),
    /// From a `date` column, normalised `YYYY-MM-DD`.
    Date(String),
}

impl Value {
    /// The value as a number: integers, numbers, booleans (1/0); `None` for missing and text.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Number(x) => Some(*x),
            Value::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }
    /// True for [`Value::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing => Ok(()),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Number(x) => write!(f, "{x}"),
            Value::Text(s) | Value::Date(s) => f.write_str(s),
            Value::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// A typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Declared (or inferred) type.
    pub ty: ColumnType,
    /// One value per data row.
    pub values: Vec<Value>,
}

/// A parsed dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The dataset id (`data/<id>.csv`).
    pub id: String,
    /// Metadata: from the TOML, or synthesised when there was none (see `meta_inferred`).
    pub meta: DatasetMeta,
    /// True when there was no TOML and `meta` was synthesised with inferred column types.
    pub meta_inferred: bool,
    /// The columns, in CSV order.
    pub columns: Vec<Column>,
    /// Hex SHA-256 of the raw CSV bytes.
    pub sha256: String,
    n_rows: usize,
}

impl Dataset {
    /// Builds a dataset from columns (used by tests, benchmarks and callers that synthesise data).
    /// Returns `None` when the columns differ in length or a name repeats.
    pub fn from_columns(id: &str, columns: Vec<Column>) -> Option<Dataset> {
        let n_rows = columns.first().map(|c| c.values.len()).unwrap_or(0);
        if columns.iter().any(|c| c.values.len() != n_rows) {
            return None;
        }
        let mut seen = HashSet::new();
        if !columns.iter().all(|c| seen.insert(c.name.clone())) {
            return None;
        }
        let meta = synthesized_meta(id, &columns);
        Some(Dataset {
            id: id.to_string(),
            meta,
            meta_inferred: true,
            columns,
            sha256: String::new(),
            n_rows,
        })
    }
    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// Column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

fn synthesized_meta(id: &str, columns: &[Column]) -> DatasetMeta {
    DatasetMeta {
        title: id.to_string(),
        description: String::new(),
        source: String::new(),
        source_table: String::new(),
        source_page: None,
        license: "unknown".into(),
        taken_from: TakenFrom::Table,
        notes: String::new(),
        dialect: Dialect::default(),
        columns: columns
            .iter()
            .map(|c| ColumnMeta {
                name: c.name.clone(),
                ty: c.ty,
                label: BTreeMap::new(),
                unit: String::new(),
            })
            .collect(),
    }
}

/// Byte spans of every key in a TOML document, by dotted path (`dialect.decimal`,
/// `columns.2.name`, with 0-based array indexes). Empty when the TOML does not parse.
pub(crate) fn key_spans(src: &str) -> HashMap<String, Range<usize>> {
    fn walk(prefix: &str, v: &toml::de::DeValue<'_>, out: &mut HashMap<String, Range<usize>>) {
        match v {
            toml::de::DeValue::Table(t) => {
                for (k, val) in t.iter() {
                    let path = if prefix.is_empty() {
                        k.get_ref().to_string()
                    } else {
                        format!("{prefix}.{}", k.get_ref())
                    };
                    out.insert(path.clone(), k.span());
                    walk(&path, val.get_ref(), out);
                }
            }
            toml::de::DeValue::Array(a) => {
                for (i, val) in a.iter().enumerate() {
                    let path = format!("{prefix}.{i}");
                    out.insert(path.clone(), val.span());
                    walk(&path, val.get_ref(), out);
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    if let Ok(doc) = toml::de::DeTable::parse(src) {
        walk("", &toml::de::DeValue::Table(doc.into_inner()), &mut out);
    }
    out
}

/// The parsed dialect, ready for use.
#[derive(Debug, Clone)]
struct Parsed {
    delimiter: u8,
    quote: u8,
    decimal_comma: bool,
    thousands: Option<char>,
    missing: Vec<String>,
}

fn parse_meta(toml_src: &str) -> Result<DatasetMeta, DataError> {
    toml::from_str::<DatasetMeta>(toml_src).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let msg = e.message().trim().to_string();
        let hint = if msg.contains("unknown field") {
            "remove the key or fix its spelling; the allowed keys are listed in docs/authoring.md (Datasets)"
        } else if msg.contains("missing field") {
            "add the key; see the example in docs/authoring.md (Datasets)"
        } else if msg.contains("unknown variant") {
            "use one of the allowed values listed in the message"
        } else {
            "fix the TOML syntax or value type; see docs/authoring.md (Datasets)"
        };
        DataError::toml_at(toml_src, offset, format!("invalid dataset metadata: {msg}"), hint)
    })
}

fn single_byte(
    value: &str,
    key: &str,
    toml_src: &str,
    spans: &HashMap<String, Range<usize>>,
) -> Result<u8, DataError> {
    let v = if value == "\\t" { "\t" } else { value };
    let mut chars = v.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && c != '\n' && c != '\r' => Ok(c as u8),
        _ => Err(DataError::toml_at(
            toml_src,
            spans.get(key).map(|s| s.start).unwrap_or(0),
            format!("`{key}` must be a single ASCII character, found {value:?}"),
            "write e.g. delimiter = \",\", \";\" or \"\\t\"",
        )),
    }
}

fn parse_dialect(
    d: &Dialect,
    toml_src: &str,
    spans: &HashMap<String, Range<usize>>,
) -> Result<(Parsed, &'static encoding_rs::Encoding), DataError> {
    let at = |key: &str| spans.get(key).map(|s| s.start).unwrap_or(0);
    let delimiter = single_byte(&d.delimiter, "dialect.delimiter", toml_src, spans)?;
    let quote = single_byte(&d.quote, "dialect.quote", toml_src, spans)?;
    let decimal_comma = match d.decimal.as_str() {
        "." => false,
        "," => true,
        other => {
            return Err(DataError::toml_at(
                toml_src,
                at("dialect.decimal"),
                format!("unknown decimal mark {other:?}"),
                "write decimal = \".\" or decimal = \",\"",
            ))
        }
    };
    let thousands = match d.thousands.as_str() {
        "" => None,
        " " => Some(' '),
        "," => Some(','),
        "." => Some('.'),
        "\u{a0}" => Some('\u{a0}'),
        "'" => Some('\''),
        other => {
            return Err(DataError::toml_at(
                toml_src,
                at("dialect.thousands"),
                format!("unknown thousands separator {other:?}"),
                "write thousands = \"\", \" \", \",\", \".\" or \"\\u00a0\"",
            ))
        }
    };
    let dec = if decimal_comma { ',' } else { '.' };
    if thousands == Some(dec) {
        return Err(DataError::toml_at(
            toml_src,
            at("dialect.thousands"),
            format!("the thousands separator {dec:?} is also the decimal mark"),
            "use different characters for decimal and thousands",
        ));
    }
    if decimal_comma && delimiter == b',' {
        // Allowed only when fields are quoted; we cannot know, so it is fine: ragged rows report it.
    }
    let enc = encoding_by_name(&d.encoding).ok_or_else(|| {
        DataError::toml_at(
            toml_src,
            at("dialect.encoding"),
            format!("unknown encoding {:?}", d.encoding),
            "write encoding = \"utf-8\" or encoding = \"windows-1251\" (convert other encodings to UTF-8)",
        )
    })?;
    Ok((
        Parsed {
            delimiter,
            quote,
            decimal_comma,
            thousands,
            missing: d.missing.iter().map(|m| m.trim().to_string()).collect(),
        },
        enc,
    ))
}

fn encoding_by_name(name: &str) -> Option<&'static encoding_rs::Encoding> {
    let enc = encoding_rs::Encoding::for_label(name.trim().as_bytes())?;
    if enc == encoding_rs::UTF_8 || enc == encoding_rs::WINDOWS_1251 {
        Some(enc)
    } else {
        None
    }
}

/// Decodes the raw CSV bytes to text.
fn decode<'a>(
    bytes: &'a [u8],
    enc: &'static encoding_rs::Encoding,
) -> Result<std::borrow::Cow<'a, str>, DataError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DataError::csv(
            1,
            1,
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark)",
            "save the CSV as UTF-8",
        ));
    }
    if enc == encoding_rs::UTF_8 {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        match std::str::from_utf8(body) {
            Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
            Err(e) => {
                let bad = e.valid_up_to();
                let prefix = body.get(..bad).unwrap_or(&[]);
                let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
                let line_start = prefix
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map(|i| i + 1)
                    .unwrap_or(0);
                let field = prefix
                    .get(line_start..)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|&&b| b == b',' || b == b';' || b == b'\t')
                    .count()
                    + 1;
                let shown: Vec<String> = body
                    .get(bad..(bad + 4).min(body.len()))
                    .unwrap_or(&[])
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect();
                Err(DataError::csv(
                    line,
                    field,
                    format!(
                        "invalid UTF-8 at byte {} (bytes {})",
                        bad + (bytes.len() - body.len()),
                        shown.join(" ")
                    ),
                    "save the file as UTF-8, or declare its encoding in [dialect], e.g. encoding = \"windows-1251\"",
                ))
            }
        }
    } else {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(DataError::csv(
                1,
                1,
                format!("the bytes are not valid {}", enc.name()),
                "check the declared encoding in [dialect]",
            ));
        }
        Ok(text)
    }
}

/// Parses a number written per the dialect; `None` if it is not one (or not finite).
pub(crate) fn parse_number(s: &str, decimal_comma: bool, thousands: Option<char>) -> Option<f64> {
    if !decimal_comma && thousands.is_none() {
        // Fast path; reject what Rust accepts but a CSV number should not be.
        let first = s.as_bytes().first()?;
        if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
            return None;
        }
        if let Some(x) = fast_decimal(s.as_bytes()) {
            return Some(x);
        }
        return s.parse::<f64>().ok().filter(|x| x.is_finite());
    }
    let clean = normalize_number(s, decimal_comma, thousands, true)?;
    clean.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path for plain decimals (`-123.456`): when the digits form an integer of at
/// most 2^53 and there are at most 22 decimals, one IEEE division of two exact values is the
/// correctly rounded result, identical to `str::parse`. `None` means "use the general parser".
fn fast_decimal(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, b.get(1..)?),
        b'+' => (false, b.get(1..)?),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut n_digits = 0u32;
    let mut frac = 0usize;
    let mut dot = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if n_digits >= 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                n_digits += 1;
                if dot {
                    frac += 1;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if n_digits == 0 || mantissa > (1u64 << 53) {
        return None;
    }
    let x = mantissa as f64 / *POW10.get(frac)?;
    Some(if neg { -x } else { x })
}

/// Parses an integer written per the dialect.
pub(crate) fn parse_integer(s: &str, thousands: Option<char>) -> Option<i64> {
    if thousands.is_none() {
        let first = s.as_bytes().first()?;
        if !(first.is_ascii_digit() || matches!(first, b'-' | b'+')) {
            return None;
        }
        return s.parse::<i64>().ok();
    }
    let clean = normalize_number(s, false, thousands, false)?;
    clean.parse::<i64>().ok()
}

fn is_thousands_char(c: char, sep: char) -> bool {
    if sep == ' ' {
        matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
    } else {
        c == sep
    }
}

/// Validates grouping (groups of exactly three digits) and returns an ASCII number for `parse`.
fn normalize_number(
    s: &str,
    decimal_comma: bool,
    thousands: Option<char>,
    allow_fraction: bool,
) -> Option<String> {
    let dec = if decimal_comma { ',' } else { '.' };
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    if let Some(&c) = chars.peek() {
        if c == '-' || c == '+' {
            out.push(c);
            chars.next();
        }
    }
    // integer part with optional grouping
    let mut groups: Vec<usize> = vec![0];
    let mut grouped = false;
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            out.push(c);
            if let Some(last) = groups.last_mut() {
                *last += 1;
            }
            chars.next();
        } else if thousands.is_some_and(|t| is_thousands_char(c, t)) {
            grouped = true;
            groups.push(0);
            chars.next();
        } else {
            break;
        }
    }
    if grouped {
        let first_ok = groups.first().is_some_and(|&g| (1..=3).contains(&g));
        let rest_ok = groups.iter().skip(1).all(|&g| g == 3);
        if !(first_ok && rest_ok) {
            return None;
        }
    }
    let int_digits: usize = groups.iter().sum();
    let mut frac_digits = 0;
    if let Some(&c) = chars.peek() {
        if c == dec {
            if !allow_fraction {
                return None;
            }
            out.push('.');
            chars.next();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() {
                    out.push(c);
                    frac_digits += 1;
                    chars.next();
                } else {
                    break;
                }
            }
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if let Some(&c) = chars.peek() {
        if (c == 'e' || c == 'E') && allow_fraction {
            out.push('e');
            chars.next();
            if let Some(&c) = chars.peek() {
                if c == '-' || c == '+' {
                    out.push(c);
                    chars.next();
                }
            }
            let mut exp_digits = 0;
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() {
                    out.push(c);
                    exp_digits += 1;
                    chars.next();
                } else {
                    break;
                }
            }
            if exp_digits == 0 {
                return None;
            }
        }
    }
    if chars.next().is_some() {
        return None;
    }
    Some(out)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Validates an ISO date `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y: i32 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    let d: u32 = s.get(8..10)?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days || !s.get(0..4)?.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(s.to_string())
}

fn parse_cell(
    raw: &str,
    ty: ColumnType,
    p: &Parsed,
    line: usize,
    field: usize,
    col_name: &str,
) -> Result<Value, DataError> {
    let s = raw.trim();
    if p.missing.iter().any(|m| m == s) {
        return Ok(Value::Missing);
    }
    let missing_hint = || {
        let markers: Vec<String> = p.missing.iter().map(|m| format!("{m:?}")).collect();
        format!(
            "write a plain {} (the dialect's missing markers are [{}]; add this text to `missing` in [dialect] if it means \"no value\")",
            ty,
            markers.join(", ")
        )
    };
    match ty {
        ColumnType::String => Ok(Value::Text(raw.to_string())),
        ColumnType::Number => parse_number(s, p.decimal_comma, p.thousands)
            .map(Value::Number)
            .ok_or_else(|| {
                let dec = if p.decimal_comma { "," } else { "." };
                let th = match p.thousands {
                    None => "none".to_string(),
                    Some(c) => format!("{c:?}"),
                };
                DataError::csv(
                    line,
                    field,
                    format!(
                        "`{raw}` in number column `{col_name}` is not a number (decimal mark {dec:?}, thousands separator {th})"
                    ),
                    format!("{}; stars, % signs and footnote marks belong in other columns or in `notes`", missing_hint()),
                )
            }),
        ColumnType::Integer | ColumnType::Year => parse_integer(s, p.thousands)
            .map(Value::Integer)
            .ok_or_else(|| {
                let hint = if parse_number(s, p.decimal_comma, p.thousands).is_some() {
                    format!("`{col_name}` is declared {ty}; declare type = \"number\" if it has decimals")
                } else {
                    missing_hint()
                };
                DataError::csv(
                    line,
                    field,
                    format!("`{raw}` in {ty} column `{col_name}` is not a whole number"),
                    hint,
                )
            }),
        ColumnType::Boolean => parse_bool(s).map(Value::Boolean).ok_or_else(|| {
            DataError::csv(
                line,
                field,
                format!("`{raw}` in boolean column `{col_name}` is not true/false"),
                "write true or false (yes/no and 1/0 are accepted too)",
            )
        }),
        ColumnType::Date => parse_date(s).map(Value::Date).ok_or_else(|| {
            DataError::csv(
                line,
                field,
                format!("`{raw}` in date column `{col_name}` is not a date YYYY-MM-DD"),
                "write dates as ISO 8601, e.g. 2024-03-31, or declare the column as string or year",
            )
        }),
    }
}

/// A field that holds a line break: in a dataset that is an opening quote without its closing
/// quote, which swallowed the rows after it into one field.
fn stray_quote(record: &csv::ByteRecord, line: usize, quote: u8) -> DataError {
    let (i, field) = record
        .iter()
        .enumerate()
        .find(|(_, f)| f.iter().any(|&b| b == b'\n' || b == b'\r'))
        .unwrap_or((0, &[][..]));
    let lines = field.iter().filter(|&&b| b == b'\n').count() + 1;
    DataError::csv(
        line,
        i + 1,
        format!(
            "field {} of this row is quoted and runs over {lines} lines: a quote ({}) is opened but not closed",
            i + 1,
            quote as char
        ),
        "close the quote in this field (write a quote inside a quoted field as two quotes); a value cannot contain a line break",
    )
}

fn infer_type(values: &[&str], p: &Parsed) -> ColumnType {
    let present: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !p.missing.iter().any(|m| m == v))
        .collect();
    if present.is_empty() {
        return ColumnType::String;
    }
    if present
        .iter()
        .all(|v| parse_integer(v, p.thousands).is_some())
    {
        ColumnType::Integer
    } else if present
        .iter()
        .all(|v| parse_number(v, p.decimal_comma, p.thousands).is_some())
    {
        ColumnType::Number
    } else if present.iter().all(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no"
        )
    }) {
        ColumnType::Boolean
    } else if present.iter().all(|v| parse_date(v).is_some()) {
        ColumnType::Date
    } else {
        ColumnType::String
    }
}

/// Parses a dataset from the raw CSV bytes and its TOML metadata.
///
/// `toml_src = None` infers the column types (integer, number, boolean, date, else string) with the
/// default dialect, and returns a warning saying so. Returns the dataset and warnings.
pub fn load(
    id: &str,
    csv_bytes: &[u8],
    toml_src: Option<&str>,
) -> Result<(Dataset, Vec<String>), DataError> {
    let mut warnings = Vec::new();
    let (meta, parsed, enc) = match toml_src {
        Some(src) => {
            let meta = parse_meta(src)?;
            let spans = key_spans(src);
            let (parsed, enc) = parse_dialect(&meta.dialect, src, &spans)?;
            (Some((meta, spans)), parsed, enc)
        }
        None => {
            let d = Dialect::default();
            let (parsed, enc) = parse_dialect(&d, "", &HashMap::new())?;
            (None, parsed, enc)
        }
    };
    let text = decode(csv_bytes, enc)?;
    if text.trim().is_empty() {
        return Err(DataError::csv(
            1,
            1,
            "the CSV file is empty",
            "write a header line with the column names, then one line per row",
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(parsed.delimiter)
        .quote(parsed.quote)
        .buffer_capacity(1 << 16)
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
        DataError::csv(
            line,
            1,
            format!("the CSV cannot be read: {e}"),
            "check quoting: every opening quote needs a closing quote",
        )
    };
    // Header
    let got = rdr.read_byte_record(&mut record).map_err(csv_err)?;
    if !got {
        return Err(DataError::csv(
            1,
            1,
            "the CSV file is empty",
            "write a header line with the column names",
        ));
    }
    // Physical line numbers, computed only when needed (for errors): the csv crate does not
    // count skipped blank lines, so count the newlines before the record's byte offset.
    let text_bytes = text.as_bytes();
    let line_at = |byte: u64| -> usize {
        let mut b = (byte as usize).min(text_bytes.len());
        // the reported offset may include skipped blank lines
        while text_bytes
            .get(b)
            .is_some_and(|c| *c == b'\n' || *c == b'\r')
        {
            b += 1;
        }
        1 + text_bytes
            .get(..b)
            .map(|s| s.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0)
    };
    let header_line = line_at(record.position().map(|p| p.byte()).unwrap_or(0));
    let mut header: Vec<String> = Vec::with_capacity(record.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, f) in record.iter().enumerate() {
        let name = String::from_utf8_lossy(f).to_string();
        if name.trim().is_empty() {
            return Err(DataError::csv(
                header_line,
                i + 1,
                format!("column {} has an empty name in the header", i + 1),
                "give every column a name (or remove a trailing delimiter)",
            ));
        }
        if let Some(prev) = seen.insert(name.clone(), i + 1) {
            return Err(DataError::csv(
                header_line,
                i + 1,
                format!("duplicate column `{name}` (also column {prev})"),
                "column names must be unique; rename one of them",
            ));
        }
        header.push(name);
    }
    let ncol = header.len();

    let types: Option<Vec<ColumnType>> = match &meta {
        Some((m, spans)) => {
            let src = toml_src.unwrap_or("");
            for (i, name) in header.iter().enumerate() {
                match m.columns.get(i) {
                    None => {
                        return Err(DataError::csv(
                            header_line,
                            i + 1,
                            format!(
                                "CSV column {} `{name}` has no [[columns]] entry in the TOML (it declares {} columns)",
                                i + 1,
                                m.columns.len()
                            ),
                            "add a [[columns]] entry for every CSV column, in order",
                        ))
                    }
                    Some(cm) if &cm.name != name => {
                        return Err(DataError::csv(
                            header_line,
                            i + 1,
                            format!(
                                "CSV header column {} is `{name}`, but [[columns]] entry {} in the TOML is named `{}`",
                                i + 1,
                                i + 1,
                                cm.name
                            ),
                            "list the [[columns]] in the CSV's order, with names exactly as in the header",
                        ))
                    }
                    Some(_) => {}
                }
            }
            if m.columns.len() > ncol {
                let extra = m
                    .columns
                    .get(ncol)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                let off = spans
                    .get(&format!("columns.{ncol}.name"))
                    .or_else(|| spans.get(&format!("columns.{ncol}")))
                    .map(|s| s.start)
                    .unwrap_or(0);
                return Err(DataError::toml_at(
                    src,
                    off,
                    format!(
                        "[[columns]] entry {} `{extra}` is not in the CSV header, which has {ncol} columns",
                        ncol + 1
                    ),
                    "remove the entry or add the column to the CSV",
                ));
            }
            Some(m.columns.iter().map(|c| c.ty).collect())
        }
        None => None,
    };

    let mut columns: Vec<Column> = header
        .iter()
        .enumerate()
        .map(|(i, name)| Column {
            name: name.clone(),
            ty: types
                .as_ref()
                .and_then(|t| t.get(i).copied())
                .unwrap_or(ColumnType::String),
            values: Vec::new(),
        })
        .collect();
    let mut raw_rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut n_rows = 0usize;
    let plain_numbers = !parsed.decimal_comma && parsed.thousands.is_none();
    if types.is_some() {
        let estimate = text_bytes.iter().filter(|&&c| c == b'\n').count() + 1;
        for col in columns.iter_mut() {
            col.values.reserve(estimate);
        }
    }
    loop {
        let got = rdr.read_byte_record(&mut record).map_err(csv_err)?;
        if !got {
            break;
        }
        let byte = record.position().map(|p| p.byte()).unwrap_or(0);
        if record.as_slice().iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(stray_quote(&record, line_at(byte), parsed.quote));
        }
        if record.len() != ncol {
            // a line that is only whitespace counts as blank
            if record.len() == 1
                && record
                    .get(0)
                    .is_some_and(|f| f.iter().all(|b| b.is_ascii_whitespace()))
            {
                continue;
            }
            return Err(DataError::csv(
                line_at(byte),
                record.len().min(ncol) + 1,
                format!(
                    "row has {} fields but the header has {ncol}",
                    record.len()
                ),
                "check for an unquoted delimiter inside a value (e.g. a decimal comma with delimiter \",\"): quote the field or change [dialect] delimiter",
            ));
        }
        n_rows += 1;
        if types.is_some() {
            for (i, (f, col)) in record.iter().zip(columns.iter_mut()).enumerate() {
                // Fast path for plain numbers in the default number format: no UTF-8 check,
                // no Unicode trimming; anything unusual falls through to the general parser.
                if col.ty == ColumnType::Number && plain_numbers {
                    let b = f.trim_ascii();
                    if !parsed.missing.iter().any(|m| m.as_bytes() == b) {
                        if let Some(x) = fast_decimal(b) {
                            col.values.push(Value::Number(x));
                            continue;
                        }
                    }
                }
                let s = std::str::from_utf8(f).map_err(|_| {
                    DataError::csv(
                        line_at(byte),
                        i + 1,
                        "invalid UTF-8 in field",
                        "save the file as UTF-8",
                    )
                })?;
                let v = parse_cell(s, col.ty, &parsed, 0, i + 1, &col.name).map_err(|mut e| {
                    e.line = line_at(byte);
                    e
                })?;
                col.values.push(v);
            }
        } else {
            let row: Vec<String> = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).to_string())
                .collect();
            raw_rows.push((byte, row));
        }
    }

    let meta = match meta {
        Some((m, _)) => m,
        None => {
            let mut described = Vec::new();
            for (i, col) in columns.iter_mut().enumerate() {
                let vals: Vec<&str> = raw_rows
                    .iter()
                    .map(|(_, r)| r.get(i).map(|s| s.as_str()).unwrap_or(""))
                    .collect();
                col.ty = infer_type(&vals, &parsed);
                described.push(format!("{}: {}", col.name, col.ty));
            }
            for (byte, row) in &raw_rows {
                for (i, (s, col)) in row.iter().zip(columns.iter_mut()).enumerate() {
                    let v =
                        parse_cell(s, col.ty, &parsed, 0, i + 1, &col.name).map_err(|mut e| {
                            e.line = line_at(*byte);
                            e
                        })?;
                    col.values.push(v);
                }
            }
            warnings.push(format!(
                "dataset `{id}` has no metadata file; column types were inferred ({}); add data/{id}.toml",
                described.join(", ")
            ));
            synthesized_meta(id, &columns)
        }
    };
    if n_rows == 0 {
        warnings.push(format!("dataset `{id}` has a header but no data rows"));
    }
    let sha256 = hex(&Sha256::digest(csv_bytes));
    Ok((
        Dataset {
            id: id.to_string(),
            meta_inferred: toml_src.is_none(),
            meta,
            columns,
            sha256,
            n_rows,
        },
        warnings,
    ))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"
title = "T"
source = "k2024"
source_table = "Table 1"
license = "unknown"
taken_from = "table"

[[columns]]
name = "city"
type = "string"

[[columns]]
name = "x"
type = "number"
"#;

    fn meta_with_dialect(d: &str) -> String {
        META.replacen("[[columns]]", &format!("{d}\n\n[[columns]]"), 1)
    }

    #[test]
    fn plain_load() {
        let (ds, w) = load("d", b"city,x\nAstana,1.5\nAlmaty,NA\n", Some(META)).unwrap();
        assert!(w.is_empty());
        assert_eq!(ds.n_rows(), 2);
        assert_eq!(
            ds.column("x").unwrap().values,
            vec![Value::Number(1.5), Value::Missing]
        );
        assert_eq!(ds.sha256.len(), 64);
    }

    #[test]
    fn decimal_comma_semicolon_and_space_thousands() {
        let m =
            meta_with_dialect("[dialect]\ndelimiter = \";\"\ndecimal = \",\"\nthousands = \" \"");
        let csv = "city;x\nA;1 234,5\nB;\u{a0}-0,25\nC;12\u{202f}000\n";
        let (ds, _) = load("d", csv.as_bytes(), Some(&m)).unwrap();
        assert_eq!(
            ds.column("x").unwrap().values,
            vec![
                Value::Number(1234.5),
                Value::Number(-0.25),
                Value::Number(12000.0)
            ]
        );
    }

    #[test]
    fn thousands_grouping_is_validated() {
        let m = meta_with_dialect("[dialect]\nthousands = \",\"\nquote = \"'\"");
        let e = load("d", b"city,x\nA,'1,5'\n", Some(&m)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 2, 2));
        assert!(e.message.contains("`1,5`"), "{}", e.message);
        let (ds, _) = load("d", b"city,x\nA,'1,500,000.25'\n", Some(&m)).unwrap();
        assert_eq!(
            ds.column("x").unwrap().values,
            vec![Value::Number(1_500_000.25)]
        );
    }

    #[test]
    fn windows_1251_bytes() {
        let m = meta_with_dialect("[dialect]\nencoding = \"windows-1251\"");
        // "Алматы" in windows-1251
        let mut bytes = b"city,x\n".to_vec();
        bytes.extend_from_slice(&[0xC0, 0xEB, 0xEC, 0xE0, 0xF2, 0xFB]);
        bytes.extend_from_slice(b",2\n");
        let (ds, _) = load("d", &bytes, Some(&m)).unwrap();
        assert_eq!(
            ds.column("city").unwrap().values,
            vec![Value::Text("Алматы".into())]
        );
    }

    #[test]
    fn bom_and_crlf() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(b"city,x\r\nA,1\r\nB,2\r\n");
        let (ds, _) = load("d", &bytes, Some(META)).unwrap();
        assert_eq!(ds.column_names(), vec!["city", "x"]);
        assert_eq!(
            ds.column("x").unwrap().values,
            vec![Value::Number(1.0), Value::Number(2.0)]
        );
        assert_eq!(
            ds.column("city").unwrap().values[1],
            Value::Text("B".into())
        );
    }

    #[test]
    fn missing_markers() {
        let m = meta_with_dialect("[dialect]\nmissing = [\"-\", \"n/a\"]");
        let (ds, _) = load("d", b"city,x\nA, - \nB,n/a\nC,3\n", Some(&m)).unwrap();
        assert_eq!(
            ds.column("x").unwrap().values,
            vec![Value::Missing, Value::Missing, Value::Number(3.0)]
        );
        // "" is no longer a marker: an empty number cell is an error
        let e = load("d", b"city,x\nA,\n", Some(&m)).unwrap_err();
        assert_eq!((e.line, e.column), (2, 2));
    }

    #[test]
    fn ragged_row() {
        let e = load("d", b"city,x\nA,1\nB,2,3\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 3, 3));
        assert!(e.message.contains("3 fields"));
        let e = load("d", b"city,x\nA,1\n\nB\n", Some(META)).unwrap_err();
        assert_eq!((e.line, e.column), (4, 2));
    }

    #[test]
    fn unclosed_quote_is_reported_where_it_opens() {
        // The quote swallows the following rows into one field; the field count may even fit.
        let e = load("d", b"city,x\n\"A,1\nB,2\nC\",3\nD,4\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 2, 1));
        assert!(e.message.contains("not closed"), "{}", e.message);
        let e = load("d", b"city,x\nA,1\n\"B,2\n", Some(META)).unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
    }

    #[test]
    fn non_number() {
        let e = load("d", b"city,x\nA,1\nB,12.5*\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 3, 2));
        assert!(e.message.contains("`12.5*`"));
        assert!(!e.hint.is_empty());
        let e = load("d", b"city,x\nA,NaN\n", Some(META)).unwrap_err();
        assert_eq!((e.line, e.column), (2, 2));
        // a decimal comma under the default dialect
        let e = load("d", b"city,x\nA,\"1,5\"\n", Some(META)).unwrap_err();
        assert!(e.message.contains("1,5"));
    }

    #[test]
    fn integer_with_decimals() {
        let m = META.replace("type = \"number\"", "type = \"integer\"");
        let e = load("d", b"city,x\nA,1.5\n", Some(&m)).unwrap_err();
        assert!(e.hint.contains("number"));
    }

    #[test]
    fn unknown_encoding() {
        let m = meta_with_dialect("[dialect]\nencoding = \"latin1\"");
        let e = load("d", b"city,x\n", Some(&m)).unwrap_err();
        assert_eq!(e.file, DataFile::Toml);
        assert!(e.message.contains("latin1"));
        let line = m.lines().position(|l| l.contains("latin1")).unwrap() + 1;
        assert_eq!(e.line, line);
    }

    #[test]
    fn invalid_utf8() {
        let e = load("d", b"city,x\nA,1\nB\xff,2\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 3, 1));
        assert!(e.message.contains("UTF-8"));
    }

    #[test]
    fn duplicate_column() {
        let e = load("d", b"city,x,x\n", None).unwrap_err();
        assert_eq!((e.line, e.column), (1, 3));
        assert!(e.message.contains("duplicate column `x`"));
    }

    #[test]
    fn empty_file() {
        for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\n"] {
            let e = load("d", bytes, Some(META)).unwrap_err();
            assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 1, 1));
            assert!(e.message.contains("empty"));
        }
    }

    #[test]
    fn header_mismatch() {
        let e = load("d", b"city,y\nA,1\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 1, 2));
        assert!(e.message.contains("`y`") && e.message.contains("`x`"));
        let e = load("d", b"city,x,z\nA,1,2\n", Some(META)).unwrap_err();
        assert_eq!((e.file, e.line, e.column), (DataFile::Csv, 1, 3));
        let e = load("d", b"city\nA\n", Some(META)).unwrap_err();
        assert_eq!(e.file, DataFile::Toml);
        let line = META
            .lines()
            .position(|l| l.contains("name = \"x\""))
            .unwrap()
            + 1;
        assert_eq!(e.line, line);
    }

    #[test]
    fn unknown_toml_key() {
        let m = META.replace(
            "license = \"unknown\"",
            "license = \"unknown\"\nlicence = \"x\"",
        );
        let e = load("d", b"city,x\n", Some(&m)).unwrap_err();
        assert_eq!(e.file, DataFile::Toml);
        assert!(e.message.contains("licence"), "{}", e.message);
        let line = m.lines().position(|l| l.starts_with("licence")).unwrap() + 1;
        assert_eq!((e.line, e.column), (line, 1));
        // unknown column key
        let m = META.replace("type = \"string\"", "type = \"string\"\nlabels = {}");
        let e = load("d", b"city,x\n", Some(&m)).unwrap_err();
        assert!(e.message.contains("labels"));
        // unknown type
        let m = META.replace("type = \"string\"", "type = \"text\"");
        let e = load("d", b"city,x\n", Some(&m)).unwrap_err();
        assert!(e.message.contains("text"));
    }

    #[test]
    fn inferred_types_warn() {
        let (ds, w) = load(
            "d",
            b"name,n,x,flag,day\nA,1,1.5,true,2024-01-31\nB,2,NA,false,2024-02-29\n",
            None,
        )
        .unwrap();
        let tys: Vec<ColumnType> = ds.columns.iter().map(|c| c.ty).collect();
        assert_eq!(
            tys,
            vec![
                ColumnType::String,
                ColumnType::Integer,
                ColumnType::Number,
                ColumnType::Boolean,
                ColumnType::Date
            ]
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("inferred"));
        assert!(ds.meta_inferred);
    }

    #[test]
    fn typed_columns() {
        let m = r#"
title = "T"
source = "k"
source_table = "text"
source_page = 12
license = "unknown"
taken_from = "text"
[[columns]]
name = "y"
type = "year"
[[columns]]
name = "b"
type = "boolean"
[[columns]]
name = "d"
type = "date"
"#;
        let (ds, _) = load("d", b"y,b,d\n2020,yes,2020-12-31\n", Some(m)).unwrap();
        assert_eq!(ds.meta.source_page.as_deref(), Some("12"));
        assert_eq!(ds.columns[0].values, vec![Value::Integer(2020)]);
        assert_eq!(ds.columns[1].values, vec![Value::Boolean(true)]);
        let e = load("d", b"y,b,d\n2020,yes,2021-02-29\n", Some(m)).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
    }

    #[test]
    fn utf16_is_rejected() {
        let e = load("d", &[0xFF, 0xFE, b'a', 0], Some(META)).unwrap_err();
        assert!(e.message.contains("UTF-16"));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x1234_5678;
        let alphabet = b"ab,;\"\n\r 0123456789.-eNA\xff\xd0\x90\t";
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(x >> 33) as usize % alphabet.len()]
                })
                .collect();
            let _ = load("d", &bytes, Some(META));
            let _ = load("d", &bytes, None);
            let mut csv = b"city,x\n".to_vec();
            csv.extend_from_slice(&bytes);
            let _ = load("d", &csv, Some(META));
        }
    }

    #[test]
    fn fast_decimal_agrees_with_std() {
        for s in [
            "0",
            "-0.0",
            "1.5",
            "123456.789",
            "0.1",
            "0.30000000000000004",
            "9007199254740993",
            "1234567890123456789",
            ".5",
            "5.",
            "-12.3400",
        ] {
            let std = s.parse::<f64>().ok();
            let fast = fast_decimal(s.as_bytes());
            if let Some(f) = fast {
                assert_eq!(Some(f.to_bits()), std.map(f64::to_bits), "{s}");
            }
            assert_eq!(
                parse_number(s, false, None).map(f64::to_bits),
                std.map(f64::to_bits),
                "{s}"
            );
        }
    }

    #[test]
    fn number_parser_edge_cases() {
        assert_eq!(parse_number("1e-3", false, None), Some(1e-3));
        assert_eq!(parse_number("inf", false, None), None);
        assert_eq!(parse_number("1.234,5", true, Some('.')), Some(1234.5));
        assert_eq!(parse_number("1.23,5", true, Some('.')), None);
        assert_eq!(parse_number("-", true, None), None);
        assert_eq!(parse_number(",5", true, None), Some(0.5));
        assert_eq!(parse_integer("1 000 000", Some(' ')), Some(1_000_000));
        assert_eq!(parse_integer("10 00", Some(' ')), None);
    }
}
