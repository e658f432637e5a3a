//! Numerical kernels: ordinary least squares by Householder QR, descriptive helpers, ranks and
//! distribution functions.
//!
//! **OLS.** [`ols`] never forms the normal equations `X'X`. It computes the QR factorisation of
//! the augmented matrix `[X | y]` by Householder reflections, streaming the rows in blocks of
//! [`BLOCK_ROWS`]: each block is stacked under the current `R` and reduced, which is the
//! sequential form of TSQR. The result is the same `R` (up to signs) as a Householder QR of the
//! whole matrix, with the same backward stability, but the working set stays in cache and no
//! copy of the design matrix is needed. Collinearity is detected as in R's `lm`: a column whose
//! norm, after projecting out the columns before it, is at most `1e-7` times its original norm is
//! dropped (the small `R` is re-reduced without it). Coefficients come from back-substitution,
//! the residual sum of squares from the last diagonal element of `R`, the explained sum of squares
//! from `Q'y` (so neither `R²` nor `F` suffers from cancellation), and standard errors from the
//! rows of `R⁻¹`. HC1 standard errors use `R⁻¹ (Σ eᵢ² qᵢqᵢ') R⁻ᵀ · n/(n−k)` with `qᵢ = R⁻ᵀxᵢ`.
//!
//! **Distributions** come from `statrs`; quantiles of Student's t are polished with Newton steps
//! on the CDF so that confidence intervals are accurate to full precision.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{
    ChiSquared, Continuous, ContinuousCDF, FisherSnedecor, Normal, StudentsT,
};

/// Rows per block of the streaming QR.
pub const BLOCK_ROWS: usize = 512;

/// Relative tolerance for dropping collinear columns (as R's `lm`).
pub const COLLINEARITY_TOL: f64 = 1e-7;

/// Errors of the numerical kernels.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NumericError {
    /// Fewer observations than coefficients (or none left for the residual).
    #[error("{rows} observations for {terms} coefficients: no residual degrees of freedom")]
    TooFewRows {
        /// Observations.
        rows: usize,
        /// Coefficients (after dropping collinear columns).
        terms: usize,
    },
    /// Columns of different length, or no columns.
    #[error("the design matrix is malformed: {0}")]
    Shape(String),
    /// A value was NaN or infinite.
    #[error("the data contain a value that is not a finite number")]
    NonFinite,
    /// Every column was dropped.
    #[error("the design matrix is singular")]
    Singular,
}

/// The result of an OLS fit.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// Indexes (into the input columns) of the columns kept, in order.
    pub kept: Vec<usize>,
    /// Indexes of the columns dropped as collinear with earlier ones.
    pub dropped: Vec<usize>,
    /// Coefficients of the kept columns.
    pub coef: Vec<f64>,
    /// Standard errors (classical or HC1).
    pub se: Vec<f64>,
    /// Covariance matrix of the coefficients (classical or HC1), kept × kept.
    pub cov: DMatrix<f64>,
    /// Number of observations.
    pub n: usize,
    /// Residual degrees of freedom `n − k`.
    pub df_resid: usize,
    /// Residual sum of squares.
    pub rss: f64,
    /// Explained sum of squares around the mean (requires `intercept`).
    pub ess: f64,
    /// Residual standard deviation `sqrt(rss / df_resid)`.
    pub sigma: f64,
}

/// Options of [`ols`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OlsOptions {
    /// Column 0 is the intercept: the explained sum of squares is then around the mean.
    pub intercept: bool,
    /// Heteroskedasticity-robust (HC1) covariance.
    pub hc1: bool,
}

