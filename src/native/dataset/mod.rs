//! GenVarLoader datasets on disk: `dataset` (gvl.write), `update` (gvl.update) and
//! `concat` (gvl.concat). Everything is checked first (sample tables, the BED or the
//! existing datasets, every bigWig opened and every contig resolved in every track), then
//! written into hidden staging directories and renamed into place at the end
//! ([`staging`]): a dataset or a new track appears whole or not at all. An existing target
//! is replaced only with `overwrite`, and only once the new one is complete.

mod concat;
mod copy;
mod tracks;
pub(crate) mod trackset;
mod update;

pub use concat::{concat_datasets, ConcatSummary};
pub use update::{update_dataset, UpdateOptions, UpdateSummary};

use super::atomic::{check_target, commit_all, Staging};
use super::{io_reason, read_bed, HttpOptions, Parallel};
use crate::atomic::Role;
use crate::dataset::shard::{JobHash, Shard, ShardBy, ShardInfo};
use crate::dataset::{
    check_names, check_track_name, BedTable, DatasetRegions, GvlFormat, SampleTable,
};
use crate::error::{shown, Error, Result};
use std::path::{Path, PathBuf};
use trackset::{track_options, write_all, TrackSet};

/// One `--track NAME=TABLE`.
#[derive(Debug, Clone)]
pub struct TrackSpec {
    pub name: String,
    pub table: PathBuf,
}

impl std::str::FromStr for TrackSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (name, table) = name_value(
            "--track",
            s,
            "expected NAME=TABLE (a .csv or .tsv with columns sample and path)",
        )?;
        Ok(TrackSpec {
            name,
            table: PathBuf::from(table),
        })
    }
}

/// One `--annot NAME=BIGWIG`: a track of one bigWig for all samples.
#[derive(Debug, Clone)]
pub struct AnnotSpec {
    pub name: String,
    /// A bigWig file or http(s) URL.
    pub source: String,
}

impl std::str::FromStr for AnnotSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (name, source) = name_value(
            "--annot",
            s,
            "expected NAME=BIGWIG (one bigWig file or URL for all samples)",
        )?;
        Ok(AnnotSpec { name, source })
    }
}

fn name_value(flag: &str, s: &str, expected: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((name, value)) if !value.is_empty() => {
            check_track_name(name)
                .map_err(|e| Error::input(format!("{flag} '{}': {e}", shown(s))))?;
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err(Error::input(format!("{flag} '{}': {expected}", shown(s)))),
    }
}

