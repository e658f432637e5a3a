//! Behaviour of the ops on small hand-made datasets: shapes, conventions, notes and every
//! OpError case. Numbers asserted here are derivable by hand from the inputs; the numerical
//! accuracy against independent implementations is in `reference.rs` and `nist.rs`.

use std::sync::Arc;

use bilim_stats::dataset::{load, Dataset};
use bilim_stats::ops::{compute, OpError};
use bilim_stats::spec::TableSpec;
use bilim_stats::table::{run_checks, Cell, CheckStatus, ComputedTable};

fn ds(id: &str, csv: &str, columns: &[(&str, &str)]) -> Arc<Dataset> {
    let mut toml = String::from(
        "title = \"t\"\nsource = \"k\"\nsource_table = \"Table 1\"\nlicense = \"unknown\"\ntaken_from = \"table\"\n",
    );
    for (name, ty) in columns {
        toml.push_str(&format!(
            "[[columns]]\nname = \"{name}\"\ntype = \"{ty}\"\n"
        ));
    }
    let (d, w) = load(id, csv.as_bytes(), Some(&toml)).expect("dataset loads");
    assert!(w.iter().all(|x| x.contains("no data rows")), "{w:?}");
    Arc::new(d)
}

fn cities() -> Arc<Dataset> {
    ds(
        "cities",
        "city,region,year,wage,price_m2,flag\n\
         Astana,North,2024,400,506,true\n\
         Almaty,South,2024,450,600,false\n\
         Shymkent,South,2024,300,0,true\n\
         Aktobe,West,2024,,350,false\n",
        &[
            ("city", "string"),
            ("region", "string"),
            ("year", "year"),
            ("wage", "number"),
            ("price_m2", "number"),
            ("flag", "boolean"),
        ],
    )
}

fn run(body: &str, data: Arc<Dataset>) -> Result<ComputedTable, OpError> {
    let src = format!(
        "id = \"tbl-t\"\ncaption = \"c\"\ndataset = \"{}\"\n{body}\n",
        data.id
    );
    let spec = TableSpec::parse(&src).unwrap_or_else(|e| panic!("{body}: {e}"));
    let id = data.id.clone();
    compute(&spec, &move |name: &str| {
        if name == id {
            Some(data.clone())
        } else {
            None
        }
    })
}

fn op_err(body: &str, data: Arc<Dataset>) -> OpError {
    match run(body, data) {
        Ok(t) => panic!("{body}: expected an error, got {t:?}"),
        Err(e) => e,
    }
}

fn num(t: &ComputedTable, row: &str, col: &str) -> f64 {
    t.cell(row, col)
        .and_then(Cell::as_f64)
        .unwrap_or_else(|| panic!("no number at {row}/{col}"))
}

#[test]
fn view_selects_sorts_limits() {
    let t = run(
        "op = \"view\"\ncolumns = [\"city\", \"wage\"]\nsort = \"-wage\"\nlimit = 2\nwhere = \"region != 'North'\"",
        cities(),
    )
    .unwrap();
    assert_eq!(t.columns, vec!["city", "wage"]);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[0][0], Cell::Text("Almaty".into()));
    assert_eq!(t.rows[1][0], Cell::Text("Shymkent".into()));
    assert!(t.notes.iter().any(|n| n.contains("3 of 4")));
    assert!(
        !t.notes.iter().any(|n| n.contains("`cities`")),
        "provenance is stated by the site, not repeated in the notes"
    );
}

#[test]
fn formula_computes_in_order_and_notes_division_by_zero() {
    let t = run(
        "op = \"formula\"\ncolumns = { hai = \"wage / price_m2 * 100\", twice = \"hai * 2\", share = \"wage / sum(wage)\" }\nkeep = [\"city\", \"hai\", \"twice\", \"share\"]",
        cities(),
    )
    .unwrap();
    assert_eq!(t.columns, vec!["city", "hai", "twice", "share"]);
    assert_eq!(num(&t, "Astana", "hai"), 400.0 / 506.0 * 100.0);
    assert_eq!(num(&t, "Astana", "twice"), 400.0 / 506.0 * 100.0 * 2.0);
    assert_eq!(num(&t, "Almaty", "share"), 450.0 / 1150.0);
    assert_eq!(t.cell("Shymkent", "hai"), Some(&Cell::Missing));
    assert_eq!(t.cell("Aktobe", "hai"), Some(&Cell::Missing));
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("division by zero") && n.contains("Shymkent")),
        "{:?}",
        t.notes
    );
    assert!(t.notes.iter().any(|n| n.contains("skipped 1 missing")));
    // an expect on the missing cell fails as "missing", never silently
    let spec = TableSpec::parse(
        "id = \"tbl-t\"\ncaption = \"c\"\ndataset = \"cities\"\nop = \"formula\"\ncolumns = { hai = \"wage / price_m2 * 100\" }\n[[expect]]\nrow = \"Shymkent\"\ncolumn = \"hai\"\nprinted = 0\n[[expect]]\nrow = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.05\n[[expect]]\nrow = \"Astana\"\ncolumn = \"hai\"\nprinted = 79.1\n",
    )
    .unwrap();
    let checks = run_checks(&spec, &t);
    assert!(matches!(checks[0].status, CheckStatus::Missing(_)));
    assert_eq!(checks[1].status, CheckStatus::Match);
    assert_eq!(checks[2].status, CheckStatus::Match);
}