/// Householder reduction of `[r; a]` where `r` is `p × p` upper triangular (column-major) and
/// `a` is an `m × p` block (column-major, stride `m`). On return `r` holds the new triangle.
fn reduce_block(r: &mut [f64], p: usize, a: &mut [f64], m: usize) {
    for j in 0..p {
        let (head, tail) = a.split_at_mut((j + 1) * m);
        let Some(aj) = head.get(j * m..(j + 1) * m) else {
            return;
        };
        let rjj = r.get(j * p + j).copied().unwrap_or(0.0);
        let sq: f64 = aj.iter().map(|x| x * x).sum();
        if sq == 0.0 {
            continue;
        }
        let norm = (rjj * rjj + sq).sqrt();
        let alpha = if rjj >= 0.0 { -norm } else { norm };
        let v0 = rjj - alpha;
        let vtv = v0 * v0 + sq;
        if vtv == 0.0 {
            continue;
        }
        let beta = 2.0 / vtv;
        if let Some(x) = r.get_mut(j * p + j) {
            *x = alpha;
        }
        for c in (j + 1)..p {
            let off = (c - j - 1) * m;
            let Some(ac) = tail.get_mut(off..off + m) else {
                continue;
            };
            let rjc = r.get(c * p + j).copied().unwrap_or(0.0);
            let dot: f64 = aj.iter().zip(ac.iter()).map(|(x, y)| x * y).sum();
            let f = beta * (v0 * rjc + dot);
            if let Some(x) = r.get_mut(c * p + j) {
                *x = rjc - f * v0;
            }
            for (y, x) in ac.iter_mut().zip(aj.iter()) {
                *y -= f * x;
            }
        }
    }
}

/// QR of a small dense matrix (`m × p`, column-major): returns the `p × p` triangle.
fn small_r(a: &[f64], m: usize, p: usize) -> Vec<f64> {
    let mut r = vec![0.0; p * p];
    let mut work = a.to_vec();
    reduce_block(&mut r, p, &mut work, m);
    r
}

fn back_substitute(r: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = b.get(i).copied().unwrap_or(0.0);
        for j in (i + 1)..k {
            s -= r.get(j * k + i).copied().unwrap_or(0.0) * x.get(j).copied().unwrap_or(0.0);
        }
        let d = r.get(i * k + i).copied().unwrap_or(0.0);
        if let Some(xi) = x.get_mut(i) {
            *xi = s / d;
        }
    }
    x
}

/// Inverse of an upper-triangular `k × k` matrix (column-major).
fn invert_upper(r: &[f64], k: usize) -> DMatrix<f64> {
    let mut inv = DMatrix::zeros(k, k);
    for c in 0..k {
        let mut e = vec![0.0; k];
        if let Some(x) = e.get_mut(c) {
            *x = 1.0;
        }
        let col = back_substitute(r, k, &e);
        for (i, v) in col.into_iter().enumerate() {
            inv[(i, c)] = v;
        }
    }
    inv
}

