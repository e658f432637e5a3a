//! NIST StRD linear least squares (Norris, Pontius, Longley): every certified estimate and
//! standard error, the residual standard deviation, R² and F must be reproduced to at least 10
//! significant digits (log relative error ≥ 10). The files are read from
//! `../../../shared/reference-data/nist-strd/` when present, else from the committed copy in
//! `tests/data/nist/`.

use std::path::PathBuf;
use std::sync::Arc;

use bilim_stats::dataset::load;
use bilim_stats::ops::compute;
use bilim_stats::spec::TableSpec;
use bilim_stats::table::Cell;

fn data_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../../../shared/reference-data/nist-strd");
    if shared.is_dir() {
        shared
    } else {
        root.join("tests/data/nist")
    }
}

/// Log relative error (number of correct significant digits).
fn lre(got: f64, cert: f64) -> f64 {
    if got == cert {
        return 15.0;
    }
    let rel = if cert == 0.0 {
        got.abs()
    } else {
        ((got - cert) / cert).abs()
    };
    -rel.log10()
}

fn floats(v: &toml::Value, key: &str) -> Vec<f64> {
    v.get(key)
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_float()
                        .or_else(|| x.as_integer().map(|i| i as f64))
                        .expect("number")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn scalar(v: &toml::Value, key: &str) -> Option<f64> {
    v.get(key)
        .and_then(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64)))
}

fn run(name: &str) -> Vec<String> {
    let dir = data_dir();
    let csv = std::fs::read(dir.join(format!("{name}.csv"))).expect("csv");
    let cert_src =
        std::fs::read_to_string(dir.join(format!("{name}.certified.toml"))).expect("certified");
    let cert: toml::Value = toml::from_str(&cert_src).expect("certified toml");
    let (ds, warnings) = load(name, &csv, None).expect("dataset");
    assert_eq!(warnings.len(), 1, "types are inferred without a TOML");
    let terms: Vec<String> = cert["terms"]
        .as_array()
        .expect("terms")
        .iter()
        .map(|t| t.as_str().expect("term").to_string())
        .collect();
    let xs: Vec<String> = terms.iter().skip(1).map(|t| format!("\"{t}\"")).collect();
    let src = format!(
        "id = \"tbl-nist\"\ncaption = \"NIST {name}\"\ndataset = \"{name}\"\nop = \"regress\"\ny = \"y\"\nx = [{}]\n",
        xs.join(", ")
    );
    let spec = TableSpec::parse(&src).expect("spec");
    let ds = Arc::new(ds);
    let t = compute(&spec, &|_: &str| Some(ds.clone())).expect("regression");
    let mut failures = Vec::new();
    let mut check = |what: String, got: Option<f64>, want: f64| {
        let l = got.map(|g| lre(g, want)).unwrap_or(0.0);
        println!(
            "{name:8} {what:28} got {:>24} cert {want:>24e}  LRE {l:.1}",
            got.map(|g| format!("{g:e}")).unwrap_or_default()
        );
        if l < 10.0 {
            failures.push(format!(
                "{name} {what}: got {got:?}, certified {want:e}, LRE {l:.1}"
            ));
        }
    };
    let est = floats(&cert, "estimate");
    let se = floats(&cert, "std_error");
    assert_eq!(est.len(), terms.len());
    for (i, term) in terms.iter().enumerate() {
        let row = t.rows.get(i).expect("row per term");
        assert_eq!(row[0], Cell::Text(term.clone()));
        check(format!("estimate {term}"), row[1].as_f64(), est[i]);
        check(format!("std_error {term}"), row[2].as_f64(), se[i]);
    }
    if let Some(v) = scalar(&cert, "residual_sd") {
        check("residual_sd (rmse)".into(), t.stat("rmse"), v);
    }
    if let Some(v) = scalar(&cert, "r2") {
        check("r2".into(), t.stat("r2"), v);
    }
    if let Some(v) = scalar(&cert, "f") {
        check("f".into(), t.stat("f"), v);
    }
    if let Some(v) = scalar(&cert, "df_resid") {
        assert_eq!(t.stat("df_resid"), Some(v), "{name} df_resid");
    }
    assert!(
        !t.notes.iter().any(|n| n.contains("collinear")),
        "{name}: no term may be dropped"
    );
    failures
}

#[test]
fn norris() {
    let f = run("norris");
    assert!(f.is_empty(), "{}", f.join("\n"));
}

#[test]
fn pontius() {
    let f = run("pontius");
    assert!(f.is_empty(), "{}", f.join("\n"));
}

#[test]
fn longley() {
    let f = run("longley");
    assert!(f.is_empty(), "{}", f.join("\n"));
}
