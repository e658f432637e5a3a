//! Datasets and computed tables at the site level.
//!
//! The numerics live in the `bilim-stats` crate; this module connects them to the site: it loads
//! `data/*.csv` (reading only files directly inside `data/`, so no directive can name a path),
//! runs every `{table}` and `{chart}` directive once, numbers them per page, renders them in
//! each page's language, and writes the table and dataset pages, downloads and manifests.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::render::PageContext as Context;
use bilim_stats::dataset::Dataset;
use bilim_stats::spec::TableSpec;
use bilim_stats::table::{Cell, CheckResult, CheckStatus, ComputedTable};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::charts::{self, ChartData, ChartKind, ChartSpec};

mod cache;
use crate::error::{Diagnostic, Diagnostics, Result};
use crate::i18n::{format_number, I18n, Lang};
use crate::markdown::{
    escape_attr, escape_text, extract_directives, DirectiveBlock, DirectiveKind,
};
use crate::output::SiteFiles;
use crate::pages::SiteRender;
use crate::site::Project;

/// Every dataset of the project, by id.
#[derive(Debug, Default)]
pub struct Datasets {
    map: BTreeMap<String, DatasetEntry>,
}

/// One loaded dataset.
#[derive(Debug)]
pub struct DatasetEntry {
    /// The parsed data.
    pub data: Arc<Dataset>,
    /// The CSV exactly as committed, for the download (shared with the output and, in serve,
    /// kept between rebuilds while the file's stamp is unchanged).
    pub csv: Arc<crate::output::SharedText>,
    /// Warnings from loading (e.g. inferred types).
    pub warnings: Vec<String>,
    /// One summary per column, computed once at load: the dataset page shows it in
    /// every language, and a column may hold a million values.
    pub summaries: Vec<ColumnStats>,
    /// A hash of the CSV and metadata bytes, everything the dataset is parsed from besides its
    /// id (serve's key for the parsed dataset and for the pages of its rows).
    pub fingerprint: u64,
}

/// What a dataset page says about one column, before it is formatted for a language.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnStats {
    /// A numeric column with at least one value.
    Numeric {
        /// Values present.
        n: usize,
        /// Smallest value.
        min: f64,
        /// Arithmetic mean.
        mean: f64,
        /// Largest value.
        max: f64,
        /// Empty or missing cells.
        missing: usize,
    },
    /// Any other column: how many distinct values it holds.
    Categorical {
        /// Distinct non-missing values.
        distinct: usize,
        /// Empty or missing cells.
        missing: usize,
    },
}

impl ColumnStats {
    /// Summarise a column: one pass for a numeric column, a hash set of distinct values for
    /// any other.
    pub fn of(c: &bilim_stats::dataset::Column) -> ColumnStats {
        use bilim_stats::dataset::Value as Cell;
        use std::borrow::Cow;
        let missing = c.values.iter().filter(|v| v.is_missing()).count();
        if c.ty.is_numeric() {
            // Summed in row order from -0.0, as `Iterator::sum` does.
            let (n, min, max, sum) = c.values.iter().filter_map(Cell::as_f64).fold(
                (0usize, f64::INFINITY, f64::NEG_INFINITY, -0.0),
                |(n, lo, hi, sum), x| (n + 1, lo.min(x), hi.max(x), sum + x),
            );
            if n > 0 {
                return ColumnStats::Numeric {
                    n,
                    min,
                    mean: sum / n as f64,
                    max,
                    missing,
                };
            }
        }
        // Text and dates are borrowed, so a million-row column allocates only the set.
        let distinct: std::collections::HashSet<Cow<'_, str>> = c
            .values
            .iter()
            .filter(|v| !v.is_missing())
            .map(|v| match v {
                Cell::Text(s) | Cell::Date(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            })
            .collect();
        ColumnStats::Categorical {
            distinct: distinct.len(),
            missing,
        }
    }
}

impl Datasets {
    /// Load every `data/<id>.csv` (with `data/<id>.toml` when present).
    pub fn load(root: &Path, memo: Option<&crate::incremental::Memo>) -> Result<Datasets> {
        let dir = root.join("data");
        let mut ids = Vec::new();
        let mut diags = Diagnostics::default();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in &names {
                let rel = PathBuf::from("data").join(name);
                if let Some(id) = name.strip_suffix(".csv") {
                    if !crate::content::is_slug(id) {
                        diags.push(
                            Diagnostic::file(&rel, format!("`{id}` is not a valid dataset id"))
                                .hint(
                                    "rename the file using lowercase letters, digits and hyphens",
                                ),
                        );
                        continue;
                    }
                    if std::fs::symlink_metadata(dir.join(name))
                        .is_ok_and(|m| m.file_type().is_symlink())
                    {
                        diags.push(
                            Diagnostic::file(&rel, "symbolic links are not followed in data/")
                                .hint("replace the link with the file itself"),
                        );
                        continue;
                    }
                    ids.push(id.to_string());
                } else if let Some(id) = name.strip_suffix(".toml") {
                    if !names.contains(&format!("{id}.csv")) {
                        diags.push(
                            Diagnostic::file(
                                &rel,
                                format!("metadata without data: there is no data/{id}.csv"),
                            )
                            .hint("add the CSV or remove the .toml"),
                        );
                    }
                }
            }
        }
        let loaded: Vec<(String, Result<DatasetEntry>)> = ids
            .into_par_iter()
            .map(|id| {
                let r = load_one(&dir, &id, memo);
                (id, r)
            })
            .collect();
        let mut map = BTreeMap::new();
        for (id, r) in loaded {
            if let Some(e) = diags.collect(r)? {
                map.insert(id, e);
            }
        }
        std::mem::take(&mut diags).finish()?;
        Ok(Datasets { map })
    }

    /// Whether a dataset exists.
    pub fn contains(&self, id: &str) -> bool {
        self.map.contains_key(id)
    }

    /// Number of datasets.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A dataset's title.
    pub fn title(&self, id: &str) -> Option<&str> {
        self.map.get(id).map(|e| e.data.meta.title.as_str())
    }

    /// A dataset.
    pub fn get(&self, id: &str) -> Option<&DatasetEntry> {
        self.map.get(id)
    }

    /// Every dataset in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &DatasetEntry)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The pages of each dataset's rows after the first: (id, dataset, page number from 2).
    pub fn later_row_pages(&self) -> impl Iterator<Item = (&str, &DatasetEntry, usize)> {
        self.iter()
            .flat_map(|(id, e)| (2..=row_pages(e.data.n_rows())).map(move |page| (id, e, page)))
    }

    fn lookup(&self, id: &str) -> Option<Arc<Dataset>> {
        self.map.get(id).map(|e| e.data.clone())
    }
}

/// A dataset as parsed from its files: what serve keeps between rebuilds.
#[derive(Debug)]
pub struct ParsedDataset {
    data: Arc<Dataset>,
    warnings: Vec<String>,
    summaries: Vec<ColumnStats>,
}