#[test]
fn formula_errors() {
    let e = op_err(
        "op = \"formula\"\ncolumns = { hai = \"wage / price * 100\" }",
        cities(),
    );
    assert_eq!(e.key.as_deref(), Some("columns.hai"));
    assert!(e.message.contains("unknown column `price`"));
    assert!(
        e.message.contains("\n    wage / price * 100\n           ^"),
        "{}",
        e.message
    );
    assert!(e.hint.contains("price_m2"));
    let e = op_err("op = \"formula\"\ncolumns = { x = \"city * 2\" }", cities());
    assert!(e.message.contains("text"));
    assert_eq!(e.key.as_deref(), Some("columns.x"));
    let e = op_err("op = \"formula\"\ncolumns = { wage = \"1\" }", cities());
    assert!(e.message.contains("already a column"));
    let e = op_err(
        "op = \"formula\"\ncolumns = { x = \"1\" }\nkeep = [\"y\"]",
        cities(),
    );
    assert_eq!(e.key.as_deref(), Some("keep"));
    let e = op_err("op = \"view\"\nwhere = \"wage * 2\"", cities());
    assert_eq!(e.key.as_deref(), Some("where"));
    assert!(e.message.contains("condition"));
}

#[test]
fn unknown_dataset_and_column() {
    let spec =
        TableSpec::parse("id = \"tbl-t\"\ncaption = \"c\"\ndataset = \"nope\"\nop = \"view\"\n")
            .unwrap();
    let e = compute(&spec, &|_: &str| None).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("dataset"));
    assert!(e.message.contains("unknown dataset `nope`"));
    let e = op_err("op = \"describe\"\ncolumns = [\"wages\"]", cities());
    assert_eq!(e.key.as_deref(), Some("columns"));
    assert!(e.hint.contains("did you mean `wage`"));
    let e = op_err("op = \"describe\"\ncolumns = [\"city\"]", cities());
    assert!(e.message.contains("not numeric"));
    let reference = TableSpec::parse("id = \"tbl-t\"\ncaption = \"c\"\n").unwrap();
    assert!(compute(&reference, &|_: &str| None).is_err());
}

#[test]
fn describe_by_group() {
    let t = run(
        "op = \"describe\"\ncolumns = [\"wage\"]\nby = \"region\"",
        cities(),
    )
    .unwrap();
    let keys: Vec<String> = t.rows.iter().map(|r| r[0].text()).collect();
    assert_eq!(keys, vec!["North / wage", "South / wage", "West / wage"]);
    assert_eq!(num(&t, "South / wage", "mean"), 375.0);
    assert_eq!(num(&t, "South / wage", "median"), 375.0);
    assert_eq!(t.cell("North / wage", "sd"), Some(&Cell::Missing));
    assert_eq!(t.cell("West / wage", "n"), Some(&Cell::Integer(0)));
    assert_eq!(t.cell("West / wage", "missing"), Some(&Cell::Integer(1)));
}

#[test]
fn freq_counts_and_weights() {
    let t = run("op = \"freq\"\ncolumn = \"region\"", cities()).unwrap();
    assert_eq!(
        t.columns,
        vec!["region", "count", "percent", "cumulative_percent"]
    );
    assert_eq!(t.cell("South", "count"), Some(&Cell::Integer(2)));
    assert_eq!(num(&t, "South", "percent"), 50.0);
    assert_eq!(num(&t, "West", "cumulative_percent"), 100.0);
    assert_eq!(t.stat("n"), Some(4.0));
    let t = run(
        "op = \"freq\"\ncolumn = \"region\"\nweight = \"wage\"",
        cities(),
    )
    .unwrap();
    assert_eq!(num(&t, "South", "count"), 750.0);
    assert!(t.cell("West", "count").is_none());
    assert!(t.notes.iter().any(|n| n.contains("missing weight")));
}

