//! A fixture site with every table operation and chart kind: the computed tables' JSON is
//! compared with values computed here, independently, from the fixture's CSV files.

mod common;

use common::*;
use serde_json::Value;

struct Panel {
    region: Vec<String>,
    sex: Vec<String>,
    year: Vec<i64>,
    x1: Vec<f64>,
    y: Vec<f64>,
    count: Vec<f64>,
}

fn panel() -> Panel {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/ops/data/panel.csv")).unwrap();
    let mut p = Panel {
        region: vec![],
        sex: vec![],
        year: vec![],
        x1: vec![],
        y: vec![],
        count: vec![],
    };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        p.region.push(f[0].into());
        p.sex.push(f[1].into());
        p.year.push(f[2].parse().unwrap());
        p.x1.push(f[3].parse().unwrap());
        p.y.push(f[5].parse().unwrap());
        p.count.push(f[6].parse().unwrap());
    }
    p
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

fn table(out: &std::path::Path, id: &str) -> Value {
    serde_json::from_str(&read(out, &format!("tables/{id}/{id}.json"))).unwrap()
}

fn columns(t: &Value) -> Vec<&str> {
    t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

fn row<'a>(t: &'a Value, key: &str) -> &'a Vec<Value> {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap())
        .find(|r| match &r[0] {
            Value::String(s) => s == key,
            other => other.as_i64().is_some_and(|n| key.parse() == Ok(n)),
        })
        .unwrap_or_else(|| panic!("no row {key}"))
}

