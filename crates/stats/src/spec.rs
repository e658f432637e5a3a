//! The `{table}` directive: a block of TOML parsed into a typed [`TableSpec`].
//!
//! Keys common to every table: `id` (starts with `tbl-`; lowercase letters, digits, `-`, `_`),
//! `caption`, `dataset`, `op`, `where`, `level` (default 0.95), `digits`, `stars`, `[[expect]]`.
//! Each op has its own parameters ([`Op`]); an unknown op, an unknown key, a parameter that
//! belongs to another op, a missing parameter or a value of the wrong type is a [`SpecError`] at
//! the 1-based line and column *within the block* of the key (or value) at fault. Formula
//! expressions (`where`, `columns` of `formula`) are syntax-checked here too, and their errors
//! point at the offending character.
//!
//! A block with only `id`, `caption` and optionally `digits` is a *reference* to a table defined
//! elsewhere (the Russian and Kazakh versions of a page): [`TableSpec::is_reference`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::dataset::{hex, line_col};
use crate::formula::{closest, Expr};

/// An error in a `{table}` block, at a 1-based line and column within the block.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message} (hint: {hint})")]
pub struct SpecError {
    /// 1-based line within the block.
    pub line: usize,
    /// 1-based character column within the line.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Sort order of `view`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sort {
    /// Column to sort by.
    pub column: String,
    /// `"-col"`: descending.
    pub descending: bool,
}

/// Correlation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrMethod {
    /// Pearson's r.
    Pearson,
    /// Spearman's rank correlation.
    Spearman,
}

/// The operation of a table with its typed parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The selected rows and columns.
    View {
        /// Columns to show (default: all).
        columns: Option<Vec<String>>,
        /// `sort = "col"` or `"-col"`.
        sort: Option<Sort>,
        /// Maximum number of rows.
        limit: Option<usize>,
    },
    /// Data plus computed columns.
    Formula {
        /// `name = "expression"`, computed in order.
        columns: Vec<(String, String)>,
        /// Columns to show (default: all).
        keep: Option<Vec<String>>,
    },
    /// Descriptive statistics per variable.
    Describe {
        /// Numeric columns.
        columns: Vec<String>,
        /// Optional grouping column.
        by: Option<String>,
    },
    /// Frequency table.
    Freq {
        /// The column counted.
        column: String,
        /// Optional weight column.
        weight: Option<String>,
    },
    /// Contingency table with a chi-square test.
    Crosstab {
        /// Row variable.
        rows: String,
        /// Column variable.
        cols: String,
        /// Column of pre-aggregated counts.
        count: Option<String>,
        /// `percent = "row"`: cells are row percentages.
        row_percent: bool,
    },
    /// Correlation matrix.
    Correlate {
        /// Numeric columns (at least two).
        columns: Vec<String>,
        /// Pearson (default) or Spearman.
        method: CorrMethod,
    },
    /// OLS regression.
    Regress {
        /// Response.
        y: String,
        /// Predictors (string columns become dummies).
        x: Vec<String>,
        /// `robust = "hc1"`.
        hc1: bool,
    },
    /// OLS reconstructed from a correlation matrix, means, standard deviations and n.
    RegressSummary {
        /// Means by variable.
        means: Vec<(String, f64)>,
        /// Standard deviations by variable.
        sds: Vec<(String, f64)>,
        /// Sample size.
        n: u64,
        /// Response.
        y: String,
        /// Predictors.
        x: Vec<String>,
    },
    /// Welch two-sample or one-sample t-test.
    Ttest {
        /// The measured column.
        column: String,
        /// Grouping column with two groups.
        by: Option<String>,
        /// Hypothesised mean (one-sample test).
        mu: Option<f64>,
    },
    /// One-way ANOVA.
    Anova {
        /// The measured column.
        column: String,
        /// Grouping column.
        by: String,
    },
    /// Change, percentage change and CAGR over time.
    Growth {
        /// Time column.
        time: String,
        /// Value columns.
        columns: Vec<String>,
    },
}

/// Names of all ops.
pub const OP_NAMES: &[&str] = &[
    "view",
    "formula",
    "describe",
    "freq",
    "crosstab",
    "correlate",
    "regress",
    "regress_summary",
    "ttest",
    "anova",
    "growth",
];

/// (op, required parameters, optional parameters)
const OP_PARAMS: &[(&str, &[&str], &[&str])] = &[
    ("view", &[], &["columns", "sort", "limit"]),
    ("formula", &["columns"], &["keep"]),
    ("describe", &["columns"], &["by"]),
    ("freq", &["column"], &["weight"]),
    ("crosstab", &["rows", "cols"], &["count", "percent"]),
    ("correlate", &["columns"], &["method"]),
    ("regress", &["y", "x"], &["robust"]),
    ("regress_summary", &["means", "sds", "n", "y", "x"], &[]),
    ("ttest", &["column"], &["by", "mu"]),
    ("anova", &["column", "by"], &[]),
    ("growth", &["time", "columns"], &[]),
];

const COMMON: &[&str] = &[
    "id", "caption", "dataset", "op", "where", "level", "digits", "stars", "labels", "expect",
];

