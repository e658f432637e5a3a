//! Writing the built site: into a staging directory beside the output, swapped in only when
//! the whole build succeeded, so a failed or killed build never leaves a half-written site.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// The files of a built site: path relative to the output root → bytes. A map keeps the output
/// order-independent and makes duplicate paths impossible.
///
/// In memory by default (`check`, `cite`, `table` and the tests read the files back). A build that
/// writes its output uses [`SiteFiles::staged`] instead: every file then goes straight to disk,
/// into a staging directory beside the output, and only its path is kept, so a 100,000-page site
/// is never held in memory. The staging directory is removed if the build fails (on drop) and
/// swapped in by [`SiteFiles::write_atomically`] if it succeeds.
#[derive(Debug, Default)]
pub struct SiteFiles {
    files: BTreeMap<String, Body>,
    staging: Option<PathBuf>,
    /// The first failed write into the staging directory, reported when the build commits.
    write_error: Option<Error>,
    /// Whether dropping this set removes the staging directory (false for a [`SiteFiles::part`]).
    owns_staging: bool,
}

#[derive(Debug)]
enum Body {
    Memory(Vec<u8>),
    /// A file shared with one of serve's caches (a page, a CSV, a search result, a citation
    /// file) rather than copied out of it.
    Shared(Arc<SharedText>),
    /// Already written into the staging directory.
    Staged,
}

impl Body {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Body::Memory(b) => Some(b),
            Body::Shared(t) => Some(&t.bytes),
            Body::Staged => None,
        }
    }

    /// The hash that [`SiteFiles::sync_into`] compares; a shared page's is computed once for
    /// all the rebuilds that reuse it.
    fn hash(&self) -> Option<u64> {
        match self {
            Body::Memory(b) => Some(crate::incremental::hash_of(&b.as_slice())),
            Body::Shared(t) => Some(t.hash()),
            Body::Staged => None,
        }
    }
}

/// A file that serve keeps between rebuilds and the output holds at the same time (a rendered
/// page, a dataset's CSV): at 10,000 articles the pages are 500 MB, too much to copy on every
/// rebuild, and hashing them again to find the changed ones would cost as much.
#[derive(Debug)]
pub struct SharedText {
    bytes: Vec<u8>,
    hash: OnceLock<u64>,
}

impl SharedText {
    /// A page's HTML (its hash is computed when first needed).
    pub fn new(text: String) -> SharedText {
        SharedText::from_bytes(text.into_bytes())
    }

    /// A file's bytes in whatever encoding they were committed in (a CSV may be windows-1251).
    pub fn from_bytes(bytes: Vec<u8>) -> SharedText {
        SharedText {
            bytes,
            hash: OnceLock::new(),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The hash of its bytes (the same as of a [`Body::Memory`] holding them).
    pub fn hash(&self) -> u64 {
        *self
            .hash
            .get_or_init(|| crate::incremental::hash_of(&self.bytes.as_slice()))
    }
}

impl SiteFiles {
    /// Files written straight into a fresh staging directory for `out` (see the type's docs).
    pub fn staged(out: &Path) -> Result<SiteFiles> {
        let (parent, name) = split_output(out);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        clean_stale(&parent, &name);
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        let _ = remove_tree(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(SiteFiles {
            files: BTreeMap::new(),
            staging: Some(staging),
            write_error: None,
            owns_staging: true,
        })
    }

    /// The staging directory of a staged set: files may be written there directly (from
    /// parallel workers) and then recorded with [`SiteFiles::add_staged`].
    pub fn staging_dir(&self) -> Option<&Path> {
        self.staging.as_deref()
    }

    /// Write one file under `dir` (creating its directories).
    pub fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = dir.join(rel);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
    }

    /// Record a file that a worker has already written into [`SiteFiles::staging_dir`].
    pub fn add_staged(&mut self, path: impl Into<String>) {
        self.files.insert(path.into(), Body::Staged);
    }

    /// Add a file shared with serve's caches (in a staged set, written at once like [`Self::add`]).
    pub fn add_shared(&mut self, path: impl Into<String>, text: Arc<SharedText>) {
        if self.staging.is_some() {
            let text = Arc::try_unwrap(text).map_or_else(|t| t.bytes.clone(), |t| t.bytes);
            return self.add(path, text);
        }
        self.files.insert(path.into(), Body::Shared(text));
    }

    /// Add a file; a later file at the same path replaces the earlier one. In a staged set the
    /// file is written at once; a write error is kept and reported by `write_atomically`.
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let path = path.into();
        let body = match &self.staging {
            None => Body::Memory(bytes.into()),
            Some(dir) => match Self::write_file(dir, &path, &bytes.into()) {
                Ok(()) => Body::Staged,
                Err(e) => {
                    self.write_error.get_or_insert(e);
                    Body::Staged
                }
            },
        };
        self.files.insert(path, body);
    }

    /// An empty set that writes where this one does, for a stage that runs in parallel with
    /// others; merge it back with [`SiteFiles::extend`].
    pub fn part(&self) -> SiteFiles {
        SiteFiles {
            files: BTreeMap::new(),
            staging: self.staging.clone(),
            write_error: None,
            owns_staging: false,
        }
    }

    /// Merge another set of files (a [`SiteFiles::part`] of this one, or an in-memory set).
    pub fn extend(&mut self, mut other: SiteFiles) {
        if let Some(e) = other.write_error.take() {
            self.write_error.get_or_insert(e);
        }
        self.files.append(&mut other.files);
    }

    /// Whether a path exists.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// A file's bytes (`None` for a file already written to a staging directory).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).and_then(Body::bytes)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every path, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Iterate over the (path, bytes) held in memory, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.bytes()?)))
    }

