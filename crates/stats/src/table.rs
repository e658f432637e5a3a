//! Computed tables and the `[[expect]]` checks.
//!
//! A [`ComputedTable`] is what an op returns: `columns` (the first is the row key), `rows` of
//! [`Cell`]s, summary `stats` (numbers at full precision, matrices as nested arrays, `null` where
//! undefined) and `notes` (English sentences for the reader). It serialises to the `columns`,
//! `rows`, `stats` and `notes` fields of `tables/<id>/<id>.json` (SPEC.md).
//!
//! [`run_checks`] compares every `[[expect]]` with the table: a cell is found by its row key (the
//! text of the first column; a number key also matches numerically, so `row = 2020` finds the
//! year 2020) and column name; a statistic by name; a matrix entry by statistic, row key and
//! column. The result is `match` when `|computed − printed| ≤ tolerance` (with a relative slack of
//! 1e-9 for binary rounding at the boundary), `mismatch` otherwise, and `missing` with a reason
//! when the row, column or statistic does not exist or the value is missing.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

use crate::spec::{Expect, TableSpec};

/// One cell of a computed table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A real number (always finite; non-finite results are `Missing`).
    Number(f64),
    /// A whole number (counts, years, integer data).
    Integer(i64),
    /// Text.
    Text(String),
    /// No value.
    Missing,
}

impl Cell {
    /// A number cell, `Missing` when not finite.
    pub fn num(x: f64) -> Cell {
        if x.is_finite() {
            Cell::Number(x)
        } else {
            Cell::Missing
        }
    }
    /// From an optional number.
    pub fn opt(x: Option<f64>) -> Cell {
        x.map(Cell::num).unwrap_or(Cell::Missing)
    }
    /// The numeric value, if any.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Number(x) => Some(*x),
            Cell::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
    /// The cell as text (empty for missing); numbers in their shortest exact form.
    pub fn text(&self) -> String {
        match self {
            Cell::Number(x) => format!("{x}"),
            Cell::Integer(i) => i.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Missing => String::new(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Number(x) if x.is_finite() => s.serialize_f64(*x),
            Cell::Integer(i) => s.serialize_i64(*i),
            Cell::Text(t) => s.serialize_str(t),
            _ => s.serialize_none(),
        }
    }
}

/// The result of an op.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ComputedTable {
    /// Column names; the first is the row key.
    pub columns: Vec<String>,
    /// Rows of cells, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// Summary statistics.
    pub stats: Map<String, Json>,
    /// Notes for the reader (source, reference levels, dropped terms, …).
    pub notes: Vec<String>,
}

impl ComputedTable {
    /// Index of a column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Indexes of the rows whose key matches `key` (text, trimmed; or numerically).
    pub fn find_rows(&self, key: &str) -> Vec<usize> {
        let key = key.trim();
        let exact: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.first().is_some_and(|c| c.text().trim() == key))
            .map(|(i, _)| i)
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        let Ok(k) = key.parse::<f64>() else {
            return exact;
        };
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.first().is_some_and(|c| {
                    c.as_f64()
                        .or_else(|| c.text().trim().parse::<f64>().ok())
                        .is_some_and(|v| v == k)
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The cell at a row key and column name.
    pub fn cell(&self, row_key: &str, column: &str) -> Option<&Cell> {
        let c = self.column_index(column)?;
        let r = *self.find_rows(row_key).first()?;
        self.rows.get(r)?.get(c)
    }

    /// A scalar statistic.
    pub fn stat(&self, name: &str) -> Option<f64> {
        self.stats.get(name)?.as_f64()
    }

    /// The table as CSV text (RFC 4180, full precision, empty cells for missing).
    pub fn to_csv(&self) -> String {
        fn field(s: &str) -> String {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        }
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| field(c)).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| field(&c.text())).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// Significance stars: `***` p < 0.001, `**` p < 0.01, `*` p < 0.05, else empty.
pub fn stars(p: f64) -> &'static str {
    if p < 0.001 {
        "***"
    } else if p < 0.01 {
        "**"
    } else if p < 0.05 {
        "*"
    } else {
        ""
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckStatus {
    /// Within tolerance.
    Match,
    /// Outside tolerance.
    Mismatch,
    /// The row, column or statistic was not found, or the value is missing; says why.
    Missing(String),
}

/// One `[[expect]]` compared with the computed table.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// Row key of the expect.
    pub row: Option<String>,
    /// Column of the expect.
    pub column: Option<String>,
    /// Statistic of the expect.
    pub stat: Option<String>,
    /// The printed number.
    pub printed: f64,
    /// The printed number as written.
    pub printed_text: String,
    /// The computed number, when found.
    pub computed: Option<f64>,
    /// Tolerance used.
    pub tolerance: f64,
    /// Outcome.
    pub status: CheckStatus,
    /// The expect's note.
    pub note: Option<String>,
    /// Line of the `[[expect]]` within the block.
    pub line: usize,
}

impl CheckResult {
    /// `"match"`, `"mismatch"` or `"missing"`.
    pub fn status_str(&self) -> &'static str {
        match self.status {
            CheckStatus::Match => "match",
            CheckStatus::Mismatch => "mismatch",
            CheckStatus::Missing(_) => "missing",
        }
    }
}

impl Serialize for CheckResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("row", &self.row)?;
        m.serialize_entry("column", &self.column)?;
        m.serialize_entry("stat", &self.stat)?;
        m.serialize_entry("printed", &self.printed)?;
        m.serialize_entry("computed", &self.computed.filter(|x| x.is_finite()))?;
        m.serialize_entry("tolerance", &self.tolerance)?;
        m.serialize_entry("status", self.status_str())?;
        if let CheckStatus::Missing(why) = &self.status {
            m.serialize_entry("why", why)?;
        }
        if let Some(n) = &self.note {
            m.serialize_entry("note", n)?;
        }
        m.end()
    }
}

