use super::{io_reason, write_error};
use crate::atomic::temp;
use crate::error::{Error, Result};
use crate::layout::{Format, Layout, TrackWriter};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files and created directories of every export in this process that has not
/// finished: what a signal handler removes ([`remove_partial_files`]) before the process
/// dies. Commits hold the lock while renaming, so a signal never splits a commit.
static PARTIAL: Mutex<Partial> = Mutex::new(Partial {
    paths: Vec::new(),
    trees: Vec::new(),
});

pub(crate) struct Partial {
    /// Files, and directories removed only when empty.
    pub paths: Vec<PathBuf>,
    /// Directories removed with everything in them (a dataset being staged).
    pub trees: Vec<PathBuf>,
}

pub(crate) fn partial() -> std::sync::MutexGuard<'static, Partial> {
    PARTIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Remove the temporary files (and the directories they were put in, when empty) of every
/// unfinished export; for a signal handler, which then ends the process. Returns with the
/// registry locked for good, so no export can commit afterwards.
pub fn remove_partial_files() {
    let mut p = partial();
    let trees: Vec<PathBuf> = p.trees.drain(..).rev().collect();
    // The export's own threads may still be creating files in a tree (a directory made
    // again by `create_dir_all`) until they next touch the registry, which this keeps
    // locked: remove until a tree stays gone.
    for _ in 0..100 {
        let mut again = false;
        for tree in &trees {
            if std::fs::symlink_metadata(tree).is_ok() {
                again = true;
                let _ = std::fs::remove_dir_all(tree);
            }
        }
        if !again {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    for path in p.paths.drain(..).rev() {
        let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir(&path));
    }
    std::mem::forget(p);
}

/// An export's files under temporary names in the output directory, renamed into place by
/// [`OutputDir::commit`] only when everything was written. Dropped uncommitted, it removes
/// them, so a failed export never leaves files that look complete.
pub struct OutputDir {
    pub dir: PathBuf,
    /// How messages name `dir` (the target a user chose, when `dir` is a staging directory).
    shown: PathBuf,
    pub writer: TrackWriter,
    files: Vec<(PathBuf, PathBuf, BufWriter<File>)>,
    /// Directories this export created, deepest first: removed again if it fails.
    created: Vec<PathBuf>,
    committed: bool,
}

impl OutputDir {
    pub fn create(dir: &Path, layout: Layout, format: Format) -> Result<Self> {
        Self::create_as(dir, dir, layout, format)
    }

    /// [`OutputDir::create`] in `dir`, named `shown` in messages.
    pub fn create_as(dir: &Path, shown: &Path, layout: Layout, format: Format) -> Result<Self> {
        let created = missing_ancestors(dir);
        let writer = TrackWriter::new(layout, format);
        let show = |p: &Path| shown_as(dir, shown, p);
        // A temporary file is named by the file it becomes.
        let fail = |p: &Path, e| write_error(&show(p), e);
        let mut me = OutputDir {
            dir: dir.to_path_buf(),
            shown: shown.to_path_buf(),
            writer,
            files: Vec::new(),
            created,
            committed: false,
        };
        partial().paths.extend(me.created.iter().rev().cloned());
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        remove_stale(dir);
        for (i, f) in layout.files().iter().enumerate() {
            let final_path = dir.join(f.name);
            let temp = dir.join(temp::temp_name(f.name, &std::process::id().to_string()));
            partial().paths.push(temp.clone());
            let file = File::create(&temp).map_err(|e| fail(&final_path, e))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            // Room for the header, written once the counts are known.
            w.write_all(&vec![0u8; me.writer.header_len(i)])
                .map_err(|e| fail(&final_path, e))?;
            me.files.push((final_path, temp, w));
        }
        Ok(me)
    }

    /// Write out what the track writer has buffered.
    pub fn drain(&mut self) -> Result<()> {
        let files = &mut self.files;
        let (dir, shown) = (&self.dir, &self.shown);
        self.writer.drain(|i, bytes| {
            files[i]
                .2
                .write_all(bytes)
                .map_err(|e| write_error(&shown_as(dir, shown, &files[i].0), e))
        })
    }

    /// The files, for other threads to write parts of them at their places while this one
    /// writes on ([`OutputDir::continue_at`] then moves on past them).
    pub(super) fn positioned(&self) -> Result<PositionedFiles> {
        let files = self
            .files
            .iter()
            .map(|(final_path, _, w)| {
                let shown = shown_as(&self.dir, &self.shown, final_path);
                match w.get_ref().try_clone() {
                    Ok(f) => Ok((shown, f)),
                    Err(e) => Err(write_error(&shown, e)),
                }
            })
            .collect::<Result<_>>()?;
        Ok(PositionedFiles { files })
    }

    /// Go on writing each file `i` at `ends[i]`, where the parts other threads wrote end
    /// (what the writer buffered is written first, where it belongs).
    pub(super) fn continue_at(&mut self, ends: &[u64]) -> Result<()> {
        self.drain()?;
        let (dir, shown) = (&self.dir, &self.shown);
        for ((final_path, _, w), &end) in self.files.iter_mut().zip(ends) {
            w.seek(SeekFrom::Start(end))
                .map_err(|e| write_error(&shown_as(dir, shown, final_path), e))?;
        }
        Ok(())
    }

    /// Finish headers, flush, and rename every file into place: all of them or, when a
    /// target cannot be replaced, none.
    pub fn commit(mut self) -> Result<()> {
        self.drain()?;
        let headers = self.writer.headers();
        let (dir, shown) = (&self.dir, &self.shown);
        for ((final_path, _, w), header) in self.files.iter_mut().zip(&headers) {
            let fail = |e| write_error(&shown_as(dir, shown, final_path), e);
            w.flush().map_err(fail)?;
            if !header.is_empty() {
                let f = w.get_mut();
                f.seek(SeekFrom::Start(0)).map_err(fail)?;
                f.write_all(header).map_err(fail)?;
            }
        }
        // Every target is checked before any is replaced: a directory in the way of the
        // second file must not leave the first one new and the second one old.
        for (final_path, _, _) in &self.files {
            if std::fs::symlink_metadata(final_path).is_ok_and(|m| m.is_dir()) {
                return Err(Error::Output(format!(
                    "{}: cannot move output into place: a directory is in the way",
                    shown_as(dir, shown, final_path).display()
                )));
            }
        }
        let mut registry = partial();
        for (final_path, temp, _) in &self.files {
            std::fs::rename(temp, final_path).map_err(|e| {
                Error::Output(format!(
                    "{}: cannot move output into place: {}",
                    shown_as(dir, shown, final_path).display(),
                    io_reason(&e)
                ))
            })?;
        }
        self.committed = true;
        self.unregister(&mut registry);
        Ok(())
    }

    fn unregister(&self, registry: &mut Partial) {
        registry
            .paths
            .retain(|p| !self.files.iter().any(|(_, t, _)| t == p) && !self.created.contains(p));
    }

    /// Scratch space for the reorder spill: a file in the output directory, unlinked at
    /// once so it never outlives the process.
    pub fn scratch_file(&self) -> Result<File> {
        let path = self
            .dir
            .join(temp::spill_name(&std::process::id().to_string()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| {
                Error::Output(format!(
                    "{}: cannot create scratch file: {}",
                    self.shown.display(),
                    io_reason(&e)
                ))
            })?;
        let _ = std::fs::remove_file(&path);
        Ok(f)
    }
}

/// An export's files written at positions, from any thread (see [`OutputDir::positioned`]).
pub(super) struct PositionedFiles {
    /// Each file as messages name it, and a handle of its own.
    files: Vec<(PathBuf, File)>,
}

impl PositionedFiles {
    pub(super) fn write_at(&self, i: usize, bytes: &[u8], at: u64) -> Result<()> {
        let (shown, f) = &self.files[i];
        f.write_all_at(bytes, at).map_err(|e| write_error(shown, e))
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        let mut registry = partial();
        if !self.committed {
            for (_, temp, _) in &self.files {
                let _ = std::fs::remove_file(temp);
            }
            // Only empty directories go; anything else someone put there stays.
            for d in &self.created {
                let _ = std::fs::remove_dir(d);
            }
        }
        self.unregister(&mut registry);
    }
}

/// `p` (in `dir`) as messages name it: under `shown`.
fn shown_as(dir: &Path, shown: &Path, p: &Path) -> PathBuf {
    match p.strip_prefix(dir) {
        Ok(rel) if rel.as_os_str().is_empty() => shown.to_path_buf(),
        Ok(rel) => shown.join(rel),
        Err(_) => p.to_path_buf(),
    }
}

/// The directories of `dir` (itself included) that do not exist yet, deepest first: what
/// creating it makes, and a failure removes again.
pub(crate) fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect()
}

/// Remove temporary files that exports killed without a chance to clean up (SIGKILL, a
/// crash, power loss) left in `dir`, the CLI's and the npm package's alike
/// ([`temp::leftover_pid`]), when their process is gone. Needs `/proc` to tell a live
/// process from a dead one; elsewhere nothing is removed.
fn remove_stale(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp::leftover_pid) else {
            continue;
        };
        if owner_is_gone(&pid.to_string()) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Whether the process whose id starts `rest` (`<pid>` or `<pid>-<tag>`, what follows a
/// temporary name's prefix) is gone. False when `/proc` cannot tell.
pub(crate) fn owner_is_gone(rest: &str) -> bool {
    let pid = rest.split('-').next().unwrap_or("");
    let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    is_pid && Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}
