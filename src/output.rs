//! Writing the built site: into a staging directory beside the output, swapped in only when
//! the whole build succeeded, so a failed or killed build never leaves a half-written site.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// The files of a built site: path relative to the output root → bytes. A map keeps the output
/// order-independent and makes duplicate paths impossible.
#[derive(Debug, Default)]
pub struct SiteFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl SiteFiles {
    /// Add a file; a later file at the same path replaces the earlier one.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }

    /// Whether a path exists.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// A file's bytes.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Iterate over (path, bytes) in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Merge another set of files into this one.
    pub fn extend(&mut self, other: SiteFiles) {
        self.files.extend(other.files);
    }

    /// Write every file into `out`, atomically replacing its previous content.
    pub fn write_atomically(&self, out: &Path) -> Result<()> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let name = out
            .file_name()
            .map_or("public".into(), |n| n.to_string_lossy().into_owned());
        clean_stale(parent, &name);
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let result = self
            .write_into(&staging)
            .and_then(|()| swap_in(&staging, out));
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    fn write_into(&self, dir: &Path) -> Result<()> {
        let dirs: std::collections::BTreeSet<PathBuf> = self
            .files
            .keys()
            .filter_map(|p| Path::new(p).parent().map(|d| dir.join(d)))
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for d in &dirs {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        self.files.par_iter().try_for_each(|(rel, bytes)| {
            let path = dir.join(rel);
            std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
        })
    }
}

/// Remove staging and retired directories left by killed builds.
fn clean_stale(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let staging = format!(".{name}.staging-");
    let retired = format!(".{name}.old-");
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&staging) || n.starts_with(&retired) {
            let pid = n.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
            // Leave directories of builds that are still running (serve + build at once).
            if pid.is_some_and(process_alive) && pid != Some(std::process::id()) {
                continue;
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Replace `out` with `staging`. On Linux the two directories are exchanged in one atomic
/// `renameat2(RENAME_EXCHANGE)`, so there is no moment without a complete site.
fn swap_in(staging: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return std::fs::rename(staging, out).map_err(|e| Error::io(out, e));
    }
    if exchange(staging, out) {
        // `staging` now holds the previous site.
        let _ = std::fs::remove_dir_all(staging);
        return Ok(());
    }
    let retired = PathBuf::from(format!("{}.old-{}", staging.display(), std::process::id()));
    std::fs::rename(out, &retired).map_err(|e| Error::io(out, e))?;
    std::fs::rename(staging, out).map_err(|e| Error::io(out, e))?;
    let _ = std::fs::remove_dir_all(&retired);
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(ca), Ok(cb)) = (
        CString::new(a.as_os_str().as_bytes()),
        CString::new(b.as_os_str().as_bytes()),
    ) else {
        return false;
    };
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_whole_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut a = SiteFiles::default();
        a.add("index.html", "one");
        a.add("old/only.html", "x");
        a.write_atomically(&out).unwrap();
        let mut b = SiteFiles::default();
        b.add("index.html", "two");
        b.add("deep/a/b.txt", "y");
        b.write_atomically(&out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "two"
        );
        assert!(!out.join("old").exists());
        assert!(out.join("deep/a/b.txt").exists());
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging directories left behind");
    }
}