fn load_one(dir: &Path, id: &str, memo: Option<&crate::incremental::Memo>) -> Result<DatasetEntry> {
    let csv_rel = PathBuf::from("data").join(format!("{id}.csv"));
    let toml_rel = PathBuf::from("data").join(format!("{id}.toml"));
    let read_csv = |path: &Path| {
        std::fs::read(path)
            .map(crate::output::SharedText::from_bytes)
            .map_err(|e| {
                crate::error::Error::from(Diagnostic::file(&csv_rel, format!("cannot read: {e}")))
            })
    };
    let csv_path = dir.join(format!("{id}.csv"));
    let csv = match memo {
        Some(m) => m.file(&csv_path, read_csv)?,
        None => Arc::new(read_csv(&csv_path)?),
    };
    let toml_path = dir.join(format!("{id}.toml"));
    // read_text refuses a link out of the project and reports invalid UTF-8 at its position.
    let toml = if std::fs::symlink_metadata(&toml_path).is_ok() {
        Some(crate::content::read_text(&toml_path, &toml_rel)?)
    } else {
        None
    };
    let parse = || -> Result<ParsedDataset> {
        let (data, warnings) = bilim_stats::dataset::load(id, csv.as_bytes(), toml.as_deref())
            .map_err(|e| {
                let path = match e.file {
                    bilim_stats::dataset::DataFile::Csv => &csv_rel,
                    bilim_stats::dataset::DataFile::Toml => &toml_rel,
                };
                Diagnostic::at(path, e.line, e.column, e.message).hint(e.hint)
            })?;
        let summaries = data.columns.iter().map(ColumnStats::of).collect();
        Ok(ParsedDataset {
            data: Arc::new(data),
            warnings,
            summaries,
        })
    };
    let fingerprint = crate::incremental::hash_of(&(csv.hash(), &toml));
    let parsed = match memo {
        // Parsing a million-row CSV costs far more than hashing its bytes.
        Some(m) => m.dataset(id, fingerprint, parse)?,
        None => Arc::new(parse()?),
    };
    Ok(DatasetEntry {
        data: parsed.data.clone(),
        csv,
        warnings: parsed.warnings.clone(),
        summaries: parsed.summaries.clone(),
        fingerprint,
    })
}

/// Where a directive appears.
#[derive(Debug, Clone)]
struct Placement {
    doc: PathBuf,
    lang: Lang,
    /// Page path relative to the language root, e.g. `articles/x/`.
    page: String,
    /// 1-based number among the tables (or figures) of that document.
    number: usize,
    caption: String,
    digits: Option<u32>,
    /// Column labels given in this block (its language).
    labels: BTreeMap<String, String>,
}

/// One computed table.
#[derive(Debug)]
pub struct TableEntry {
    /// The parsed directive (the defining one).
    pub spec: TableSpec,
    /// The result.
    pub table: ComputedTable,
    /// Results of its `[[expect]]` entries.
    pub checks: Vec<CheckResult>,
    home: Placement,
    placements: Vec<Placement>,
    dataset_sha256: String,
}

/// One chart.
#[derive(Debug)]
struct ChartEntry {
    spec: ChartSpec,
    data: ChartData,
    kind: ChartKind,
    /// The dataset whose column labels name the axes and series.
    label_dataset: Option<String>,
    home: Placement,
    placements: Vec<Placement>,
}

/// Everything the directives produced.
#[derive(Debug, Default)]
pub struct Computed {
    tables: BTreeMap<String, TableEntry>,
    charts: BTreeMap<String, ChartEntry>,
    /// Per document: the rendered HTML of each directive, in order.
    html: HashMap<PathBuf, Vec<String>>,
    /// Per document: the ids its directives show, in order (for same-page cross-references).
    ids: HashMap<PathBuf, Vec<String>>,
}

/// A directive parsed but not yet computed.
enum Parsed {
    Table(Box<TableSpec>),
    Chart(Box<ChartSpec>),
}

fn doc_list(p: &Project) -> Vec<(&crate::content::Document, String)> {
    let mut out = Vec::new();
    for a in &p.content.articles {
        for v in a.versions.values() {
            out.push((&v.doc, format!("articles/{}/", a.slug)));
        }
    }
    for page in &p.content.pages {
        for (_, d) in page.versions.values() {
            out.push((d, format!("{}/", page.name)));
        }
    }
    out
}

fn block_diag(
    block: &DirectiveBlock,
    line: usize,
    col: usize,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Diagnostic {
    let line = if line == 0 { 1 } else { line };
    Diagnostic::at(&block.path, block.line_offset + line, col, message).hint(hint)
}

/// Line (1-based, within the block) where `key` is assigned, for errors about a parameter.
fn key_line(source: &str, key: &str) -> usize {
    let top = key.split('.').next().unwrap_or(key);
    source
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(top) && t[top.len()..].trim_start().starts_with('=')
        })
        .map_or(1, |i| i + 1)
}

fn parse_block(block: &DirectiveBlock) -> Result<Parsed> {
    match block.kind {
        DirectiveKind::Table => {
            let spec = TableSpec::parse(&block.source)
                .map_err(|e| block_diag(block, e.line, e.col, e.message, e.hint))?;
            if let Some(d) = spec.dataset.as_deref() {
                let (line, col) = spec
                    .key_position("dataset")
                    .unwrap_or((key_line(&block.source, "dataset"), 1));
                check_dataset_id(block, d, line, col)?;
            }
            Ok(Parsed::Table(Box::new(spec)))
        }
        DirectiveKind::Chart => {
            let spec: ChartSpec = toml::from_str(&block.source).map_err(|e| {
                crate::config::toml_diagnostic(&block.path, &block.source, &e)
                    .shifted(block.line_offset)
            })?;
            if let Some(d) = spec.dataset.as_deref() {
                check_dataset_id(block, d, key_line(&block.source, "dataset"), 1)?;
            }
            if !spec.id.starts_with("fig-")
                || !crate::content::is_slug(&spec.id)
                || spec.id.len() > 100
            {
                return Err(block_diag(
                    block,
                    key_line(&block.source, "id"),
                    1,
                    format!(
                        "chart id `{}` must start with `fig-` and be a slug of at most 100 characters",
                        spec.id
                    ),
                    "write e.g. id = \"fig-hai-2024\"",
                )
                .into());
            }
            Ok(Parsed::Chart(Box::new(spec)))
        }
    }
}

/// A directive names a dataset by id, never by path: `dataset = "../../etc/passwd"` is an error.
fn check_dataset_id(block: &DirectiveBlock, id: &str, line: usize, col: usize) -> Result<()> {
    if crate::content::is_slug(id) {
        return Ok(());
    }
    Err(block_diag(
        block,
        line,
        col,
        format!("`{id}` is not a dataset id"),
        "dataset ids are slugs (lowercase a-z, 0-9, -) naming data/<id>.csv; paths are not allowed",
    )
    .into())
}

/// The `id = "…"` of a block that failed to parse, so that its translations are not reported
/// as referring to an undefined id as well.
fn id_of_broken_block(source: &str) -> Option<String> {
    source.lines().find_map(|l| {
        let rest = l
            .trim_start()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?;
        let v = rest.trim().strip_prefix('"')?;
        Some(v[..v.find('"')?].to_string())
    })
}

/// `[[expect]]` entries that name a row, column or statistic the table does not have (or whose
/// value is missing) cannot be checked: an error at the entry.
fn unverifiable_checks(block: &DirectiveBlock, id: &str, checks: &[CheckResult]) -> Result<()> {
    let mut diags = Diagnostics::default();
    for c in checks {
        if let CheckStatus::Missing(why) = &c.status {
            diags.push(block_diag(
                block,
                c.line,
                1,
                format!("{id}: this [[expect]] cannot be checked: {why}"),
                "name a row (value of the first column), column or statistic the table has, or remove the [[expect]]",
            ));
        }
    }
    diags.finish()
}