impl Op {
    /// The op's name as written in `op = "…"`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::View { .. } => "view",
            Op::Formula { .. } => "formula",
            Op::Describe { .. } => "describe",
            Op::Freq { .. } => "freq",
            Op::Crosstab { .. } => "crosstab",
            Op::Correlate { .. } => "correlate",
            Op::Regress { .. } => "regress",
            Op::RegressSummary { .. } => "regress_summary",
            Op::Ttest { .. } => "ttest",
            Op::Anova { .. } => "anova",
            Op::Growth { .. } => "growth",
        }
    }

    fn params_json(&self) -> Map<String, Json> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Json| {
            m.insert(k.to_string(), v);
        };
        match self {
            Op::View {
                columns,
                sort,
                limit,
            } => {
                if let Some(c) = columns {
                    put("columns", json!(c));
                }
                if let Some(s) = sort {
                    let v = if s.descending {
                        format!("-{}", s.column)
                    } else {
                        s.column.clone()
                    };
                    put("sort", json!(v));
                }
                if let Some(l) = limit {
                    put("limit", json!(l));
                }
            }
            Op::Formula { columns, keep } => {
                let mut c = Map::new();
                for (k, v) in columns {
                    c.insert(k.clone(), json!(v));
                }
                put("columns", Json::Object(c));
                if let Some(k) = keep {
                    put("keep", json!(k));
                }
            }
            Op::Describe { columns, by } => {
                put("columns", json!(columns));
                if let Some(b) = by {
                    put("by", json!(b));
                }
            }
            Op::Freq { column, weight } => {
                put("column", json!(column));
                if let Some(w) = weight {
                    put("weight", json!(w));
                }
            }
            Op::Crosstab {
                rows,
                cols,
                count,
                row_percent,
            } => {
                put("rows", json!(rows));
                put("cols", json!(cols));
                if let Some(c) = count {
                    put("count", json!(c));
                }
                if *row_percent {
                    put("percent", json!("row"));
                }
            }
            Op::Correlate { columns, method } => {
                put("columns", json!(columns));
                put("method", json!(method));
            }
            Op::Regress { y, x, hc1 } => {
                put("y", json!(y));
                put("x", json!(x));
                if *hc1 {
                    put("robust", json!("hc1"));
                }
            }
            Op::RegressSummary {
                means,
                sds,
                n,
                y,
                x,
            } => {
                let obj = |v: &Vec<(String, f64)>| {
                    let mut o = Map::new();
                    for (k, x) in v {
                        o.insert(k.clone(), json!(x));
                    }
                    Json::Object(o)
                };
                put("means", obj(means));
                put("sds", obj(sds));
                put("n", json!(n));
                put("y", json!(y));
                put("x", json!(x));
            }
            Op::Ttest { column, by, mu } => {
                put("column", json!(column));
                if let Some(b) = by {
                    put("by", json!(b));
                }
                if let Some(m) = mu {
                    put("mu", json!(m));
                }
            }
            Op::Anova { column, by } => {
                put("column", json!(column));
                put("by", json!(by));
            }
            Op::Growth { time, columns } => {
                put("time", json!(time));
                put("columns", json!(columns));
            }
        }
        m
    }
}

/// One `[[expect]]`: a number the source prints, checked against the computed table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    /// Value of the table's first (key) column (an integer in the TOML is accepted as text).
    pub row: Option<String>,
    /// Column name.
    pub column: Option<String>,
    /// Summary statistic (`r2`, `chi2`, …); with `row` and `column`, an entry of a matrix
    /// statistic (e.g. correlate's `p`).
    pub stat: Option<String>,
    /// The printed number.
    pub printed: f64,
    /// The number as written in the TOML (to derive the default tolerance).
    pub printed_text: String,
    /// Explicit tolerance.
    pub tolerance: Option<f64>,
    /// Optional note.
    pub note: Option<String>,
    /// 1-based line of the `[[expect]]` header within the block.
    pub line: usize,
}

impl Expect {
    /// The tolerance in force: the explicit one, else half a unit in the last printed digit.
    pub fn effective_tolerance(&self) -> f64 {
        self.tolerance
            .unwrap_or_else(|| default_tolerance(&self.printed_text))
    }
}

/// Half a unit in the last digit of a number as written: `79.06` → 0.005, `12` → 0.5,
/// `1.5e-3` → 0.00005, `0.10` → 0.005.
pub fn default_tolerance(text: &str) -> f64 {
    let t = text.trim().trim_start_matches(['+', '-']).replace('_', "");
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => (
            t.get(..i).unwrap_or(""),
            t.get(i + 1..)
                .and_then(|e| e.parse::<i32>().ok())
                .unwrap_or(0),
        ),
        None => (t.as_str(), 0),
    };
    let decimals = mant
        .split_once('.')
        .map(|(_, f)| f.len() as i32)
        .unwrap_or(0);
    0.5 * 10f64.powi(exp - decimals)
}

/// A parsed `{table}` block.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// `tbl-…`, unique site-wide.
    pub id: String,
    /// Caption.
    pub caption: String,
    /// Dataset id (`None` in a reference block).
    pub dataset: Option<String>,
    /// The operation (`None` in a reference block).
    pub op: Option<Op>,
    /// Row filter expression.
    pub r#where: Option<String>,
    /// Confidence level (default 0.95).
    pub level: f64,
    /// Decimals shown.
    pub digits: Option<u32>,
    /// Significance stars on p-values.
    pub stars: bool,
    /// Display labels of output columns, in the block's language (`labels = { moe = "Margin" }`).
    /// Presentation only: not part of the parameters or the hash.
    pub labels: BTreeMap<String, String>,
    /// Checks.
    pub expect: Vec<Expect>,
    positions: BTreeMap<String, (usize, usize)>,
}

impl TableSpec {
    /// Parses the TOML source of a `{table}` block.
    pub fn parse(src: &str) -> Result<TableSpec, SpecError> {
        Parser { src }.parse()
    }

    /// True for a block with only `id`, `caption` (and `digits`): a translation's reference to a
    /// table defined elsewhere.
    pub fn is_reference(&self) -> bool {
        self.op.is_none()
    }

