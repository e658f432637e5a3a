//! The commands that answer from the sources: `cite`, `table`, `new article`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::SiteFiles;
use crate::site::{self, BuildOptions};

/// Build the site in memory (nothing is written) and return its files.
fn files(root: &Path) -> Result<SiteFiles> {
    Ok(site::build_files(&BuildOptions::new(root))?.0)
}

fn text(files: &SiteFiles, path: &str) -> Option<String> {
    files
        .get(path)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

/// `bilim cite ID --format F`: an article (slug), dataset or computed table (id), or `kb`.
pub fn cite(root: &Path, id: &str, format: &str) -> Result<String> {
    crate::cite::site::command(root, id, format)
}

/// `bilim table ID --format F`.
pub fn table(root: &Path, id: &str, format: &str) -> Result<String> {
    let files = files(root)?;
    let json = text(&files, &format!("tables/{id}/{id}.json")).ok_or_else(|| {
        Error::Other(format!(
            "no computed table `{id}`; `bilim check` lists problems, tables.json lists ids"
        ))
    })?;
    match format {
        "json" => Ok(json),
        "csv" => text(&files, &format!("tables/{id}/{id}.csv"))
            .ok_or_else(|| Error::Other("missing CSV".into())),
        _ => {
            let v: serde_json::Value =
                serde_json::from_str(&json).map_err(|e| Error::Other(e.to_string()))?;
            Ok(markdown_table(&v))
        }
    }
}

fn markdown_table(v: &serde_json::Value) -> String {
    let cols: Vec<String> = v["columns"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut s = format!(
        "**{}** ({})\n\n| {} |\n|{}|\n",
        v["caption"].as_str().unwrap_or(""),
        v["id"].as_str().unwrap_or(""),
        cols.join(" | "),
        cols.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in v["rows"].as_array().into_iter().flatten() {
        let cells: Vec<String> = row
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| match c {
                serde_json::Value::String(s) => s.replace('|', "\\|"),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .map_or_else(|| n.to_string(), |x| format!("{}", (x * 1e6).round() / 1e6)),
                other => other.to_string(),
            })
            .collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if let Some(stats) = v["stats"].as_object().filter(|m| !m.is_empty()) {
        s.push('\n');
        for (k, x) in stats {
            if let Some(x) = x.as_f64() {
                s.push_str(&format!("- {k} = {x}\n"));
            }
        }
    }
    s
}

/// `bilim new article SLUG`: write a scaffold; refuses to overwrite.
pub fn new_article(root: &Path, slug: &str) -> Result<PathBuf> {
    if !crate::content::is_slug(slug) {
        return Err(Error::Other(format!(
            "`{slug}` is not a valid slug: use lowercase letters, digits and hyphens"
        )));
    }
    let dir = root.join("content").join("articles").join(slug);
    let path = dir.join("index.md");
    if path.exists() {
        return Err(Error::Other(format!("{} already exists", path.display())));
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let today = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(crate::i18n::Date::from_unix)
        .unwrap_or(crate::i18n::Date::from_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        ));
    std::fs::write(&path, crate::content::scaffold_article(slug, &today.iso()))
        .map_err(|e| Error::io(&path, e))?;
    Ok(path)
}