fn lookup(e: &Expect, t: &ComputedTable) -> Result<f64, String> {
    let row_index = |key: &str| -> Result<usize, String> {
        let rows = t.find_rows(key);
        match rows.as_slice() {
            [] => {
                let keys: Vec<String> = t
                    .rows
                    .iter()
                    .take(12)
                    .filter_map(|r| r.first().map(Cell::text))
                    .collect();
                Err(format!(
                    "row `{key}` not found (rows: {}{})",
                    keys.join(", "),
                    if t.rows.len() > 12 { ", …" } else { "" }
                ))
            }
            [one] => Ok(*one),
            many => Err(format!("row `{key}` matches {} rows", many.len())),
        }
    };
    let col_index = |name: &str| -> Result<usize, String> {
        t.column_index(name).ok_or_else(|| {
            format!(
                "column `{name}` not found (columns: {})",
                t.columns.join(", ")
            )
        })
    };
    if let Some(stat) = &e.stat {
        let v = t.stats.get(stat).ok_or_else(|| {
            let names: Vec<&str> = t.stats.keys().map(|k| k.as_str()).collect();
            format!(
                "statistic `{stat}` not found (statistics: {})",
                names.join(", ")
            )
        })?;
        return match (v, &e.row, &e.column) {
            (Json::Number(n), None, None) => n.as_f64().ok_or_else(|| "not a number".to_string()),
            (Json::Null, ..) => Err(format!("statistic `{stat}` is undefined for this table")),
            (Json::Array(rows), Some(r), Some(c)) => {
                let ri = row_index(r)?;
                let ci = col_index(c)?;
                // matrices are indexed by the data columns (without the key column)
                let cj = ci
                    .checked_sub(1)
                    .ok_or_else(|| format!("column `{c}` is the key column"))?;
                rows.get(ri)
                    .and_then(|row| row.get(cj))
                    .and_then(|x| x.as_f64())
                    .ok_or_else(|| format!("statistic `{stat}` has no number at `{r}`, `{c}`"))
            }
            (Json::Array(_), ..) => Err(format!(
                "statistic `{stat}` is a matrix: give `row` and `column` too"
            )),
            (_, Some(_), _) | (_, _, Some(_)) => Err(format!(
                "statistic `{stat}` is a single number: remove `row` and `column`"
            )),
            _ => Err(format!("statistic `{stat}` is not a number")),
        };
    }
    let (Some(r), Some(c)) = (&e.row, &e.column) else {
        return Err("the expect names neither a cell nor a statistic".into());
    };
    let ri = row_index(r)?;
    let ci = col_index(c)?;
    match t.rows.get(ri).and_then(|row| row.get(ci)) {
        Some(Cell::Number(x)) => Ok(*x),
        Some(Cell::Integer(i)) => Ok(*i as f64),
        Some(Cell::Text(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("the cell `{r}`, `{c}` is text ({s:?}), not a number")),
        _ => Err(format!(
            "the cell `{r}`, `{c}` is missing (see the table notes: e.g. a division by zero or missing data)"
        )),
    }
}

/// True when `computed` is within `tolerance` of `printed` (with slack for binary rounding).
pub fn within(printed: f64, computed: f64, tolerance: f64) -> bool {
    let diff = (computed - printed).abs();
    diff <= tolerance * (1.0 + 1e-9) + 4.0 * f64::EPSILON * printed.abs().max(computed.abs())
}

/// Runs every `[[expect]]` of `spec` against `table`.
pub fn run_checks(spec: &TableSpec, table: &ComputedTable) -> Vec<CheckResult> {
    spec.expect
        .iter()
        .map(|e| {
            let tolerance = e.effective_tolerance();
            let (computed, status) = match lookup(e, table) {
                Ok(x) => {
                    let st = if within(e.printed, x, tolerance) {
                        CheckStatus::Match
                    } else {
                        CheckStatus::Mismatch
                    };
                    (Some(x), st)
                }
                Err(why) => (None, CheckStatus::Missing(why)),
            };
            CheckResult {
                row: e.row.clone(),
                column: e.column.clone(),
                stat: e.stat.clone(),
                printed: e.printed,
                printed_text: e.printed_text.clone(),
                computed,
                tolerance,
                status,
                note: e.note.clone(),
                line: e.line,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> ComputedTable {
        let mut stats = Map::new();
        stats.insert("r2".into(), json!(0.1014));
        stats.insert("undefined".into(), Json::Null);
        stats.insert("p".into(), json!([[0.0, 0.03], [0.03, 0.0]]));
        ComputedTable {
            columns: vec!["city".into(), "hai".into(), "year".into()],
            rows: vec![
                vec![
                    Cell::Text("Astana".into()),
                    Cell::Number(79.0641),
                    Cell::Integer(2024),
                ],
                vec![
                    Cell::Text("Almaty".into()),
                    Cell::Missing,
                    Cell::Integer(2024),
                ],
                vec![Cell::Integer(2020), Cell::Number(1.0), Cell::Integer(2020)],
            ],
            stats,
            notes: vec![],
        }
    }

    fn check(extra: &str) -> CheckResult {
        let src = format!("id = \"tbl-a\"\ncaption = \"c\"\ndataset = \"d\"\nop = \"view\"\n[[expect]]\n{extra}\n");
        let spec = TableSpec::parse(&src).unwrap();
        run_checks(&spec, &table()).remove(0)
    }

    #[test]
    fn matching_and_mismatching() {
        let c = check("row = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.06");
        assert_eq!(c.status, CheckStatus::Match);
        assert_eq!(c.computed, Some(79.0641));
        let c = check("row = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.07");
        assert_eq!(c.status, CheckStatus::Mismatch);
        let c = check("row = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.07\ntolerance = 0.01");
        assert_eq!(c.status, CheckStatus::Match);
        let c = check("stat = \"r2\"\nprinted = 0.101");
        assert_eq!(c.status, CheckStatus::Match);
        let c = check("stat = \"r2\"\nprinted = 0.10");
        assert_eq!(c.status, CheckStatus::Match);
        let c = check("stat = \"r2\"\nprinted = 0.11");
        assert_eq!(c.status, CheckStatus::Mismatch);
        let c = check("stat = \"p\"\nrow = \"Astana\"\ncolumn = \"hai\"\nprinted = 0.0");
        assert_eq!(c.computed, Some(0.0));
        let c = check("stat = \"p\"\nrow = \"Astana\"\ncolumn = \"year\"\nprinted = 0.03");
        assert_eq!(c.status, CheckStatus::Match);
        // numeric row key
        let c = check("row = 2020\ncolumn = \"hai\"\nprinted = 1");
        assert_eq!(c.status, CheckStatus::Match);
    }

    #[test]
    fn boundary_is_inclusive() {
        // 79.065 printed as 79.06 or 79.07: both within half a unit
        assert!(within(79.06, 79.065, 0.005));
        assert!(within(79.07, 79.065, 0.005));
        assert!(!within(79.06, 79.0651, 0.005));
    }

    #[test]
    fn missing_reasons() {
        let cases = [
            (
                "row = \"Nur-Sultan\"\ncolumn = \"hai\"\nprinted = 1",
                "not found",
            ),
            (
                "row = \"Astana\"\ncolumn = \"hia\"\nprinted = 1",
                "column `hia` not found",
            ),
            ("row = \"Almaty\"\ncolumn = \"hai\"\nprinted = 1", "missing"),
            ("row = \"2024\"\ncolumn = \"hai\"\nprinted = 1", "not found"),
            ("stat = \"chi2\"\nprinted = 1", "statistic `chi2` not found"),
            ("stat = \"undefined\"\nprinted = 1", "undefined"),
            ("stat = \"p\"\nprinted = 1", "matrix"),
        ];
        for (src, why) in cases {
            let c = check(src);
            match &c.status {
                CheckStatus::Missing(w) => assert!(w.contains(why), "{src}: {w}"),
                other => panic!("{src}: {other:?}"),
            }
            let j = serde_json::to_value(&c).unwrap();
            assert_eq!(j["status"], "missing");
            assert!(j["why"].is_string());
        }
    }

    #[test]
    fn serialization() {
        let t = table();
        let j = serde_json::to_value(&t).unwrap();
        assert_eq!(j["rows"][1], json!(["Almaty", null, 2024]));
        assert_eq!(j["columns"], json!(["city", "hai", "year"]));
        let c = check("row = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.06");
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["status"], "match");
        assert_eq!(j["printed"], json!(79.06));
        assert!(t
            .to_csv()
            .starts_with("city,hai,year\nAstana,79.0641,2024\nAlmaty,,2024\n"));
    }

    #[test]
    fn stars_levels() {
        assert_eq!(stars(0.0005), "***");
        assert_eq!(stars(0.005), "**");
        assert_eq!(stars(0.04), "*");
        assert_eq!(stars(0.05), "");
    }
}