    /// The op name, if any.
    pub fn op_name(&self) -> Option<&'static str> {
        self.op.as_ref().map(Op::name)
    }

    /// 1-based (line, column) within the block of a key, by dotted path as used in
    /// [`crate::ops::OpError::key`] (`"x"`, `"columns.hai"`, `"means.age"`, `"expect.0"`).
    /// Falls back to the first segment of the path.
    pub fn key_position(&self, key: &str) -> Option<(usize, usize)> {
        self.positions.get(key).copied().or_else(|| {
            let first = key.split('.').next().unwrap_or(key);
            self.positions.get(first).copied()
        })
    }

    /// All parameters that determine the result, for provenance: `op`, `dataset`, the op's
    /// parameters, and `where` and `level` when given.
    pub fn params_json(&self) -> Json {
        let mut m = Map::new();
        if let Some(op) = &self.op {
            m.insert("op".into(), json!(op.name()));
        }
        if let Some(d) = &self.dataset {
            m.insert("dataset".into(), json!(d));
        }
        if let Some(op) = &self.op {
            for (k, v) in op.params_json() {
                m.insert(k, v);
            }
        }
        if let Some(w) = &self.r#where {
            m.insert("where".into(), json!(w));
        }
        m.insert("level".into(), json!(self.level));
        Json::Object(m)
    }

    /// A stable hex SHA-256 of [`params_json`](Self::params_json) (not of caption, digits,
    /// stars or expects). For caching, combine it with the dataset's `sha256` and the crate
    /// version.
    pub fn canonical_hash(&self) -> String {
        let text = serde_json::to_string(&self.params_json()).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))
    }
}

// ---------------------------------------------------------------------------------------------

struct Parser<'s> {
    src: &'s str,
}

type Entry<'a, 'i> = (&'a str, Range<usize>, &'a Spanned<DeValue<'i>>);

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn int_of(v: &DeValue<'_>) -> Option<i64> {
    match v {
        DeValue::Integer(i) => {
            let s = i.as_str().replace('_', "");
            i64::from_str_radix(&s, i.radix()).ok()
        }
        _ => None,
    }
}

fn float_of(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        DeValue::Integer(_) => int_of(v).map(|i| i as f64),
        _ => None,
    }
}

