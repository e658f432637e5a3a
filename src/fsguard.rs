//! The build reads only inside the project.
//!
//! Every input path is `root/<relative path>`. A symbolic link could still lead out of the project
//! (`data/references.bib -> /etc/passwd`, a `content` directory linked to `$HOME`) or into a loop.
//! [`check_inside`] resolves a path and refuses it unless it stays under the project root;
//! [`crate::content::read_text`] applies it to every text file it reads, and [`check_dirs`]
//! applies it to the input directories before they are walked. The directory walks themselves do
//! not follow symbolic links (see `content`, `render` and `tables`).

use std::path::{Component, Path, PathBuf};

use crate::error::{Diagnostic, Diagnostics, Result};

/// The project root of `abs`, given that `abs` is `root.join(rel)`; `None` when it is not.
pub fn root_of(abs: &Path, rel: &Path) -> Option<PathBuf> {
    if rel.is_absolute() || rel.as_os_str().is_empty() {
        return None;
    }
    let mut root = abs.to_path_buf();
    for c in rel.components().rev() {
        match c {
            Component::Normal(name) if root.file_name() == Some(name) => {
                root.pop();
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    })
}

/// Refuse `root/rel` if it resolves (through symbolic links) to a place outside `root`, or if
/// resolving it loops. A path that does not exist is fine here: reading it reports that.
pub fn check_inside(root: &Path, rel: &Path) -> Result<()> {
    let abs = root.join(rel);
    if std::fs::symlink_metadata(&abs).is_err() {
        return Ok(());
    }
    let real = match std::fs::canonicalize(&abs) {
        Ok(p) => p,
        Err(e) => {
            let looped = e.raw_os_error() == Some(libc::ELOOP);
            return Err(if looped {
                Diagnostic::file(rel, "symbolic link loop")
                    .hint("replace the link with the file or directory itself")
            } else {
                Diagnostic::file(rel, format!("a symbolic link that leads nowhere: {e}"))
                    .hint("replace the link with the file or directory itself")
            }
            .into());
        }
    };
    let Ok(root_real) = std::fs::canonicalize(root) else {
        return Ok(());
    };
    if real.starts_with(&root_real) {
        Ok(())
    } else {
        Err(Diagnostic::file(
            rel,
            "this is a symbolic link to a place outside the project; bilim reads only files inside the project",
        )
        .hint("replace the link with a copy of the file or directory")
        .into())
    }
}

/// Check the input directories of a project (and `site.toml`) before anything is read.
pub fn check_dirs(root: &Path, theme: &str) -> Result<()> {
    let mut diags = Diagnostics::default();
    let theme_dir = PathBuf::from("themes").join(theme);
    let mut paths = vec![
        PathBuf::from("site.toml"),
        PathBuf::from("content"),
        PathBuf::from("data"),
        PathBuf::from("data/references.bib"),
        PathBuf::from("themes"),
    ];
    if crate::content::is_slug(theme) {
        for sub in ["", "templates", "static", "i18n", "csl"] {
            paths.push(if sub.is_empty() {
                theme_dir.clone()
            } else {
                theme_dir.join(sub)
            });
        }
    }
    for rel in paths {
        if let Err(e) = check_inside(root, &rel) {
            diags.absorb(e)?;
        }
    }
    diags.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_of_strips_the_relative_path() {
        assert_eq!(
            root_of(Path::new("/p/x/data/a.bib"), Path::new("data/a.bib")),
            Some(PathBuf::from("/p/x"))
        );
        assert_eq!(
            root_of(Path::new("data/a.bib"), Path::new("data/a.bib")),
            Some(PathBuf::from("."))
        );
        assert_eq!(
            root_of(Path::new("/p/x/other.bib"), Path::new("data/a.bib")),
            None
        );
    }

    #[test]
    fn links_out_of_the_project_and_loops_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("site");
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(tmp.path().join("secret"), "s").unwrap();
        std::fs::write(root.join("data/ok.bib"), "").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("data/out.bib")).unwrap();
        std::os::unix::fs::symlink("ok.bib", root.join("data/in.bib")).unwrap();
        std::os::unix::fs::symlink("loop.bib", root.join("data/loop.bib")).unwrap();
        assert!(check_inside(&root, Path::new("data/ok.bib")).is_ok());
        assert!(check_inside(&root, Path::new("data/in.bib")).is_ok());
        assert!(check_inside(&root, Path::new("data/missing.bib")).is_ok());
        let e = check_inside(&root, Path::new("data/out.bib")).unwrap_err();
        assert!(e.to_string().contains("outside the project"), "{e}");
        let e = check_inside(&root, Path::new("data/loop.bib")).unwrap_err();
        assert!(e.to_string().contains("loop"), "{e}");
    }
}
