//! Writing a GenVarLoader dataset directory. Everything is checked first (sample tables,
//! the BED, every bigWig opened and every contig resolved in every track), then written
//! into a hidden staging directory next to the target and renamed into place at the end:
//! the dataset appears whole or not at all. An existing target is replaced only with
//! `overwrite`, and only once the new dataset is complete.

use super::fetch::Location;
use super::output::{missing_ancestors, owner_is_gone, partial};
use super::parallel::export_parallel_with_budget;
use super::remote::RemoteExport;
use super::{io_reason, read_bed, write_error, FileSource, HttpOptions, OutputDir, Parallel};
use crate::dataset::{
    check_track_name, dataset_samples, BedTable, DatasetRegions, GvlFormat, SampleTable,
};
use crate::error::{shown, Error, Result};
use crate::export::{open_input, Export, Options};
use crate::layout::{Format, Layout};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One `--track NAME=TABLE`.
#[derive(Debug, Clone)]
pub struct TrackSpec {
    pub name: String,
    pub table: PathBuf,
}

impl std::str::FromStr for TrackSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('=') {
            Some((name, table)) if !table.is_empty() => {
                check_track_name(name)
                    .map_err(|e| Error::input(format!("--track '{}': {e}", shown(s))))?;
                Ok(TrackSpec {
                    name: name.to_string(),
                    table: PathBuf::from(table),
                })
            }
            _ => Err(Error::input(format!(
                "--track '{}': expected NAME=TABLE (a .csv or .tsv with columns sample and path)",
                shown(s)
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DatasetOptions {
    /// Regions are widened by this on both sides (`gvl.write`'s `max_jitter`).
    pub max_jitter: u32,
    /// Replace an existing dataset at the target.
    pub overwrite: bool,
    /// As [`Options::max_mem`].
    pub max_mem: u64,
    /// How URL sources (table paths that are http(s) URLs) are read.
    pub http: HttpOptions,
}

/// One track, opened: files through the parallel driver, or (with any URL among them)
/// every source through the stepper driver.
enum TrackExport {
    Files(Export<FileSource>),
    Remote(Box<RemoteExport>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSummary {
    pub regions: usize,
    pub samples: usize,
    pub tracks: usize,
    pub intervals: u64,
    /// Bytes of every file written.
    pub bytes: u64,
}

/// Called with the regions exported so far over all tracks, and their total (regions x
/// tracks).
pub type DatasetProgress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// Write the dataset of the regions in `bed` and `tracks` to `out`.
pub fn write_dataset(
    bed: &Path,
    tracks: &[TrackSpec],
    out: &Path,
    opts: DatasetOptions,
    parallel: Parallel,
    progress: Option<&DatasetProgress<'_>>,
) -> Result<DatasetSummary> {
    if tracks.is_empty() {
        return Err(Error::input("no tracks given: pass --track NAME=TABLE"));
    }
    for (i, t) in tracks.iter().enumerate() {
        if tracks[..i].iter().any(|u| u.name == t.name) {
            return Err(Error::input(format!(
                "track '{}' is given twice: track names are directory names, they must differ",
                shown(&t.name)
            )));
        }
    }
    check_target(out, opts.overwrite)?;

    let tables = tracks
        .iter()
        .map(|t| read_table(&t.table))
        .collect::<Result<Vec<_>>>()?;
    let named: Vec<(&str, &SampleTable)> = tracks
        .iter()
        .zip(&tables)
        .map(|(t, table)| (t.name.as_str(), table))
        .collect();
    let samples = dataset_samples(&named)?;
    let (input, table) = read_bed(bed, BedTable::new())?;
    let regions = DatasetRegions::new(input, table, opts.max_jitter)?;

    let pool = parallel.pool()?;
    let options = Options {
        format: Format::Raw,
        layout: Layout::Aos,
        max_mem: opts.max_mem,
    };
    // Every track opened and resolved before anything is written.
    let exports = tracks
        .iter()
        .zip(&tables)
        .map(|(t, table)| {
            let rows = table.rows_for(&samples);
            if rows.iter().any(|row| super::is_url(&row.path)) {
                let sources: Vec<Location> = rows
                    .iter()
                    .map(|row| Location::new(Path::new(&row.path)))
                    .collect();
                return RemoteExport::open(&sources, regions.sorted().clone(), options, opts.http)
                    .map(|e| TrackExport::Remote(Box::new(e)))
                    .map_err(|e| {
                        // Placed at the table line of the source it names, when it names one.
                        let msg = e.to_string();
                        let row = rows.iter().zip(&sources).find(|(_, s)| {
                            let name = match s {
                                Location::Url(u) => shown(u).into_owned(),
                                Location::File(p) => p.display().to_string(),
                            };
                            msg.starts_with(&format!("{name}: "))
                        });
                        match row {
                            Some((row, _)) => {
                                in_table(table, row.line, &row.sample, Path::new(&row.path), e)
                            }
                            None => in_track(&t.name, e),
                        }
                    });
            }
            let inputs = pool
                .install(|| {
                    rows.par_iter()
                        .enumerate()
                        .map(|(i, row)| {
                            let path = Path::new(&row.path);
                            let at = |e: Error| in_table(table, row.line, &row.sample, path, e);
                            let src = FileSource::open(path).map_err(at)?;
                            open_input(i, path.display().to_string(), src).map_err(at)
                        })
                        .collect::<Vec<Result<_>>>()
                })
                // The first failing row in table order, whichever thread failed first.
                .into_iter()
                .collect::<Result<Vec<_>>>()?;
            Export::new(inputs, regions.sorted().clone(), options)
                .map(TrackExport::Files)
                .map_err(|e| in_track(&t.name, e))
        })
        .collect::<Result<Vec<_>>>()?;

    let stage = Staging::create(out)?;
    let mut bytes = 0u64;
    let put = |name: &str, data: &[u8]| -> Result<u64> {
        let p = stage.dir.join(name);
        std::fs::write(&p, data).map_err(|e| write_error(&p, e))?;
        Ok(data.len() as u64)
    };
    bytes += put("regions.npy", &regions.regions_npy())?;
    bytes += put("input_regions.arrow", &regions.input_regions_arrow()?)?;
    let mut intervals = 0u64;
    let n = regions.len() as u64;
    let total = n * tracks.len() as u64;
    for (k, (t, export)) in tracks.iter().zip(exports).enumerate() {
        let offset = k as u64 * n;
        let tick = |done: u64| {
            if let Some(p) = progress {
                p(offset + done, total);
            }
        };
        let mut dir = OutputDir::create(
            &stage.dir.join("intervals").join(&t.name),
            Layout::Aos,
            Format::Raw,
        )?;
        let s = match export {
            TrackExport::Files(export) => export_parallel_with_budget(
                &export,
                &pool,
                &mut dir,
                Some(&tick),
                parallel.staging_budget,
            ),
            TrackExport::Remote(export) => export
                .run(&mut dir, Some(&tick), parallel.staging_budget)
                .map(|(summary, _)| summary),
        }
        .map_err(|e| in_track(&t.name, e))?;
        dir.commit()?;
        intervals += s.intervals;
        bytes += s.bytes;
    }
    // Last, as gvl.write does: a directory with metadata.json is a finished dataset.
    bytes += put(
        "metadata.json",
        &regions.metadata(GvlFormat::V1, samples.clone()).to_json(),
    )?;
    stage.commit(out, opts.overwrite)?;
    Ok(DatasetSummary {
        regions: regions.len(),
        samples: samples.len(),
        tracks: tracks.len(),
        intervals,
        bytes,
    })
}

/// Before any work: a target that exists is replaced only with `overwrite`, and only if it
/// is a dataset (or empty), so a mistyped `--out` cannot delete an unrelated directory.
fn check_target(out: &Path, overwrite: bool) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    let refuse = |why: &str| Err(Error::Output(format!("{}: {why}", out.display())));
    if !overwrite {
        return refuse("already exists; pass --overwrite to replace it");
    }
    if !meta.is_dir() {
        return refuse("exists and is not a directory; not replacing it");
    }
    let empty = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none());
    if !empty && !out.join("metadata.json").is_file() {
        return refuse("is not a GenVarLoader dataset (no metadata.json); not replacing it");
    }
    Ok(())
}

fn read_table(path: &Path) -> Result<SampleTable> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::input(format!(
            "{name}: cannot read sample table: {}",
            io_reason(&e)
        ))
    })?;
    SampleTable::parse(&name, &bytes)
}

/// A bigWig's error, placed at its table line.
fn in_table(table: &SampleTable, line: u32, sample: &str, path: &Path, e: Error) -> Error {
    let url = path.to_str().is_some_and(super::is_url);
    let hint = if !url && path.is_relative() && !path.exists() {
        " (relative paths are taken from the current directory, as in GenVarLoader)"
    } else {
        ""
    };
    Error::input(format!(
        "{} line {line} (sample '{}'): {e}{hint}",
        table.name,
        shown(sample)
    ))
}

fn in_track(name: &str, e: Error) -> Error {
    match e {
        Error::Input(m) => Error::Input(format!("track '{name}': {m}")),
        Error::MaxMem(m) => Error::MaxMem(format!("track '{name}': {m}")),
        e => e,
    }
}

/// The hidden directory a dataset is written into, next to its target; removed with all
/// it holds unless committed (also by the signal handler).
struct Staging {
    dir: PathBuf,
    /// Parent directories created for it, deepest first: removed again if it fails.
    created: Vec<PathBuf>,
    committed: bool,
}

/// `(parent, file name)` of the target, the parent "." for a bare name.
fn split_target(out: &Path) -> Result<(PathBuf, String)> {
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
    fn create(out: &Path) -> Result<Staging> {
        let (parent, name) = split_target(out)?;
        let fail = write_error;
        let created = missing_ancestors(&parent);
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let me = Staging {
            dir: dir.clone(),
            created,
            committed: false,
        };
        {
            let mut reg = partial();
            reg.paths.extend(me.created.iter().rev().cloned());
            reg.trees.push(dir.clone());
        }
        std::fs::create_dir_all(&parent).map_err(|e| fail(&parent, e))?;
        sweep_stale(&parent, &name);
        // Our process id in the name: anything already there is a dead run's leftover.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).map_err(|e| fail(&dir, e))?;
        Ok(me)
    }

    /// Rename into place, replacing an existing target only with `overwrite`.
    fn commit(mut self, out: &Path, overwrite: bool) -> Result<()> {
        let (parent, name) = split_target(out)?;
        let moved = |e: std::io::Error| {
            Error::Output(format!(
                "{}: cannot move the dataset into place: {}",
                out.display(),
                io_reason(&e)
            ))
        };
        // Held while renaming: a signal never splits a commit.
        let mut reg = partial();
        let mut aside = None;
        if std::fs::symlink_metadata(out).is_ok() {
            if !overwrite {
                // Someone wrote it while this dataset was being written.
                return Err(Error::Output(format!(
                    "{}: already exists; pass --overwrite to replace it",
                    out.display()
                )));
            }
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(out, &old).map_err(moved)?;
            reg.trees.push(old.clone());
            aside = Some(old);
        }
        if let Err(e) = std::fs::rename(&self.dir, out) {
            if let Some(old) = &aside {
                // Put the old dataset back: the target stays as it was.
                if std::fs::rename(old, out).is_ok() {
                    reg.trees.retain(|t| t != old);
                }
            }
            return Err(moved(e));
        }
        self.committed = true;
        let dir = self.dir.clone();
        reg.trees.retain(|t| *t != dir);
        reg.paths.retain(|p| !self.created.contains(p));
        drop(reg);
        if let Some(old) = aside {
            let _ = std::fs::remove_dir_all(&old);
            partial().trees.retain(|t| *t != old);
        }
        Ok(())
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

/// Remove staging and set-aside directories of `name` that a killed run (SIGKILL, a
/// crash) left in `parent`, when their process is gone.
fn sweep_stale(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefixes = [format!(".{name}.partial-"), format!(".{name}.old-")];
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