#[derive(Debug, Clone)]
pub struct DatasetOptions {
    /// Regions are widened by this on both sides (`gvl.write`'s `max_jitter`).
    pub max_jitter: u32,
    /// Replace an existing dataset (or track) at the target.
    pub overwrite: bool,
    /// As [`Options::max_mem`].
    pub max_mem: u64,
    /// How URL sources (table paths that are http(s) URLs) are read.
    pub http: HttpOptions,
    /// The on-disk format (`dataset` only: `update` keeps the dataset's).
    pub format: GvlFormat,
    /// Write only this part of the dataset.
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSummary {
    pub regions: usize,
    pub samples: usize,
    pub tracks: usize,
    pub annot: usize,
    pub intervals: u64,
    /// Bytes of every file written.
    pub bytes: u64,
}

/// Called with the regions exported so far over all tracks, and their total (regions x
/// tracks).
pub type DatasetProgress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// Write the dataset of the regions in `bed`, `tracks` and `annot` to `out`.
pub fn write_dataset(
    bed: &Path,
    tracks: &[TrackSpec],
    annot: &[AnnotSpec],
    out: &Path,
    opts: DatasetOptions,
    parallel: Parallel,
    progress: Option<&DatasetProgress<'_>>,
) -> Result<DatasetSummary> {
    if tracks.is_empty() {
        return Err(Error::input(
            "no tracks given: pass --track NAME=TABLE (annotation tracks need the samples of one)",
        ));
    }
    check_target(out, Role::Dataset, opts.overwrite, "--overwrite")?;
    let set = TrackSet::read(tracks, annot)?;
    let mut samples = set.samples()?;
    let (input, table) = read_bed(bed, BedTable::new())?;
    let mut regions = DatasetRegions::new(input, table, opts.max_jitter)?;
    let mut shard_info = None;
    if let Some(shard) = opts.shard {
        shard_info = Some(ShardInfo {
            k: shard.k,
            n: shard.n,
            by: shard.by,
            job: job_hash(&regions, &set, &opts)?,
        });
        match shard.by {
            ShardBy::Regions => {
                regions.check_parts(shard.n)?;
                regions = regions.part(shard.range(regions.len()))?;
            }
            ShardBy::Samples => {
                shard.check(samples.len(), "samples")?;
                samples = samples[shard.range(samples.len())].to_vec();
            }
        }
    }

    let pool = parallel.pool()?;
    let opened = set.open(
        &samples,
        regions.sorted(),
        track_options(opts.format, opts.max_mem),
        opts.http,
        &parallel,
        &pool,
    )?;

    let stage = Staging::create(out, Role::Dataset)?;
    let mut bytes = 0u64;
    let put = |name: &str, data: &[u8]| stage.put(name, data);
    bytes += put("regions.npy", &regions.regions_npy())?;
    bytes += put("input_regions.arrow", &regions.input_regions_arrow()?)?;
    let (intervals, track_bytes) = write_all(
        opened,
        regions.len(),
        opts.format,
        parallel,
        &pool,
        progress,
        |t| {
            let dir = stage.dir.join(t.kind).join(&t.name);
            Ok((dir.clone(), stage.shown(&dir)))
        },
    )?;
    bytes += track_bytes;
    // Last, as gvl.write does: a directory with metadata.json is a finished dataset.
    bytes += put("metadata.json", &{
        let mut m = regions.metadata(opts.format, samples.clone());
        m.shard = shard_info;
        m.to_json()
    })?;
    commit_all(vec![stage], opts.overwrite, "--overwrite")?;
    Ok(DatasetSummary {
        regions: regions.len(),
        samples: samples.len(),
        tracks: tracks.len(),
        annot: annot.len(),
        intervals,
        bytes,
    })
}

pub(crate) fn read_table(path: &Path) -> Result<SampleTable> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::input(format!(
            "{name}: cannot read sample table: {}",
            io_reason(&e)
        ))
    })?;
    SampleTable::parse(&name, &bytes)
}

/// A bigWig's error, placed at its table line (with a hint when it is a relative path
/// that does not exist).
fn in_table(table: &SampleTable, line: u32, sample: &str, path: &Path, e: Error) -> Error {
    let url = path.to_str().is_some_and(super::is_url);
    let hint = !url && path.is_relative() && !path.exists();
    e.at_table_line(&table.name, line, sample, hint)
}

/// The fingerprint of a sharded job: everything that decides the whole dataset.
fn job_hash(regions: &DatasetRegions, set: &TrackSet<'_>, opts: &DatasetOptions) -> Result<String> {
    let mut h = JobHash::default();
    h.add(&regions.input_regions_arrow()?);
    for (t, table) in set.tracks.iter().zip(&set.tables) {
        h.add(t.name.as_bytes());
        let mut rows: Vec<_> = table.rows.iter().map(|r| (&r.sample, &r.path)).collect();
        rows.sort();
        for (sample, path) in rows {
            h.add(sample.as_bytes()).add(path.as_bytes());
        }
    }
    for a in set.annot {
        h.add(a.name.as_bytes()).add(a.source.as_bytes());
    }
    h.add(&opts.max_jitter.to_le_bytes())
        .add(opts.format.format_version().as_bytes());
    if let Some(s) = opts.shard {
        h.add(&s.n.to_le_bytes()).add(s.by.as_str().as_bytes());
    }
    Ok(h.hex())
}