    /// Write every file into `out`, atomically replacing its previous content.
    pub fn write_atomically(mut self, out: &Path) -> Result<()> {
        if let Some(e) = self.write_error.take() {
            return Err(e);
        }
        let staging = match self.staging.take() {
            Some(dir) => dir,
            None => {
                let (parent, name) = split_output(out);
                std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
                clean_stale(&parent, &name);
                let dir = parent.join(format!(".{name}.staging-{}", std::process::id()));
                let _ = remove_tree(&dir);
                dir
            }
        };
        let result = self
            .write_into(&staging)
            .and_then(|()| swap_in(&staging, out));
        if result.is_err() {
            let _ = remove_tree(&staging);
        }
        result
    }

    /// Make `out` hold exactly these files, writing only those whose bytes differ from what
    /// `written` (path → hash, updated here) says this process last wrote there, and removing the
    /// files no longer produced. Used by incremental rebuilds; each file is replaced atomically
    /// (written beside, then renamed), so a reader never sees half a page. The first call (empty
    /// `written`) writes the whole directory atomically.
    pub fn sync_into(
        mut self,
        out: &Path,
        written: &mut HashMap<String, u64>,
    ) -> Result<(usize, usize)> {
        // Hashes by reference: only the paths of changed files are copied into `written`.
        let hashes: Vec<(&str, &[u8], u64)> = self
            .files
            .iter()
            .collect::<Vec<_>>()
            .par_iter()
            .filter_map(|(p, b)| Some((p.as_str(), b.bytes()?, b.hash()?)))
            .collect();
        if written.is_empty() || !out.is_dir() {
            let all: HashMap<String, u64> =
                hashes.iter().map(|(p, _, h)| (p.to_string(), *h)).collect();
            let n = all.len();
            self.write_atomically(out)?;
            *written = all;
            return Ok((n, 0));
        }
        // Per file: was it written before, and is it different now (looked up in parallel:
        // 73,000 lookups at 10,000 articles).
        let seen: Vec<(bool, bool)> = hashes
            .par_iter()
            .map(|(p, _, h)| {
                let last = written.get(*p);
                (last.is_some(), last != Some(h))
            })
            .collect();
        let known = seen.iter().filter(|(before, _)| *before).count();
        let changed: Vec<&(&str, &[u8], u64)> = (hashes.iter().zip(&seen))
            .filter(|(_, (_, differs))| *differs)
            .map(|(file, _)| file)
            .collect();
        // `written` holds only files of earlier builds that had bytes in memory, as `hashes`
        // does, so when all its paths are among them nothing is stale, and the scan (73,000
        // lookups in the file map at 10,000 articles) is skipped.
        let stale: Vec<String> = if known == written.len() {
            Vec::new()
        } else {
            (written.keys())
                .filter(|p| !self.files.contains_key(p.as_str()))
                .cloned()
                .collect()
        };
        // Forget first: a file whose write fails is written again by the next build.
        for (p, _, _) in &changed {
            written.remove(*p);
        }
        changed.par_iter().try_for_each(|(rel, bytes, _)| {
            let path = out.join(rel);
            if let Some(d) = path.parent() {
                std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
            }
            let tmp = path.with_file_name(format!(
                ".{}.bilim-tmp",
                path.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            ));
            std::fs::write(&tmp, bytes)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| Error::io(&path, e))
        })?;
        for (p, _, h) in &changed {
            written.insert(p.to_string(), *h);
        }
        for rel in &stale {
            let path = out.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            written.remove(rel);
            // Directories the removed file leaves empty go too (a clean build has none).
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != out && d.starts_with(out)) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        let counts = (changed.len(), stale.len());
        drop(changed);
        drop(hashes);
        // Freeing 73,000 paths and bodies takes a tenth of the write stage: off the thread
        // that tells the browser to reload (an in-memory set has nothing else to drop).
        let files = std::mem::take(&mut self.files);
        // (if no thread can be started, the closure and the files are dropped here)
        let _ = std::thread::Builder::new().spawn(move || drop(files));
        Ok(counts)
    }

    fn write_into(&self, dir: &Path) -> Result<()> {
        let dirs: std::collections::BTreeSet<PathBuf> = self
            .iter()
            .filter_map(|(p, _)| Path::new(p).parent().map(|d| dir.join(d)))
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for d in &dirs {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        let in_memory: Vec<(&str, &[u8])> = self.iter().collect();
        in_memory.par_iter().try_for_each(|(rel, bytes)| {
            let path = dir.join(rel);
            std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))
        })
    }
}

