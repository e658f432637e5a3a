#!/usr/bin/env python3
"""Independent reference values for the bilim-stats ops.

Run from anywhere:  python3 make_reference.py
Needs numpy, scipy, pandas, statsmodels (e.g. `python3 -m venv /tmp/v && /tmp/v/bin/pip install
scipy statsmodels pandas`).

It writes (only if missing) the small input CSVs `survey.csv`, `growth.csv`, and always the
correlation-matrix input `survey_corr.csv` and the fixture `fixtures.json`. Each fixture case has
a `{table}` body (TOML without id/caption), the dataset it runs on, and the expected `columns`,
`rows` and `stats` computed here with pandas / scipy / statsmodels, never with bilim. The Rust
test `tests/reference.rs` runs every case through `bilim_stats::ops::compute` and compares all
numbers with a relative tolerance of 1e-9.
"""
import json
import math
import os

import numpy as np
import pandas as pd
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


# ----------------------------------------------------------------------------------------------
# inputs

def make_survey():
    rng = np.random.default_rng(20260509)
    n = 64
    group = rng.choice(["control", "treated"], size=n)
    region = rng.choice(["East", "North", "South"], size=n, p=[0.3, 0.3, 0.4])
    sex = rng.choice(["f", "m"], size=n)
    age = rng.integers(18, 70, size=n)
    hours = rng.integers(0, 6, size=n)
    income = np.round(rng.lognormal(mean=5.5, sigma=0.4, size=n), 2)
    noise = rng.normal(0, 6, size=n)
    score = (40 + 0.25 * age + 0.02 * income + 3.0 * (group == "treated")
             + np.where(region == "North", 4.0, np.where(region == "South", -2.0, 0.0))
             + noise * (1 + 0.02 * age))  # heteroskedastic on purpose (HC1 differs)
    score = np.round(score, 1)
    weight = np.round(rng.uniform(0.5, 2.0, size=n), 3)
    rows = []
    for i in range(n):
        r = {
            "id": i + 1,
            "group": group[i],
            "region": region[i],
            "sex": sex[i],
            "age": int(age[i]),
            "hours": int(hours[i]),
            "income": f"{income[i]:.2f}",
            "score": f"{score[i]:.1f}",
            "weight": f"{weight[i]:.3f}",
        }
        rows.append(r)
    # a few missing cells
    for i in (3, 17, 40):
        rows[i]["income"] = "NA"
    rows[25]["score"] = ""
    rows[50]["region"] = "NA"
    cols = ["id", "group", "region", "sex", "age", "hours", "income", "score", "weight"]
    with open(path("survey.csv"), "w", newline="") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in cols) + "\n")


def make_growth():
    years = list(range(2015, 2025))
    gdp = [184.4, 137.3, 166.8, 179.3, 181.7, 171.1, 197.1, 225.5, 261.4, 288.1]
    pop = [17.54, 17.79, 18.04, 18.28, 18.51, 18.76, 19.00, 19.62, 19.90, 20.18]
    with open(path("growth.csv"), "w", newline="") as f:
        f.write("year,gdp,pop\n")
        for y, g, p in zip(years, gdp, pop):
            f.write(f"{y},{g},{p}\n")


SURVEY_TOML_COLUMNS = [
    ("id", "integer"), ("group", "string"), ("region", "string"), ("sex", "string"),
    ("age", "integer"), ("hours", "integer"), ("income", "number"), ("score", "number"),
    ("weight", "number"),
]


