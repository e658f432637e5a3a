//! The table operations: one function per op, dispatched by [`compute`].
//!
//! Every op first applies `where` (a formula that must be a condition; rows where it is false or
//! missing are dropped), then computes on the rows left. Conventions: sample standard deviation
//! (n − 1); quantiles by linear interpolation (type 7); `level` (default 0.95) for every interval;
//! two-sided p-values; groups and category levels in sorted order (numbers numerically, text by
//! code point); missing values are excluded and the table gets a note saying how many.
//!
//! | op | rows × columns | stats |
//! |---|---|---|
//! | `view` | selected rows × `columns` | – |
//! | `formula` | rows × data + computed columns (`keep` selects) | – |
//! | `describe` | `variable` (or `group / variable`) × `n, missing, mean, sd, se, ci_low, ci_high, min, q1, median, q3, max` | – |
//! | `freq` | value × `count, percent, cumulative_percent` (percent of non-missing) | `n` |
//! | `crosstab` | row level × column levels + `total` (counts; with `percent = "row"` row percentages and a final `n` column), last row `total` | `n, chi2, df, p, cramers_v` (Pearson, no continuity correction) |
//! | `correlate` | `variable` × variables (listwise complete rows) | `n`, `p` (matrix), `method` |
//! | `regress` | `term` × `estimate, std_error, t, p, ci_low, ci_high, beta` | `n, df_model, df_resid, r2, adj_r2, f, f_p, rmse` |
//! | `regress_summary` | as `regress` | as `regress` |
//! | `ttest` | `group` × `n, mean, sd` | `t, df, p, mean_diff, ci_low, ci_high`, `se` (and `mu`) |
//! | `anova` | `group` × `n, mean, sd` | `f, df_between, df_within, p, eta2` |
//! | `growth` | time × `col, col_change, col_pct_change` per column | `cagr_<col>` |
//!
//! Details: `rmse` is the residual standard error `sqrt(RSS / df_resid)` (SPSS's "standard error
//! of the estimate", R's "residual standard error"). `beta` is the standardised coefficient
//! `b · sd(x) / sd(y)` (missing for the intercept). With `robust = "hc1"` the standard errors,
//! t, p, intervals and the F test (a Wald test of all slopes) use the HC1 covariance. Terms that
//! are perfectly collinear with earlier ones are kept as rows with missing values and named in a
//! note. `pct_change` and `cagr_<col>` are in percent; `cagr` uses the first and last non-missing
//! values and, for a numeric time column, the difference of the time values as the number of
//! periods (else the number of rows between them). `ttest`'s `mean_diff` is first group minus
//! second (sorted order), or mean − `mu`, and its interval is for that difference.
//!
//! What is an error and what is a note: a result that stays meaningful gets a note (a collinear
//! term dropped, a division by zero in one formula cell, a CAGR that is undefined for one column,
//! small expected counts). A result that would be meaningless is an [`OpError`]: too few rows,
//! a constant variable in a correlation, a t-test with zero variance, an exact fit, an empty
//! margin, a correlation matrix that is not positive definite.

use std::collections::HashMap;
use std::sync::Arc;

use nalgebra::{DMatrix, DVector};
use serde_json::{json, Map, Value as Json};

use crate::dataset::{Column, ColumnType, Dataset, Value};
use crate::formula::{closest, Expr, Frame, Val};
use crate::numeric::{self, NumericError, OlsOptions};
use crate::spec::{CorrMethod, Op, TableSpec};
use crate::table::{Cell, ComputedTable};

/// An error computing a table. `key` names the directive key at fault (`"x"`,
/// `"columns.hai"`, `"where"`, `"dataset"`); use [`TableSpec::key_position`] for its line.
#[derive(Debug, Clone, PartialEq, serde::Serialize, thiserror::Error)]
#[error("{message} (hint: {hint})")]
pub struct OpError {
    /// The directive key at fault, if any.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

fn err(key: &str, message: impl Into<String>, hint: impl Into<String>) -> OpError {
    OpError {
        key: if key.is_empty() {
            None
        } else {
            Some(key.to_string())
        },
        message: message.into(),
        hint: hint.into(),
    }
}

/// Computes the table of `spec`. `datasets` resolves dataset ids.
pub fn compute(
    spec: &TableSpec,
    datasets: &dyn Fn(&str) -> Option<Arc<Dataset>>,
) -> Result<ComputedTable, OpError> {
    let Some(op) = &spec.op else {
        return Err(err(
            "op",
            format!(
                "table `{}` has no op: it refers to a table defined elsewhere",
                spec.id
            ),
            "compute the table from the block that defines it (with op and dataset)",
        ));
    };
    let Some(ds_id) = &spec.dataset else {
        return Err(err(
            "dataset",
            "the table has no dataset",
            "add dataset = \"<id>\"",
        ));
    };
    let ds = datasets(ds_id).ok_or_else(|| {
        err(
            "dataset",
            format!("unknown dataset `{ds_id}`"),
            format!("there is no data/{ds_id}.csv; check the id (lowercase a-z0-9-)"),
        )
    })?;
    let ds: &Dataset = &ds;
    // The source dataset and the operation are part of the table's provenance; the site states
    // them itself, so the notes hold only what is specific to this computation.
    let mut notes = Vec::new();
    let rows = filter_rows(ds, spec.r#where.as_deref(), &mut notes)?;
    let mut ctx = Ctx {
        ds,
        rows,
        level: spec.level,
        notes,
    };
    let mut table = match op {
        Op::View {
            columns,
            sort,
            limit,
        } => view(&mut ctx, columns.as_deref(), sort.as_ref(), *limit),
        Op::Formula { columns, keep } => formula(&mut ctx, columns, keep.as_deref()),
        Op::Describe { columns, by } => describe(&mut ctx, columns, by.as_deref()),
        Op::Freq { column, weight } => freq(&mut ctx, column, weight.as_deref()),
        Op::Crosstab {
            rows,
            cols,
            count,
            row_percent,
        } => crosstab(&mut ctx, rows, cols, count.as_deref(), *row_percent),
        Op::Correlate { columns, method } => correlate(&mut ctx, columns, *method),
        Op::Regress { y, x, hc1 } => regress(&mut ctx, y, x, *hc1),
        Op::RegressSummary {
            means,
            sds,
            n,
            y,
            x,
        } => regress_summary(&mut ctx, means, sds, *n, y, x),
        Op::Ttest { column, by, mu } => ttest(&mut ctx, column, by.as_deref(), *mu),
        Op::Anova { column, by } => anova(&mut ctx, column, by),
        Op::Growth { time, columns } => growth(&mut ctx, time, columns),
    }?;
    let mut all = std::mem::take(&mut ctx.notes);
    all.append(&mut table.notes);
    table.notes = all;
    Ok(table)
}

struct Ctx<'a> {
    ds: &'a Dataset,
    rows: Vec<usize>,
    level: f64,
    notes: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The dataset (filtered rows) plus computed columns, as a formula frame.
struct DsFrame<'a> {
    ds: &'a Dataset,
    rows: &'a [usize],
    extra: Vec<(String, Vec<Val>)>,
}

impl Frame for DsFrame<'_> {
    fn n_rows(&self) -> usize {
        self.rows.len()
    }
    fn column_index(&self, name: &str) -> Option<usize> {
        self.ds
            .columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.extra
                    .iter()
                    .position(|(n, _)| n == name)
                    .map(|i| i + self.ds.columns.len())
            })
    }
    fn get(&self, column: usize, row: usize) -> Val {
        let n = self.ds.columns.len();
        if column < n {
            match (self.ds.columns.get(column), self.rows.get(row)) {
                (Some(c), Some(&r)) => c.values.get(r).map(Val::from).unwrap_or(Val::Missing),
                _ => Val::Missing,
            }
        } else {
            self.extra
                .get(column - n)
                .and_then(|(_, v)| v.get(row))
                .cloned()
                .unwrap_or(Val::Missing)
        }
    }
    fn column_names(&self) -> Vec<String> {
        self.ds
            .columns
            .iter()
            .map(|c| c.name.clone())
            .chain(self.extra.iter().map(|(n, _)| n.clone()))
            .collect()
    }
}