/// Ordinary least squares of `y` on `columns` (each a full column of the design matrix, e.g.
/// a column of ones first for the intercept). See the module docs for the method.
pub fn ols(columns: &[&[f64]], y: &[f64], opts: OlsOptions) -> Result<OlsFit, NumericError> {
    let p = columns.len();
    let n = y.len();
    if p == 0 {
        return Err(NumericError::Shape("no columns".into()));
    }
    if columns.iter().any(|c| c.len() != n) {
        return Err(NumericError::Shape("columns differ in length".into()));
    }
    if y.iter().any(|v| !v.is_finite()) || columns.iter().any(|c| c.iter().any(|v| !v.is_finite()))
    {
        return Err(NumericError::NonFinite);
    }
    let q = p + 1; // with y
    let mut r = vec![0.0; q * q];
    let mut norms2 = vec![0.0; q];
    let mut block = vec![0.0; BLOCK_ROWS * q];
    let mut start = 0;
    while start < n {
        let m = BLOCK_ROWS.min(n - start);
        for (c, col) in columns
            .iter()
            .copied()
            .chain(std::iter::once(y))
            .enumerate()
        {
            let src = col.get(start..start + m).unwrap_or(&[]);
            if let Some(dst) = block.get_mut(c * m..c * m + m) {
                dst.copy_from_slice(src);
            }
            if let Some(nrm) = norms2.get_mut(c) {
                *nrm += src.iter().map(|x| x * x).sum::<f64>();
            }
        }
        if let Some(b) = block.get_mut(..m * q) {
            reduce_block(&mut r, q, b, m);
        }
        start += m;
    }
    // Column j of the full R (rows 0..q).
    let rcol = |j: usize| -> &[f64] { r.get(j * q..(j + 1) * q).unwrap_or(&[]) };
    // Sequential rank detection on the small R.
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    for j in 0..p {
        let mut cand: Vec<f64> = Vec::with_capacity((kept.len() + 1) * q);
        for &k in kept.iter().chain(std::iter::once(&j)) {
            cand.extend_from_slice(rcol(k));
        }
        let kk = kept.len() + 1;
        let rr = small_r(&cand, q, kk);
        let diag = rr.get((kk - 1) * kk + kk - 1).copied().unwrap_or(0.0).abs();
        let norm = norms2.get(j).copied().unwrap_or(0.0).sqrt();
        if norm == 0.0 || diag <= COLLINEARITY_TOL * norm {
            dropped.push(j);
        } else {
            kept.push(j);
        }
    }
    let k = kept.len();
    if k == 0 {
        return Err(NumericError::Singular);
    }
    if n <= k {
        return Err(NumericError::TooFewRows { rows: n, terms: k });
    }
    // Final R of [X_kept | y].
    let mut sel: Vec<f64> = Vec::with_capacity((k + 1) * q);
    for &c in kept.iter().chain(std::iter::once(&p)) {
        sel.extend_from_slice(rcol(c));
    }
    let rf = small_r(&sel, q, k + 1);
    let mut rk = vec![0.0; k * k];
    for c in 0..k {
        for i in 0..=c {
            if let (Some(d), Some(s)) = (rk.get_mut(c * k + i), rf.get(c * (k + 1) + i)) {
                *d = *s;
            }
        }
    }
    let qty: Vec<f64> = (0..k)
        .map(|i| rf.get(k * (k + 1) + i).copied().unwrap_or(0.0))
        .collect();
    let res_norm = rf.get(k * (k + 1) + k).copied().unwrap_or(0.0);
    let rss = res_norm * res_norm;
    let coef = back_substitute(&rk, k, &qty);
    let df_resid = n - k;
    let sigma2 = rss / df_resid as f64;
    let ess: f64 = if opts.intercept && kept.first() == Some(&0) {
        qty.iter().skip(1).map(|v| v * v).sum()
    } else {
        qty.iter().map(|v| v * v).sum()
    };
    let rinv = invert_upper(&rk, k);
    let cov = if opts.hc1 {
        // meat = sum e_i^2 q_i q_i', q_i = R^-T x_i
        let mut meat = DMatrix::<f64>::zeros(k, k);
        let mut xi = vec![0.0; k];
        let mut qi = vec![0.0; k];
        for i in 0..n {
            let mut fit = 0.0;
            for (t, &c) in kept.iter().enumerate() {
                let v = columns
                    .get(c)
                    .and_then(|col| col.get(i))
                    .copied()
                    .unwrap_or(0.0);
                if let Some(x) = xi.get_mut(t) {
                    *x = v;
                }
                fit += v * coef.get(t).copied().unwrap_or(0.0);
            }
            let e = y.get(i).copied().unwrap_or(0.0) - fit;
            // forward substitution R' q = x
            for a in 0..k {
                let mut s = xi.get(a).copied().unwrap_or(0.0);
                for b in 0..a {
                    s -= rk.get(a * k + b).copied().unwrap_or(0.0)
                        * qi.get(b).copied().unwrap_or(0.0);
                }
                let d = rk.get(a * k + a).copied().unwrap_or(1.0);
                if let Some(qa) = qi.get_mut(a) {
                    *qa = s / d;
                }
            }
            let e2 = e * e;
            for b in 0..k {
                let qb = qi.get(b).copied().unwrap_or(0.0) * e2;
                for a in b..k {
                    meat[(a, b)] += qb * qi.get(a).copied().unwrap_or(0.0);
                }
            }
        }
        for b in 0..k {
            for a in 0..b {
                meat[(a, b)] = meat[(b, a)];
            }
        }
        let scale = n as f64 / df_resid as f64;
        &rinv * meat * rinv.transpose() * scale
    } else {
        &rinv * rinv.transpose() * sigma2
    };
    let se = (0..k).map(|i| cov[(i, i)].max(0.0).sqrt()).collect();
    Ok(OlsFit {
        kept,
        dropped,
        coef,
        se,
        cov,
        n,
        df_resid,
        rss,
        ess,
        sigma: sigma2.sqrt(),
    })
}