#[test]
fn every_operation_matches_independent_computation() {
    let site = fixture("ops");
    let out = site.path().join("public");
    let o = bilim(site.path(), &["build", "--output", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = panel();

    let t = table(&out, "tbl-view");
    assert_eq!(columns(&t), ["region", "year", "y"]);
    let mut expected: Vec<f64> = p
        .year
        .iter()
        .zip(&p.y)
        .filter(|(yr, _)| **yr >= 2020)
        .map(|(_, y)| *y)
        .collect();
    expected.sort_by(|a, b| b.partial_cmp(a).unwrap());
    let got: Vec<f64> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[2].as_f64().unwrap())
        .collect();
    assert_eq!(got, expected[..5]);

    let t = table(&out, "tbl-formula");
    assert_eq!(
        columns(&t),
        ["year", "exports", "imports", "balance", "share"]
    );
    assert!(close(row(&t, "2022")[3].as_f64().unwrap(), 13.31 - 9.9));
    assert!(close(
        row(&t, "2019")[4].as_f64().unwrap(),
        10.0 / (10.0 + 11.0 + 12.1 + 13.31) * 100.0
    ));

    let t = table(&out, "tbl-describe");
    assert_eq!(
        columns(&t),
        [
            "variable", "n", "missing", "mean", "sd", "se", "ci_low", "ci_high", "min", "q1",
            "median", "q3", "max"
        ]
    );
    let x1 = row(&t, "x1");
    assert!(close(x1[3].as_f64().unwrap(), mean(&p.x1)));
    assert!(close(x1[4].as_f64().unwrap(), var(&p.x1).sqrt()));
    let mut sorted = p.x1.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // Type-7 quantile: h = (n - 1) p.
    let q = |pr: f64| {
        let h = (sorted.len() - 1) as f64 * pr;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        sorted[lo] + frac * (sorted[(lo + 1).min(sorted.len() - 1)] - sorted[lo])
    };
    assert!(close(x1[9].as_f64().unwrap(), q(0.25)));
    assert!(close(x1[10].as_f64().unwrap(), q(0.5)));

    let t = table(&out, "tbl-describe-by");
    let south: Vec<f64> = p
        .region
        .iter()
        .zip(&p.y)
        .filter(|(r, _)| *r == "South")
        .map(|(_, y)| *y)
        .collect();
    assert!(close(
        row(&t, "South / y")[3].as_f64().unwrap(),
        mean(&south)
    ));

    let t = table(&out, "tbl-freq");
    assert_eq!(
        columns(&t),
        ["region", "count", "percent", "cumulative_percent"]
    );
    assert_eq!(
        row(&t, "North")[1].as_i64().unwrap(),
        p.region.iter().filter(|r| *r == "North").count() as i64
    );
    assert_eq!(t["stats"]["n"].as_f64().unwrap(), 24.0);

    let t = table(&out, "tbl-crosstab");
    let cell = |r: &str, s: &str| {
        p.region
            .iter()
            .zip(&p.sex)
            .zip(&p.count)
            .filter(|((a, b), _)| *a == r && *b == s)
            .map(|(_, c)| c)
            .sum::<f64>()
    };
    assert_eq!(row(&t, "North")[1].as_f64().unwrap(), cell("North", "F"));
    let n: f64 = p.count.iter().sum();
    let mut chi2 = 0.0;
    for r in ["North", "South", "West"] {
        for s in ["F", "M"] {
            let rt: f64 = ["F", "M"].iter().map(|s2| cell(r, s2)).sum();
            let ct: f64 = ["North", "South", "West"]
                .iter()
                .map(|r2| cell(r2, s))
                .sum();
            let e = rt * ct / n;
            chi2 += (cell(r, s) - e).powi(2) / e;
        }
    }
    assert!(close(t["stats"]["chi2"].as_f64().unwrap(), chi2));
    assert_eq!(t["stats"]["df"].as_f64().unwrap(), 2.0);
    assert!(close(
        t["stats"]["cramers_v"].as_f64().unwrap(),
        (chi2 / n).sqrt()
    ));

    let t = table(&out, "tbl-correlate");
    assert_eq!(columns(&t), ["variable", "x1", "x2", "y"]);
    assert_eq!(row(&t, "y")[3].as_f64().unwrap(), 1.0);

    let t = table(&out, "tbl-regress");
    assert_eq!(
        &columns(&t)[..7],
        [
            "term",
            "estimate",
            "std_error",
            "t",
            "p",
            "ci_low",
            "ci_high"
        ]
    );
    let terms: Vec<&str> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(terms[0], "(Intercept)");
    assert!(
        terms.iter().any(|t| t.contains("South")),
        "dummy for a non-reference level: {terms:?}"
    );
    assert!(
        !terms.iter().any(|t| t.contains("North")),
        "reference level (first sorted) has no dummy: {terms:?}"
    );
    for k in [
        "n", "df_model", "df_resid", "r2", "adj_r2", "f", "f_p", "rmse",
    ] {
        assert!(t["stats"][k].is_number(), "regress stat {k}");
    }
    assert_eq!(t["stats"]["df_resid"].as_f64().unwrap(), 24.0 - 5.0);

    // Two predictors from a correlation matrix: standardised betas in closed form.
    let t = table(&out, "tbl-regress-summary");
    let (ry1, ry2, r12) = (0.6, -0.3, -0.2);
    let b1 = (ry1 - ry2 * r12) / (1.0 - r12 * r12) * 2.0 / 1.0;
    let b2 = (ry2 - ry1 * r12) / (1.0 - r12 * r12) * 2.0 / 0.5;
    assert!(close(row(&t, "x1")[1].as_f64().unwrap(), b1));
    assert!(close(row(&t, "x2")[1].as_f64().unwrap(), b2));
    assert!(close(
        row(&t, "(Intercept)")[1].as_f64().unwrap(),
        10.0 - b1 * 5.0 - b2 * 2.0
    ));
    let r2 = (ry1 * ry1 + ry2 * ry2 - 2.0 * ry1 * ry2 * r12) / (1.0 - r12 * r12);
    assert!(close(t["stats"]["r2"].as_f64().unwrap(), r2));

    let t = table(&out, "tbl-ttest");
    let f: Vec<f64> = p
        .sex
        .iter()
        .zip(&p.y)
        .filter(|(s, _)| *s == "F")
        .map(|(_, y)| *y)
        .collect();
    let m: Vec<f64> = p
        .sex
        .iter()
        .zip(&p.y)
        .filter(|(s, _)| *s == "M")
        .map(|(_, y)| *y)
        .collect();
    let se = (var(&f) / f.len() as f64 + var(&m) / m.len() as f64).sqrt();
    assert!(close(
        t["stats"]["t"].as_f64().unwrap().abs(),
        ((mean(&f) - mean(&m)) / se).abs()
    ));

    let t = table(&out, "tbl-ttest-mu");
    let tt = (mean(&p.y) - 10.0) / (var(&p.y) / 24.0).sqrt();
    assert!(close(t["stats"]["t"].as_f64().unwrap(), tt));
    assert_eq!(t["stats"]["df"].as_f64().unwrap(), 23.0);

    let t = table(&out, "tbl-anova");
    let gm = mean(&p.y);
    let (mut ssb, mut ssw) = (0.0, 0.0);
    for r in ["North", "South", "West"] {
        let g: Vec<f64> = p
            .region
            .iter()
            .zip(&p.y)
            .filter(|(a, _)| *a == r)
            .map(|(_, y)| *y)
            .collect();
        ssb += g.len() as f64 * (mean(&g) - gm).powi(2);
        ssw += g.iter().map(|y| (y - mean(&g)).powi(2)).sum::<f64>();
    }
    assert!(close(
        t["stats"]["f"].as_f64().unwrap(),
        (ssb / 2.0) / (ssw / 21.0)
    ));
    assert!(close(
        t["stats"]["eta2"].as_f64().unwrap(),
        ssb / (ssb + ssw)
    ));

    let t = table(&out, "tbl-growth");
    assert_eq!(
        columns(&t),
        [
            "year",
            "exports",
            "exports_change",
            "exports_pct_change",
            "imports",
            "imports_change",
            "imports_pct_change"
        ]
    );
    assert!(close(row(&t, "2020")[3].as_f64().unwrap(), 10.0));
    assert!(t["stats"]["cagr_exports"].as_f64().is_some());

    let checks: Value = serde_json::from_str(&read(&out, "checks.json")).unwrap();
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|c| c["status"] == "match"), "{checks:?}");
    for c in checks {
        for k in [
            "table",
            "page",
            "printed",
            "computed",
            "tolerance",
            "status",
        ] {
            assert!(c.get(k).is_some(), "checks.json entry without {k}");
        }
    }

    let html = read(&out, "articles/all-ops/index.html");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    assert_eq!(
        html.matches("<rect class=\"s").count(),
        8,
        "grouped bars: 4 years × 2 series"
    );
    assert!(html.contains("<polyline class=\"line s0\""));
    let scatter = &html[html.find("id=\"fig-scatter\"").unwrap()..];
    assert_eq!(
        scatter.matches("<circle class=\"s0\"").count(),
        24,
        "one point per row"
    );
    assert!(
        html.contains("<ul class=\"legend\">"),
        "a legend for the two-series chart"
    );
    assert!(
        html.contains("***") || html.contains("**") || html.contains('*'),
        "stars on the regression"
    );
}
