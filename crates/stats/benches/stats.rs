//! Benchmarks of the statistics kernel.
//!
//! * `csv_load/numeric_50mb`: `dataset::load` of a generated ~50 MB numeric CSV (10 number
//!   columns), reported as throughput (target ≥ 100 MB/s).
//! * `ols/kernel_1m_x10`: `numeric::ols` on 1,000,000 rows × (intercept + 10 predictors)
//!   (target < 2 s).
//! * `ols/regress_op_1m_x10`: the whole `regress` op on a 1,000,000-row dataset (design matrix
//!   built from typed columns, QR, table).
//!
//! Run: `cargo bench -p bilim-stats -- --sample-size 10`.
//!
//! On a shared machine wall-clock figures depend on the load; each benchmark therefore also
//! prints the CPU time of one run of this thread (Linux `/proc/thread-self/schedstat`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bilim_stats::dataset::{load, Column, ColumnType, Dataset, Value};
use bilim_stats::numeric::{ols, OlsOptions};
use bilim_stats::ops::compute;
use bilim_stats::spec::TableSpec;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        // Irwin–Hall approximation is enough for a benchmark
        (0..12).map(|_| self.next()).sum::<f64>() - 6.0
    }
}

const NCOL: usize = 10;

fn numeric_csv(target_bytes: usize) -> (Vec<u8>, String) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(target_bytes + 200);
    let names: Vec<String> = (1..=NCOL).map(|i| format!("v{i}")).collect();
    s.push_str(&names.join(","));
    s.push('\n');
    while s.len() < target_bytes {
        for c in 0..NCOL {
            if c > 0 {
                s.push(',');
            }
            let x = (rng.next() - 0.3) * 10f64.powi((c % 5) as i32);
            s.push_str(&format!("{x:.4}"));
        }
        s.push('\n');
    }
    let mut toml = String::from(
        "title = \"bench\"\nsource = \"b\"\nsource_table = \"text\"\nlicense = \"CC0\"\ntaken_from = \"text\"\n",
    );
    for n in &names {
        toml.push_str(&format!("[[columns]]\nname = \"{n}\"\ntype = \"number\"\n"));
    }
    (s.into_bytes(), toml)
}

/// CPU time of the current thread in seconds (Linux), if available.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Runs `f` three times and prints the best CPU time (and wall time) of a run.
fn report_cpu(name: &str, bytes: Option<usize>, mut f: impl FnMut()) {
    let mut best: Option<(f64, f64)> = None;
    for _ in 0..3 {
        let (c0, w0) = (cpu_seconds(), std::time::Instant::now());
        f();
        let wall = w0.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (c0, cpu_seconds()) {
            let cpu = b - a;
            if best.is_none_or(|(c, _)| cpu < c) {
                best = Some((cpu, wall));
            }
        }
    }
    if let Some((cpu, wall)) = best {
        match bytes {
            Some(n) => println!(
                "{name}: best of 3 runs: CPU {cpu:.3} s ({:.0} MB/s), wall {wall:.3} s ({:.0} MB/s)",
                n as f64 / 1e6 / cpu,
                n as f64 / 1e6 / wall
            ),
            None => println!("{name}: best of 3 runs: CPU {cpu:.3} s, wall {wall:.3} s"),
        }
    }
}

fn bench_csv(c: &mut Criterion) {
    let (csv, toml) = numeric_csv(50 * 1000 * 1000);
    println!("generated CSV: {} bytes", csv.len());
    report_cpu("csv_load/numeric_50mb", Some(csv.len()), || {
        let (ds, _) = load("bench", black_box(&csv), Some(&toml)).expect("loads");
        black_box(ds.n_rows());
    });
    let mut g = c.benchmark_group("csv_load");
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("numeric_50mb", |b| {
        b.iter(|| {
            let (ds, _) = load("bench", black_box(&csv), Some(&toml)).expect("loads");
            black_box(ds.n_rows())
        })
    });
    g.finish();
}

fn regression_data(n: usize, p: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng(42);
    let xs: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            (0..n)
                .map(|_| rng.normal() * (j + 1) as f64 + j as f64)
                .collect()
        })
        .collect();
    let y = (0..n)
        .map(|i| {
            1.0 + xs
                .iter()
                .enumerate()
                .map(|(j, x)| (j as f64 - 4.5) * 0.3 * x[i])
                .sum::<f64>()
                + rng.normal()
        })
        .collect();
    (xs, y)
}

fn bench_ols(c: &mut Criterion) {
    let n = 1_000_000;
    let (xs, y) = regression_data(n, 10);
    let ones = vec![1.0; n];
    report_cpu("ols/kernel_1m_x10", None, || {
        let mut cols: Vec<&[f64]> = vec![&ones];
        cols.extend(xs.iter().map(|x| x.as_slice()));
        let fit = ols(
            &cols,
            &y,
            OlsOptions {
                intercept: true,
                hc1: false,
            },
        )
        .expect("fit");
        black_box(fit.coef);
    });
    let mut g = c.benchmark_group("ols");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("kernel_1m_x10", |b| {
        b.iter(|| {
            let mut cols: Vec<&[f64]> = vec![&ones];
            cols.extend(xs.iter().map(|x| x.as_slice()));
            let fit = ols(
                black_box(&cols),
                black_box(&y),
                OlsOptions {
                    intercept: true,
                    hc1: false,
                },
            )
            .expect("fit");
            black_box(fit.coef)
        })
    });
    let mut columns: Vec<Column> = vec![Column {
        name: "y".into(),
        ty: ColumnType::Number,
        values: y.iter().map(|v| Value::Number(*v)).collect(),
    }];
    for (j, x) in xs.iter().enumerate() {
        columns.push(Column {
            name: format!("x{}", j + 1),
            ty: ColumnType::Number,
            values: x.iter().map(|v| Value::Number(*v)).collect(),
        });
    }
    let ds: Arc<Dataset> = Arc::new(Dataset::from_columns("big", columns).expect("dataset"));
    let xlist: Vec<String> = (1..=10).map(|j| format!("\"x{j}\"")).collect();
    let spec = TableSpec::parse(&format!(
        "id = \"tbl-big\"\ncaption = \"c\"\ndataset = \"big\"\nop = \"regress\"\ny = \"y\"\nx = [{}]\n",
        xlist.join(", ")
    ))
    .expect("spec");
    report_cpu("ols/regress_op_1m_x10", None, || {
        let t = compute(&spec, &|_: &str| Some(ds.clone())).expect("regress");
        black_box(t.rows.len());
    });
    g.bench_function("regress_op_1m_x10", |b| {
        b.iter(|| {
            let t = compute(black_box(&spec), &|_: &str| Some(ds.clone())).expect("regress");
            black_box(t.rows.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_csv, bench_ols);
criterion_main!(benches);