/// Run every directive of the project.
pub fn compute(p: &Project) -> Result<Computed> {
    let mut diags = Diagnostics::default();
    // 1. Parse every block, in document order.
    let mut blocks: Vec<(DirectiveBlock, Parsed, Placement)> = Vec::new();
    let mut broken: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (doc, page) in doc_list(p) {
        let (mut nt, mut nf) = (0, 0);
        for block in extract_directives(doc) {
            let Some(parsed) = diags.collect(parse_block(&block))? else {
                broken.extend(id_of_broken_block(&block.source));
                continue;
            };
            let (number, caption, digits, labels) = match &parsed {
                Parsed::Table(s) => {
                    nt += 1;
                    (nt, s.caption.clone(), s.digits, s.labels.clone())
                }
                Parsed::Chart(c) => {
                    nf += 1;
                    (nf, c.caption.clone(), None, BTreeMap::new())
                }
            };
            let placement = Placement {
                doc: doc.path.clone(),
                lang: doc.lang,
                page: page.clone(),
                number,
                caption,
                digits,
                labels,
            };
            blocks.push((block, parsed, placement));
        }
    }
    // 2. Find the defining block of every id; reject duplicates.
    let mut table_defs: BTreeMap<String, usize> = BTreeMap::new();
    let mut chart_defs: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (block, parsed, _)) in blocks.iter().enumerate() {
        let (id, is_ref, defs) = match parsed {
            Parsed::Table(s) => (s.id.clone(), s.is_reference(), &mut table_defs),
            Parsed::Chart(c) => (c.id.clone(), c.is_reference(), &mut chart_defs),
        };
        if is_ref {
            continue;
        }
        if let Some(&first) = defs.get(&id) {
            let (fb, _, _) = &blocks[first];
            diags.push(block_diag(
                block,
                key_line(&block.source, "id"),
                1,
                format!(
                    "`{id}` is already defined at {}:{}",
                    fb.path.display(),
                    fb.line_offset + 1
                ),
                "give every table and chart its own id (translations repeat only id and caption)",
            ));
        } else {
            defs.insert(id, i);
        }
    }
    for (block, parsed, placement) in &blocks {
        let (id, is_ref, known) = match parsed {
            Parsed::Table(s) => (&s.id, s.is_reference(), table_defs.contains_key(&s.id)),
            Parsed::Chart(c) => (&c.id, c.is_reference(), chart_defs.contains_key(&c.id)),
        };
        if is_ref && !known && !broken.contains(id) {
            diags.push(block_diag(block, key_line(&block.source, "id"), 1, format!("`{id}` is not defined anywhere"), "define the table in the English version (index.md) with dataset and op, or fix the id"));
        }
        let _ = placement;
    }
    std::mem::take(&mut diags).finish()?;
    // 3. Compute the tables in parallel.
    let lookup = |id: &str| p.datasets.lookup(id);
    type Outcome = Result<(ComputedTable, Vec<CheckResult>)>;
    let results: Vec<(String, Outcome)> = table_defs
        .par_iter()
        .map(|(id, &i)| {
            let (block, parsed, _) = &blocks[i];
            let Parsed::Table(spec) = parsed else {
                unreachable_table()
            };
            let r = cache::compute(&p.root, spec, &p.datasets, &lookup)
                .map_err(|e| {
                    let (line, col) = e
                        .key
                        .as_deref()
                        .and_then(|k| spec.key_position(k))
                        .unwrap_or((1, 1));
                    block_diag(
                        block,
                        line,
                        col,
                        format!("{}: {}", spec.id, e.message),
                        e.hint,
                    )
                    .into()
                })
                .and_then(|t| {
                    let checks = bilim_stats::table::run_checks(spec, &t);
                    unverifiable_checks(block, &spec.id, &checks)?;
                    Ok((t, checks))
                });
            (id.clone(), r)
        })
        .collect();
    let mut computed = Computed::default();
    for (id, r) in results {
        let Some((table, checks)) = diags.collect(r)? else {
            continue;
        };
        let i = table_defs[&id];
        let (_, parsed, home) = &blocks[i];
        let Parsed::Table(spec) = parsed else {
            continue;
        };
        let dataset_sha256 = spec
            .dataset
            .as_deref()
            .and_then(|d| p.datasets.get(d))
            .map(|d| d.data.sha256.clone())
            .unwrap_or_default();
        computed.tables.insert(
            id.clone(),
            TableEntry {
                spec: (**spec).clone(),
                table,
                checks,
                home: home.clone(),
                placements: Vec::new(),
                dataset_sha256,
            },
        );
    }
    // 4. Resolve chart data.
    for (id, &i) in &chart_defs {
        let (block, parsed, home) = &blocks[i];
        let Parsed::Chart(spec) = parsed else {
            continue;
        };
        match chart_data(spec, p, &computed) {
            Ok((kind, data, label_dataset)) => {
                computed.charts.insert(
                    id.clone(),
                    ChartEntry {
                        spec: (**spec).clone(),
                        data,
                        kind,
                        label_dataset,
                        home: home.clone(),
                        placements: Vec::new(),
                    },
                );
            }
            Err((key, msg, hint)) => diags.push(block_diag(
                block,
                key_line(&block.source, key),
                1,
                format!("{id}: {msg}"),
                hint,
            )),
        }
    }
    std::mem::take(&mut diags).finish()?;
    // 5. Record placements and render every block in its page's language.
    for (_, parsed, placement) in &blocks {
        let id = match parsed {
            Parsed::Table(s) => &s.id,
            Parsed::Chart(c) => &c.id,
        };
        computed
            .ids
            .entry(placement.doc.clone())
            .or_default()
            .push(id.clone());
        if let Some(t) = computed.tables.get_mut(id) {
            t.placements.push(placement.clone());
        } else if let Some(c) = computed.charts.get_mut(id) {
            c.placements.push(placement.clone());
        }
    }
    let base = p.config.base_path();
    let i18n = &p.theme.i18n;
    let mut html: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for (_, parsed, placement) in &blocks {
        let h = match parsed {
            Parsed::Table(s) => computed
                .tables
                .get(&s.id)
                .map(|t| table_html(t, placement, p, i18n, &base)),
            Parsed::Chart(c) => computed
                .charts
                .get(&c.id)
                .map(|ch| chart_html(ch, placement, p, i18n, &base)),
        };
        html.entry(placement.doc.clone())
            .or_default()
            .push(h.unwrap_or_default());
    }
    computed.html = html;
    Ok(computed)
}

fn op_name(spec: &TableSpec) -> &'static str {
    spec.op_name().unwrap_or("reference")
}

fn unreachable_table() -> ! {
    // table_defs only ever holds indexes of table blocks (see step 2).
    panic!("internal invariant: a table definition index points at a chart")
}

type ChartErr = (&'static str, String, String);

fn chart_data(
    spec: &ChartSpec,
    p: &Project,
    computed: &Computed,
) -> std::result::Result<(ChartKind, ChartData, Option<String>), ChartErr> {
    let kind = spec.kind.ok_or((
        "kind",
        "the chart has no `kind`".to_string(),
        "add kind = \"bar\", \"line\" or \"scatter\"".to_string(),
    ))?;
    let x = spec.x.clone().ok_or((
        "x",
        "the chart has no `x` column".to_string(),
        "add x = \"<column>\"".to_string(),
    ))?;
    let series = spec.series();
    if series.is_empty() {
        return Err((
            "y",
            "the chart has no `y` series".into(),
            "add y = [\"<column>\", …]".into(),
        ));
    }
    // Columns as (name → values as text / numbers).
    let (cols, label_dataset): (Vec<(String, Vec<Cell>)>, Option<String>) =
        match (&spec.dataset, &spec.table) {
            (Some(d), None) => {
                let e = p.datasets.get(d).ok_or((
                    "dataset",
                    format!("unknown dataset `{d}`"),
                    "datasets are data/<id>.csv; fix the id".to_string(),
                ))?;
                let cols = e
                    .data
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.values.iter().map(value_to_cell).collect()))
                    .collect();
                (cols, Some(d.clone()))
            }
            (None, Some(t)) => {
                let entry = computed.tables.get(t).ok_or((
                    "table",
                    format!("unknown table `{t}`"),
                    "name a table defined with {table}".to_string(),
                ))?;
                let cols = entry
                    .table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(j, name)| {
                        (
                            name.clone(),
                            entry
                                .table
                                .rows
                                .iter()
                                .map(|r| r.get(j).cloned().unwrap_or(Cell::Missing))
                                .collect(),
                        )
                    })
                    .collect();
                (cols, entry.spec.dataset.clone())
            }
            _ => {
                return Err((
                    "dataset",
                    "a chart needs exactly one of `dataset` or `table`".into(),
                    "write dataset = \"…\" or table = \"tbl-…\"".into(),
                ))
            }
        };
    let find = |name: &str, key: &'static str| -> std::result::Result<&Vec<Cell>, ChartErr> {
        cols.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                let known: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
                (
                    key,
                    format!("unknown column `{name}`"),
                    format!("available columns: {}", known.join(", ")),
                )
            })
    };
    let xs = find(&x, "x")?;
    let x_text: Vec<String> = xs.iter().map(cell_text).collect();
    let x_num: Option<Vec<f64>> = xs.iter().map(cell_f64).collect();
    if kind == ChartKind::Scatter && x_num.is_none() {
        return Err((
            "x",
            format!("a scatter plot needs a numeric x, and `{x}` is not numeric"),
            "use a bar or line chart for categories".into(),
        ));
    }
    let mut out_series = Vec::new();
    for s in &series {
        let vals = find(s, "y")?;
        let nums: Vec<Option<f64>> = vals.iter().map(cell_f64).collect();
        if nums.iter().all(Option::is_none) {
            return Err((
                "y",
                format!("column `{s}` has no numbers to plot"),
                "choose a numeric column".into(),
            ));
        }
        out_series.push((s.clone(), nums));
    }
    Ok((
        kind,
        ChartData {
            x: x_text,
            x_num,
            series: out_series,
        },
        label_dataset,
    ))
}