#[test]
fn crosstab_errors() {
    let e = op_err(
        "op = \"crosstab\"\nrows = \"year\"\ncols = \"region\"",
        cities(),
    );
    assert_eq!(e.key.as_deref(), Some("rows"));
    let d = ds(
        "ct",
        "a,b,n\nx,u,3\nx,v,0\ny,u,2\ny,v,0\n",
        &[("a", "string"), ("b", "string"), ("n", "integer")],
    );
    let e = op_err(
        "op = \"crosstab\"\nrows = \"a\"\ncols = \"b\"\ncount = \"n\"",
        d,
    );
    assert!(e.message.contains("empty margin"), "{}", e.message);
    assert_eq!(e.key.as_deref(), Some("cols"));
}

#[test]
fn crosstab_shape_and_percent() {
    let d = ds(
        "ct",
        "a,b,n\nx,u,10\nx,v,30\ny,u,20\ny,v,20\n",
        &[("a", "string"), ("b", "string"), ("n", "integer")],
    );
    let t = run(
        "op = \"crosstab\"\nrows = \"a\"\ncols = \"b\"\ncount = \"n\"",
        d.clone(),
    )
    .unwrap();
    assert_eq!(t.columns, vec!["a", "u", "v", "total"]);
    assert_eq!(t.cell("x", "v"), Some(&Cell::Integer(30)));
    assert_eq!(t.cell("total", "total"), Some(&Cell::Integer(80)));
    assert_eq!(t.stat("df"), Some(1.0));
    // chi2 by hand: expected 15,25,15,25
    let chi2 = 25.0 / 15.0 + 25.0 / 25.0 + 25.0 / 15.0 + 25.0 / 25.0;
    assert!((t.stat("chi2").unwrap() - chi2).abs() < 1e-12);
    assert!((t.stat("cramers_v").unwrap() - (chi2 / 80.0).sqrt()).abs() < 1e-12);
    let t = run(
        "op = \"crosstab\"\nrows = \"a\"\ncols = \"b\"\ncount = \"n\"\npercent = \"row\"",
        d,
    )
    .unwrap();
    assert_eq!(t.columns.last().map(String::as_str), Some("n"));
    assert_eq!(num(&t, "x", "v"), 75.0);
    assert_eq!(num(&t, "total", "u"), 37.5);
}

#[test]
fn correlate_errors() {
    let d = ds(
        "c",
        "a,b,k\n1,2,5\n2,4,5\n3,7,5\n4,8,5\n",
        &[("a", "number"), ("b", "number"), ("k", "number")],
    );
    let e = op_err("op = \"correlate\"\ncolumns = [\"a\", \"k\"]", d.clone());
    assert!(e.message.contains("constant"));
    let e = op_err(
        "op = \"correlate\"\ncolumns = [\"a\", \"b\"]\nwhere = \"a < 3\"",
        d.clone(),
    );
    assert!(e.message.contains("at least 3"));
    let t = run(
        "op = \"correlate\"\ncolumns = [\"a\", \"b\"]\nmethod = \"spearman\"",
        d,
    )
    .unwrap();
    assert_eq!(num(&t, "a", "b"), 1.0);
    assert_eq!(t.stats["p"][0][1], 0.0);
}

#[test]
fn regress_errors_and_notes() {
    let d = ds(
        "r",
        "y,x,x2,g,k\n1,1,2,a,1\n2,2,4,b,1\n2,3,6,a,1\n4,4,8,b,1\n5,5,10,c,1\n",
        &[
            ("y", "number"),
            ("x", "number"),
            ("x2", "number"),
            ("g", "string"),
            ("k", "number"),
        ],
    );
    // more terms than rows
    let e = op_err(
        "op = \"regress\"\ny = \"y\"\nx = [\"x\", \"g\", \"x2\"]\nwhere = \"x < 5\"",
        d.clone(),
    );
    assert_eq!(e.key.as_deref(), Some("x"));
    assert!(e.message.contains("only 4 complete rows"), "{}", e.message);
    // collinear term dropped with a note, the rest estimated
    let t = run(
        "op = \"regress\"\ny = \"y\"\nx = [\"x\", \"x2\"]",
        d.clone(),
    )
    .unwrap();
    assert_eq!(t.rows[0][0], Cell::Text("(Intercept)".into()));
    assert_eq!(t.cell("x2", "estimate"), Some(&Cell::Missing));
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("collinear") && n.contains("`x2`")));
    assert_eq!(t.stat("df_model"), Some(1.0));
    // every predictor collinear with the intercept: singular
    let e = op_err("op = \"regress\"\ny = \"y\"\nx = [\"k\"]", d.clone());
    assert!(e.message.contains("singular"), "{}", e.message);
    // dummies with the reference level in a note
    let t = run("op = \"regress\"\ny = \"y\"\nx = [\"g\"]", d.clone()).unwrap();
    let terms: Vec<String> = t.rows.iter().map(|r| r[0].text()).collect();
    assert_eq!(terms, vec!["(Intercept)", "g[b]", "g[c]"]);
    assert!(t.notes.iter().any(|n| n.contains("reference level is `a`")));
    // string y
    let e = op_err("op = \"regress\"\ny = \"g\"\nx = [\"x\"]", d.clone());
    assert_eq!(e.key.as_deref(), Some("y"));
    // exact fit
    let e = op_err("op = \"regress\"\ny = \"x2\"\nx = [\"x\"]", d);
    assert!(e.message.contains("exactly"));
}

