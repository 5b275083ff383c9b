//! `update`: what `gvl.update` does, adding per-sample and annotation tracks to an
//! existing dataset (ours or GenVarLoader's, either format). Regions, jitter and samples
//! come from the dataset; each new track is exported into a staging directory inside it
//! and all of them are renamed into place together, so a failed update leaves the dataset
//! as it was and `Dataset.open` never sees half a track.

use super::super::atomic::{commit_all, sweep, Staging};
use super::super::{io_reason, HttpOptions, Parallel};
use super::trackset::{track_options, write_all, TrackSet};
use super::{AnnotSpec, DatasetProgress, TrackSpec};
use crate::atomic::Role;
use crate::dataset::stored::StoredDataset;
use crate::dataset::GvlFormat;
use crate::error::{shown, Error, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSummary {
    pub regions: usize,
    pub samples: usize,
    pub tracks: usize,
    pub annot: usize,
    pub format: GvlFormat,
    pub intervals: u64,
    pub bytes: u64,
}

/// Read an existing dataset's metadata and regions.
fn open_dataset(dir: &Path) -> Result<StoredDataset> {
    let name = dir.display().to_string();
    let read = |f: &str| {
        let p = dir.join(f);
        std::fs::read(&p).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound && f == "metadata.json" {
                format!("{name}: not a GenVarLoader dataset (no metadata.json)")
            } else {
                format!("{}: cannot read: {}", p.display(), io_reason(&e))
            };
            Error::input(why)
        })
    };
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "{name}: not a directory (expected a GenVarLoader dataset)"
        )));
    }
    StoredDataset::new(&name, &read("metadata.json")?, &read("regions.npy")?)
}

/// The names of the tracks (`intervals`) or annotation tracks (`annot_intervals`) of a
/// dataset, as `Dataset.open` lists them (its own and our temporaries skipped).
pub(super) fn track_dirs(dataset: &Path, kind: &str) -> Result<Vec<String>> {
    let dir = dataset.join(kind);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| {
            Error::input(format!("{}: cannot list: {}", dir.display(), io_reason(&e)))
        })?;
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let hidden = name.contains(".tmp.") || name.contains(".old.") || name.ends_with(".lock");
        let nonempty = std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some());
        if !hidden && e.file_type().is_ok_and(|t| t.is_dir()) && nonempty {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Replace tracks of the same names.
    pub overwrite: bool,
    /// As [`Options::max_mem`].
    pub max_mem: u64,
    /// How URL sources are read.
    pub http: HttpOptions,
}

/// Add `tracks` and `annot` to the dataset at `dir`.
pub fn update_dataset(
    dir: &Path,
    tracks: &[TrackSpec],
    annot: &[AnnotSpec],
    opts: UpdateOptions,
    parallel: Parallel,
    progress: Option<&DatasetProgress<'_>>,
) -> Result<UpdateSummary> {
    let UpdateOptions {
        overwrite,
        max_mem,
        http,
    } = opts;
    if tracks.is_empty() && annot.is_empty() {
        return Err(Error::input(
            "nothing to add: pass --track NAME=TABLE or --annot NAME=BIGWIG",
        ));
    }
    let set = TrackSet::read(tracks, annot)?;
    let ds = open_dataset(dir)?;
    // A dead update's leftovers go first (a track it had set aside is put back).
    for kind in ["intervals", "annot_intervals"] {
        sweep(&dir.join(kind), Role::Track);
    }
    let have_tracks = track_dirs(dir, "intervals")?;
    let have_annot = track_dirs(dir, "annot_intervals")?;
    let name = dir.display();
    for (new, kind, same, other) in tracks
        .iter()
        .map(|t| (&t.name, "track", &have_tracks, &have_annot))
        .chain(
            annot
                .iter()
                .map(|a| (&a.name, "annotation track", &have_annot, &have_tracks)),
        )
    {
        if other.contains(new) {
            let (there, added) = if kind == "track" {
                ("an annotation track", "a track")
            } else {
                ("a per-sample track", "an annotation track")
            };
            return Err(Error::input(format!(
                "{name}: '{}' is already {there} there; {added} of the same name would make it unreadable for GenVarLoader",
                shown(new)
            )));
        }
        if same.contains(new) && !overwrite {
            return Err(Error::input(format!(
                "{name}: {kind} '{}' already exists; pass --overwrite to replace it",
                shown(new)
            )));
        }
    }

    for (t, table) in tracks.iter().zip(&set.tables) {
        ds.check_samples(&t.name, table)?;
    }
    let regions = ds.regions()?;
    let samples = &ds.metadata.samples;
    let pool = parallel.pool()?;
    let options = track_options(ds.format, max_mem);
    let opened = set.open(samples, &regions, options, http, &parallel, &pool)?;
    let mut staged = Vec::new();
    let (intervals, bytes) = write_all(
        opened,
        regions.len(),
        ds.format,
        parallel,
        &pool,
        progress,
        |t| {
            let stage = Staging::create(&dir.join(t.kind).join(&t.name), Role::Track)?;
            let at = (stage.dir.clone(), stage.target().to_path_buf());
            staged.push(stage);
            Ok(at)
        },
    )?;
    commit_all(staged, overwrite, "--overwrite")?;
    Ok(UpdateSummary {
        regions: regions.len(),
        samples: samples.len(),
        tracks: tracks.len(),
        annot: annot.len(),
        format: ds.format,
        intervals,
        bytes,
    })
}