/// Solves `a x = b` for a small square system by Householder QR (`None` if singular).
pub fn solve_small(a: &DMatrix<f64>, b: &DVector<f64>) -> Option<DVector<f64>> {
    let k = a.nrows();
    if a.ncols() != k || b.len() != k {
        return None;
    }
    let mut m = Vec::with_capacity(k * (k + 1));
    for c in 0..k {
        m.extend(a.column(c).iter());
    }
    m.extend(b.iter());
    let r = small_r(&m, k, k + 1);
    let mut rk = vec![0.0; k * k];
    let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    for c in 0..k {
        for i in 0..=c {
            if let (Some(d), Some(s)) = (rk.get_mut(c * k + i), r.get(c * (k + 1) + i)) {
                *d = *s;
            }
        }
        if rk.get(c * k + c).copied().unwrap_or(0.0).abs() <= 1e-12 * scale {
            return None;
        }
    }
    let qtb: Vec<f64> = (0..k)
        .map(|i| r.get(k * (k + 1) + i).copied().unwrap_or(0.0))
        .collect();
    Some(DVector::from_vec(back_substitute(&rk, k, &qtb)))
}

// ---------------------------------------------------------------------------------------------
// Descriptive helpers

/// Mean with a correction pass (accurate for large offsets). `None` for no values.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let corr = xs.iter().map(|x| x - m).sum::<f64>() / n;
    Some(m + corr)
}

/// Sample variance (n − 1), two-pass. `None` for fewer than two values.
pub fn variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let (ss, s) = xs.iter().fold((0.0, 0.0), |(ss, s), x| {
        let d = x - m;
        (ss + d * d, s + d)
    });
    let n = xs.len() as f64;
    Some((ss - s * s / n) / (n - 1.0))
}

/// Sample standard deviation (n − 1).
pub fn sd(xs: &[f64]) -> Option<f64> {
    variance(xs).map(f64::sqrt)
}

/// Quantile by linear interpolation (type 7) of *sorted* values.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let a = *sorted.get(lo)?;
    let b = sorted.get(lo + 1).copied().unwrap_or(a);
    Some(a + (h - lo as f64) * (b - a))
}