fn formula_err(key: &str, expr: &str, e: crate::formula::FormulaError) -> OpError {
    err(
        key,
        format!("formula error in `{key}`: {}", e.render(expr)),
        e.hint,
    )
}

fn filter_rows(
    ds: &Dataset,
    where_: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Vec<usize>, OpError> {
    let all: Vec<usize> = (0..ds.n_rows()).collect();
    let Some(w) = where_ else {
        return Ok(all);
    };
    let expr = Expr::parse(w).map_err(|e| formula_err("where", w, e))?;
    let frame = DsFrame {
        ds,
        rows: &all,
        extra: Vec::new(),
    };
    let (vals, _) = expr.eval_all(&frame).map_err(|mut e| {
        if e.message.starts_with("unknown column") {
            e.hint = format!(
                "{}; `where` is applied to the dataset before any computed columns",
                e.hint
            );
        }
        formula_err("where", w, e)
    })?;
    let mut kept = Vec::new();
    for (i, v) in vals.into_iter().enumerate() {
        match v {
            Val::Bool(true) => kept.push(i),
            Val::Bool(false) | Val::Missing => {}
            other => {
                return Err(err(
                    "where",
                    format!(
                        "`where` must be a condition (true/false), but `{w}` gives {}",
                        match other {
                            Val::Num(_) => "a number",
                            _ => "text",
                        }
                    ),
                    "write a comparison, e.g. where = \"year >= 2020\"",
                ))
            }
        }
    }
    notes.push(format!(
        "Rows selected by `{w}`: {} of {}.",
        kept.len(),
        ds.n_rows()
    ));
    Ok(kept)
}

fn column<'a>(ds: &'a Dataset, name: &str, key: &str) -> Result<&'a Column, OpError> {
    ds.column(name).ok_or_else(|| {
        let names = ds.column_names();
        let hint = match closest(name, names.iter().copied()) {
            Some(c) => format!(
                "did you mean `{c}`? (columns of `{}`: {})",
                ds.id,
                names.join(", ")
            ),
            None => format!("the columns of `{}` are: {}", ds.id, names.join(", ")),
        };
        err(
            key,
            format!("unknown column `{name}` in dataset `{}`", ds.id),
            hint,
        )
    })
}

fn numeric_column<'a>(ds: &'a Dataset, name: &str, key: &str) -> Result<&'a Column, OpError> {
    let c = column(ds, name, key)?;
    if c.ty.is_numeric() || c.ty == ColumnType::Boolean {
        Ok(c)
    } else {
        Err(err(
            key,
            format!("column `{name}` is {}, not numeric", c.ty),
            "use a column of type integer, number or year (or boolean, read as 1/0)",
        ))
    }
}

fn values_at(c: &Column, rows: &[usize]) -> Vec<Option<f64>> {
    rows.iter()
        .map(|&r| c.values.get(r).and_then(Value::as_f64))
        .collect()
}

fn value_cell(v: &Value) -> Cell {
    match v {
        Value::Missing => Cell::Missing,
        Value::Integer(i) => Cell::Integer(*i),
        Value::Number(x) => Cell::num(*x),
        Value::Text(s) | Value::Date(s) => Cell::Text(s.clone()),
        Value::Boolean(b) => Cell::Text(b.to_string()),
    }
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Distinct non-missing values of `c` at `rows`, sorted; and the level index of every row
/// (`None` for missing).
fn levels(c: &Column, rows: &[usize]) -> (Vec<Value>, Vec<Option<usize>>) {
    let mut map: HashMap<String, usize> = HashMap::new();
    let mut vals: Vec<Value> = Vec::new();
    let mut raw: Vec<Option<usize>> = Vec::with_capacity(rows.len());
    for &r in rows {
        let v = c.values.get(r).cloned().unwrap_or(Value::Missing);
        if v.is_missing() {
            raw.push(None);
            continue;
        }
        let k = v.to_string();
        let idx = *map.entry(k).or_insert_with(|| {
            vals.push(v.clone());
            vals.len() - 1
        });
        raw.push(Some(idx));
    }
    let mut order: Vec<usize> = (0..vals.len()).collect();
    order.sort_by(|&a, &b| match (vals.get(a), vals.get(b)) {
        (Some(x), Some(y)) => cmp_values(x, y),
        _ => std::cmp::Ordering::Equal,
    });
    let mut rank = vec![0; vals.len()];
    for (pos, &i) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(i) {
            *r = pos;
        }
    }
    let sorted: Vec<Value> = order.iter().filter_map(|&i| vals.get(i).cloned()).collect();
    let idx = raw
        .into_iter()
        .map(|o| o.and_then(|i| rank.get(i).copied()))
        .collect();
    (sorted, idx)
}

fn note_missing(notes: &mut Vec<String>, what: &str, n: usize) {
    if n > 0 {
        notes.push(format!("{n} row(s) with a missing {what} were excluded."));
    }
}

fn jnum(x: f64) -> Json {
    if x.is_finite() {
        json!(x)
    } else {
        Json::Null
    }
}

fn t_crit(level: f64, df: f64) -> f64 {
    numeric::t_quantile(0.5 + level / 2.0, df)
}

fn pct_label(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round())
    } else {
        format!("{p}%")
    }
}

// ---------------------------------------------------------------------------------------------
// view