def f(x):
    """A JSON number or null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def tcrit(level, df):
    return stats.t.ppf(0.5 + level / 2, df)


# ----------------------------------------------------------------------------------------------
# ops

def describe(df, columns, by=None, level=0.95):
    def row(key, s):
        x = s.dropna().astype(float)
        n = len(x)
        mean = x.mean() if n else None
        sd = x.std(ddof=1) if n > 1 else None
        se = sd / math.sqrt(n) if sd is not None else None
        lo = mean - tcrit(level, n - 1) * se if se is not None else None
        hi = mean + tcrit(level, n - 1) * se if se is not None else None
        q = lambda p: float(np.quantile(x.values, p)) if n else None  # numpy default = type 7
        return [key, n, int(s.isna().sum()), f(mean), f(sd), f(se), f(lo), f(hi),
                f(x.min()) if n else None, q(0.25), q(0.5), q(0.75), f(x.max()) if n else None]
    out = []
    if by is None:
        for c in columns:
            out.append(row(c, df[c]))
    else:
        d = df[df[by].notna()]
        for g in sorted(d[by].unique()):
            sub = d[d[by] == g]
            for c in columns:
                out.append(row(f"{g} / {c}", sub[c]))
    cols = ["variable", "n", "missing", "mean", "sd", "se", "ci_low", "ci_high", "min", "q1",
            "median", "q3", "max"]
    return cols, out, {}


def freq(df, column, weight=None):
    d = df[df[column].notna()]
    if weight is not None:
        d = d[d[weight].notna()]
        counts = d.groupby(column)[weight].sum().sort_index()
    else:
        counts = d[column].value_counts().sort_index()
    total = counts.sum()
    cum = counts.cumsum()
    rows = []
    for k in counts.index:
        key = k.item() if hasattr(k, "item") else k
        c = counts[k]
        rows.append([key, f(c) if weight else int(c), f(c / total * 100), f(cum[k] / total * 100)])
    return [column, "count", "percent", "cumulative_percent"], rows, {"n": f(total) if weight else int(total)}


def crosstab(df, r, c, count=None, percent=False):
    d = df[df[r].notna() & df[c].notna()]
    if count:
        d = d[d[count].notna()]
        tab = pd.crosstab(d[r], d[c], values=d[count], aggfunc="sum").fillna(0)
    else:
        tab = pd.crosstab(d[r], d[c])
    tab = tab.sort_index().sort_index(axis=1)
    obs = tab.values.astype(float)
    chi2, p, dof, _ = stats.chi2_contingency(obs, correction=False)
    n = obs.sum()
    v = math.sqrt(chi2 / (n * (min(obs.shape) - 1)))
    cols = [r] + [str(x) for x in tab.columns] + ["n" if percent else "total"]
    rows = []
    for i, k in enumerate(tab.index):
        t = obs[i].sum()
        cells = [f(x / t * 100) for x in obs[i]] if percent else [int(x) for x in obs[i]]
        rows.append([k.item() if hasattr(k, "item") else k] + cells + [int(t)])
    colt = obs.sum(axis=0)
    rows.append(["total"] + ([f(x / n * 100) for x in colt] if percent else [int(x) for x in colt]) + [int(n)])
    return cols, rows, {"n": int(n), "chi2": f(chi2), "df": int(dof), "p": f(p), "cramers_v": f(v)}


def correlate(df, columns, method="pearson"):
    d = df[columns].dropna().astype(float)
    k = len(columns)
    r = np.eye(k)
    p = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            if method == "pearson":
                res = stats.pearsonr(d[columns[i]], d[columns[j]])
            else:
                res = stats.spearmanr(d[columns[i]], d[columns[j]])
            r[i, j] = r[j, i] = res[0]
            p[i, j] = p[j, i] = res[1]
    rows = [[columns[i]] + [f(x) for x in r[i]] for i in range(k)]
    return ["variable"] + columns, rows, {"n": len(d), "p": [[f(x) for x in row] for row in p], "method": method}


def design(df, y, xs):
    d = df[[y] + xs].dropna()
    cols = {"(Intercept)": np.ones(len(d))}
    for x in xs:
        if not pd.api.types.is_numeric_dtype(d[x]):
            levels = sorted(d[x].unique())
            for lv in levels[1:]:
                cols[f"{x}[{lv}]"] = (d[x] == lv).astype(float).values
        else:
            cols[x] = d[x].astype(float).values
    X = pd.DataFrame(cols)
    return X, d[y].astype(float).values


def ols_table(X, yv, robust=False, level=0.95):
    model = sm.OLS(yv, X)
    res = model.fit(cov_type="HC1") if robust else model.fit()
    k = X.shape[1]
    bse = np.sqrt(np.diag(res.cov_params()))
    tvals = res.params.values / bse
    df_resid = res.df_resid
    pvals = 2 * stats.t.sf(np.abs(tvals), df_resid)
    tc = tcrit(level, df_resid)
    sdy = np.std(yv, ddof=1)
    rows = []
    for i, name in enumerate(X.columns):
        b = res.params.values[i]
        beta = None if i == 0 else b * np.std(X.iloc[:, i].values, ddof=1) / sdy
        rows.append([name, f(b), f(bse[i]), f(tvals[i]), f(pvals[i]), f(b - tc * bse[i]),
                     f(b + tc * bse[i]), f(beta)])
    if robust:
        # Wald test of all slopes with the robust covariance (statsmodels' fvalue does the same)
        V = np.asarray(res.cov_params())[1:, 1:]
        b = res.params.values[1:]
        fval = float(b @ np.linalg.solve(V, b)) / (k - 1)
        assert abs(fval - float(res.fvalue)) <= 1e-9 * fval, (fval, res.fvalue)
    else:
        fval = float(res.fvalue)
    st = {
        "n": int(res.nobs), "df_model": int(res.df_model), "df_resid": int(df_resid),
        "r2": f(res.rsquared), "adj_r2": f(res.rsquared_adj), "f": f(fval),
        "f_p": f(stats.f.sf(fval, k - 1, df_resid)), "rmse": f(math.sqrt(res.mse_resid)),
    }
    cols = ["term", "estimate", "std_error", "t", "p", "ci_low", "ci_high", "beta"]
    return cols, rows, st


def ttest2(df, column, by, level=0.95):
    d = df[df[column].notna() & df[by].notna()]
    gs = sorted(d[by].unique())
    a = d[d[by] == gs[0]][column].astype(float).values
    b = d[d[by] == gs[1]][column].astype(float).values
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(confidence_level=level)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    rows = [[g, len(x), f(x.mean()), f(x.std(ddof=1))] for g, x in ((gs[0], a), (gs[1], b))]
    st = {"t": f(res.statistic), "df": f(res.df), "p": f(res.pvalue), "mean_diff": f(a.mean() - b.mean()),
          "ci_low": f(ci.low), "ci_high": f(ci.high), "se": f(se)}
    return ["group", "n", "mean", "sd"], rows, st


def ttest1(df, column, mu, level=0.95):
    x = df[column].dropna().astype(float).values
    res = stats.ttest_1samp(x, mu)
    ci = res.confidence_interval(confidence_level=level)  # interval for the mean
    st = {"t": f(res.statistic), "df": f(res.df), "p": f(res.pvalue), "mean_diff": f(x.mean() - mu),
          "ci_low": f(ci.low - mu), "ci_high": f(ci.high - mu), "se": f(x.std(ddof=1) / math.sqrt(len(x))),
          "mu": f(mu)}
    return ["group", "n", "mean", "sd"], [[column, len(x), f(x.mean()), f(x.std(ddof=1))]], st


def anova(df, column, by):
    d = df[df[column].notna() & df[by].notna()]
    gs = sorted(d[by].unique())
    groups = [d[d[by] == g][column].astype(float).values for g in gs]
    res = stats.f_oneway(*groups)
    allv = np.concatenate(groups)
    ssb = sum(len(g) * (g.mean() - allv.mean()) ** 2 for g in groups)
    sst = ((allv - allv.mean()) ** 2).sum()
    rows = [[g, len(x), f(x.mean()), f(x.std(ddof=1)) if len(x) > 1 else None] for g, x in zip(gs, groups)]
    st = {"f": f(res.statistic), "df_between": len(gs) - 1, "df_within": len(allv) - len(gs),
          "p": f(res.pvalue), "eta2": f(ssb / sst)}
    return ["group", "n", "mean", "sd"], rows, st


def growth(df, time, columns):
    d = df.sort_values(time).reset_index(drop=True)
    cols = [time]
    for c in columns:
        cols += [c, f"{c}_change", f"{c}_pct_change"]
    rows = []
    for i in range(len(d)):
        row = [int(d[time][i])]
        for c in columns:
            v = float(d[c][i])
            if i == 0:
                row += [f(v), None, None]
            else:
                p = float(d[c][i - 1])
                row += [f(v), f(v - p), f((v - p) / p * 100)]
        rows.append(row)
    st = {}
    for c in columns:
        periods = float(d[time].iloc[-1] - d[time].iloc[0])
        st[f"cagr_{c}"] = f(((d[c].iloc[-1] / d[c].iloc[0]) ** (1 / periods) - 1) * 100)
    # cross-check with pandas
    pc = d[columns[0]].pct_change() * 100
    assert all(abs(pc[i] - rows[i][3]) < 1e-9 for i in range(1, len(d)))
    return cols, rows, st


def main():
    if not os.path.exists(path("survey.csv")):
        make_survey()
    if not os.path.exists(path("growth.csv")):
        make_growth()
    survey = pd.read_csv(path("survey.csv"), na_values=["NA"], keep_default_na=False)
    for c in ("income", "score"):
        survey[c] = pd.to_numeric(survey[c].replace("", np.nan))
    survey["region"] = survey["region"].replace("", np.nan)
    gr = pd.read_csv(path("growth.csv"))

    cases = []

    def case(name, body, dataset, result):
        cols, rows, st = result
        cases.append({"name": name, "body": body, "dataset": dataset, "columns": cols, "rows": rows, "stats": st})

    case("describe", 'op = "describe"\ncolumns = ["age", "income", "score", "hours"]', "survey",
         describe(survey, ["age", "income", "score", "hours"]))
    case("describe_by_level90", 'op = "describe"\ncolumns = ["score", "income"]\nby = "region"\nlevel = 0.9', "survey",
         describe(survey, ["score", "income"], by="region", level=0.9))
    case("describe_where", 'op = "describe"\ncolumns = ["score"]\nwhere = "age >= 40 and sex == \'f\'"', "survey",
         describe(survey[(survey.age >= 40) & (survey.sex == "f")], ["score"]))
    case("freq", 'op = "freq"\ncolumn = "region"', "survey", freq(survey, "region"))
    case("freq_int", 'op = "freq"\ncolumn = "hours"', "survey", freq(survey, "hours"))
    case("freq_weighted", 'op = "freq"\ncolumn = "group"\nweight = "weight"', "survey", freq(survey, "group", "weight"))
    case("crosstab", 'op = "crosstab"\nrows = "region"\ncols = "hours"', "survey", crosstab(survey, "region", "hours"))
    case("crosstab_2x2_percent", 'op = "crosstab"\nrows = "group"\ncols = "sex"\npercent = "row"', "survey",
         crosstab(survey, "group", "sex", percent=True))
    case("correlate_pearson", 'op = "correlate"\ncolumns = ["score", "age", "income", "hours"]', "survey",
         correlate(survey, ["score", "age", "income", "hours"]))
    case("correlate_spearman", 'op = "correlate"\ncolumns = ["score", "age", "income", "hours"]\nmethod = "spearman"', "survey",
         correlate(survey, ["score", "age", "income", "hours"], "spearman"))
    X, yv = design(survey, "score", ["age", "income", "group", "region"])
    case("regress", 'op = "regress"\ny = "score"\nx = ["age", "income", "group", "region"]', "survey", ols_table(X, yv))
    case("regress_hc1_level90", 'op = "regress"\ny = "score"\nx = ["age", "income", "group", "region"]\nrobust = "hc1"\nlevel = 0.9',
         "survey", ols_table(X, yv, robust=True, level=0.9))
    X2, y2 = design(survey, "score", ["age", "income", "hours"])
    case("regress_numeric", 'op = "regress"\ny = "score"\nx = ["age", "income", "hours"]', "survey", ols_table(X2, y2))

    # regress_summary: correlation matrix, means, sds and n of the complete cases
    vars_ = ["score", "age", "income", "hours"]
    cc = survey[vars_].dropna().astype(float)
    corr = cc.corr()
    with open(path("survey_corr.csv"), "w", newline="") as fh:
        fh.write("variable," + ",".join(vars_) + "\n")
        for v in vars_:
            fh.write(v + "," + ",".join(repr(float(corr.loc[v, w])) for w in vars_) + "\n")
    means = ", ".join(f"{v} = {float(cc[v].mean())!r}" for v in vars_)
    sds = ", ".join(f"{v} = {float(cc[v].std(ddof=1))!r}" for v in vars_)
    body = (f'op = "regress_summary"\nmeans = {{ {means} }}\nsds = {{ {sds} }}\nn = {len(cc)}\n'
            f'y = "score"\nx = ["age", "income", "hours"]')
    case("regress_summary", body, "survey_corr", ols_table(X2, y2))

    case("ttest_welch", 'op = "ttest"\ncolumn = "score"\nby = "group"', "survey", ttest2(survey, "score", "group"))
    case("ttest_welch_where_level99", 'op = "ttest"\ncolumn = "income"\nby = "region"\nwhere = "region != \'East\'"\nlevel = 0.99',
         "survey", ttest2(survey[survey.region != "East"], "income", "region", level=0.99))
    case("ttest_one_sample", 'op = "ttest"\ncolumn = "score"\nmu = 55', "survey", ttest1(survey, "score", 55.0))
    case("anova", 'op = "anova"\ncolumn = "score"\nby = "region"', "survey", anova(survey, "score", "region"))
    case("growth", 'op = "growth"\ntime = "year"\ncolumns = ["gdp", "pop"]', "growth", growth(gr, "year", ["gdp", "pop"]))

    # formula functions on constants: one row per expression
    exprs = {
        "p_t": ("p_t(2.1, 15)", 2 * stats.t.sf(2.1, 15)),
        "p_t_neg": ("p_t(-3.7, 4.5)", 2 * stats.t.sf(3.7, 4.5)),
        "p_t_large": ("p_t(1.5, 1000)", 2 * stats.t.sf(1.5, 1000)),
        "p_f": ("p_f(4.2, 3, 60)", stats.f.sf(4.2, 3, 60)),
        "p_f_small": ("p_f(0.8, 2, 7)", stats.f.sf(0.8, 2, 7)),
        "p_chi2": ("p_chi2(11.07, 5)", stats.chi2.sf(11.07, 5)),
        "p_chi2_1": ("p_chi2(3.2, 1)", stats.chi2.sf(3.2, 1)),
        "p_z": ("p_z(1.96)", 2 * stats.norm.sf(1.96)),
        "p_z_far": ("p_z(-4.5)", 2 * stats.norm.sf(4.5)),
        "log": ("log(17.5)", math.log(17.5)),
        "log10": ("log10(0.002)", math.log10(0.002)),
        "exp": ("exp(-1.25)", math.exp(-1.25)),
        "sqrt": ("sqrt(2)", math.sqrt(2)),
        "pow": ("1.07 ^ 10 - 1", 1.07 ** 10 - 1),
        "r_from_r2": ("sqrt(0.101)", math.sqrt(0.101)),
        "f_from_r2": ("(0.101 / 4) / ((1 - 0.101) / 395)", (0.101 / 4) / ((1 - 0.101) / 395)),
    }
    for name, (expr, val) in exprs.items():
        body = f'op = "formula"\ncolumns = {{ value = "{expr}" }}\nkeep = ["year", "value"]\nwhere = "year == 2015"'
        case(f"formula_{name}", body, "growth", (["year", "value"], [[2015, f(val)]], {}))

    out = {
        "generator": f"make_reference.py (numpy {np.__version__}, scipy {scipy.__version__}, "
                     f"pandas {pd.__version__}, statsmodels {statsmodels.__version__})",
        "datasets": {
            "survey": {"csv": "survey.csv", "columns": SURVEY_TOML_COLUMNS},
            "growth": {"csv": "growth.csv", "columns": [("year", "year"), ("gdp", "number"), ("pop", "number")]},
            "survey_corr": {"csv": "survey_corr.csv",
                            "columns": [("variable", "string")] + [(v, "number") for v in vars_]},
        },
        "cases": cases,
    }
    with open(path("fixtures.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} cases to fixtures.json")


if __name__ == "__main__":
    main()
