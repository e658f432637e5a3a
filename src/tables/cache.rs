//! The cache of computed tables, keyed by (dataset hash, directive hash, bilim-stats version).
//!
//! An unchanged table is not recomputed: within a process (`serve` rebuilds) the result comes from
//! memory; across processes from `<root>/.bilim-cache/tables/<key>.json`. Checks are not cached:
//! they are cheap and depend on the `[[expect]]` entries, which are part of the key anyway.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use bilim_stats::dataset::Dataset;
use bilim_stats::ops::OpError;
use bilim_stats::spec::TableSpec;
use bilim_stats::table::{Cell, ComputedTable};
use sha2::{Digest, Sha256};

use super::Datasets;

/// Entries kept in memory before the map is cleared (a long `serve` session stays bounded).
const MEMORY_LIMIT: usize = 4096;

fn memory() -> &'static Mutex<HashMap<String, Arc<ComputedTable>>> {
    static MEM: OnceLock<Mutex<HashMap<String, Arc<ComputedTable>>>> = OnceLock::new();
    MEM.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The cache key of a table: everything its result depends on.
pub fn key(spec: &TableSpec, datasets: &Datasets) -> String {
    let dataset_hash = spec
        .dataset
        .as_deref()
        .and_then(|d| datasets.get(d))
        .map_or("", |d| d.data.sha256.as_str());
    let h = Sha256::digest(format!(
        "{}\n{}\n{}",
        bilim_stats::VERSION,
        dataset_hash,
        spec.canonical_hash()
    ));
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compute a table, or take it from the cache.
pub fn compute(
    root: &Path,
    spec: &TableSpec,
    datasets: &Datasets,
    lookup: &(dyn Fn(&str) -> Option<Arc<Dataset>> + Sync),
) -> Result<ComputedTable, OpError> {
    let key = key(spec, datasets);
    if let Some(t) = memory().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok((*t).clone());
    }
    let file = root
        .join(".bilim-cache")
        .join("tables")
        .join(format!("{key}.json"));
    if let Some(t) = std::fs::read(&file).ok().and_then(|b| from_json(&b)) {
        remember(&key, &t);
        return Ok(t);
    }
    let t = bilim_stats::ops::compute(spec, lookup)?;
    remember(&key, &t);
    store(&file, &t);
    Ok(t)
}

fn remember(key: &str, t: &ComputedTable) {
    if let Ok(mut m) = memory().lock() {
        if m.len() >= MEMORY_LIMIT {
            m.clear();
        }
        m.insert(key.to_string(), Arc::new(t.clone()));
    }
}

/// Write the cache file atomically; a failure only costs a recomputation next time.
fn store(file: &Path, t: &ComputedTable) {
    let Some(dir) = file.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(json) = serde_json::to_vec(t) else {
        return;
    };
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, json).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}

fn from_json(bytes: &[u8]) -> Option<ComputedTable> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let columns: Vec<String> = v["columns"]
        .as_array()?
        .iter()
        .map(|c| c.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    let rows = v["rows"]
        .as_array()?
        .iter()
        .map(|r| {
            r.as_array()
                .map(|cells| cells.iter().map(cell).collect::<Vec<_>>())
        })
        .collect::<Option<Vec<_>>>()?;
    let stats = v["stats"].as_object()?.clone();
    let notes = v["notes"]
        .as_array()?
        .iter()
        .map(|n| n.as_str().map(str::to_string))
        .collect::<Option<_>>()?;
    Some(ComputedTable {
        columns,
        rows,
        stats,
        notes,
    })
}

/// JSON keeps integers and floats apart (`3` vs `3.0`), so cells round-trip exactly.
fn cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Number(n) if n.is_i64() => Cell::Integer(n.as_i64().unwrap_or_default()),
        serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
        serde_json::Value::String(s) => Cell::Text(s.clone()),
        _ => Cell::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_through_json() {
        let t = ComputedTable {
            columns: vec!["k".into(), "x".into()],
            rows: vec![
                vec![Cell::Text("a".into()), Cell::Number(3.0)],
                vec![Cell::Integer(2), Cell::Missing],
                vec![Cell::Number(0.1 + 0.2), Cell::Number(-1e-300)],
            ],
            stats: serde_json::Map::new(),
            notes: vec!["n".into()],
        };
        let back = from_json(&serde_json::to_vec(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