fn view(
    ctx: &mut Ctx<'_>,
    columns: Option<&[String]>,
    sort: Option<&crate::spec::Sort>,
    limit: Option<usize>,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let cols: Vec<&Column> = match columns {
        Some(names) => names
            .iter()
            .map(|n| column(ds, n, "columns"))
            .collect::<Result<_, _>>()?,
        None => ds.columns.iter().collect(),
    };
    let mut rows = ctx.rows.clone();
    if let Some(s) = sort {
        let c = column(ds, &s.column, "sort")?;
        rows.sort_by(|&a, &b| {
            let va = c.values.get(a).cloned().unwrap_or(Value::Missing);
            let vb = c.values.get(b).cloned().unwrap_or(Value::Missing);
            match (va.is_missing(), vb.is_missing()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => {
                    let o = cmp_values(&va, &vb);
                    if s.descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            }
        });
        ctx.notes.push(format!(
            "Sorted by `{}`{}.",
            s.column,
            if s.descending { ", descending" } else { "" }
        ));
    }
    if let Some(l) = limit {
        if rows.len() > l {
            ctx.notes
                .push(format!("First {l} of {} rows shown.", rows.len()));
            rows.truncate(l);
        }
    }
    Ok(ComputedTable {
        columns: cols.iter().map(|c| c.name.clone()).collect(),
        rows: rows
            .iter()
            .map(|&r| {
                cols.iter()
                    .map(|c| c.values.get(r).map(value_cell).unwrap_or(Cell::Missing))
                    .collect()
            })
            .collect(),
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// formula

fn val_cell(v: &Val) -> Cell {
    match v {
        Val::Num(x) => Cell::num(*x),
        Val::Str(s) => Cell::Text(s.clone()),
        Val::Bool(b) => Cell::Text(b.to_string()),
        Val::Missing => Cell::Missing,
    }
}

fn formula(
    ctx: &mut Ctx<'_>,
    columns: &[(String, String)],
    keep: Option<&[String]>,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let rows = ctx.rows.clone();
    let mut frame = DsFrame {
        ds,
        rows: &rows,
        extra: Vec::new(),
    };
    let key_col = ds.columns.first();
    let key_of = |r: usize| -> String {
        key_col
            .and_then(|c| rows.get(r).and_then(|&i| c.values.get(i)))
            .map(|v| v.to_string())
            .unwrap_or_else(|| format!("row {}", r + 1))
    };
    for (name, src) in columns {
        let key = format!("columns.{name}");
        if ds.column(name).is_some() || frame.extra.iter().any(|(n, _)| n == name) {
            return Err(err(
                &key,
                format!("`{name}` is already a column"),
                "give the computed column a new name",
            ));
        }
        let expr = Expr::parse(src).map_err(|e| formula_err(&key, src, e))?;
        let (vals, report) = expr
            .eval_all(&frame)
            .map_err(|e| formula_err(&key, src, e))?;
        ctx.notes
            .extend(report.notes(&format!("`{name}` = {src}"), &key_of));
        frame.extra.push((name.clone(), vals));
    }
    let all_names: Vec<String> = frame.column_names();
    let shown: Vec<String> = match keep {
        Some(k) => {
            for n in k {
                if !all_names.contains(n) {
                    let hint = match closest(n, all_names.iter().map(|s| s.as_str())) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("the columns are: {}", all_names.join(", ")),
                    };
                    return Err(err("keep", format!("unknown column `{n}` in `keep`"), hint));
                }
            }
            k.to_vec()
        }
        None => all_names,
    };
    let idx: Vec<usize> = shown.iter().filter_map(|n| frame.column_index(n)).collect();
    let n = frame.n_rows();
    let out_rows = (0..n)
        .map(|r| {
            idx.iter()
                .map(|&c| {
                    if c < ds.columns.len() {
                        ds.columns
                            .get(c)
                            .and_then(|col| rows.get(r).and_then(|&i| col.values.get(i)))
                            .map(value_cell)
                            .unwrap_or(Cell::Missing)
                    } else {
                        val_cell(&frame.get(c, r))
                    }
                })
                .collect()
        })
        .collect();
    Ok(ComputedTable {
        columns: shown,
        rows: out_rows,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// describe

/// The `describe` statistics of some values (missing already removed).
fn describe_row(xs: &[f64], missing: usize, level: f64) -> Vec<Cell> {
    let n = xs.len();
    let mut sorted = xs.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let mean = numeric::mean(xs);
    let sd = numeric::sd(xs);
    let se = sd.map(|s| s / (n as f64).sqrt());
    let (lo, hi) = match (mean, se) {
        (Some(m), Some(se)) => {
            let t = t_crit(level, n as f64 - 1.0);
            (Some(m - t * se), Some(m + t * se))
        }
        _ => (None, None),
    };
    let q = |p: f64| numeric::quantile_sorted(&sorted, p);
    vec![
        Cell::Integer(n as i64),
        Cell::Integer(missing as i64),
        Cell::opt(mean),
        Cell::opt(sd),
        Cell::opt(se),
        Cell::opt(lo),
        Cell::opt(hi),
        Cell::opt(sorted.first().copied()),
        Cell::opt(q(0.25)),
        Cell::opt(q(0.5)),
        Cell::opt(q(0.75)),
        Cell::opt(sorted.last().copied()),
    ]
}

fn describe(
    ctx: &mut Ctx<'_>,
    columns: &[String],
    by: Option<&str>,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let cols: Vec<&Column> = columns
        .iter()
        .map(|c| numeric_column(ds, c, "columns"))
        .collect::<Result<_, _>>()?;
    let mut header = vec!["variable".to_string()];
    header.extend(
        [
            "n", "missing", "mean", "sd", "se", "ci_low", "ci_high", "min", "q1", "median", "q3",
            "max",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let mut out = Vec::new();
    let groups: Vec<(Option<String>, Vec<usize>)> = match by {
        None => vec![(None, ctx.rows.clone())],
        Some(b) => {
            let g = column(ds, b, "by")?;
            let (lv, idx) = levels(g, &ctx.rows);
            let missing = idx.iter().filter(|i| i.is_none()).count();
            note_missing(&mut ctx.notes, &format!("`{b}`"), missing);
            lv.iter()
                .enumerate()
                .map(|(li, v)| {
                    let rows = ctx
                        .rows
                        .iter()
                        .zip(&idx)
                        .filter(|(_, i)| **i == Some(li))
                        .map(|(r, _)| *r)
                        .collect();
                    (Some(v.to_string()), rows)
                })
                .collect()
        }
    };
    let mut small = false;
    for (g, rows) in &groups {
        for c in &cols {
            let vals = values_at(c, rows);
            let xs: Vec<f64> = vals.iter().flatten().copied().collect();
            let missing = vals.len() - xs.len();
            small |= xs.len() < 2;
            let key = match g {
                Some(g) => format!("{g} / {}", c.name),
                None => c.name.clone(),
            };
            let mut row = vec![Cell::Text(key)];
            row.extend(describe_row(&xs, missing, ctx.level));
            out.push(row);
        }
    }
    ctx.notes.push(format!(
        "sd is the sample standard deviation (n − 1); se = sd/√n; ci_low–ci_high is the {} t interval of the mean; quartiles by linear interpolation (type 7).",
        pct_label(ctx.level)
    ));
    if small {
        ctx.notes
            .push("Variables with fewer than two values have no sd, se or interval.".into());
    }
    Ok(ComputedTable {
        columns: header,
        rows: out,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// freq

fn freq(
    ctx: &mut Ctx<'_>,
    column_name: &str,
    weight: Option<&str>,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let c = column(ds, column_name, "column")?;
    let w = weight
        .map(|w| numeric_column(ds, w, "weight"))
        .transpose()?;
    let mut rows = ctx.rows.clone();
    if let Some(w) = w {
        let before = rows.len();
        rows.retain(|&r| w.values.get(r).and_then(Value::as_f64).is_some());
        note_missing(&mut ctx.notes, "weight", before - rows.len());
        if let Some(&bad) = rows.iter().find(|&&r| {
            w.values
                .get(r)
                .and_then(Value::as_f64)
                .is_some_and(|x| x < 0.0)
        }) {
            return Err(err(
                "weight",
                format!("negative weight on data row {}", bad + 1),
                "weights must be ≥ 0",
            ));
        }
    }
    let (lv, idx) = levels(c, &rows);
    let mut counts = vec![0.0; lv.len()];
    let mut missing = 0usize;
    for (&r, i) in rows.iter().zip(&idx) {
        let wt = w
            .and_then(|w| w.values.get(r).and_then(Value::as_f64))
            .unwrap_or(1.0);
        match i.and_then(|i| counts.get_mut(i)) {
            Some(slot) => *slot += wt,
            None => missing += 1,
        }
    }
    note_missing(&mut ctx.notes, &format!("`{column_name}`"), missing);
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return Err(err(
            "column",
            format!("`{column_name}` has no non-missing values to count"),
            "check the column and the `where` filter",
        ));
    }
    let mut cum = 0.0;
    let out = lv
        .iter()
        .zip(&counts)
        .map(|(v, &n)| {
            cum += n;
            vec![
                value_cell(v),
                if w.is_some() {
                    Cell::num(n)
                } else {
                    Cell::Integer(n as i64)
                },
                Cell::num(n / total * 100.0),
                Cell::num(cum / total * 100.0),
            ]
        })
        .collect();
    let mut stats = Map::new();
    stats.insert(
        "n".into(),
        if w.is_some() {
            jnum(total)
        } else {
            json!(total as i64)
        },
    );
    ctx.notes
        .push("Percentages are of the non-missing values.".into());
    if let Some(wn) = weight {
        ctx.notes.push(format!("Counts are weighted by `{wn}`."));
    }
    Ok(ComputedTable {
        columns: vec![
            column_name.to_string(),
            "count".into(),
            "percent".into(),
            "cumulative_percent".into(),
        ],
        rows: out,
        stats,
        notes: vec![],
    })
}

// ---------------------------------------------------------------------------------------------
// crosstab

fn crosstab(
    ctx: &mut Ctx<'_>,
    rows_var: &str,
    cols_var: &str,
    count: Option<&str>,
    row_percent: bool,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let rc = column(ds, rows_var, "rows")?;
    let cc = column(ds, cols_var, "cols")?;
    let wc = count.map(|c| numeric_column(ds, c, "count")).transpose()?;
    let mut rows = ctx.rows.clone();
    let before = rows.len();
    rows.retain(|&r| {
        let present = |c: &Column| c.values.get(r).is_some_and(|v| !v.is_missing());
        present(rc) && present(cc) && wc.is_none_or(present)
    });
    note_missing(
        &mut ctx.notes,
        "row, column or count value",
        before - rows.len(),
    );
    if let Some(w) = wc {
        if let Some(&bad) = rows.iter().find(|&&r| {
            w.values
                .get(r)
                .and_then(Value::as_f64)
                .is_some_and(|x| x < 0.0)
        }) {
            return Err(err(
                "count",
                format!("negative count on data row {}", bad + 1),
                "counts must be ≥ 0",
            ));
        }
    }
    let (rl, ri) = levels(rc, &rows);
    let (cl, ci) = levels(cc, &rows);
    if rl.len() < 2 || cl.len() < 2 {
        return Err(err(
            if rl.len() < 2 { "rows" } else { "cols" },
            format!(
                "a crosstab needs at least two levels in each variable; `{rows_var}` has {}, `{cols_var}` has {}",
                rl.len(),
                cl.len()
            ),
            "use `freq` for a single variable, or check the `where` filter",
        ));
    }
    let (nr, nc) = (rl.len(), cl.len());
    let mut o = vec![vec![0.0; nc]; nr];
    let mut integral = true;
    for (k, &r) in rows.iter().enumerate() {
        let wt = wc
            .and_then(|w| w.values.get(r).and_then(Value::as_f64))
            .unwrap_or(1.0);
        integral &= wt.fract() == 0.0;
        if let (Some(Some(i)), Some(Some(j))) = (ri.get(k), ci.get(k)) {
            if let Some(cell) = o.get_mut(*i).and_then(|row| row.get_mut(*j)) {
                *cell += wt;
            }
        }
    }
    let row_tot: Vec<f64> = o.iter().map(|r| r.iter().sum()).collect();
    let col_tot: Vec<f64> = (0..nc)
        .map(|j| o.iter().map(|r| r.get(j).copied().unwrap_or(0.0)).sum())
        .collect();
    let n: f64 = row_tot.iter().sum();
    if let Some(i) = row_tot.iter().position(|&t| t <= 0.0) {
        return Err(err(
            "rows",
            format!(
                "crosstab with an empty margin: row `{}` has a total of 0",
                rl.get(i).map(|v| v.to_string()).unwrap_or_default()
            ),
            "drop the empty category with `where`, or check the counts",
        ));
    }
    if let Some(j) = col_tot.iter().position(|&t| t <= 0.0) {
        return Err(err(
            "cols",
            format!(
                "crosstab with an empty margin: column `{}` has a total of 0",
                cl.get(j).map(|v| v.to_string()).unwrap_or_default()
            ),
            "drop the empty category with `where`, or check the counts",
        ));
    }
    let mut chi2 = 0.0;
    let mut small = 0;
    for (i, row) in o.iter().enumerate() {
        for (j, &obs) in row.iter().enumerate() {
            let e =
                row_tot.get(i).copied().unwrap_or(0.0) * col_tot.get(j).copied().unwrap_or(0.0) / n;
            if e < 5.0 {
                small += 1;
            }
            chi2 += (obs - e) * (obs - e) / e;
        }
    }
    let df = ((nr - 1) * (nc - 1)) as f64;
    let p = numeric::p_chi2(chi2, df);
    let v = (chi2 / (n * ((nr.min(nc) - 1) as f64))).sqrt();
    let cnt = |x: f64| {
        if integral {
            Cell::Integer(x as i64)
        } else {
            Cell::num(x)
        }
    };
    let last = if row_percent { "n" } else { "total" };
    let mut columns = vec![rows_var.to_string()];
    columns.extend(cl.iter().map(|v| v.to_string()));
    let last_name = if columns.iter().any(|c| c == last) {
        format!("{last} (all)")
    } else {
        last.to_string()
    };
    columns.push(last_name);
    let mut out: Vec<Vec<Cell>> = Vec::new();
    for (i, row) in o.iter().enumerate() {
        let t = row_tot.get(i).copied().unwrap_or(0.0);
        let mut cells = vec![rl.get(i).map(value_cell).unwrap_or(Cell::Missing)];
        for &x in row {
            cells.push(if row_percent {
                Cell::num(x / t * 100.0)
            } else {
                cnt(x)
            });
        }
        cells.push(cnt(t));
        out.push(cells);
    }
    let mut total_row = vec![Cell::Text(if rl.iter().any(|v| v.to_string() == "total") {
        "total (all)".into()
    } else {
        "total".into()
    })];
    for &x in &col_tot {
        total_row.push(if row_percent {
            Cell::num(x / n * 100.0)
        } else {
            cnt(x)
        });
    }
    total_row.push(cnt(n));
    out.push(total_row);
    let mut stats = Map::new();
    stats.insert("n".into(), if integral { json!(n as i64) } else { jnum(n) });
    stats.insert("chi2".into(), jnum(chi2));
    stats.insert("df".into(), json!(df as i64));
    stats.insert("p".into(), jnum(p));
    stats.insert("cramers_v".into(), jnum(v));
    let mut notes = vec![format!(
        "Pearson's chi-square test of independence without continuity correction; Cramér's V = √(χ² / (n · (min(r, c) − 1)))."
    )];
    if row_percent {
        notes.push("Cells are row percentages; `n` is the row count.".into());
    }
    if let Some(c) = count {
        notes.push(format!("Counts are the sums of `{c}`."));
    }
    if small > 0 {
        notes.push(format!(
            "{small} of {} expected counts are below 5; the chi-square approximation may be poor.",
            nr * nc
        ));
    }
    Ok(ComputedTable {
        columns,
        rows: out,
        stats,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// correlate

fn correlate(
    ctx: &mut Ctx<'_>,
    columns: &[String],
    method: CorrMethod,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let cols: Vec<&Column> = columns
        .iter()
        .map(|c| numeric_column(ds, c, "columns"))
        .collect::<Result<_, _>>()?;
    let complete: Vec<usize> = ctx
        .rows
        .iter()
        .copied()
        .filter(|&r| {
            cols.iter()
                .all(|c| c.values.get(r).and_then(Value::as_f64).is_some())
        })
        .collect();
    note_missing(
        &mut ctx.notes,
        "value (listwise deletion)",
        ctx.rows.len() - complete.len(),
    );
    let n = complete.len();
    if n < 3 {
        return Err(err(
            "columns",
            format!("a correlation needs at least 3 complete rows, found {n}"),
            "check for missing values and the `where` filter",
        ));
    }
    let mut data: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| values_at(c, &complete).into_iter().flatten().collect())
        .collect();
    if method == CorrMethod::Spearman {
        data = data.iter().map(|x| numeric::ranks(x)).collect();
    }
    let k = cols.len();
    let mut r = vec![vec![1.0; k]; k];
    let mut p = vec![vec![0.0; k]; k];
    let df = (n - 2) as f64;
    for i in 0..k {
        for j in (i + 1)..k {
            let (Some(a), Some(b)) = (data.get(i), data.get(j)) else {
                continue;
            };
            let rij = numeric::pearson(a, b).ok_or_else(|| {
                let which = if numeric::sd(a).unwrap_or(0.0) == 0.0 {
                    i
                } else {
                    j
                };
                err(
                    "columns",
                    format!(
                        "column `{}` is constant, so its correlation is undefined",
                        columns.get(which).cloned().unwrap_or_default()
                    ),
                    "remove the column from `columns`",
                )
            })?;
            let pij = if rij.abs() >= 1.0 {
                0.0
            } else {
                numeric::p_t(rij * (df / (1.0 - rij * rij)).sqrt(), df)
            };
            for (a, b) in [(i, j), (j, i)] {
                if let Some(x) = r.get_mut(a).and_then(|row| row.get_mut(b)) {
                    *x = rij;
                }
                if let Some(x) = p.get_mut(a).and_then(|row| row.get_mut(b)) {
                    *x = pij;
                }
            }
        }
    }
    let mut header = vec!["variable".to_string()];
    header.extend(columns.iter().cloned());
    let rows = columns
        .iter()
        .zip(&r)
        .map(|(name, row)| {
            let mut cells = vec![Cell::Text(name.clone())];
            cells.extend(row.iter().map(|&x| Cell::num(x)));
            cells
        })
        .collect();
    let mut stats = Map::new();
    stats.insert("n".into(), json!(n));
    stats.insert(
        "p".into(),
        Json::Array(
            p.iter()
                .map(|row| Json::Array(row.iter().map(|&x| jnum(x)).collect()))
                .collect(),
        ),
    );
    let mname = match method {
        CorrMethod::Pearson => "pearson",
        CorrMethod::Spearman => "spearman",
    };
    stats.insert("method".into(), json!(mname));
    let notes = vec![match method {
        CorrMethod::Pearson => format!("Pearson correlations, n = {n}; p-values two-sided (t test with n − 2 df)."),
        CorrMethod::Spearman => format!("Spearman rank correlations (ties get average ranks), n = {n}; p-values two-sided (t approximation with n − 2 df)."),
    }];
    Ok(ComputedTable {
        columns: header,
        rows,
        stats,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// regress

const REGRESS_COLUMNS: &[&str] = &[
    "term",
    "estimate",
    "std_error",
    "t",
    "p",
    "ci_low",
    "ci_high",
    "beta",
];

/// Builds the regression table from coefficients and their covariance.
#[allow(clippy::too_many_arguments)]
fn regression_table(
    terms: &[String],
    kept: &[usize],
    coef: &[f64],
    cov: &DMatrix<f64>,
    beta: &[Option<f64>],
    df_resid: f64,
    level: f64,
) -> Vec<Vec<Cell>> {
    let t = t_crit(level, df_resid);
    terms
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut row = vec![Cell::Text(name.clone())];
            match kept.iter().position(|&k| k == i) {
                Some(pos) => {
                    let b = coef.get(pos).copied().unwrap_or(f64::NAN);
                    let se = cov
                        .get((pos, pos))
                        .copied()
                        .unwrap_or(f64::NAN)
                        .max(0.0)
                        .sqrt();
                    let tv = b / se;
                    row.extend([
                        Cell::num(b),
                        Cell::num(se),
                        Cell::num(tv),
                        Cell::num(numeric::p_t(tv, df_resid)),
                        Cell::num(b - t * se),
                        Cell::num(b + t * se),
                        Cell::opt(beta.get(i).copied().flatten()),
                    ]);
                }
                None => row.extend(std::iter::repeat_n(Cell::Missing, 7)),
            }
            row
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn regression_stats(
    n: usize,
    df_model: usize,
    df_resid: usize,
    r2: f64,
    f: f64,
    f_df1: f64,
    rmse: f64,
) -> Map<String, Json> {
    let mut s = Map::new();
    let adj = 1.0 - (1.0 - r2) * (n as f64 - 1.0) / df_resid as f64;
    s.insert("n".into(), json!(n));
    s.insert("df_model".into(), json!(df_model));
    s.insert("df_resid".into(), json!(df_resid));
    s.insert("r2".into(), jnum(r2));
    s.insert("adj_r2".into(), jnum(adj));
    s.insert("f".into(), jnum(f));
    s.insert("f_p".into(), jnum(numeric::p_f(f, f_df1, df_resid as f64)));
    s.insert("rmse".into(), jnum(rmse));
    s
}

fn regress(
    ctx: &mut Ctx<'_>,
    y_name: &str,
    x_names: &[String],
    hc1: bool,
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let yc = numeric_column(ds, y_name, "y")?;
    let xcs: Vec<&Column> = x_names
        .iter()
        .map(|x| column(ds, x, "x"))
        .collect::<Result<_, _>>()?;
    if x_names.iter().any(|x| x == y_name) {
        return Err(err(
            "x",
            format!("`{y_name}` is both y and a predictor"),
            "remove it from `x`",
        ));
    }
    let rows: Vec<usize> = ctx
        .rows
        .iter()
        .copied()
        .filter(|&r| {
            yc.values.get(r).and_then(Value::as_f64).is_some()
                && xcs
                    .iter()
                    .all(|c| c.values.get(r).is_some_and(|v| !v.is_missing()))
        })
        .collect();
    note_missing(
        &mut ctx.notes,
        "value in y or x (listwise deletion)",
        ctx.rows.len() - rows.len(),
    );
    let n = rows.len();
    let y: Vec<f64> = values_at(yc, &rows)
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    let mut terms = vec!["(Intercept)".to_string()];
    let mut design: Vec<Vec<f64>> = vec![vec![1.0; n]];
    let mut notes = Vec::new();
    for c in &xcs {
        match c.ty {
            ColumnType::Integer | ColumnType::Number | ColumnType::Year | ColumnType::Boolean => {
                terms.push(c.name.clone());
                design.push(
                    values_at(c, &rows)
                        .into_iter()
                        .map(|v| v.unwrap_or(f64::NAN))
                        .collect(),
                );
            }
            ColumnType::String | ColumnType::Date => {
                let (lv, idx) = levels(c, &rows);
                if lv.len() < 2 {
                    return Err(err(
                        "x",
                        format!(
                            "predictor `{}` has a single level among the rows used",
                            c.name
                        ),
                        "remove it from `x`, or widen the `where` filter",
                    ));
                }
                for (li, level) in lv.iter().enumerate().skip(1) {
                    terms.push(format!("{}[{}]", c.name, level));
                    design.push(
                        idx.iter()
                            .map(|i| if *i == Some(li) { 1.0 } else { 0.0 })
                            .collect(),
                    );
                }
                notes.push(format!(
                    "`{}` is dummy-coded; the reference level is `{}`.",
                    c.name,
                    lv.first().map(|v| v.to_string()).unwrap_or_default()
                ));
            }
        }
    }
    let p = terms.len();
    if n <= p {
        return Err(err(
            "x",
            format!("the regression has {p} terms (with the intercept) but only {n} complete rows"),
            "use fewer predictors or more data: the residual needs at least one degree of freedom",
        ));
    }
    let cols: Vec<&[f64]> = design.iter().map(|c| c.as_slice()).collect();
    let fit = numeric::ols(
        &cols,
        &y,
        OlsOptions {
            intercept: true,
            hc1,
        },
    )
    .map_err(|e| match e {
        NumericError::TooFewRows { rows, terms } => err(
            "x",
            format!("regression with {terms} independent terms but only {rows} rows"),
            "use fewer predictors or more data",
        ),
        NumericError::Singular => err(
            "x",
            "singular design: no term can be estimated",
            "check the predictors",
        ),
        other => err("x", format!("regression failed: {other}"), "check the data"),
    })?;
    if !fit.dropped.is_empty() {
        let names: Vec<String> = fit
            .dropped
            .iter()
            .filter_map(|&i| terms.get(i).map(|t| format!("`{t}`")))
            .collect();
        if fit.kept.len() <= 1 {
            return Err(err(
                "x",
                format!(
                    "singular design: every predictor ({}) is collinear with the intercept",
                    names.join(", ")
                ),
                "the predictors are constant among the rows used",
            ));
        }
        notes.push(format!(
            "Dropped as perfectly collinear with earlier terms (not estimable): {}.",
            names.join(", ")
        ));
    }
    let tss: f64 = {
        let m = numeric::mean(&y).unwrap_or(0.0);
        y.iter().map(|v| (v - m) * (v - m)).sum()
    };
    if fit.rss <= 1e-26 * tss || tss == 0.0 {
        return Err(err(
            "y",
            if tss == 0.0 {
                format!("`{y_name}` is constant among the rows used")
            } else {
                "the model fits the data exactly (residual sum of squares is 0): standard errors and tests are undefined".to_string()
            },
            "check that y is not computed from the predictors",
        ));
    }
    let k = fit.kept.len();
    let df_model = k - 1;
    let df_resid = fit.df_resid;
    let r2 = fit.ess / (fit.ess + fit.rss);
    let f = if hc1 {
        // Wald test of all slopes with the robust covariance
        let q = k - 1;
        let b = DVector::from_iterator(q, fit.coef.iter().skip(1).copied());
        let v = fit.cov.view((1, 1), (q, q)).into_owned();
        match numeric::solve_small(&v, &b) {
            Some(sol) => b.dot(&sol) / q as f64,
            None => {
                notes.push("The robust F test is undefined (singular robust covariance).".into());
                f64::NAN
            }
        }
    } else {
        (fit.ess / df_model as f64) / (fit.rss / df_resid as f64)
    };
    let sd_y = numeric::sd(&y).unwrap_or(f64::NAN);
    let beta: Vec<Option<f64>> = design
        .iter()
        .enumerate()
        .map(|(i, col)| {
            if i == 0 {
                return None;
            }
            let pos = fit.kept.iter().position(|&k| k == i)?;
            let b = fit.coef.get(pos)?;
            Some(b * numeric::sd(col)? / sd_y)
        })
        .collect();
    let rows_out = regression_table(
        &terms,
        &fit.kept,
        &fit.coef,
        &fit.cov,
        &beta,
        df_resid as f64,
        ctx.level,
    );
    let stats = regression_stats(n, df_model, df_resid, r2, f, df_model as f64, fit.sigma);
    notes.push(format!(
        "OLS (Householder QR), n = {n}; ci_low–ci_high is the {} interval; beta = standardised coefficient; rmse = residual standard error.",
        pct_label(ctx.level)
    ));
    if hc1 {
        notes.push("Standard errors, tests and intervals are heteroskedasticity-robust (HC1); F is the robust Wald test of all slopes.".into());
    }
    Ok(ComputedTable {
        columns: REGRESS_COLUMNS.iter().map(|s| s.to_string()).collect(),
        rows: rows_out,
        stats,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// regress_summary

fn regress_summary(
    ctx: &mut Ctx<'_>,
    means: &[(String, f64)],
    sds: &[(String, f64)],
    n: u64,
    y: &str,
    x: &[String],
) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let first = ds.columns.first().ok_or_else(|| {
        err(
            "dataset",
            format!("dataset `{}` has no columns", ds.id),
            "use a correlation-matrix dataset",
        )
    })?;
    let vars: Vec<&str> = std::iter::once(y)
        .chain(x.iter().map(|s| s.as_str()))
        .collect();
    if x.iter().any(|v| v == y) {
        return Err(err(
            "x",
            format!("`{y}` is both y and a predictor"),
            "remove it from `x`",
        ));
    }
    // row index of each variable (first column) and its column
    let row_of = |v: &str, key: &str| -> Result<usize, OpError> {
        ctx.rows
            .iter()
            .copied()
            .find(|&r| first.values.get(r).is_some_and(|val| val.to_string().trim() == v))
            .ok_or_else(|| {
                err(
                    key,
                    format!("variable `{v}` is not a row of the correlation matrix `{}` (first column `{}`)", ds.id, first.name),
                    "the first column names the variables; one column per variable follows",
                )
            })
    };
    let col_of = |v: &str, key: &str| -> Result<&Column, OpError> {
        let c = column(ds, v, key)?;
        if !c.ty.is_numeric() {
            return Err(err(
                key,
                format!(
                    "column `{v}` of the correlation matrix is {}, not numeric",
                    c.ty
                ),
                "declare it as number",
            ));
        }
        Ok(c)
    };
    let keys: Vec<String> = std::iter::once("y".to_string())
        .chain(std::iter::repeat_n("x".to_string(), x.len()))
        .collect();
    let mut idx_rows = Vec::new();
    let mut idx_cols = Vec::new();
    for (v, key) in vars.iter().zip(&keys) {
        idx_rows.push(row_of(v, key)?);
        idx_cols.push(col_of(v, key)?);
    }
    let m = vars.len();
    let mut r = DMatrix::<f64>::identity(m, m);
    for i in 0..m {
        for j in 0..m {
            if i == j {
                continue;
            }
            let get = |a: usize, b: usize| {
                let row = *idx_rows.get(a)?;
                idx_cols.get(b)?.values.get(row)?.as_f64()
            };
            let (vi, vj) = (
                vars.get(i).copied().unwrap_or(""),
                vars.get(j).copied().unwrap_or(""),
            );
            let val = match (get(i, j), get(j, i)) {
                (Some(a), Some(b)) => {
                    if (a - b).abs() > 1e-12 {
                        return Err(err(
                            "dataset",
                            format!("the correlation matrix is not symmetric: r({vi}, {vj}) = {a} but r({vj}, {vi}) = {b}"),
                            "fix the transcription (or leave one triangle empty)",
                        ));
                    }
                    a
                }
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => {
                    return Err(err(
                        "dataset",
                        format!(
                            "the correlation of `{vi}` and `{vj}` is missing in both triangles"
                        ),
                        "fill in the correlation",
                    ))
                }
            };
            if !(-1.0..=1.0).contains(&val) {
                return Err(err(
                    "dataset",
                    format!("r({vi}, {vj}) = {val} is not a correlation"),
                    "correlations lie in [−1, 1]",
                ));
            }
            r[(i, j)] = val;
        }
    }
    let lookup = |table: &[(String, f64)], name: &str, v: &str| -> Result<f64, OpError> {
        table
            .iter()
            .find(|(k, _)| k == v)
            .map(|(_, x)| *x)
            .ok_or_else(|| {
                err(
                    name,
                    format!("`{name}` has no value for `{v}`"),
                    format!("add {v} = … to `{name}`"),
                )
            })
    };
    let mut mu = Vec::new();
    let mut sd = Vec::new();
    for v in &vars {
        mu.push(lookup(means, "means", v)?);
        let s = lookup(sds, "sds", v)?;
        if s <= 0.0 {
            return Err(err(
                &format!("sds.{v}"),
                format!("the standard deviation of `{v}` is {s}"),
                "standard deviations must be > 0",
            ));
        }
        sd.push(s);
    }
    let k = x.len();
    let nn = n as usize;
    if nn <= k + 1 {
        return Err(err(
            "n",
            format!("n = {n} is too small for {} terms", k + 1),
            "n must exceed the number of predictors plus one",
        ));
    }
    let rxx = r.view((1, 1), (k, k)).into_owned();
    let rxy = DVector::from_iterator(k, (1..=k).map(|i| r[(i, 0)]));
    let chol = rxx.clone().cholesky().ok_or_else(|| {
        err(
            "dataset",
            "the correlation matrix of the predictors is not positive definite (collinear or inconsistent correlations)",
            "check the transcription; published matrices with pairwise deletion can be inconsistent",
        )
    })?;
    let bstar = chol.solve(&rxy);
    let rinv = chol.inverse();
    let r2 = bstar.dot(&rxy);
    if !(0.0..1.0).contains(&r2) {
        return Err(err(
            "dataset",
            format!("the correlations imply R² = {r2}, which is impossible"),
            "check the transcription of the correlation matrix",
        ));
    }
    let sd_y = sd.first().copied().unwrap_or(1.0);
    let my = mu.first().copied().unwrap_or(0.0);
    let df_resid = nn - k - 1;
    let nf = n as f64;
    let sigma2 = (nf - 1.0) * sd_y * sd_y * (1.0 - r2) / df_resid as f64;
    let mut coef = vec![0.0; k + 1];
    let mut cov = DMatrix::<f64>::zeros(k + 1, k + 1);
    for i in 0..k {
        let si = sd.get(i + 1).copied().unwrap_or(1.0);
        if let Some(c) = coef.get_mut(i + 1) {
            *c = bstar[i] * sd_y / si;
        }
        for j in 0..k {
            let sj = sd.get(j + 1).copied().unwrap_or(1.0);
            cov[(i + 1, j + 1)] = sigma2 / (nf - 1.0) * rinv[(i, j)] / (si * sj);
        }
    }
    let intercept = my
        - (0..k)
            .map(|i| {
                coef.get(i + 1).copied().unwrap_or(0.0) * mu.get(i + 1).copied().unwrap_or(0.0)
            })
            .sum::<f64>();
    if let Some(c) = coef.first_mut() {
        *c = intercept;
    }
    let mvec = DVector::from_iterator(k, (1..=k).map(|i| mu.get(i).copied().unwrap_or(0.0)));
    let cb = cov.view((1, 1), (k, k)).into_owned();
    let cbm = &cb * &mvec;
    cov[(0, 0)] = sigma2 / nf + mvec.dot(&cbm);
    for i in 0..k {
        cov[(0, i + 1)] = -cbm[i];
        cov[(i + 1, 0)] = -cbm[i];
    }
    let mut terms = vec!["(Intercept)".to_string()];
    terms.extend(x.iter().cloned());
    let kept: Vec<usize> = (0..=k).collect();
    let beta: Vec<Option<f64>> = std::iter::once(None)
        .chain(bstar.iter().map(|b| Some(*b)))
        .collect();
    let rows = regression_table(
        &terms,
        &kept,
        &coef,
        &cov,
        &beta,
        df_resid as f64,
        ctx.level,
    );
    let f = (r2 / k as f64) / ((1.0 - r2) / df_resid as f64);
    let stats = regression_stats(nn, k, df_resid, r2, f, k as f64, sigma2.sqrt());
    let notes = vec![format!(
        "OLS reconstructed from the correlation matrix in `{}`, the means, standard deviations and n = {n}: standardised coefficients solve R_xx·β = r_xy, then b = β·sd_y/sd_x, intercept from the means, standard errors from R² (identical to OLS on the raw data).",
        ds.id
    )];
    Ok(ComputedTable {
        columns: REGRESS_COLUMNS.iter().map(|s| s.to_string()).collect(),
        rows,
        stats,
        notes,
    })
}

// ---------------------------------------------------------------------------------------------
// ttest and anova

fn group_values(
    ctx: &mut Ctx<'_>,
    column_name: &str,
    by: &str,
) -> Result<(Vec<Value>, Vec<Vec<f64>>), OpError> {
    let ds = ctx.ds;
    let c = numeric_column(ds, column_name, "column")?;
    let g = column(ds, by, "by")?;
    let rows: Vec<usize> = ctx
        .rows
        .iter()
        .copied()
        .filter(|&r| {
            c.values.get(r).and_then(Value::as_f64).is_some()
                && g.values.get(r).is_some_and(|v| !v.is_missing())
        })
        .collect();
    note_missing(
        &mut ctx.notes,
        &format!("`{column_name}` or `{by}`"),
        ctx.rows.len() - rows.len(),
    );
    let (lv, idx) = levels(g, &rows);
    let mut groups = vec![Vec::new(); lv.len()];
    for (&r, i) in rows.iter().zip(&idx) {
        if let (Some(i), Some(x)) = (i, c.values.get(r).and_then(Value::as_f64)) {
            if let Some(gv) = groups.get_mut(*i) {
                gv.push(x);
            }
        }
    }
    Ok((lv, groups))
}

fn group_rows(labels: &[Cell], groups: &[Vec<f64>]) -> Vec<Vec<Cell>> {
    labels
        .iter()
        .zip(groups)
        .map(|(l, g)| {
            vec![
                l.clone(),
                Cell::Integer(g.len() as i64),
                Cell::opt(numeric::mean(g)),
                Cell::opt(numeric::sd(g)),
            ]
        })
        .collect()
}

fn ttest(
    ctx: &mut Ctx<'_>,
    column_name: &str,
    by: Option<&str>,
    mu: Option<f64>,
) -> Result<ComputedTable, OpError> {
    let level = ctx.level;
    let columns = vec!["group".into(), "n".into(), "mean".into(), "sd".into()];
    let mut stats = Map::new();
    let notes;
    let rows;
    if let Some(by) = by {
        let (lv, groups) = group_values(ctx, column_name, by)?;
        if groups.len() != 2 {
            return Err(err(
                "by",
                format!(
                    "a t-test compares two groups, but `{by}` has {} among the rows used{}",
                    groups.len(),
                    if groups.len() > 2 {
                        " (use `anova`, or select two with `where`)"
                    } else {
                        ""
                    }
                ),
                "select two groups with `where`, or use `mu` for a one-sample test",
            ));
        }
        let (a, b) = (
            groups.first().cloned().unwrap_or_default(),
            groups.get(1).cloned().unwrap_or_default(),
        );
        if a.len() < 2 || b.len() < 2 {
            return Err(err(
                "by",
                "each group needs at least two values for a t-test",
                "check the data and the `where` filter",
            ));
        }
        let (ma, mb) = (
            numeric::mean(&a).unwrap_or(f64::NAN),
            numeric::mean(&b).unwrap_or(f64::NAN),
        );
        let (va, vb) = (
            numeric::variance(&a).unwrap_or(f64::NAN),
            numeric::variance(&b).unwrap_or(f64::NAN),
        );
        let (na, nb) = (a.len() as f64, b.len() as f64);
        let (qa, qb) = (va / na, vb / nb);
        let se = (qa + qb).sqrt();
        if se == 0.0 || !se.is_finite() {
            return Err(err(
                "column",
                "both groups have zero variance: the t statistic is undefined",
                "check the data",
            ));
        }
        let df = (qa + qb).powi(2) / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
        let diff = ma - mb;
        let t = diff / se;
        let tc = t_crit(level, df);
        stats.insert("t".into(), jnum(t));
        stats.insert("df".into(), jnum(df));
        stats.insert("p".into(), jnum(numeric::p_t(t, df)));
        stats.insert("mean_diff".into(), jnum(diff));
        stats.insert("ci_low".into(), jnum(diff - tc * se));
        stats.insert("ci_high".into(), jnum(diff + tc * se));
        stats.insert("se".into(), jnum(se));
        let labels: Vec<Cell> = lv.iter().map(value_cell).collect();
        rows = group_rows(&labels, &[a, b]);
        let name = |i: usize| lv.get(i).map(|v| v.to_string()).unwrap_or_default();
        notes = vec![format!(
            "Welch two-sample t-test (unequal variances) of `{column_name}` by `{by}`; mean_diff = `{}` − `{}`, with its {} interval.",
            name(0),
            name(1),
            pct_label(level)
        )];
    } else {
        let mu = mu.unwrap_or(0.0);
        let c = numeric_column(ctx.ds, column_name, "column")?;
        let vals = values_at(c, &ctx.rows);
        let xs: Vec<f64> = vals.iter().flatten().copied().collect();
        note_missing(
            &mut ctx.notes,
            &format!("`{column_name}`"),
            vals.len() - xs.len(),
        );
        if xs.len() < 2 {
            return Err(err(
                "column",
                format!("a t-test needs at least two values, found {}", xs.len()),
                "check the data and the `where` filter",
            ));
        }
        let n = xs.len() as f64;
        let m = numeric::mean(&xs).unwrap_or(f64::NAN);
        let se = numeric::sd(&xs).unwrap_or(f64::NAN) / n.sqrt();
        if se == 0.0 || !se.is_finite() {
            return Err(err(
                "column",
                format!("`{column_name}` has zero variance: the t statistic is undefined"),
                "check the data",
            ));
        }
        let df = n - 1.0;
        let diff = m - mu;
        let t = diff / se;
        let tc = t_crit(level, df);
        stats.insert("t".into(), jnum(t));
        stats.insert("df".into(), jnum(df));
        stats.insert("p".into(), jnum(numeric::p_t(t, df)));
        stats.insert("mean_diff".into(), jnum(diff));
        stats.insert("ci_low".into(), jnum(diff - tc * se));
        stats.insert("ci_high".into(), jnum(diff + tc * se));
        stats.insert("se".into(), jnum(se));
        stats.insert("mu".into(), jnum(mu));
        rows = group_rows(&[Cell::Text(column_name.to_string())], &[xs]);
        notes = vec![format!(
            "One-sample t-test of `{column_name}` against μ = {mu}; mean_diff = mean − μ, with its {} interval.",
            pct_label(level)
        )];
    }
    Ok(ComputedTable {
        columns,
        rows,
        stats,
        notes,
    })
}

fn anova(ctx: &mut Ctx<'_>, column_name: &str, by: &str) -> Result<ComputedTable, OpError> {
    let (lv, groups) = group_values(ctx, column_name, by)?;
    let g = groups.len();
    if g < 2 {
        return Err(err(
            "by",
            format!("ANOVA needs at least two groups; `{by}` has {g} among the rows used"),
            "check the data and the `where` filter",
        ));
    }
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let n = all.len();
    if n <= g {
        return Err(err(
            "by",
            format!("ANOVA with {g} groups needs more than {g} values, found {n}"),
            "check the data",
        ));
    }
    let grand = numeric::mean(&all).unwrap_or(f64::NAN);
    let mut ssb = 0.0;
    let mut ssw = 0.0;
    for gr in &groups {
        let m = numeric::mean(gr).unwrap_or(f64::NAN);
        ssb += gr.len() as f64 * (m - grand) * (m - grand);
        ssw += gr.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
    }
    if ssw == 0.0 {
        return Err(err(
            "column",
            "every group has zero variance: the F statistic is undefined",
            "check the data",
        ));
    }
    let dfb = (g - 1) as f64;
    let dfw = (n - g) as f64;
    let f = (ssb / dfb) / (ssw / dfw);
    let mut stats = Map::new();
    stats.insert("f".into(), jnum(f));
    stats.insert("df_between".into(), json!(g - 1));
    stats.insert("df_within".into(), json!(n - g));
    stats.insert("p".into(), jnum(numeric::p_f(f, dfb, dfw)));
    stats.insert("eta2".into(), jnum(ssb / (ssb + ssw)));
    let labels: Vec<Cell> = lv.iter().map(value_cell).collect();
    Ok(ComputedTable {
        columns: vec!["group".into(), "n".into(), "mean".into(), "sd".into()],
        rows: group_rows(&labels, &groups),
        stats,
        notes: vec![format!(
            "One-way ANOVA of `{column_name}` by `{by}`; eta² = SS_between / SS_total."
        )],
    })
}

// ---------------------------------------------------------------------------------------------
// growth

fn growth(ctx: &mut Ctx<'_>, time: &str, columns: &[String]) -> Result<ComputedTable, OpError> {
    let ds = ctx.ds;
    let tc = column(ds, time, "time")?;
    let cols: Vec<&Column> = columns
        .iter()
        .map(|c| numeric_column(ds, c, "columns"))
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<usize> = ctx
        .rows
        .iter()
        .copied()
        .filter(|&r| tc.values.get(r).is_some_and(|v| !v.is_missing()))
        .collect();
    note_missing(
        &mut ctx.notes,
        &format!("`{time}`"),
        ctx.rows.len() - rows.len(),
    );
    let numeric_time = tc.ty.is_numeric();
    let tv = |r: usize| tc.values.get(r).cloned().unwrap_or(Value::Missing);
    if numeric_time || tc.ty == ColumnType::Date {
        rows.sort_by(|&a, &b| cmp_values(&tv(a), &tv(b)));
    } else {
        ctx.notes
            .push(format!("Rows are in data order (`{time}` is not numeric)."));
    }
    for w in rows.windows(2) {
        if let [a, b] = w {
            if tv(*a).to_string() == tv(*b).to_string() {
                return Err(err(
                    "time",
                    format!("the time `{}` appears more than once", tv(*a)),
                    "growth needs one row per time point; filter with `where`",
                ));
            }
        }
    }
    if rows.len() < 2 {
        return Err(err(
            "time",
            format!(
                "growth needs at least two time points, found {}",
                rows.len()
            ),
            "check the data and the `where` filter",
        ));
    }
    let mut header = vec![time.to_string()];
    for c in columns {
        header.push(c.clone());
        header.push(format!("{c}_change"));
        header.push(format!("{c}_pct_change"));
    }
    let mut out: Vec<Vec<Cell>> = rows.iter().map(|&r| vec![value_cell(&tv(r))]).collect();
    let mut stats = Map::new();
    let mut notes = Vec::new();
    for c in &cols {
        let vals = values_at(c, &rows);
        let mut zero_prev = Vec::new();
        for (i, row) in out.iter_mut().enumerate() {
            let v = vals.get(i).copied().flatten();
            let prev = if i == 0 {
                None
            } else {
                vals.get(i - 1).copied().flatten()
            };
            row.push(
                match c.values.get(rows.get(i).copied().unwrap_or(usize::MAX)) {
                    Some(Value::Integer(k)) => Cell::Integer(*k),
                    _ => Cell::opt(v),
                },
            );
            let (ch, pct) = match (v, prev) {
                (Some(v), Some(p)) => {
                    let pct = if p == 0.0 {
                        zero_prev.push(tv(rows.get(i).copied().unwrap_or(0)).to_string());
                        None
                    } else {
                        Some((v - p) / p * 100.0)
                    };
                    (Some(v - p), pct)
                }
                _ => (None, None),
            };
            row.push(Cell::opt(ch));
            row.push(Cell::opt(pct));
        }
        if !zero_prev.is_empty() {
            notes.push(format!(
                "`{}_pct_change` is missing at {} (previous value 0).",
                c.name,
                zero_prev.join(", ")
            ));
        }
        // CAGR over the whole span
        let present: Vec<(usize, f64)> = vals
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|x| (i, x)))
            .collect();
        let key = format!("cagr_{}", c.name);
        let cagr = match (present.first(), present.last()) {
            (Some(&(i0, v0)), Some(&(i1, v1))) if i1 > i0 => {
                let periods = if numeric_time {
                    let t0 = rows
                        .get(i0)
                        .and_then(|&r| tv(r).as_f64())
                        .unwrap_or(f64::NAN);
                    let t1 = rows
                        .get(i1)
                        .and_then(|&r| tv(r).as_f64())
                        .unwrap_or(f64::NAN);
                    t1 - t0
                } else {
                    (i1 - i0) as f64
                };
                if v0 > 0.0 && v1 >= 0.0 && periods > 0.0 {
                    Ok(((v1 / v0).powf(1.0 / periods) - 1.0) * 100.0)
                } else {
                    Err(format!(
                        "`{key}` is undefined (CAGR needs a positive first value and a non-negative last value; here {v0} → {v1})."
                    ))
                }
            }
            _ => Err(format!("`{key}` is undefined (fewer than two values).")),
        };
        match cagr {
            Ok(x) => {
                stats.insert(key, jnum(x));
            }
            Err(n) => {
                stats.insert(key, Json::Null);
                notes.push(n);
            }
        }
    }
    notes.push(format!(
        "change and pct_change are against the previous row; pct_change and cagr are in percent; cagr = ((last / first)^(1 / periods) − 1) · 100 with periods = {}.",
        if numeric_time { format!("the difference in `{time}`") } else { "the number of rows between them".to_string() }
    ));
    Ok(ComputedTable {
        columns: header,
        rows: out,
        stats,
        notes,
    })
}
