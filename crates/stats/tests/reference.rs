//! Every op against independent reference values computed by
//! `tests/reference/make_reference.py` (pandas, scipy, statsmodels) on the committed input CSVs.
//! Numbers must agree to a relative tolerance of 1e-9.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use bilim_stats::dataset::{load, Dataset};
use bilim_stats::ops::compute;
use bilim_stats::spec::TableSpec;
use bilim_stats::table::{Cell, ComputedTable};
use serde_json::Value as Json;

const REL: f64 = 1e-9;
const ABS: f64 = 1e-12;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL * a.abs().max(b.abs()) + ABS
}

fn fixtures() -> Json {
    let text = std::fs::read_to_string(dir().join("fixtures.json")).expect("fixtures.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn datasets(fx: &Json) -> HashMap<String, Arc<Dataset>> {
    let mut out = HashMap::new();
    for (id, d) in fx["datasets"].as_object().expect("datasets") {
        let csv = std::fs::read(dir().join(d["csv"].as_str().expect("csv"))).expect("csv file");
        let mut toml = String::from(
            "title = \"reference\"\nsource = \"ref\"\nsource_table = \"text\"\nlicense = \"CC0\"\ntaken_from = \"text\"\n",
        );
        for c in d["columns"].as_array().expect("columns") {
            toml.push_str(&format!(
                "[[columns]]\nname = \"{}\"\ntype = \"{}\"\n",
                c[0].as_str().expect("name"),
                c[1].as_str().expect("type")
            ));
        }
        let (ds, _) = load(id, &csv, Some(&toml)).unwrap_or_else(|e| panic!("{id}: {e}"));
        out.insert(id.clone(), Arc::new(ds));
    }
    out
}

fn compare_value(what: &str, got: &Json, want: &Json, errors: &mut Vec<String>) {
    match (got, want) {
        (Json::Number(g), Json::Number(w)) => {
            let (g, w) = (
                g.as_f64().unwrap_or(f64::NAN),
                w.as_f64().unwrap_or(f64::NAN),
            );
            if !close(g, w) {
                errors.push(format!(
                    "{what}: got {g:e}, want {w:e} (rel {:.1e})",
                    ((g - w) / w).abs()
                ));
            }
        }
        (Json::Array(g), Json::Array(w)) if g.len() == w.len() => {
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                compare_value(&format!("{what}[{i}]"), a, b, errors);
            }
        }
        (g, w) if g == w => {}
        (g, w) => errors.push(format!("{what}: got {g}, want {w}")),
    }
}

fn compare_cell(what: &str, got: &Cell, want: &Json, errors: &mut Vec<String>) {
    match (got, want) {
        (Cell::Missing, Json::Null) => {}
        (c, Json::Number(w)) => match c.as_f64() {
            Some(g) => {
                let w = w.as_f64().unwrap_or(f64::NAN);
                if !close(g, w) {
                    errors.push(format!("{what}: got {g:e}, want {w:e}"));
                }
            }
            None => errors.push(format!("{what}: got {c:?}, want {w}")),
        },
        (c, Json::String(s)) if c.text() == *s => {}
        (c, w) => errors.push(format!("{what}: got {c:?}, want {w}")),
    }
}

fn check_case(case: &Json, t: &ComputedTable) -> Vec<String> {
    let name = case["name"].as_str().unwrap_or("?");
    let mut errors = Vec::new();
    let want_cols: Vec<String> = case["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().unwrap_or("").to_string())
        .collect();
    if t.columns != want_cols {
        errors.push(format!(
            "{name}: columns {:?} != {:?}",
            t.columns, want_cols
        ));
        return errors;
    }
    let rows = case["rows"].as_array().expect("rows");
    if rows.len() != t.rows.len() {
        errors.push(format!(
            "{name}: {} rows, want {}",
            t.rows.len(),
            rows.len()
        ));
        return errors;
    }
    for (i, (got, want)) in t.rows.iter().zip(rows).enumerate() {
        let want = want.as_array().expect("row");
        for (j, (g, w)) in got.iter().zip(want).enumerate() {
            let col = want_cols.get(j).map(String::as_str).unwrap_or("?");
            compare_cell(&format!("{name} row {i} `{col}`"), g, w, &mut errors);
        }
    }
    for (k, w) in case["stats"].as_object().expect("stats") {
        match t.stats.get(k) {
            Some(g) => compare_value(&format!("{name} stat `{k}`"), g, w, &mut errors),
            None => errors.push(format!("{name}: stat `{k}` missing")),
        }
    }
    errors
}

#[test]
fn every_op_matches_independent_reference() {
    let fx = fixtures();
    let ds = datasets(&fx);
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "expected the full fixture set");
    let mut errors = Vec::new();
    let mut ops_seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let src = format!(
            "id = \"tbl-ref\"\ncaption = \"reference\"\ndataset = \"{}\"\n{}\n",
            case["dataset"].as_str().expect("dataset"),
            case["body"].as_str().expect("body")
        );
        let spec = TableSpec::parse(&src).unwrap_or_else(|e| panic!("{name}: {e}\n{src}"));
        ops_seen.insert(spec.op_name().unwrap_or("").to_string());
        let t = match compute(&spec, &|id: &str| ds.get(id).cloned()) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        errors.extend(check_case(case, &t));
    }
    for op in [
        "describe",
        "freq",
        "crosstab",
        "correlate",
        "regress",
        "regress_summary",
        "ttest",
        "anova",
        "growth",
        "formula",
    ] {
        assert!(ops_seen.contains(op), "no reference case for {op}");
    }
    assert!(
        errors.is_empty(),
        "{} differences:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