/// Average ranks (1-based, ties get the mean rank).
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| {
        xs.get(a)
            .partial_cmp(&xs.get(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        let vi = idx.get(i).and_then(|&k| xs.get(k)).copied();
        while j + 1 < idx.len() && idx.get(j + 1).and_then(|&k| xs.get(k)).copied() == vi {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for t in i..=j {
            if let Some(o) = idx.get(t).and_then(|&k| out.get_mut(k)) {
                *o = r;
            }
        }
        i = j + 1;
    }
    out
}

/// Pearson correlation of two equally long slices (`None` if undefined).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let mx = mean(x)?;
    let my = mean(y)?;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

// ---------------------------------------------------------------------------------------------
// Rounding and distributions

/// Rounds half away from zero at `digits` decimals, on the shortest decimal representation of
/// `x` (so `round(2.675, 2)` is `2.68`, as printed tables round, not `2.67` as binary does).
pub fn round_half_away(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let s = format!("{:e}", x.abs());
    let Some((mant, exp)) = s.split_once('e') else {
        return x;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return x;
    };
    let ds: Vec<u8> = mant
        .bytes()
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .collect();
    // x = 0.d1d2d3... × 10^(exp+1)
    let e = exp + 1;
    let k = e + digits; // digits kept
    if k < 0 {
        return 0.0 * x.signum();
    }
    let k = k as usize;
    if k >= ds.len() {
        return x;
    }
    let mut int: u128 = 0;
    for d in ds.iter().take(k) {
        int = int * 10 + u128::from(*d);
    }
    if ds.get(k).copied().unwrap_or(0) >= 5 {
        int += 1;
    }
    let v: f64 = format!("{int}e{}", e - k as i32).parse().unwrap_or(x.abs());
    if x < 0.0 {
        -v
    } else {
        v
    }
}

/// Two-sided p-value of a t statistic with `df` degrees of freedom (NaN if `df <= 0`).
pub fn p_t(t: f64, df: f64) -> f64 {
    if t.is_nan() || !df_ok(df) {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    if df > DF_NORMAL {
        return p_z(t);
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => (2.0 * d.sf(t.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Degrees of freedom the distributions are evaluated with. statrs panics or never returns for
/// some arguments (subnormal or huge degrees of freedom, infinite statistics), which formulas
/// like `p_f(x, 1, 2)` can reach with any data: below [`DF_MIN`] the result is undefined (NaN),
/// above [`DF_NORMAL`] the normal (or χ²) limit is used. Found by fuzzing.
pub const DF_MIN: f64 = 1e-3;
/// See [`DF_MIN`].
pub const DF_NORMAL: f64 = 1e7;

/// Statistics and probabilities below this are treated as 0 (statrs misbehaves near subnormals).
const TINY: f64 = 1e-290;

fn df_ok(df: f64) -> bool {
    df.is_finite() && df >= DF_MIN
}

/// Upper-tail p-value of an F statistic.
pub fn p_f(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || !df_ok(d1) || !df_ok(d2) {
        return f64::NAN;
    }
    if f < TINY {
        return 1.0;
    }
    if f.is_infinite() || (f * d1).is_infinite() {
        return 0.0;
    }
    if d1 > DF_NORMAL || d2 > DF_NORMAL {
        // d1·F tends to χ²(d1) as d2 grows; no usable limit when d1 is huge too.
        return if d2 > DF_NORMAL && d1 <= DF_NORMAL {
            p_chi2(f * d1, d1)
        } else {
            f64::NAN
        };
    }
    match FisherSnedecor::new(d1, d2) {
        Ok(d) => d.sf(f),
        Err(_) => f64::NAN,
    }
}

/// Upper-tail p-value of a chi-square statistic.
pub fn p_chi2(x: f64, df: f64) -> f64 {
    if x.is_nan() || !df_ok(df) || df > DF_NORMAL {
        return f64::NAN;
    }
    if x < TINY {
        // sf(x) → 1 as x → 0+; statrs panics on subnormal arguments.
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

/// Two-sided p-value of a z statistic.
pub fn p_z(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    match Normal::new(0.0, 1.0) {
        Ok(d) => (2.0 * d.sf(z.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Quantile of Student's t (`p` in (0, 1)), polished by Newton steps on the CDF.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !((TINY..1.0).contains(&p) && df_ok(df)) {
        return f64::NAN;
    }
    if df > DF_NORMAL {
        return Normal::new(0.0, 1.0).map_or(f64::NAN, |d| d.inverse_cdf(p));
    }
    let Ok(d) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    let mut x = d.inverse_cdf(p);
    if !x.is_finite() {
        return f64::NAN;
    }
    for _ in 0..4 {
        let pdf = d.pdf(x);
        if pdf <= 0.0 || !pdf.is_finite() {
            break;
        }
        // use the smaller tail for accuracy
        let err = if x > 0.0 {
            (1.0 - p) - d.sf(x)
        } else {
            d.cdf(x) - p
        };
        let step = err / pdf;
        x -= step;
        if step.abs() <= 1e-15 * x.abs().max(1.0) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_never_panic_or_hang_on_extreme_arguments() {
        // Found by the `formula` fuzz target: `p_f(x, 2, 2)` with x = 1e308 panicked inside
        // statrs; subnormal or huge degrees of freedom panicked or never returned.
        assert_eq!(p_f(1e308, 2.0, 2.0), 0.0);
        let vals = [
            f64::NEG_INFINITY,
            -1e308,
            -1.0,
            -0.0,
            0.0,
            5e-324,
            1e-308,
            1e-10,
            1e-3,
            0.01,
            0.5,
            0.999_999_999,
            1.0,
            2.0,
            37.5,
            1e4,
            1e7,
            1.000_000_1e7,
            1e10,
            1e308,
            f64::INFINITY,
            f64::NAN,
        ];
        let start = std::time::Instant::now();
        for &a in &vals {
            let _ = p_z(a);
            for &b in &vals {
                let (t, c, q) = (p_t(a, b), p_chi2(a, b), t_quantile(a, b));
                for p in [t, c] {
                    assert!(p.is_nan() || (0.0..=1.0).contains(&p), "{a} {b}: {p}");
                }
                let _ = q;
                for &c in &vals {
                    let f = p_f(a, b, c);
                    assert!(f.is_nan() || (0.0..=1.0).contains(&f), "{a} {b} {c}: {f}");
                }
            }
        }
        assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
        // Ordinary arguments are unchanged.
        assert!((p_t(2.0, 10.0) - 0.073_388_034_770_740_73).abs() < 1e-12);
        assert!((t_quantile(0.975, 1e8) - 1.959_963_984_540_054).abs() < 1e-9);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_half_away(2.675, 2), 2.68);
        assert_eq!(round_half_away(-2.5, 0), -3.0);
        assert_eq!(round_half_away(0.125, 2), 0.13);
        assert_eq!(round_half_away(1234.5, -2), 1200.0);
        assert_eq!(round_half_away(0.004, 2), 0.0);
        assert_eq!(round_half_away(9.995, 2), 10.0);
        assert_eq!(round_half_away(1.0, 2), 1.0);
    }

    #[test]
    fn quantiles_type7() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&x, 0.25), Some(1.75));
        assert_eq!(quantile_sorted(&x, 0.5), Some(2.5));
        assert_eq!(quantile_sorted(&x, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn ranks_with_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 5.0]), vec![2.5, 4.0, 2.5, 1.0]);
    }

    #[test]
    fn t_quantile_matches_reference() {
        // scipy.stats.t.ppf
        let cases = [
            (1.0, 0.975, 12.706204736174694),
            (1.0, 0.995, 63.656741162871526),
            (2.0, 0.025, -4.302652729749464),
            (5.0, 0.975, 2.5705818356363146),
            (30.0, 0.975, 2.0422724563012378),
            (30.0, 0.995, 2.7499956535672254),
            (1000.0, 0.975, 1.9623390808264083),
            (1000.0, 0.025, -1.9623390808264085),
        ];
        for (df, p, want) in cases {
            let got = t_quantile(p, df);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "df {df} p {p}: {got} vs {want}"
            );
        }
        assert_eq!(t_quantile(0.5, 7.0), 0.0);
        assert!(t_quantile(1.0, 7.0).is_nan());
    }

    #[test]
    fn ols_drops_collinear_and_keeps_going() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let x2: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        let z: Vec<f64> = x.iter().map(|v| (v * 1.3).sin()).collect();
        let y: Vec<f64> = x
            .iter()
            .zip(&z)
            .map(|(a, b)| 3.0 + 0.5 * a - 2.0 * b)
            .collect();
        let ones = vec![1.0; 20];
        let fit = ols(
            &[&ones, &x, &x2, &z],
            &y,
            OlsOptions {
                intercept: true,
                hc1: false,
            },
        )
        .unwrap();
        assert_eq!(fit.kept, vec![0, 1, 3]);
        assert_eq!(fit.dropped, vec![2]);
        assert!((fit.coef[0] - 3.0).abs() < 1e-12);
        assert!((fit.coef[1] - 0.5).abs() < 1e-12);
        assert!((fit.coef[2] + 2.0).abs() < 1e-12);
    }

    #[test]
    fn ols_streams_blocks() {
        // more rows than one block: same answer as a hand computation of a simple regression
        let n = 3 * BLOCK_ROWS + 17;
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 10.0).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| 1.0 + 2.0 * v + ((i * 104729) % 13) as f64 - 6.0)
            .collect();
        let ones = vec![1.0; n];
        let fit = ols(
            &[&ones, &x],
            &y,
            OlsOptions {
                intercept: true,
                hc1: false,
            },
        )
        .unwrap();
        let mx = mean(&x).unwrap();
        let my = mean(&y).unwrap();
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        let b = sxy / sxx;
        assert!((fit.coef[1] - b).abs() < 1e-12 * b.abs());
        assert!((fit.coef[0] - (my - b * mx)).abs() < 1e-10);
    }

    #[test]
    fn ols_errors() {
        let ones = vec![1.0; 2];
        let x = vec![1.0, 2.0];
        assert!(matches!(
            ols(&[&ones, &x], &[1.0, 2.0], OlsOptions::default()),
            Err(NumericError::TooFewRows { .. })
        ));
        let zeros = vec![0.0; 3];
        assert_eq!(
            ols(&[&zeros], &[1.0, 2.0, 3.0], OlsOptions::default()),
            Err(NumericError::Singular)
        );
        assert_eq!(
            ols(
                &[&[1.0, f64::NAN, 2.0][..]],
                &[1.0, 2.0, 3.0],
                OlsOptions::default()
            ),
            Err(NumericError::NonFinite)
        );
    }
}