impl Drop for SiteFiles {
    /// A staged set that was never committed belongs to a failed build: remove its files.
    fn drop(&mut self) {
        if let Some(dir) = self.staging.take().filter(|_| self.owns_staging) {
            let _ = remove_tree(&dir);
        }
    }
}

/// The output's parent directory and file name.
fn split_output(out: &Path) -> (PathBuf, String) {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = out
        .file_name()
        .map_or("public".into(), |n| n.to_string_lossy().into_owned());
    (parent, name)
}

/// Remove a directory tree, subdirectories in parallel: removing the previous site of 70,000
/// files one by one took longer than building the new one.
pub fn remove_tree(dir: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return std::fs::remove_file(dir);
    }
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.flatten().collect();
    entries.par_iter().for_each(|e| {
        let _ = match e.file_type() {
            Ok(t) if t.is_dir() => remove_tree(&e.path()),
            _ => std::fs::remove_file(e.path()),
        };
    });
    std::fs::remove_dir(dir)
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
            let _ = remove_tree(&e.path());
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
        let _ = remove_tree(staging);
        return Ok(());
    }
    let retired = PathBuf::from(format!("{}.old-{}", staging.display(), std::process::id()));
    std::fs::rename(out, &retired).map_err(|e| Error::io(out, e))?;
    std::fs::rename(staging, out).map_err(|e| Error::io(out, e))?;
    let _ = remove_tree(&retired);
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

    #[test]
    fn a_staged_set_writes_at_once_and_vanishes_unless_committed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut old = SiteFiles::default();
        old.add("index.html", "old");
        old.write_atomically(&out).unwrap();
        {
            let mut staged = SiteFiles::staged(&out).unwrap();
            staged.add("a/b.html", "new");
            let dir = staged.staging_dir().unwrap().to_path_buf();
            assert_eq!(
                std::fs::read_to_string(dir.join("a/b.html")).unwrap(),
                "new"
            );
            assert_eq!(staged.get("a/b.html"), None, "not kept in memory");
            // A failed build drops its set: the staging directory goes, the old site stays.
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );

        let mut staged = SiteFiles::staged(&out).unwrap();
        let mut part = staged.part();
        part.add("search/x.json", "{}");
        SiteFiles::write_file(staged.staging_dir().unwrap(), "p.html", b"page").unwrap();
        staged.add_staged("p.html");
        staged.extend(part);
        drop(staged.part()); // a part never removes the shared directory
        let paths: Vec<&str> = staged.paths().collect();
        assert_eq!(paths, ["p.html", "search/x.json"]);
        staged.write_atomically(&out).unwrap();
        assert!(!out.join("index.html").exists());
        assert_eq!(std::fs::read_to_string(out.join("p.html")).unwrap(), "page");
        assert!(out.join("search/x.json").exists());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_staged_write_is_reported_and_keeps_the_old_site() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let mut old = SiteFiles::default();
        old.add("index.html", "old");
        old.write_atomically(&out).unwrap();
        let mut staged = SiteFiles::staged(&out).unwrap();
        staged.add("f", "a file");
        staged.add("f/g", "under a file: cannot be written");
        assert!(staged.write_atomically(&out).is_err());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