fn value_to_cell(v: &bilim_stats::dataset::Value) -> Cell {
    use bilim_stats::dataset::Value as V;
    match v {
        V::Missing => Cell::Missing,
        V::Integer(i) => Cell::Integer(*i),
        V::Number(x) => Cell::Number(*x),
        V::Boolean(b) => Cell::Text(b.to_string()),
        V::Text(s) | V::Date(s) => Cell::Text(s.clone()),
    }
}

fn cell_f64(c: &Cell) -> Option<f64> {
    match c {
        Cell::Number(x) if x.is_finite() => Some(*x),
        Cell::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Number(x) => format!("{x}"),
        Cell::Integer(i) => i.to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Missing => String::new(),
    }
}

/// Columns whose values are p-values, shown as `< 0.001`.
fn is_p_column(name: &str) -> bool {
    name == "p" || name == "f_p" || name.starts_with("p_") || name.ends_with("_p")
}

/// How many decimals a column gets: the directive's `digits`, else none for whole numbers and
/// two otherwise.
fn column_digits(table: &ComputedTable, j: usize, digits: Option<u32>) -> usize {
    if let Some(d) = digits {
        return d as usize;
    }
    let all_whole = table.rows.iter().all(|r| match r.get(j) {
        Some(Cell::Number(x)) => x.fract() == 0.0 && x.abs() < 1e15,
        _ => true,
    });
    if all_whole {
        0
    } else {
        2
    }
}

/// Whether a column holds years or other labels that must not get thousands separators.
fn is_plain_column(name: &str, j: usize) -> bool {
    j == 0 || name.contains("year") || name.contains("period") || name == "time"
}

/// Format a cell for display in a language.
fn format_cell(c: &Cell, digits: usize, p_col: bool, plain: bool, lang: Lang) -> String {
    match c {
        Cell::Integer(i) if plain => crate::i18n::format_plain(*i as f64, 0, lang),
        Cell::Number(x) if plain && !p_col => crate::i18n::format_plain(*x, digits, lang),
        Cell::Number(x) if p_col && *x < 0.001 && *x >= 0.0 => {
            format!("< {}", format_number(0.001, 3, lang))
        }
        Cell::Number(x) if p_col => format_number(*x, 3, lang),
        Cell::Number(x) => format_number(*x, digits, lang),
        Cell::Integer(i) => crate::i18n::format_int(*i, lang),
        Cell::Text(s) => s.clone(),
        Cell::Missing => "–".into(),
    }
}

/// The label of an output column in a language: the directive's own `labels` (written in the
/// page's language), then the theme's names for standard statistics (`col_mean`, …), then the
/// dataset's column label, then the column name itself.
fn column_label(
    p: &Project,
    dataset: Option<&str>,
    name: &str,
    lang: Lang,
    labels: &BTreeMap<String, String>,
) -> String {
    if let Some(l) = labels.get(name) {
        return l.clone();
    }
    let key = format!("col_{name}");
    if let Some(l) = p.theme.i18n.strings(lang).get(&key) {
        return l.clone();
    }
    // `growth` names its columns <column>_change and <column>_pct_change.
    for (suffix, key) in [("_pct_change", "col_pct_change"), ("_change", "col_change")] {
        if let Some(base) = name.strip_suffix(suffix) {
            let base_label = column_label(p, dataset, base, lang, labels);
            return format!("{base_label}: {}", p.theme.i18n.get(lang, key));
        }
    }
    dataset
        .and_then(|d| p.datasets.get(d))
        .and_then(|d| d.data.meta.columns.iter().find(|c| c.name == name))
        .and_then(|c| c.label.get(lang.code()).or_else(|| c.label.get("en")))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

fn check_for<'a>(checks: &'a [CheckResult], row: &str, col: &str) -> Option<&'a CheckResult> {
    checks
        .iter()
        .find(|c| c.row.as_deref() == Some(row) && c.column.as_deref() == Some(col))
}

fn check_mark(c: &CheckResult, i18n: &I18n, lang: Lang) -> String {
    let printed = format!("{}", c.printed);
    match c.status {
        CheckStatus::Match => format!(" <span class=\"check-ok\" title=\"{} ({} {})\" aria-label=\"{}\">✓</span>", escape_attr(i18n.get(lang, "check_match")), escape_attr(i18n.get(lang, "printed")), escape_attr(&printed), escape_attr(i18n.get(lang, "check_match"))),
        CheckStatus::Mismatch => format!(
            " <span class=\"check-bad\" aria-hidden=\"true\">≠</span><span class=\"discrepancy\">{}: {}; {}: {}</span>",
            escape_text(i18n.get(lang, "printed")),
            escape_text(&printed),
            escape_text(i18n.get(lang, "computed")),
            escape_text(&c.computed.map_or("–".into(), |x| format_number(x, decimals_of(&printed) + 2, lang)))
        ),
        _ => format!(" <span class=\"check-bad\">?</span><span class=\"discrepancy\">{}</span>", escape_text(i18n.get(lang, "check_missing"))),
    }
}

fn decimals_of(printed: &str) -> usize {
    printed.split_once('.').map_or(0, |(_, f)| f.len())
}