impl Parser<'_> {
    fn err(
        &self,
        span: &Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> SpecError {
        let (line, col) = line_col(self.src, span.start);
        SpecError {
            line,
            col,
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn string(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<String, SpecError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            other => Err(self.err(
                &v.span(),
                format!("`{key}` must be a string, found {}", type_name(other)),
                format!("write {key} = \"…\""),
            )),
        }
    }

    fn nonempty(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<String, SpecError> {
        let s = self.string(key, v)?;
        if s.trim().is_empty() {
            return Err(self.err(
                &v.span(),
                format!("`{key}` is empty"),
                format!("give `{key}` a value"),
            ));
        }
        Ok(s)
    }

    /// An array of strings (a single string is accepted as a one-element list).
    fn strings(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<Vec<String>, SpecError> {
        match v.get_ref() {
            DeValue::String(s) => Ok(vec![s.to_string()]),
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for item in a.iter() {
                    out.push(self.nonempty(key, item)?);
                }
                if out.is_empty() {
                    return Err(self.err(
                        &v.span(),
                        format!("`{key}` is an empty list"),
                        format!("list at least one column, e.g. {key} = [\"a\", \"b\"]"),
                    ));
                }
                Ok(out)
            }
            other => Err(self.err(
                &v.span(),
                format!(
                    "`{key}` must be a list of column names, found {}",
                    type_name(other)
                ),
                format!("write {key} = [\"a\", \"b\"]"),
            )),
        }
    }

    fn check_formula(
        &self,
        key: &str,
        v: &Spanned<DeValue<'_>>,
        expr: &str,
    ) -> Result<(), SpecError> {
        if let Err(e) = Expr::parse(expr) {
            // point at the character inside the string when the string is written literally
            let span = v.span();
            let raw = self.src.get(span.clone()).unwrap_or("");
            let inner_start = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                3
            } else {
                1
            };
            let literal = raw.get(inner_start..).is_some_and(|r| r.starts_with(expr));
            let offset = if literal {
                span.start
                    + inner_start
                    + expr.chars().take(e.pos).map(char::len_utf8).sum::<usize>()
            } else {
                span.start
            };
            let (line, col) = line_col(self.src, offset);
            return Err(SpecError {
                line,
                col,
                message: format!("formula error in `{key}`: {}", e.render(expr)),
                hint: e.hint,
            });
        }
        Ok(())
    }

    fn parse(&self) -> Result<TableSpec, SpecError> {
        let doc = DeTable::parse(self.src).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.err(
                &span,
                format!("invalid TOML: {}", e.message().trim()),
                "check quotes, brackets and `key = value` syntax",
            )
        })?;
        let table = doc.get_ref();
        let mut positions = BTreeMap::new();
        let mut entries: Vec<Entry<'_, '_>> = Vec::new();
        for (k, v) in table.iter() {
            let name: &str = k.get_ref().as_ref();
            positions.insert(name.to_string(), line_col(self.src, k.span().start));
            entries.push((name, k.span(), v));
        }
        let get = |name: &str| entries.iter().find(|(k, ..)| *k == name);
        let whole = 0..0;

        // id, caption
        let (_, id_span, id_v) = get("id").ok_or_else(|| {
            self.err(
                &whole,
                "the table has no `id`",
                "add id = \"tbl-…\" (unique across the site)",
            )
        })?;
        let id = self.nonempty("id", id_v)?;
        // At most 100 characters: the id names a directory and files of the output.
        let id_ok = id.starts_with("tbl-")
            && id.len() > 4
            && id.len() <= 100
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            return Err(self.err(
                &id_v.span(),
                format!("invalid table id {id:?}"),
                "table ids start with `tbl-` and use lowercase letters, digits, `-` and `_` (at most 100 characters), e.g. tbl-hai-2024",
            ));
        }
        let _ = id_span;
        let caption = match get("caption") {
            Some((_, _, v)) => self.nonempty("caption", v)?,
            None => {
                return Err(self.err(&whole, "the table has no `caption`", "add caption = \"…\""))
            }
        };
        let digits = match get("digits") {
            Some((_, _, v)) => match int_of(v.get_ref()) {
                Some(d) if (0..=20).contains(&d) => Some(d as u32),
                _ => {
                    return Err(self.err(
                        &v.span(),
                        "`digits` must be a whole number from 0 to 20",
                        "write e.g. digits = 2",
                    ))
                }
            },
            None => None,
        };
        let labels = match get("labels") {
            Some((_, _, v)) => self.labels(v)?,
            None => BTreeMap::new(),
        };

        let op_entry = get("op");
        if op_entry.is_none() {
            // a reference block
            if let Some((k, span, _)) = entries
                .iter()
                .find(|(k, ..)| !matches!(*k, "id" | "caption" | "digits" | "labels"))
            {
                let known = COMMON.contains(k)
                    || OP_PARAMS
                        .iter()
                        .any(|(_, r, o)| r.contains(k) || o.contains(k));
                let (msg, hint) = if known {
                    (
                        format!("`{k}` given but the table has no `op`"),
                        "add op = \"…\" and dataset = \"…\" to define the table; a block with only id, caption (and digits) shows a table defined elsewhere".to_string(),
                    )
                } else {
                    (
                        format!("unknown key `{k}`"),
                        format!(
                            "the keys are: {}, and the op's parameters",
                            COMMON.join(", ")
                        ),
                    )
                };
                return Err(self.err(span, msg, hint));
            }
            return Ok(TableSpec {
                id,
                caption,
                dataset: None,
                op: None,
                r#where: None,
                level: 0.95,
                digits,
                stars: false,
                labels,
                expect: Vec::new(),
                positions,
            });
        }
        let Some((_, op_key_span, op_v)) = op_entry else {
            return Err(self.err(&whole, "missing `op`", "add op = \"…\""));
        };
        let op_name = self.string("op", op_v)?;
        let Some(&(op_name, required, optional)) =
            OP_PARAMS.iter().find(|(n, ..)| *n == op_name.as_str())
        else {
            let hint = match closest(&op_name, OP_NAMES.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? (ops: {})", OP_NAMES.join(", ")),
                None => format!("the ops are: {}", OP_NAMES.join(", ")),
            };
            return Err(self.err(&op_v.span(), format!("unknown op `{op_name}`"), hint));
        };
        let dataset = match get("dataset") {
            Some((_, _, v)) => self.nonempty("dataset", v)?,
            None => {
                return Err(self.err(
                    op_key_span,
                    format!("op `{op_name}` needs `dataset`"),
                    "add dataset = \"<id>\" (data/<id>.csv)",
                ))
            }
        };
        // unknown / foreign keys
        for (k, span, _) in &entries {
            if COMMON.contains(k) || required.contains(k) || optional.contains(k) {
                continue;
            }
            let mut params: Vec<&str> = required.to_vec();
            params.extend_from_slice(optional);
            let owner = OP_PARAMS
                .iter()
                .find(|(_, r, o)| r.contains(k) || o.contains(k))
                .map(|(n, ..)| *n);
            let msg = match owner {
                Some(_) => format!("`{k}` is not a parameter of op `{op_name}`"),
                None => format!("unknown key `{k}`"),
            };
            let hint = if params.is_empty() {
                format!(
                    "`{op_name}` takes no parameters besides {}",
                    COMMON.join(", ")
                )
            } else {
                let guess = closest(k, params.iter().copied().chain(COMMON.iter().copied()));
                match guess {
                    Some(g) => format!(
                        "did you mean `{g}`? (`{op_name}` takes: {})",
                        params.join(", ")
                    ),
                    None => format!("`{op_name}` takes: {}", params.join(", ")),
                }
            };
            return Err(self.err(span, msg, hint));
        }
        for r in required {
            if get(r).is_none() {
                return Err(self.err(
                    op_key_span,
                    format!("op `{op_name}` needs `{r}`"),
                    format!("add `{r}`; see the ops table in docs/authoring.md"),
                ));
            }
        }
        let where_ = match get("where") {
            Some((_, _, v)) => {
                let w = self.nonempty("where", v)?;
                self.check_formula("where", v, &w)?;
                Some(w)
            }
            None => None,
        };
        let level = match get("level") {
            Some((_, _, v)) => match float_of(v.get_ref()) {
                Some(l) if l > 0.0 && l < 1.0 => l,
                _ => {
                    return Err(self.err(
                        &v.span(),
                        "`level` must be a number between 0 and 1",
                        "write e.g. level = 0.95 (not 95)",
                    ))
                }
            },
            None => 0.95,
        };
        let stars = match get("stars") {
            Some((_, _, v)) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                other => {
                    return Err(self.err(
                        &v.span(),
                        format!("`stars` must be true or false, found {}", type_name(other)),
                        "write stars = true",
                    ))
                }
            },
            None => false,
        };
        let p = |name: &str| get(name).map(|(_, _, v)| *v);
        let req = |name: &str| -> Result<&Spanned<DeValue<'_>>, SpecError> {
            p(name)
                .ok_or_else(|| self.err(op_key_span, format!("op `{op_name}` needs `{name}`"), ""))
        };
        let opt_str = |name: &str| -> Result<Option<String>, SpecError> {
            p(name).map(|v| self.nonempty(name, v)).transpose()
        };
        let op = match op_name {
            "view" => {
                let columns = p("columns")
                    .map(|v| self.strings("columns", v))
                    .transpose()?;
                let sort = opt_str("sort")?.map(|s| match s.strip_prefix('-') {
                    Some(c) => Sort {
                        column: c.trim().to_string(),
                        descending: true,
                    },
                    None => Sort {
                        column: s.trim().to_string(),
                        descending: false,
                    },
                });
                let limit = match p("limit") {
                    Some(v) => match int_of(v.get_ref()) {
                        Some(l) if l >= 0 => Some(l as usize),
                        _ => {
                            return Err(self.err(
                                &v.span(),
                                "`limit` must be a whole number ≥ 0",
                                "write e.g. limit = 10",
                            ))
                        }
                    },
                    None => None,
                };
                Op::View {
                    columns,
                    sort,
                    limit,
                }
            }
            "formula" => {
                let v = req("columns")?;
                let DeValue::Table(t) = v.get_ref() else {
                    return Err(self.err(
                        &v.span(),
                        format!(
                            "`columns` of `formula` must be a table, found {}",
                            type_name(v.get_ref())
                        ),
                        "write columns = { name = \"expression\", … }",
                    ));
                };
                let mut columns = Vec::new();
                for (k, e) in t.iter() {
                    let name = k.get_ref().to_string();
                    let path = format!("columns.{name}");
                    positions.insert(path.clone(), line_col(self.src, k.span().start));
                    let expr = self.nonempty(&path, e)?;
                    self.check_formula(&path, e, &expr)?;
                    columns.push((name, expr));
                }
                if columns.is_empty() {
                    return Err(self.err(
                        &v.span(),
                        "`columns` is empty",
                        "add at least one name = \"expression\"",
                    ));
                }
                let keep = p("keep").map(|v| self.strings("keep", v)).transpose()?;
                Op::Formula { columns, keep }
            }
            "describe" => Op::Describe {
                columns: self.strings("columns", req("columns")?)?,
                by: opt_str("by")?,
            },
            "freq" => Op::Freq {
                column: self.nonempty("column", req("column")?)?,
                weight: opt_str("weight")?,
            },
            "crosstab" => {
                let row_percent = match p("percent") {
                    Some(v) => {
                        let s = self.string("percent", v)?;
                        if s != "row" {
                            return Err(self.err(
                                &v.span(),
                                format!("unknown percent {s:?}"),
                                "write percent = \"row\" (or leave it out for counts)",
                            ));
                        }
                        true
                    }
                    None => false,
                };
                Op::Crosstab {
                    rows: self.nonempty("rows", req("rows")?)?,
                    cols: self.nonempty("cols", req("cols")?)?,
                    count: opt_str("count")?,
                    row_percent,
                }
            }
            "correlate" => {
                let v = req("columns")?;
                let columns = self.strings("columns", v)?;
                if columns.len() < 2 {
                    return Err(self.err(
                        &v.span(),
                        "`correlate` needs at least two columns",
                        "list two or more numeric columns",
                    ));
                }
                let method = match p("method") {
                    Some(v) => match self.string("method", v)?.as_str() {
                        "pearson" => CorrMethod::Pearson,
                        "spearman" => CorrMethod::Spearman,
                        other => {
                            return Err(self.err(
                                &v.span(),
                                format!("unknown method {other:?}"),
                                "write method = \"pearson\" or method = \"spearman\"",
                            ))
                        }
                    },
                    None => CorrMethod::Pearson,
                };
                Op::Correlate { columns, method }
            }
            "regress" => {
                let hc1 = match p("robust") {
                    Some(v) => {
                        let s = self.string("robust", v)?;
                        if !s.eq_ignore_ascii_case("hc1") {
                            return Err(self.err(
                                &v.span(),
                                format!("unknown robust {s:?}"),
                                "write robust = \"hc1\" (the only robust estimator supported)",
                            ));
                        }
                        true
                    }
                    None => false,
                };
                Op::Regress {
                    y: self.nonempty("y", req("y")?)?,
                    x: self.strings("x", req("x")?)?,
                    hc1,
                }
            }
            "regress_summary" => {
                let numbers = |name: &str| -> Result<Vec<(String, f64)>, SpecError> {
                    let v = req(name)?;
                    let DeValue::Table(t) = v.get_ref() else {
                        return Err(self.err(
                            &v.span(),
                            format!(
                                "`{name}` must be a table of numbers by variable, found {}",
                                type_name(v.get_ref())
                            ),
                            format!("write {name} = {{ y = 1.5, x1 = 2.0 }}"),
                        ));
                    };
                    let mut out = Vec::new();
                    for (k, x) in t.iter() {
                        let key = k.get_ref().to_string();
                        let val =
                            float_of(x.get_ref())
                                .filter(|f| f.is_finite())
                                .ok_or_else(|| {
                                    self.err(
                                        &x.span(),
                                        format!("`{name}.{key}` must be a number"),
                                        "write the printed value as a number",
                                    )
                                })?;
                        out.push((key, val));
                    }
                    Ok(out)
                };
                let means = numbers("means")?;
                let sds = numbers("sds")?;
                let nv = req("n")?;
                let n = match int_of(nv.get_ref()) {
                    Some(n) if n > 0 => n as u64,
                    _ => {
                        return Err(self.err(
                            &nv.span(),
                            "`n` must be a whole number > 0",
                            "write the sample size, e.g. n = 412",
                        ))
                    }
                };
                Op::RegressSummary {
                    means,
                    sds,
                    n,
                    y: self.nonempty("y", req("y")?)?,
                    x: self.strings("x", req("x")?)?,
                }
            }
            "ttest" => {
                let by = opt_str("by")?;
                let mu = match p("mu") {
                    Some(v) => Some(float_of(v.get_ref()).filter(|f| f.is_finite()).ok_or_else(
                        || self.err(&v.span(), "`mu` must be a number", "write e.g. mu = 0"),
                    )?),
                    None => None,
                };
                if by.is_some() == mu.is_some() {
                    let span = p("mu").map(|v| v.span()).unwrap_or(op_key_span.clone());
                    return Err(self.err(
                        &span,
                        "`ttest` needs exactly one of `by` (two groups) or `mu` (one sample)",
                        "write by = \"group column\" or mu = 0",
                    ));
                }
                Op::Ttest {
                    column: self.nonempty("column", req("column")?)?,
                    by,
                    mu,
                }
            }
            "anova" => Op::Anova {
                column: self.nonempty("column", req("column")?)?,
                by: self.nonempty("by", req("by")?)?,
            },
            _ => Op::Growth {
                time: self.nonempty("time", req("time")?)?,
                columns: self.strings("columns", req("columns")?)?,
            },
        };
        let expect = match get("expect") {
            Some((_, _, v)) => self.expects(v, &mut positions)?,
            None => Vec::new(),
        };
        Ok(TableSpec {
            id,
            caption,
            dataset: Some(dataset),
            op: Some(op),
            r#where: where_,
            level,
            digits,
            stars,
            labels,
            expect,
            positions,
        })
    }

    /// `labels = { column = "Label", … }`.
    fn labels(&self, v: &Spanned<DeValue<'_>>) -> Result<BTreeMap<String, String>, SpecError> {
        let DeValue::Table(t) = v.get_ref() else {
            return Err(self.err(
                &v.span(),
                format!("`labels` must be a table, found {}", type_name(v.get_ref())),
                "write labels = { column = \"Label\" }",
            ));
        };
        let mut out = BTreeMap::new();
        for (k, x) in t.iter() {
            let key = k.get_ref().to_string();
            out.insert(key.clone(), self.nonempty(&format!("labels.{key}"), x)?);
        }
        Ok(out)
    }

    fn expects(
        &self,
        v: &Spanned<DeValue<'_>>,
        positions: &mut BTreeMap<String, (usize, usize)>,
    ) -> Result<Vec<Expect>, SpecError> {
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.err(
                &v.span(),
                "`expect` must be a list of [[expect]] tables",
                "write each check as an [[expect]] section",
            ));
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(t) = item.get_ref() else {
                return Err(self.err(
                    &item.span(),
                    "each expect must be a table",
                    "write [[expect]] sections",
                ));
            };
            let (line, _) = line_col(self.src, item.span().start);
            positions.insert(format!("expect.{i}"), line_col(self.src, item.span().start));
            let mut e = Expect {
                row: None,
                column: None,
                stat: None,
                printed: f64::NAN,
                printed_text: String::new(),
                tolerance: None,
                note: None,
                line,
            };
            let mut have_printed = false;
            for (k, val) in t.iter() {
                let key: &str = k.get_ref().as_ref();
                match key {
                    "row" => e.row = Some(match val.get_ref() {
                        DeValue::String(s) => s.to_string(),
                        DeValue::Integer(_) => int_of(val.get_ref())
                            .map(|i| i.to_string())
                            .unwrap_or_default(),
                        DeValue::Float(f) => f.as_str().to_string(),
                        DeValue::Boolean(b) => b.to_string(),
                        other => return Err(self.err(
                            &val.span(),
                            format!(
                                "`row` must be a string or number, found {}",
                                type_name(other)
                            ),
                            "write the value of the table's first column, e.g. row = \"Astana\"",
                        )),
                    }),
                    "column" => e.column = Some(self.nonempty("column", val)?),
                    "stat" => e.stat = Some(self.nonempty("stat", val)?),
                    "note" => e.note = Some(self.string("note", val)?),
                    "printed" => {
                        let (x, text) = match val.get_ref() {
                            DeValue::Float(f) => (float_of(val.get_ref()), f.as_str().to_string()),
                            DeValue::Integer(i) => (int_of(val.get_ref()).map(|v| v as f64), i.as_str().to_string()),
                            DeValue::String(s) => {
                                return Err(self.err(
                                    &val.span(),
                                    format!("`printed` must be a number, found the string {s:?}"),
                                    "write the number without quotes, exactly as printed (decimal point, no % or stars)",
                                ))
                            }
                            other => {
                                return Err(self.err(
                                    &val.span(),
                                    format!("`printed` must be a number, found {}", type_name(other)),
                                    "write the printed number, e.g. printed = 79.06",
                                ))
                            }
                        };
                        let Some(x) = x.filter(|x| x.is_finite()) else {
                            return Err(self.err(
                                &val.span(),
                                "`printed` must be a finite number",
                                "write the printed number",
                            ));
                        };
                        // keep the sign in the text for display
                        let raw = self.src.get(val.span()).unwrap_or(&text).trim().to_string();
                        e.printed = x;
                        e.printed_text = if raw.is_empty() { text } else { raw };
                        have_printed = true;
                    }
                    "tolerance" => {
                        let t = float_of(val.get_ref())
                            .filter(|t| t.is_finite() && *t >= 0.0)
                            .ok_or_else(|| {
                                self.err(
                                    &val.span(),
                                    "`tolerance` must be a number ≥ 0",
                                    "write e.g. tolerance = 0.01",
                                )
                            })?;
                        e.tolerance = Some(t);
                    }
                    other => {
                        let keys = ["row", "column", "stat", "printed", "tolerance", "note"];
                        let hint = match closest(other, keys.iter().copied()) {
                            Some(c) => format!(
                                "did you mean `{c}`? ([[expect]] takes: {})",
                                keys.join(", ")
                            ),
                            None => format!("[[expect]] takes: {}", keys.join(", ")),
                        };
                        return Err(self.err(
                            &k.span(),
                            format!("unknown key `{other}` in [[expect]]"),
                            hint,
                        ));
                    }
                }
            }
            if !have_printed {
                return Err(self.err(
                    &item.span(),
                    "[[expect]] has no `printed` value",
                    "add printed = <the number as printed>",
                ));
            }
            let ok = match (&e.row, &e.column, &e.stat) {
                (_, _, Some(_)) => e.row.is_some() == e.column.is_some(),
                (Some(_), Some(_), None) => true,
                _ => false,
            };
            if !ok {
                return Err(self.err(
                    &item.span(),
                    "[[expect]] must name a cell (`row` and `column`), a statistic (`stat`), or a matrix entry (`stat`, `row` and `column`)",
                    "add the missing key",
                ));
            }
            out.push(e);
        }
        Ok(out)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAI: &str = r#"id = "tbl-hai"
