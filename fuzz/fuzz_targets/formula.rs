//! Formula expressions (`formula`, `where`, `keep`): parse, then evaluate over a small frame with
//! numbers, text, booleans and missing values. Errors must point inside the expression.
#![no_main]

use bilim_stats::formula::{Expr, Val, VecFrame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match Expr::parse(src) {
        Ok(expr) => {
            let frame = VecFrame {
                columns: vec![
                    (
                        "x".into(),
                        vec![
                            Val::Num(1.5),
                            Val::Num(-2.0),
                            Val::Missing,
                            Val::Num(0.0),
                            Val::Num(1e308),
                        ],
                    ),
                    (
                        "y".into(),
                        vec![
                            Val::Num(3.0),
                            Val::Num(f64::MIN_POSITIVE),
                            Val::Num(7.0),
                            Val::Missing,
                            Val::Num(-1e308),
                        ],
                    ),
                    (
                        "city".into(),
                        vec![
                            Val::Str("Astana".into()),
                            Val::Str("Алматы".into()),
                            Val::Str(String::new()),
                            Val::Missing,
                            Val::Str("x".into()),
                        ],
                    ),
                    (
                        "gdp growth".into(),
                        vec![
                            Val::Bool(true),
                            Val::Bool(false),
                            Val::Missing,
                            Val::Num(2.0),
                            Val::Str("1".into()),
                        ],
                    ),
                ],
            };
            match expr.eval_all(&frame) {
                Ok((vals, report)) => {
                    assert_eq!(vals.len(), 5);
                    let _ = report.notes("fuzz", &|i| format!("row {i}"));
                }
                Err(e) => {
                    let _ = e.render(src);
                }
            }
        }
        Err(e) => {
            let _ = e.render(src);
        }
    }
});