/// The `<table>` element of a computed table (shared by pages and the table's own page).
fn table_element(e: &TableEntry, p: &Project, placement: &Placement, i18n: &I18n) -> String {
    let lang = placement.lang;
    let digits = placement.digits.or(e.spec.digits);
    let t = &e.table;
    let ds = e.spec.dataset.as_deref();
    let mut s = format!(
        "<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-labelledby=\"{}-cap\"><table><thead><tr>",
        escape_attr(&e.spec.id)
    );
    let p_idx = t.columns.iter().position(|c| c == "p");
    for (j, c) in t.columns.iter().enumerate() {
        let class = if j == 0 { "" } else { " class=\"num\"" };
        let _ = write!(
            s,
            "<th scope=\"col\"{class}>{}</th>",
            escape_text(&column_label(p, ds, c, lang, &placement.labels))
        );
    }
    s.push_str("</tr></thead><tbody>");
    let col_digits: Vec<usize> = (0..t.columns.len())
        .map(|j| column_digits(t, j, digits))
        .collect();
    for row in &t.rows {
        s.push_str("<tr>");
        let key = row.first().map(cell_text).unwrap_or_default();
        for (j, cell) in row.iter().enumerate() {
            let name = &t.columns[j];
            let mut text = escape_text(&format_cell(
                cell,
                col_digits[j],
                is_p_column(name),
                is_plain_column(name, j),
                lang,
            ));
            if e.spec.stars && name == "estimate" {
                if let Some(Cell::Number(pv)) = p_idx.and_then(|pi| row.get(pi)) {
                    text.push_str(bilim_stats::table::stars(*pv));
                }
            }
            let check = check_for(&e.checks, &key, name);
            if let Some(c) = check {
                text.push_str(&check_mark(c, i18n, lang));
            }
            let mismatch = check.is_some_and(|c| c.status == CheckStatus::Mismatch);
            if j == 0 {
                let _ = write!(s, "<th scope=\"row\">{text}</th>");
            } else {
                let cls = if mismatch { "num mismatch" } else { "num" };
                let _ = write!(s, "<td class=\"{cls}\">{text}</td>");
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// The display name of a summary statistic: symbols are the same in every language; the few
/// names that are words come from the theme (`stat_<name>`).
fn stat_label(p: &Project, e: &TableEntry, k: &str, lang: Lang) -> String {
    let symbol = match k {
        "r2" => "R²",
        "adj_r2" => "R²adj",
        "f" => "F",
        "f_p" | "p" => "p",
        "chi2" => "χ²",
        "cramers_v" => "Cramér's V",
        "eta2" => "η²",
        "rmse" => "RMSE",
        "df" => "df",
        "df_model" => "df₁",
        "df_resid" | "df_within" => "df₂",
        "df_between" => "df₁",
        "se" => "SE",
        "mu" => "μ₀",
        _ => "",
    };
    if !symbol.is_empty() {
        return symbol.to_string();
    }
    if let Some(col) = k.strip_prefix("cagr_") {
        let label = column_label(p, e.spec.dataset.as_deref(), col, lang, &BTreeMap::new());
        return format!("{} ({label}), %", p.theme.i18n.get(lang, "stat_cagr"));
    }
    p.theme
        .i18n
        .strings(lang)
        .get(&format!("stat_{k}"))
        .cloned()
        .unwrap_or_else(|| k.to_string())
}

fn stats_line(e: &TableEntry, p: &Project, lang: Lang, i18n: &I18n) -> String {
    let mut parts = Vec::new();
    for (k, v) in &e.table.stats {
        let Some(x) = v.as_f64() else { continue };
        let digits = if k == "n" || k.starts_with("df") {
            0
        } else {
            3
        };
        let name = escape_text(&stat_label(p, e, k, lang));
        let mut text = if is_p_column(k) && x < 0.001 {
            format!("{name} < {}", format_number(0.001, 3, lang))
        } else {
            format!("{name} = {}", format_number(x, digits, lang))
        };
        if let Some(c) = e
            .checks
            .iter()
            .find(|c| c.stat.as_deref() == Some(k.as_str()))
        {
            text.push_str(&check_mark(c, i18n, lang));
        }
        parts.push(text);
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("<p class=\"table-stats\">{}</p>", parts.join("; "))
}

fn table_html(
    e: &TableEntry,
    placement: &Placement,
    p: &Project,
    i18n: &I18n,
    base: &str,
) -> String {
    let lang = placement.lang;
    let id = &e.spec.id;
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure class=\"computed computed-table\" id=\"{id}\" aria-labelledby=\"{id}-cap\"><figcaption id=\"{id}-cap\"><span class=\"fig-num\">{} {}.</span> {}</figcaption>",
        escape_text(i18n.get(lang, "table_label")),
        placement.number,
        escape_text(&placement.caption),
        id = escape_attr(id)
    );
    s.push_str(&table_element(e, p, placement, i18n));
    s.push_str(&stats_line(e, p, lang, i18n));
    s.push_str(&table_note(e, p, lang, i18n, base));
    s.push_str("</figure>");
    s
}

fn table_note(e: &TableEntry, p: &Project, lang: Lang, i18n: &I18n, base: &str) -> String {
    let mut s = String::from("<p class=\"table-note\">");
    if let Some(d) = &e.spec.dataset {
        let title = p.datasets.title(d).unwrap_or(d);
        let _ = write!(
            s,
            "{}: <a href=\"{base}{}datasets/{}/\">{}</a>. ",
            escape_text(i18n.get(lang, "table_source")),
            lang.prefix(),
            escape_attr(d),
            escape_text(title)
        );
    }
    let _ = write!(
        s,
        "{}: <code>{}</code>. ",
        escape_text(i18n.get(lang, "table_operation")),
        escape_text(op_name(&e.spec))
    );
    for n in &e.table.notes {
        let _ = write!(s, "{} ", escape_text(n));
    }
    let _ = write!(
        s,
        "<a href=\"{base}{}tables/{}/\">{}</a></p>",
        lang.prefix(),
        escape_attr(&e.spec.id),
        escape_text(i18n.get(lang, "table_permalink"))
    );
    s
}

fn chart_html(
    c: &ChartEntry,
    placement: &Placement,
    p: &Project,
    i18n: &I18n,
    base: &str,
) -> String {
    let lang = placement.lang;
    let id = &c.spec.id;
    // Series and axes are labelled in the page's language from the dataset's column labels.
    let ds = c.label_dataset.as_deref();
    let mut data = c.data.clone();
    for (name, _) in &mut data.series {
        *name = column_label(p, ds, name, lang, &placement.labels);
    }
    let x_col = c.spec.x.as_deref().unwrap_or("");
    let x_label = c
        .spec
        .x_label
        .clone()
        .unwrap_or_else(|| column_label(p, ds, x_col, lang, &placement.labels));
    let y_label = c
        .spec
        .y_label
        .clone()
        .unwrap_or_else(|| match data.series.as_slice() {
            [(only, _)] => only.clone(),
            _ => String::new(),
        });
    let svg = charts::render_svg(
        c.kind,
        &data,
        id,
        &placement.caption,
        &x_label,
        &y_label,
        lang,
    );
    let mut s = String::new();
    let _ = write!(
        s,
        "<figure class=\"computed chart-figure\" id=\"{}\"><figcaption><span class=\"fig-num\">{} {}.</span> {}</figcaption>{svg}{}",
        escape_attr(id),
        escape_text(i18n.get(lang, "figure_label")),
        placement.number,
        escape_text(&placement.caption),
        charts::legend_html(&data)
    );
    // The data behind the chart, for screen readers and anyone who wants the numbers.
    let _ = write!(s, "<details><summary>{}</summary><div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table><thead><tr><th scope=\"col\">{}</th>", escape_text(i18n.get(lang, "table_show_data")), escape_attr(&placement.caption), escape_text(&x_label));
    for (name, _) in &c.data.series {
        let _ = write!(
            s,
            "<th scope=\"col\" class=\"num\">{}</th>",
            escape_text(name)
        );
    }
    s.push_str("</tr></thead><tbody>");
    for (i, x) in data.x.iter().enumerate() {
        let _ = write!(s, "<tr><th scope=\"row\">{}</th>", escape_text(x));
        for (_, vals) in &data.series {
            let v = vals.get(i).copied().flatten();
            let _ = write!(
                s,
                "<td class=\"num\">{}</td>",
                v.map_or("–".into(), |v| format_number(v, 2, lang))
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div></details>");
    if let Some(src) = c.spec.dataset.as_deref() {
        let _ = write!(
            s,
            "<p class=\"table-note\">{}: <a href=\"{base}{}datasets/{}/\">{}</a></p>",
            escape_text(i18n.get(lang, "table_source")),
            lang.prefix(),
            escape_attr(src),
            escape_text(p.datasets.title(src).unwrap_or(src))
        );
    } else if let Some(t) = c.spec.table.as_deref() {
        let _ = write!(
            s,
            "<p class=\"table-note\">{}: <a href=\"{base}{}tables/{}/\">{}</a></p>",
            escape_text(i18n.get(lang, "table_source")),
            lang.prefix(),
            escape_attr(t),
            escape_text(t)
        );
    }
    s.push_str("</figure>");
    s
}

/// One part of the table, dataset and check pages of a language (see [`Computed::page_parts`]).
/// The pages of a dataset's rows after the first are not parts: they read only their dataset,
/// so serve reuses them by its fingerprint ([`Datasets::later_row_pages`], [`rows_job`]).
#[derive(Debug, Clone, Copy)]
pub enum PagePart<'c> {
    /// The datasets list and the checks page.
    Lists,
    /// A dataset's page (with its first rows).
    Dataset(&'c str, &'c DatasetEntry),
    /// A computed table's page.
    Table(&'c str, &'c TableEntry),
}

/// Counts of checks on one page, for its "Reproduction" section.
#[derive(Debug, Clone, Copy, Default, Hash, PartialEq, serde::Serialize)]
pub struct CheckCounts {
    /// All checks.
    pub total: usize,
    /// Matches.
    pub matched: usize,
    /// Mismatches (and unresolvable checks).
    pub mismatched: usize,
}

impl CheckCounts {
    fn add(&mut self, checks: &[CheckResult]) {
        for r in checks {
            self.total += 1;
            if r.status == CheckStatus::Match {
                self.matched += 1;
            } else {
                self.mismatched += 1;
            }
        }
    }
}

impl Computed {
    /// `key` combined with what a document's rendering reads of this document's directives:
    /// their HTML and the ids they show (incremental rebuilds, see [`crate::incremental`]).
    pub fn hash_doc_inputs(&self, doc: &Path, key: u64) -> u64 {
        crate::incremental::hash_of(&(key, self.html.get(doc), self.ids.get(doc)))
    }

    /// A hash of where every table and figure is shown, and under which number: what
    /// cross-references (`@tbl-…`) in any document resolve against.
    pub fn registry_hash(&self) -> u64 {
        let tables = self
            .tables
            .iter()
            .map(|(id, t)| (id, &t.home, &t.placements));
        let charts = self
            .charts
            .iter()
            .map(|(id, c)| (id, &c.home, &c.placements));
        crate::incremental::hash_of(&format!("{:?}", tables.chain(charts).collect::<Vec<_>>()))
    }

    /// The HTML that replaces the `index`-th directive of a document.
    pub fn directive_html(&self, doc: &Path, index: usize) -> Option<&str> {
        self.html.get(doc)?.get(index).map(String::as_str)
    }

    /// Label and URL for `@tbl-…`/`@fig-…` written in `doc`.
    pub fn cross_ref(
        &self,
        doc: &Path,
        id: &str,
        lang: Lang,
        i18n: &I18n,
        base: &str,
    ) -> Option<(String, String)> {
        let (label_key, placements, home) = if let Some(t) = self.tables.get(id) {
            ("table_label", &t.placements, &t.home)
        } else if let Some(c) = self.charts.get(id) {
            ("figure_label", &c.placements, &c.home)
        } else {
            return None;
        };
        let label = i18n.get(lang, label_key);
        if let Some(pl) = placements.iter().find(|pl| pl.doc == doc) {
            return Some((format!("{label} {}", pl.number), format!("#{id}")));
        }
        // On another page: prefer that page's version in the reader's language.
        let pl = placements
            .iter()
            .find(|pl| pl.page == home.page && pl.lang == lang)
            .unwrap_or(home);
        Some((
            format!("{label} {}", pl.number),
            format!("{base}{}{}#{id}", lang.prefix(), pl.page),
        ))
    }

    /// Number of computed tables.
    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    /// What search indexes of each computed table, in id order: (id, home page, dataset,
    /// caption per language that shows it, column names, notes).
    pub fn search_entries(&self) -> Vec<crate::search::TableText> {
        self.tables
            .iter()
            .map(|(id, t)| {
                let mut captions = BTreeMap::new();
                for pl in std::iter::once(&t.home).chain(&t.placements) {
                    captions
                        .entry(pl.lang)
                        .or_insert_with(|| pl.caption.clone());
                }
                crate::search::TableText {
                    id: id.clone(),
                    page: t.home.page.clone(),
                    dataset: t.spec.dataset.clone(),
                    captions,
                    columns: t.table.columns.clone(),
                    notes: t.table.notes.clone(),
                }
            })
            .collect()
    }

    /// (matched, mismatched) over the whole site.
    pub fn check_counts(&self) -> (usize, usize) {
        let all = self.tables.values().flat_map(|t| &t.checks);
        all.fold((0, 0), |(m, x), c| {
            if c.status == CheckStatus::Match {
                (m + 1, x)
            } else {
                (m, x + 1)
            }
        })
    }

    /// Check counts of the tables defined on a page.
    pub fn checks_for_page(&self, page: &str) -> CheckCounts {
        let mut c = CheckCounts::default();
        for t in self.tables.values().filter(|t| t.home.page == page) {
            c.add(&t.checks);
        }
        c
    }

    /// [`Self::checks_for_page`] of every page with checks, in one pass (a page absent here
    /// has none): asking page by page scans every table once per page.
    pub fn checks_by_page(&self) -> HashMap<&str, CheckCounts> {
        let mut out: HashMap<&str, CheckCounts> = HashMap::new();
        for t in self.tables.values() {
            out.entry(t.home.page.as_str()).or_default().add(&t.checks);
        }
        out
    }

    /// The pages of one part of the table, dataset and check pages in a language: (output
    /// path, template, context).
    pub fn page_jobs(
        &self,
        r: &SiteRender<'_>,
        lang: Lang,
        part: PagePart<'_>,
    ) -> Vec<(String, &'static str, Context)> {
        match part {
            PagePart::Lists => vec![datasets_job(r, lang), self.checks_job(r, lang)],
            PagePart::Dataset(id, e) => vec![(
                SiteRender::out_path(lang, &format!("datasets/{id}/")),
                "dataset.html",
                self.dataset_ctx(r, lang, id, e),
            )],
            PagePart::Table(id, t) => vec![(
                SiteRender::out_path(lang, &format!("tables/{id}/")),
                "table.html",
                self.table_ctx(r, lang, id, t),
            )],
        }
    }

    /// The path of a dataset's or table's page with a hash of what its context reads besides
    /// every page's site inputs ([`crate::pages`] keys serve's page reuse with them), or `None`
    /// for the lists, which are built every time. `source` gives the card inputs of the article
    /// that a bibliography key names (the page links to it and shows its title).
    pub fn part_inputs(
        &self,
        p: &Project,
        part: &PagePart<'_>,
        source: impl Fn(&str) -> Option<u64>,
    ) -> Option<(String, u64)> {
        use crate::incremental::hash_of;
        match *part {
            PagePart::Lists => None,
            PagePart::Dataset(id, e) => {
                let used_by: Vec<(&String, &str)> = self
                    .tables
                    .iter()
                    .filter(|(_, t)| t.spec.dataset.as_deref() == Some(id))
                    .map(|(tid, t)| (tid, t.spec.caption.as_str()))
                    .collect();
                let source = source(&e.data.meta.source);
                let key = hash_of(&("dataset", id, e.fingerprint, source, used_by));
                Some((format!("datasets/{id}/"), key))
            }
            PagePart::Table(id, t) => {
                // The dataset's labels and source citation show in the table and its "cite".
                let dataset = t.spec.dataset.as_deref().and_then(|d| p.datasets.get(d));
                let dataset = dataset.map(|e| (e.fingerprint, source(&e.data.meta.source)));
                // `TableEntry` holds floats (no `Hash`); its `Debug` text is exact and small.
                let key = hash_of(&("table", id, format!("{t:?}"), dataset));
                Some((format!("tables/{id}/"), key))
            }
        }
    }

    /// The independent parts of [`Self::page_jobs`] (the lists, each dataset, each table), so
    /// that their pages are built in parallel.
    pub fn page_parts<'c>(&'c self, p: &'c Project) -> Vec<PagePart<'c>> {
        let mut parts = vec![PagePart::Lists];
        parts.extend(p.datasets.iter().map(|(id, e)| PagePart::Dataset(id, e)));
        parts.extend(self.tables.iter().map(|(id, t)| PagePart::Table(id, t)));
        parts
    }

    /// The page of every check.
    fn checks_job(&self, r: &SiteRender<'_>, lang: Lang) -> (String, &'static str, Context) {
        let mut ctx = r.simple_ctx(lang, "checks/", "checks_title", "checks_intro");
        let rows: Vec<Value> = self
            .check_rows()
            .into_iter()
            .map(|c| {
                let page = c["page"].as_str().unwrap_or("").to_string();
                let mut c = c;
                c["page_url"] = json!(r.url(lang, &page));
                c["table_url"] = json!(r.url(
                    lang,
                    &format!("tables/{}/", c["table"].as_str().unwrap_or(""))
                ));
                c
            })
            .collect();
        let (m, x) = self.check_counts();
        ctx.insert("checks", &rows);
        ctx.insert("matched", &m);
        ctx.insert("mismatched", &x);
        (SiteRender::out_path(lang, "checks/"), "checks.html", ctx)
    }

    fn dataset_ctx(&self, r: &SiteRender<'_>, lang: Lang, id: &str, e: &DatasetEntry) -> Context {
        let p = r.p;
        let m = &e.data.meta;
        let path = format!("datasets/{id}/");
        let mut ctx = r.base_ctx(lang, &path, &m.title, &m.description, &Lang::ALL);
        let columns: Vec<Value> = e.data.columns.iter().zip(&e.summaries).map(|(c, stats)| {
            let cm = m.columns.iter().find(|x| x.name == c.name);
            json!({
                "name": c.name, "type": c.ty.as_str(),
                "label": cm.and_then(|x| x.label.get(lang.code()).or_else(|| x.label.get("en"))).cloned().unwrap_or_default(),
                "unit": cm.map(|x| x.unit.clone()).unwrap_or_default(),
                "summary": column_summary(stats, lang),
            })
        }).collect();
        let rows = data_rows(e, 0, lang);
        let source = p
            .content
            .articles
            .iter()
            .find(|a| a.meta.cite_key == m.source);
        let used_by: Vec<Value> = self.tables.iter().filter(|(_, t)| t.spec.dataset.as_deref() == Some(id)).map(|(tid, t)| json!({"id": tid, "caption": t.spec.caption, "url": r.url(lang, &format!("tables/{tid}/"))})).collect();
        ctx.insert("dataset", &json!({
            "id": id, "title": m.title, "description": m.description, "source_table": m.source_table,
            "source_page": m.source_page, "license": m.license, "notes": m.notes,
            "taken_from_text": matches!(m.taken_from, bilim_stats::dataset::TakenFrom::Text),
            "source": source.map(|a| json!({"title": a.versions.get(&lang).map_or(a.meta.title.clone(), |v| v.title.clone()), "url": r.url(lang, &format!("articles/{}/", a.slug))})),
            "source_reference": p.bibliography.reference_html(&m.source, crate::site::style_for(&p.config, lang), lang).unwrap_or_default(),
            "n_rows": e.data.n_rows(), "truncated": e.data.n_rows() > ROWS_PER_PAGE * MAX_ROW_PAGES,
            "pager": pager(r, lang, id, e.data.n_rows(), 1),
            "columns": columns, "rows": rows, "header": e.data.column_names(),
            "csv_url": r.url(Lang::En, &format!("{path}{id}.csv")), "datapackage_url": r.url(Lang::En, &format!("{path}datapackage.json")),
            "sha256": e.data.sha256, "used_by": used_by,
        }));
        ctx.insert("cite", &r.cite.dataset_block(p, lang, id, e));
        ctx.insert(
            "jsonld",
            &crate::render::json_for_script(&r.cite.dataset_jsonld(p, lang, id, e)),
        );
        ctx
    }

    fn table_ctx(&self, r: &SiteRender<'_>, lang: Lang, id: &str, t: &TableEntry) -> Context {
        let p = r.p;
        let path = format!("tables/{id}/");
        let placement = t
            .placements
            .iter()
            .find(|pl| pl.page == t.home.page && pl.lang == lang)
            .unwrap_or(&t.home);
        let mut ctx = r.base_ctx(lang, &path, &placement.caption, &t.spec.caption, &Lang::ALL);
        let i18n = &p.theme.i18n;
        let checks: Vec<Value> = t
            .checks
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .collect();
        ctx.insert("table", &json!({
            "id": id, "caption": placement.caption, "op": op_name(&t.spec),
            "html": table_element(t, p, placement, i18n),
            "stats_html": stats_line(t, p, lang, i18n),
            "notes": t.table.notes,
            "params": serde_json::to_string_pretty(&t.spec.params_json()).unwrap_or_default(),
            "dataset": t.spec.dataset, "dataset_title": t.spec.dataset.as_deref().and_then(|d| p.datasets.title(d)),
            "dataset_url": t.spec.dataset.as_deref().map(|d| r.url(lang, &format!("datasets/{d}/"))),
            "dataset_sha256": t.dataset_sha256,
            "page_url": r.url(lang, &placement.page), "page": placement.page,
            "checks": checks,
            "csv_url": r.url(Lang::En, &format!("{path}{id}.csv")), "json_url": r.url(Lang::En, &format!("{path}{id}.json")),
            "bib_url": r.url(Lang::En, &format!("{path}cite.bib")), "ris_url": r.url(Lang::En, &format!("{path}cite.ris")), "csl_url": r.url(Lang::En, &format!("{path}cite.json")),
        }));
        let cite = self.cite_ref(id, t);
        ctx.insert(
            "cite",
            &r.cite.table_block(p, lang, &cite, &placement.caption),
        );
        ctx.insert(
            "jsonld",
            &crate::render::json_for_script(&r.cite.table_jsonld(
                p,
                lang,
                &cite,
                &placement.caption,
                &t.table.columns,
            )),
        );
        ctx
    }

    /// A content hash identifying this version of a table: dataset hash + directive hash.
    fn table_version(&self, t: &TableEntry) -> String {
        crate::content::short_sha256(
            format!("{}:{}", t.dataset_sha256, t.spec.canonical_hash()).as_bytes(),
        )
    }

    /// What citing a table needs (`cite` owns the citation formats).
    fn cite_ref(&self, id: &str, t: &TableEntry) -> crate::cite::site::TableRef {
        crate::cite::site::TableRef {
            id: id.to_string(),
            caption: t.home.caption.clone(),
            dataset: t.spec.dataset.clone(),
            op: op_name(&t.spec).to_string(),
            version: self.table_version(t),
            page: t.home.page.clone(),
        }
    }

    /// Citation facts of every computed table, in id order.
    pub fn cite_refs(&self) -> Vec<crate::cite::site::TableRef> {
        self.tables
            .iter()
            .map(|(id, t)| self.cite_ref(id, t))
            .collect()
    }

    fn check_rows(&self) -> Vec<Value> {
        let mut rows = Vec::new();
        for (id, t) in &self.tables {
            for c in &t.checks {
                let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                v["table"] = json!(id);
                v["page"] = json!(t.home.page);
                rows.push(v);
            }
        }
        rows
    }

    /// Downloads and manifests: `tables/<id>/…`, `datasets/<id>/…`, `tables.json`, `checks.json`.
    pub fn write_files(&self, r: &SiteRender<'_>, files: &mut SiteFiles) -> Result<()> {
        let p = r.p;
        let mut manifest = Vec::new();
        for (id, t) in &self.tables {
            let dir = format!("tables/{id}/");
            files.add(format!("{dir}{id}.csv"), table_csv(&t.table));
            let json = json!({
                "id": id, "caption": t.spec.caption, "page": t.home.page,
                "columns": t.table.columns, "rows": t.table.rows, "stats": t.table.stats, "notes": t.table.notes,
                "provenance": {"dataset": t.spec.dataset, "dataset_sha256": t.dataset_sha256, "op": op_name(&t.spec), "params": t.spec.params_json(), "generator": concat!("bilim ", env!("CARGO_PKG_VERSION"))},
                "checks": t.checks,
            });
            files.add(format!("{dir}{id}.json"), pretty(&json));
            manifest.push(json!({"id": id, "caption": t.spec.caption, "page": t.home.page, "dataset": t.spec.dataset, "op": op_name(&t.spec), "url": r.abs_url(Lang::En, &dir)}));
        }
        files.add("tables.json", pretty(&Value::Array(manifest)));
        files.add("checks.json", pretty(&Value::Array(self.check_rows())));
        for (id, e) in p.datasets.iter() {
            let dir = format!("datasets/{id}/");
            files.add_shared(format!("{dir}{id}.csv"), e.csv.clone());
            files.add(
                format!("{dir}datapackage.json"),
                pretty(&datapackage(id, e, &p.config.license)),
            );
        }
        Ok(())
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Rows shown per page of a dataset's data.
const ROWS_PER_PAGE: usize = 200;
/// Pages of rows at most; larger datasets are read from the CSV download.
const MAX_ROW_PAGES: usize = 50;

fn row_pages(n: usize) -> usize {
    n.div_ceil(ROWS_PER_PAGE).clamp(1, MAX_ROW_PAGES)
}

/// The `page`-th (0-based) page of a dataset's rows, formatted for a language.
fn data_rows(e: &DatasetEntry, page: usize, lang: Lang) -> Vec<Vec<String>> {
    let start = page * ROWS_PER_PAGE;
    let end = (start + ROWS_PER_PAGE).min(e.data.n_rows());
    (start..end)
        .map(|i| {
            e.data
                .columns
                .iter()
                .map(|c| match c.values.get(i) {
                    Some(bilim_stats::dataset::Value::Number(x)) => {
                        format_number(*x, decimals_needed(*x), lang)
                    }
                    Some(bilim_stats::dataset::Value::Missing) | None => "–".into(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The datasets list, grouped by source article.
fn datasets_job(r: &SiteRender<'_>, lang: Lang) -> (String, &'static str, Context) {
    let p = r.p;
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let article_of = |key: &str| p.content.articles.iter().find(|a| a.meta.cite_key == key);
    for (id, e) in p.datasets.iter() {
        let m = &e.data.meta;
        let group = article_of(&m.source).map_or_else(
            || m.source.clone(),
            |a| {
                a.versions
                    .get(&lang)
                    .map_or(a.meta.title.clone(), |v| v.title.clone())
            },
        );
        groups.entry(group).or_default().push(json!({"id": id, "title": m.title, "url": r.url(lang, &format!("datasets/{id}/")), "rows": e.data.n_rows(), "source_table": m.source_table}));
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(g, list)| json!({"title": g, "datasets": list}))
        .collect();
    let mut ctx = r.simple_ctx(lang, "datasets/", "datasets_title", "datasets_intro");
    ctx.insert("groups", &groups);
    (
        SiteRender::out_path(lang, "datasets/"),
        "datasets.html",
        ctx,
    )
}

/// A page of a dataset's rows after the first: (output path, template, context).
pub fn rows_job(
    r: &SiteRender<'_>,
    lang: Lang,
    id: &str,
    e: &DatasetEntry,
    page: usize,
) -> (String, &'static str, Context) {
    let path = format!("datasets/{id}/rows/{page}/");
    let title = format!("{} ({page})", e.data.meta.title);
    let mut ctx = r.base_ctx(lang, &path, &title, &e.data.meta.description, &Lang::ALL);
    ctx.insert(
        "dataset",
        &json!({
            "id": id, "title": e.data.meta.title, "url": r.url(lang, &format!("datasets/{id}/")),
            "header": e.data.column_names(), "rows": data_rows(e, page - 1, lang),
            "n_rows": e.data.n_rows(), "pager": pager(r, lang, id, e.data.n_rows(), page),
            "csv_url": r.url(Lang::En, &format!("datasets/{id}/{id}.csv")),
        }),
    );
    (SiteRender::out_path(lang, &path), "dataset_rows.html", ctx)
}

/// Links to the pages of a dataset's rows (none when one page holds them all).
fn pager(r: &SiteRender<'_>, lang: Lang, id: &str, n: usize, current: usize) -> Vec<Value> {
    let pages = row_pages(n);
    if pages < 2 {
        return Vec::new();
    }
    (1..=pages)
        .map(|k| {
            let path = if k == 1 { format!("datasets/{id}/") } else { format!("datasets/{id}/rows/{k}/") };
            let first = (k - 1) * ROWS_PER_PAGE + 1;
            let last = (k * ROWS_PER_PAGE).min(n);
            json!({"n": k, "url": r.url(lang, &path), "current": k == current, "range": format!("{first}–{last}")})
        })
        .collect()
}

fn decimals_needed(x: f64) -> usize {
    let s = format!("{x}");
    s.split_once('.').map_or(0, |(_, f)| f.len().min(6))
}

fn column_summary(stats: &ColumnStats, lang: Lang) -> String {
    let missing_note = |missing: usize| {
        if missing > 0 {
            format!(", missing {missing}")
        } else {
            String::new()
        }
    };
    match *stats {
        ColumnStats::Numeric {
            n,
            min,
            mean,
            max,
            missing,
        } => format!(
            "n = {n}, min {}, mean {}, max {}{}",
            format_number(min, decimals_needed(min), lang),
            format_number(mean, 2, lang),
            format_number(max, decimals_needed(max), lang),
            missing_note(missing)
        ),
        ColumnStats::Categorical { distinct, missing } => {
            format!("{distinct} distinct{}", missing_note(missing))
        }
    }
}

fn table_csv(t: &ComputedTable) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&t.columns);
    for row in &t.rows {
        let _ = w.write_record(row.iter().map(|c| match c {
            Cell::Number(x) => format!("{x}"),
            other => cell_text(other),
        }));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn datapackage(id: &str, e: &DatasetEntry, site_license: &str) -> Value {
    let m = &e.data.meta;
    let d = &m.dialect;
    json!({
        "profile": "tabular-data-package",
        "name": id,
        "title": m.title,
        "description": m.description,
        "licenses": [{"name": if m.license.is_empty() { site_license } else { &m.license }}],
        "sources": [{"title": m.source, "path": format!("{} {}", m.source_table, m.source_page.clone().unwrap_or_default()).trim()}],
        "resources": [{
            "name": id, "path": format!("{id}.csv"), "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": d.encoding, "hash": format!("sha256:{}", e.data.sha256),
            "dialect": {"delimiter": d.delimiter, "quoteChar": d.quote, "header": true},
            "schema": {
                "fields": m.columns.iter().map(|c| {
                    let ty = match c.ty.as_str() { "integer" => "integer", "number" => "number", "boolean" => "boolean", "date" => "date", "year" => "year", _ => "string" };
                    let mut f = json!({"name": c.name, "type": ty, "title": c.label.get("en").cloned().unwrap_or_default()});
                    if ty == "number" && d.decimal != "." { f["decimalChar"] = json!(d.decimal); }
                    if (ty == "number" || ty == "integer") && !d.thousands.is_empty() { f["groupChar"] = json!(d.thousands); f["bareNumber"] = json!(true); }
                    if !c.unit.is_empty() { f["unit"] = json!(c.unit); }
                    f
                }).collect::<Vec<_>>(),
                "missingValues": d.missing,
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilim_stats::dataset::{Column, ColumnType, Value as Cell};

    fn column(ty: ColumnType, values: Vec<Cell>) -> Column {
        Column {
            name: "x".into(),
            ty,
            values,
        }
    }

    #[test]
    fn numeric_summary_skips_missing_cells() {
        let c = column(
            ColumnType::Number,
            vec![
                Cell::Number(2.5),
                Cell::Missing,
                Cell::Integer(-1),
                Cell::Number(7.0),
            ],
        );
        assert_eq!(
            ColumnStats::of(&c),
            ColumnStats::Numeric {
                n: 3,
                min: -1.0,
                mean: 8.5 / 3.0,
                max: 7.0,
                missing: 1
            }
        );
        assert_eq!(
            column_summary(&ColumnStats::of(&c), Lang::En),
            "n = 3, min \u{2212}1, mean 2.83, max 7, missing 1"
        );
    }

    #[test]
    fn text_summary_counts_distinct_values_once() {
        let c = column(
            ColumnType::String,
            ["Almaty", "Astana", "Almaty", "", "Shymkent", "Astana"]
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        Cell::Missing
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
        assert_eq!(
            ColumnStats::of(&c),
            ColumnStats::Categorical {
                distinct: 3,
                missing: 1
            }
        );
        assert_eq!(
            column_summary(&ColumnStats::of(&c), Lang::En),
            "3 distinct, missing 1"
        );
    }

    #[test]
    fn numeric_column_without_values_is_summarised_as_empty() {
        let c = column(ColumnType::Integer, vec![Cell::Missing, Cell::Missing]);
        assert_eq!(
            column_summary(&ColumnStats::of(&c), Lang::En),
            "0 distinct, missing 2"
        );
    }
}