#[test]
fn ttest_and_anova_errors() {
    let d = ds(
        "g",
        "v,g\n1,a\n2,a\n3,b\n5,b\n4,c\n",
        &[("v", "number"), ("g", "string")],
    );
    let e = op_err(
        "op = \"ttest\"\ncolumn = \"v\"\nby = \"g\"\nwhere = \"g == 'a'\"",
        d.clone(),
    );
    assert!(
        e.message.contains("two groups") && e.message.contains("has 1"),
        "{}",
        e.message
    );
    let e = op_err("op = \"ttest\"\ncolumn = \"v\"\nby = \"g\"", d.clone());
    assert!(e.message.contains("has 3"));
    let e = op_err(
        "op = \"ttest\"\ncolumn = \"v\"\nmu = 0\nwhere = \"g == 'c'\"",
        d.clone(),
    );
    assert!(e.message.contains("at least two"));
    let z = ds(
        "z",
        "v,g\n1,a\n1,a\n2,b\n2,b\n",
        &[("v", "number"), ("g", "string")],
    );
    let e = op_err("op = \"ttest\"\ncolumn = \"v\"\nby = \"g\"", z.clone());
    assert!(e.message.contains("zero variance"));
    let e = op_err("op = \"anova\"\ncolumn = \"v\"\nby = \"g\"", z);
    assert!(e.message.contains("zero variance"));
    let e = op_err(
        "op = \"anova\"\ncolumn = \"v\"\nby = \"g\"\nwhere = \"g == 'a'\"",
        d,
    );
    assert!(e.message.contains("at least two groups"));
}

#[test]
fn growth_table() {
    let d = ds(
        "gr",
        "year,a,b\n2022,110,5\n2020,100,0\n2021,,-1\n",
        &[("year", "year"), ("a", "number"), ("b", "integer")],
    );
    let t = run(
        "op = \"growth\"\ntime = \"year\"\ncolumns = [\"a\", \"b\"]",
        d.clone(),
    )
    .unwrap();
    assert_eq!(
        t.columns,
        vec![
            "year",
            "a",
            "a_change",
            "a_pct_change",
            "b",
            "b_change",
            "b_pct_change"
        ]
    );
    let years: Vec<String> = t.rows.iter().map(|r| r[0].text()).collect();
    assert_eq!(years, vec!["2020", "2021", "2022"]);
    assert_eq!(t.cell("2021", "b_pct_change"), Some(&Cell::Missing));
    assert!(t
        .notes
        .iter()
        .any(|n| n.contains("`b_pct_change` is missing at 2021")));
    assert_eq!(num(&t, "2022", "b_pct_change"), -600.0);
    let cagr = ((110.0f64 / 100.0).powf(0.5) - 1.0) * 100.0;
    assert!((t.stat("cagr_a").unwrap() - cagr).abs() < 1e-12);
    assert!(t.stats["cagr_b"].is_null());
    let dup = ds(
        "dup",
        "year,a\n2020,1\n2020,2\n",
        &[("year", "year"), ("a", "number")],
    );
    let e = op_err("op = \"growth\"\ntime = \"year\"\ncolumns = [\"a\"]", dup);
    assert_eq!(e.key.as_deref(), Some("time"));
}

