//! Staging directories: a dataset (or a track added to one) is written into a hidden
//! directory next to its target and renamed into place only when complete, so it appears
//! whole or not at all. Removed with all they hold unless committed (also by the signal
//! handler); ones a killed run left behind are removed by the next run once their process
//! is gone.

use super::super::io_reason;
use super::super::output::{missing_ancestors, owner_is_gone, partial};
use super::super::write_error;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How a staging directory and a set-aside target are named next to the target `NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// A dataset: `.NAME.partial-PID`, the old one set aside as `.NAME.old-PID`.
    Dataset,
    /// A track inside a dataset: `.NAME.tmp.PID` and `.NAME.old.PID`, names GenVarLoader's
    /// `Dataset.open` skips (it would take any other directory for a track).
    Track,
}

impl Style {
    fn staging(self, name: &str) -> String {
        match self {
            Style::Dataset => format!(".{name}.partial-"),
            Style::Track => format!(".{name}.tmp."),
        }
    }
    fn aside(self, name: &str) -> String {
        match self {
            Style::Dataset => format!(".{name}.old-"),
            Style::Track => format!(".{name}.old."),
        }
    }
}

pub(super) struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    style: Style,
    /// Parent directories created for it, deepest first: removed again if it fails.
    created: Vec<PathBuf>,
    committed: bool,
}

/// `(parent, file name)` of the target, the parent "." for a bare name.
pub(super) fn split_target(out: &Path) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::Output(format!(
                "{}: the output needs a directory name",
                out.display()
            ))
        })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_string()))
}

impl Staging {
    pub fn create(target: &Path, style: Style) -> Result<Staging> {
        let (parent, name) = split_target(target)?;
        let created = missing_ancestors(&parent);
        let dir = parent.join(format!("{}{}", style.staging(&name), std::process::id()));
        let me = Staging {
            dir: dir.clone(),
            target: target.to_path_buf(),
            style,
            created,
            committed: false,
        };
        {
            let mut reg = partial();
            reg.paths.extend(me.created.iter().rev().cloned());
            reg.trees.push(dir.clone());
        }
        std::fs::create_dir_all(&parent).map_err(|e| write_error(&parent, e))?;
        sweep_stale(&parent, &name, style);
        // Our process id in the name: anything already there is a dead run's leftover.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).map_err(|e| write_error(&dir, e))?;
        Ok(me)
    }

    fn unregister(&self) {
        let mut reg = partial();
        reg.trees.retain(|t| *t != self.dir);
        reg.paths.retain(|p| !self.created.contains(p));
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
            // Only empty directories go; anything else someone put there stays.
            for d in &self.created {
                let _ = std::fs::remove_dir(d);
            }
        }
        self.unregister();
    }
}

/// Rename every staged directory into place: all of them, or (when one cannot be) none,
/// with every target as it was. An existing target is replaced only with `overwrite`;
/// it is set aside first and removed once all are in place.
pub(super) fn commit_all(mut staged: Vec<Staging>, overwrite: bool) -> Result<()> {
    // Held while renaming: a signal never splits a commit.
    let mut reg = partial();
    let mut done: Vec<(usize, Option<PathBuf>)> = Vec::new();
    let mut failure = None;
    for (k, s) in staged.iter().enumerate() {
        let out = &s.target;
        let moved = |e: std::io::Error| {
            Error::Output(format!(
                "{}: cannot move the {} into place: {}",
                out.display(),
                match s.style {
                    Style::Dataset => "dataset",
                    Style::Track => "track",
                },
                io_reason(&e)
            ))
        };
        let mut aside = None;
        if std::fs::symlink_metadata(out).is_ok() {
            if !overwrite {
                // Someone wrote it while this was being written.
                failure = Some(Error::Output(format!(
                    "{}: already exists; pass --overwrite to replace it",
                    out.display()
                )));
                break;
            }
            let (parent, name) = match split_target(out) {
                Ok(x) => x,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let old = parent.join(format!("{}{}", s.style.aside(&name), std::process::id()));
            if let Err(e) = std::fs::rename(out, &old) {
                failure = Some(moved(e));
                break;
            }
            reg.trees.push(old.clone());
            aside = Some(old);
        }
        if let Err(e) = std::fs::rename(&s.dir, out) {
            if let Some(old) = &aside {
                if std::fs::rename(old, out).is_ok() {
                    reg.trees.retain(|t| t != old);
                }
            }
            failure = Some(moved(e));
            break;
        }
        done.push((k, aside));
    }
    if let Some(e) = failure {
        // Put back what was moved, newest first: the targets stay as they were.
        for (k, aside) in done.into_iter().rev() {
            let s = &staged[k];
            if std::fs::rename(&s.target, &s.dir).is_ok() {
                if let Some(old) = aside {
                    if std::fs::rename(&old, &s.target).is_ok() {
                        reg.trees.retain(|t| *t != old);
                    }
                }
            }
        }
        drop(reg);
        return Err(e);
    }
    let mut asides = Vec::new();
    for (k, aside) in done {
        let s = &mut staged[k];
        s.committed = true;
        let dir = s.dir.clone();
        reg.trees.retain(|t| *t != dir);
        reg.paths.retain(|p| !s.created.contains(p));
        asides.extend(aside);
    }
    drop(reg);
    for old in asides {
        let _ = std::fs::remove_dir_all(&old);
        partial().trees.retain(|t| *t != old);
    }
    Ok(())
}

/// Remove staging and set-aside directories of `name` that a killed run (SIGKILL, a
/// crash) left in `parent`, when their process is gone.
fn sweep_stale(parent: &Path, name: &str, style: Style) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefixes = [style.staging(name), style.aside(name)];
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = prefixes.iter().find_map(|p| file.strip_prefix(p.as_str())) else {
            continue;
        };
        if owner_is_gone(rest) && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