caption = "Housing affordability by city, 2024"
dataset = "housing-affordability"
op = "formula"
columns = { hai = "wage / price_m2 * 100" }

[[expect]]
row = "Astana"
column = "hai"
printed = 79.06

[[expect]]
stat = "n"
printed = 1.5e-3
tolerance = 0.1
"#;

    #[test]
    fn parses_formula_table() {
        let s = TableSpec::parse(HAI).unwrap();
        assert_eq!(s.id, "tbl-hai");
        assert_eq!(s.dataset.as_deref(), Some("housing-affordability"));
        assert_eq!(
            s.op,
            Some(Op::Formula {
                columns: vec![("hai".into(), "wage / price_m2 * 100".into())],
                keep: None
            })
        );
        assert_eq!(s.level, 0.95);
        assert!(!s.is_reference());
        assert_eq!(s.expect.len(), 2);
        assert_eq!(s.expect[0].printed_text, "79.06");
        assert!((s.expect[0].effective_tolerance() - 0.005).abs() < 1e-15);
        assert_eq!(s.expect[0].line, 7);
        assert_eq!(s.expect[1].effective_tolerance(), 0.1);
        assert_eq!(s.key_position("columns.hai"), Some((5, 13)));
        assert_eq!(s.key_position("op"), Some((4, 1)));
        let p = s.params_json();
        assert_eq!(p["op"], "formula");
        assert_eq!(p["columns"]["hai"], "wage / price_m2 * 100");
        assert_eq!(s.canonical_hash().len(), 64);
        // caption and expects do not change the hash
        let s2 = TableSpec::parse(&HAI.replace("Housing", "Жильё")).unwrap();
        assert_eq!(s.canonical_hash(), s2.canonical_hash());
        let s3 = TableSpec::parse(&HAI.replace("* 100", "* 1000")).unwrap();
        assert_ne!(s.canonical_hash(), s3.canonical_hash());
    }

    #[test]
    fn default_tolerances() {
        assert!((default_tolerance("79.06") - 0.005).abs() < 1e-18);
        assert_eq!(default_tolerance("12"), 0.5);
        assert!((default_tolerance("1.5e-3") - 0.00005).abs() < 1e-18);
        assert!((default_tolerance("0.10") - 0.005).abs() < 1e-18);
        assert!((default_tolerance("-0.001") - 0.0005).abs() < 1e-18);
        assert_eq!(default_tolerance("1_000"), 0.5);
        assert_eq!(default_tolerance("2E3"), 500.0);
    }

    #[test]
    fn reference_block() {
        let s = TableSpec::parse("id = \"tbl-hai\"\ncaption = \"Индекс\"\ndigits = 1\n").unwrap();
        assert!(s.is_reference());
        assert_eq!(s.digits, Some(1));
        let e = TableSpec::parse("id = \"tbl-hai\"\ncaption = \"x\"\nstars = true\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 1));
        let e =
            TableSpec::parse("id = \"tbl-hai\"\ncaption = \"x\"\ndataset = \"d\"\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("no `op`"));
    }

    fn err(src: &str) -> SpecError {
        TableSpec::parse(src).unwrap_err()
    }

    const HEAD: &str = "id = \"tbl-x\"\ncaption = \"c\"\ndataset = \"d\"\n";

    #[test]
    fn labels_are_display_only() {
        let a = TableSpec::parse(&format!("{HEAD}op = \"describe\"\ncolumns = [\"a\"]\n")).unwrap();
        let b = TableSpec::parse(&format!(
            "{HEAD}op = \"describe\"\ncolumns = [\"a\"]\nlabels = {{ mean = \"Среднее\" }}\n"
        ))
        .unwrap();
        assert_eq!(b.labels.get("mean").map(String::as_str), Some("Среднее"));
        assert_eq!(a.canonical_hash(), b.canonical_hash());
        let r = TableSpec::parse("id = \"tbl-x\"\ncaption = \"c\"\nlabels = { mean = \"M\" }\n")
            .unwrap();
        assert!(r.is_reference());
        assert_eq!(r.labels.len(), 1);
        let e = err(&format!(
            "{HEAD}op = \"describe\"\ncolumns = [\"a\"]\nlabels = [1]\n"
        ));
        assert_eq!(e.line, 6);
    }

    #[test]
    fn errors_at_key_lines() {
        let e = err(&format!("{HEAD}op = \"regres\"\ny = \"a\"\nx = [\"b\"]\n"));
        assert_eq!((e.line, e.col), (4, 6));
        assert!(e.hint.contains("`regress`"));
        let e = err(&format!(
            "{HEAD}op = \"regress\"\ny = \"a\"\nx = [\"b\"]\nmu = 3\n"
        ));
        assert_eq!((e.line, e.col), (7, 1));
        assert!(e.message.contains("not a parameter of op `regress`"));
        let e = err(&format!(
            "{HEAD}op = \"regress\"\ny = \"a\"\nxx = [\"b\"]\n"
        ));
        assert_eq!(e.line, 6);
        assert!(e.message.contains("unknown key `xx`"));
        let e = err(&format!("{HEAD}op = \"regress\"\ny = \"a\"\n"));
        assert_eq!((e.line, e.col), (4, 1));
        assert!(e.message.contains("needs `x`"));
        let e = err("id = \"tbl-x\"\ncaption = \"c\"\nop = \"view\"\n");
        assert!(e.message.contains("needs `dataset`"));
        let e = err(&format!("{HEAD}op = \"regress\"\ny = 1\nx = [\"b\"]\n"));
        assert_eq!((e.line, e.col), (5, 5));
        let e = err(&format!("{HEAD}op = \"view\"\nlevel = 95\n"));
        assert_eq!(e.line, 5);
        assert!(e.hint.contains("0.95"));
        let e = err("id = \"fig-x\"\ncaption = \"c\"\n");
        assert_eq!((e.line, e.col), (1, 6));
        let e = err("caption = \"c\"\n");
        assert!(e.message.contains("no `id`"));
        let e = err(&format!("{HEAD}op = \"ttest\"\ncolumn = \"a\"\n"));
        assert!(e.message.contains("exactly one"));
        let e = err(&format!(
            "{HEAD}op = \"crosstab\"\nrows = \"a\"\ncols = \"b\"\npercent = \"col\"\n"
        ));
        assert_eq!(e.line, 7);
        let e = err(&format!("{HEAD}op = \"view\"\nsort = \n"));
        assert!(e.message.contains("invalid TOML"));
        assert_eq!(e.line, 5);
    }

    #[test]
    fn formula_errors_point_into_the_string() {
        let e = err(&format!(
            "{HEAD}op = \"formula\"\ncolumns = {{ hai = \"wage / (price * 100\" }}\n"
        ));
        assert_eq!(e.line, 5);
        // `columns = { hai = "` is 19 characters; the error is at the end of the expression
        assert_eq!(e.col, 20 + "wage / (price * 100".len());
        assert!(e.message.contains('^'));
        let e = err(&format!("{HEAD}op = \"view\"\nwhere = \"x >< 2\"\n"));
        assert_eq!((e.line, e.col), (5, 13));
    }

    #[test]
    fn expect_errors() {
        let base = format!("{HEAD}op = \"view\"\n\n[[expect]]\n");
        let e = err(&format!("{base}row = \"a\"\nprinted = 1\n"));
        assert_eq!(e.line, 6);
        let e = err(&format!("{base}stat = \"n\"\nprinted = \"1.5\"\n"));
        assert_eq!(e.line, 8);
        let e = err(&format!(
            "{base}stat = \"n\"\nprinted = 1\ntolerence = 0.1\n"
        ));
        assert_eq!((e.line, e.col), (9, 1));
        assert!(e.hint.contains("`tolerance`"));
        let e = err(&format!("{base}stat = \"n\"\n"));
        assert!(e.message.contains("printed"));
        let s = TableSpec::parse(&format!(
            "{base}row = 2020\ncolumn = \"v\"\nprinted = -12.50\n"
        ))
        .unwrap();
        assert_eq!(s.expect[0].row.as_deref(), Some("2020"));
        assert_eq!(s.expect[0].printed, -12.5);
        assert!((s.expect[0].effective_tolerance() - 0.005).abs() < 1e-15);
    }

    #[test]
    fn all_ops_parse() {
        let cases = [
            "op = \"view\"\ncolumns = [\"a\"]\nsort = \"-a\"\nlimit = 3",
            "op = \"describe\"\ncolumns = [\"a\"]\nby = \"g\"",
            "op = \"freq\"\ncolumn = \"a\"\nweight = \"w\"",
            "op = \"crosstab\"\nrows = \"a\"\ncols = \"b\"\ncount = \"n\"\npercent = \"row\"",
            "op = \"correlate\"\ncolumns = [\"a\", \"b\"]\nmethod = \"spearman\"",
            "op = \"regress\"\ny = \"a\"\nx = [\"b\"]\nrobust = \"hc1\"",
            "op = \"regress_summary\"\nmeans = { a = 1, b = 2.5 }\nsds = { a = 1, b = 2 }\nn = 100\ny = \"a\"\nx = [\"b\"]",
            "op = \"ttest\"\ncolumn = \"a\"\nmu = 0",
            "op = \"anova\"\ncolumn = \"a\"\nby = \"g\"",
            "op = \"growth\"\ntime = \"year\"\ncolumns = [\"a\"]",
        ];
        for c in cases {
            let s =
                TableSpec::parse(&format!("{HEAD}{c}\n")).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert!(s.op.is_some());
            assert!(s.params_json()["op"].is_string());
        }
        let s = TableSpec::parse(&format!("{HEAD}{}\n", cases[0])).unwrap();
        assert_eq!(
            s.op,
            Some(Op::View {
                columns: Some(vec!["a".into()]),
                sort: Some(Sort {
                    column: "a".into(),
                    descending: true
                }),
                limit: Some(3)
            })
        );
    }

    #[test]
    fn garbage_never_panics() {
        for src in [
            "",
            "=",
            "[[expect]]",
            "id = 1",
            "expect = 3",
            "id=\"tbl-a\"\ncaption=\"c\"\nop=\"view\"\ndataset=\"d\"\nexpect=[1]",
            "id=\"tbl-a\"\ncaption=\"c\"\nop=\"formula\"\ndataset=\"d\"\ncolumns=3",
            "\u{feff}id = \"tbl-a\"",
        ] {
            let _ = TableSpec::parse(src);
        }
    }
}