#[test]
fn regress_summary_errors() {
    let m = ds(
        "cm",
        "variable,y,x1,x2\ny,1,,\nx1,0.5,1,\nx2,0.3,0.99,1\n",
        &[
            ("variable", "string"),
            ("y", "number"),
            ("x1", "number"),
            ("x2", "number"),
        ],
    );
    let base = "op = \"regress_summary\"\nmeans = { y = 1, x1 = 2, x2 = 3 }\nsds = { y = 1, x1 = 1, x2 = 1 }\nn = 100\ny = \"y\"";
    // lower triangle is enough
    let t = run(&format!("{base}\nx = [\"x1\"]"), m.clone()).unwrap();
    assert!((num(&t, "x1", "beta") - 0.5).abs() < 1e-15);
    assert!((t.stat("r2").unwrap() - 0.25).abs() < 1e-15);
    let e = op_err(&format!("{base}\nx = [\"x3\"]"), m.clone());
    assert_eq!(e.key.as_deref(), Some("x"));
    let e = op_err(
        "op = \"regress_summary\"\nmeans = { y = 1, x1 = 2 }\nsds = { y = 1, x1 = 1 }\nn = 100\ny = \"y\"\nx = [\"x1\", \"x2\"]",
        m.clone(),
    );
    assert_eq!(e.key.as_deref(), Some("means"));
    // inconsistent correlations: R² would exceed 1
    let bad = ds(
        "bad",
        "variable,y,x1,x2\ny,1,0.9,-0.9\nx1,0.9,1,0.5\nx2,-0.9,0.5,1\n",
        &[
            ("variable", "string"),
            ("y", "number"),
            ("x1", "number"),
            ("x2", "number"),
        ],
    );
    let e = op_err(&format!("{base}\nx = [\"x1\", \"x2\"]"), bad);
    assert!(
        e.message.contains("impossible") || e.message.contains("positive definite"),
        "{}",
        e.message
    );
    let asym = ds(
        "asym",
        "variable,y,x1\ny,1,0.4\nx1,0.5,1\n",
        &[("variable", "string"), ("y", "number"), ("x1", "number")],
    );
    let e = op_err(&format!("{base}\nx = [\"x1\"]"), asym);
    assert!(e.message.contains("not symmetric"));
}

#[test]
fn degenerate_inputs_never_panic() {
    let bodies = [
        "op = \"view\"",
        "op = \"view\"\nsort = \"wage\"\nlimit = 0",
        "op = \"formula\"\ncolumns = { a = \"wage / sum(wage)\", b = \"lag(a) - a\", c = \"mean(a)\" }",
        "op = \"describe\"\ncolumns = [\"wage\", \"price_m2\", \"flag\"]",
        "op = \"describe\"\ncolumns = [\"wage\"]\nby = \"region\"",
        "op = \"freq\"\ncolumn = \"region\"",
        "op = \"freq\"\ncolumn = \"city\"\nweight = \"wage\"",
        "op = \"crosstab\"\nrows = \"region\"\ncols = \"flag\"",
        "op = \"crosstab\"\nrows = \"region\"\ncols = \"flag\"\ncount = \"wage\"\npercent = \"row\"",
        "op = \"correlate\"\ncolumns = [\"wage\", \"price_m2\"]",
        "op = \"correlate\"\ncolumns = [\"wage\", \"price_m2\"]\nmethod = \"spearman\"",
        "op = \"regress\"\ny = \"wage\"\nx = [\"price_m2\", \"region\", \"flag\"]",
        "op = \"regress\"\ny = \"wage\"\nx = [\"price_m2\"]\nrobust = \"hc1\"",
        "op = \"ttest\"\ncolumn = \"wage\"\nby = \"flag\"",
        "op = \"ttest\"\ncolumn = \"wage\"\nmu = 1",
        "op = \"anova\"\ncolumn = \"wage\"\nby = \"region\"",
        "op = \"growth\"\ntime = \"year\"\ncolumns = [\"wage\"]",
        "op = \"growth\"\ntime = \"city\"\ncolumns = [\"wage\", \"price_m2\"]",
        "op = \"regress_summary\"\nmeans = { wage = 1, price_m2 = 2 }\nsds = { wage = 1, price_m2 = 1 }\nn = 10\ny = \"wage\"\nx = [\"price_m2\"]",
    ];
    let empty = ds(
        "cities",
        "city,region,year,wage,price_m2,flag\n",
        &[
            ("city", "string"),
            ("region", "string"),
            ("year", "year"),
            ("wage", "number"),
            ("price_m2", "number"),
            ("flag", "boolean"),
        ],
    );
    for body in bodies {
        for filter in [
            "",
            "\nwhere = \"false\"",
            "\nwhere = \"city == 'Astana'\"",
            "\nwhere = \"wage > 0\"",
        ] {
            let b = format!("{body}{filter}");
            let _ = run(&b, cities());
            let _ = run(&b, empty.clone());
        }
    }
}
