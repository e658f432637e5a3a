//! CSV loading with dialects: the first bytes choose a `[dialect]` (delimiter, quote, decimal
//! mark, thousands separator, encoding, missing markers) and column types; the rest is the CSV.
//! A dataset that loads is then described, counted and charted, so extreme numbers reach the
//! statistics and the SVG code too. Errors must carry a line and column.
#![no_main]

use std::sync::Arc;

use bilim::charts::{render_svg, ChartData, ChartKind};
use bilim::i18n::Lang;
use bilim_stats::dataset::{load, Value};
use bilim_stats::spec::TableSpec;
use libfuzzer_sys::fuzz_target;

const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];
const QUOTES: [char; 2] = ['"', '\''];
const THOUSANDS: [&str; 6] = ["", " ", ",", ".", "\\u00a0", "'"];
const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "date", "year"];

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (sel, csv) = (&data[..3], &data[3..]);
    let delimiter = DELIMITERS[(sel[0] & 3) as usize];
    let quote = QUOTES[((sel[0] >> 2) & 1) as usize];
    let decimal = if sel[0] & 8 != 0 { "," } else { "." };
    let thousands = THOUSANDS[((sel[0] >> 4) % 6) as usize];
    let encoding = if sel[0] & 0x80 != 0 {
        "windows-1251"
    } else {
        "utf-8"
    };
    let missing = if sel[1] & 1 != 0 {
        "[\"\", \"NA\", \"-\"]"
    } else {
        "[\"\"]"
    };
    // Column names from the first line, split naively (quotes make the header mismatch: fine).
    let first_line = String::from_utf8_lossy(csv.split(|&b| b == b'\n').next().unwrap_or(&[]))
        .trim_end_matches('\r')
        .to_string();
    let mut columns = String::new();
    for (i, name) in first_line.split(delimiter).enumerate().take(16) {
        let ty = TYPES[((sel[2] as usize) >> (i % 4)) % TYPES.len()];
        columns.push_str(&format!(
            "\n[[columns]]\nname = {}\ntype = \"{ty}\"\nlabel = {{ en = \"c{i}\" }}\n",
            toml_str(name)
        ));
    }
    let meta = format!(
        "title = \"t\"\ndescription = \"d\"\nsource = \"s\"\nsource_table = \"Table 1\"\nlicense = \"unknown\"\ntaken_from = \"table\"\nnotes = \"\"\n\n[dialect]\ndelimiter = {}\nquote = {}\ndecimal = \"{decimal}\"\nthousands = \"{thousands}\"\nencoding = \"{encoding}\"\nmissing = {missing}\n{columns}",
        toml_str(&delimiter.to_string()),
        toml_str(&quote.to_string()),
    );
    let inferred = sel[1] & 2 != 0;
    let result = load("fuzz", csv, if inferred { None } else { Some(&meta) });
    let dataset = match result {
        Ok((d, _warnings)) => d,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "unpositioned error: {e:?}");
            return;
        }
    };
    let numeric: Vec<String> = dataset
        .columns
        .iter()
        .filter(|c| c.ty.is_numeric())
        .map(|c| c.name.clone())
        .take(4)
        .collect();
    let ds = Arc::new(dataset);
    let lookup = |id: &str| (id == "fuzz").then(|| ds.clone());
    let first = ds
        .columns
        .first()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut specs = vec![format!(
        "id = \"tbl-f\"\ncaption = \"c\"\ndataset = \"fuzz\"\nop = \"freq\"\ncolumn = {}\n",
        toml_str(&first)
    )];
    if !numeric.is_empty() {
        let list: Vec<String> = numeric.iter().map(|n| toml_str(n)).collect();
        specs.push(format!(
            "id = \"tbl-d\"\ncaption = \"c\"\ndataset = \"fuzz\"\nop = \"describe\"\ncolumns = [{}]\n",
            list.join(", ")
        ));
        if numeric.len() >= 2 {
            specs.push(format!(
                "id = \"tbl-r\"\ncaption = \"c\"\ndataset = \"fuzz\"\nop = \"correlate\"\ncolumns = [{}]\n",
                list.join(", ")
            ));
            specs.push(format!(
                "id = \"tbl-o\"\ncaption = \"c\"\ndataset = \"fuzz\"\nop = \"regress\"\ny = {}\nx = [{}]\nrobust = \"hc1\"\n",
                list[0],
                list[1..].join(", ")
            ));
        }
    }
    for src in &specs {
        if let Ok(spec) = TableSpec::parse(src) {
            let _ = bilim_stats::ops::compute(&spec, &lookup);
        }
    }
    // Chart the numeric columns against the first column.
    let x: Vec<String> = ds.columns.first().map_or(Vec::new(), |c| {
        c.values
            .iter()
            .take(200)
            .map(|v| format!("{v:?}"))
            .collect()
    });
    let series: Vec<(String, Vec<Option<f64>>)> = ds
        .columns
        .iter()
        .filter(|c| c.ty.is_numeric())
        .take(3)
        .map(|c| {
            (
                c.name.clone(),
                c.values.iter().take(200).map(Value::as_f64).collect(),
            )
        })
        .collect();
    if !series.is_empty() && !x.is_empty() {
        let x_num: Option<Vec<f64>> = ds
            .columns
            .first()
            .and_then(|c| c.values.iter().take(200).map(Value::as_f64).collect());
        let data = ChartData {
            x,
            x_num: x_num.clone(),
            series,
        };
        for kind in [ChartKind::Bar, ChartKind::Line, ChartKind::Scatter] {
            if kind == ChartKind::Scatter && x_num.is_none() {
                continue;
            }
            let svg = render_svg(kind, &data, "fig-f", "t", "x", "y", Lang::Ru);
            assert!(!svg.contains("<script"));
        }
    }
});
