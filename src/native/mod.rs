//! Native layer: bigWig files, output directories written atomically, and the parallel
//! (rayon) driver. Everything format-related stays in the core.

mod atomic;
mod dataset;
mod fetch;
mod file;
mod http;
mod output;
mod parallel;
mod plan;
mod read_through;
mod remote;
mod reorder;
mod sweep;

pub use dataset::{
    concat_datasets, update_dataset, write_dataset, AnnotSpec, ConcatSummary, DatasetOptions,
    DatasetProgress, DatasetSummary, TrackSpec, UpdateOptions, UpdateSummary,
};
pub use fetch::{Fetcher, Location, Traffic};
pub use file::FileSource;
pub use http::{is_url, HttpClient, HttpOptions, HttpSource};
pub use output::{remove_partial_files, OutputDir};
pub use parallel::{
    export_parallel, export_parallel_with_budget, Progress, Summary, STAGING_BUDGET,
};
pub use plan::{plan, Plan, ShardPlan};
pub use read_through::{with_read_through, with_read_through_head, ReadThrough};
pub use remote::{export_remote, RemoteExport};

use crate::error::{Error, Result};
use crate::export::{open_input, Export, Input, Options};
use crate::region::{BedFields, BedParser, NoFields, Regions};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Read a BED (or .bed.gz) file into regions, a megabyte at a time (the file itself is
/// never held whole).
pub fn read_regions(path: &Path) -> Result<Regions> {
    Ok(read_bed(path, NoFields)?.0)
}

/// [`read_regions`], handing each region line's fields to `fields`.
pub fn read_bed<F: BedFields>(path: &Path, fields: F) -> Result<(Regions, F)> {
    use std::io::Read;
    let fail = |e: std::io::Error| {
        Error::input(format!(
            "{}: cannot read regions: {}",
            path.display(),
            io_reason(&e)
        ))
    };
    let mut file = std::fs::File::open(path).map_err(fail)?;
    if file.metadata().map_err(fail)?.is_dir() {
        return Err(Error::input(format!(
            "{}: cannot read regions: Is a directory",
            path.display()
        )));
    }
    let mut parser = BedParser::with_fields(&path.display().to_string(), fields);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => parser.feed(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fail(e)),
        }
    }
    parser.finish_with_fields()
}

/// Open bigWig files (in parallel on `pool`) in sample order; an error names the first
/// failing file in that order, whichever thread failed first.
pub fn open_files(paths: &[PathBuf], pool: &rayon::ThreadPool) -> Result<Vec<Input<FileSource>>> {
    pool.install(|| {
        paths
            .par_iter()
            .enumerate()
            .map(|(i, p)| open_input(i, p.display().to_string(), FileSource::open(p)?))
            .collect::<Vec<Result<_>>>()
    })
    .into_iter()
    .collect()
}

/// How the native driver runs.
#[derive(Debug, Clone, Copy)]
pub struct Parallel {
    /// Worker threads.
    pub threads: usize,
    /// Encoded output held in memory when regions are decoded out of order, before it
    /// spills to a scratch file; below the default it also forces that mode (for tests).
    pub staging_budget: usize,
}

impl Parallel {
    /// The thread pool the driver runs on.
    pub fn pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.max(1))
            .build()
            .map_err(|e| Error::Output(format!("cannot start threads: {e}")))
    }

    pub fn threads(threads: usize) -> Self {
        Parallel {
            threads,
            staging_budget: STAGING_BUDGET,
        }
    }
}

/// The whole native export: open sources, resolve regions, decode in parallel, write `out`
/// atomically. Nothing is left in `out` when it fails.
pub fn export_files(
    regions: Regions,
    sources: &[PathBuf],
    out: &Path,
    options: Options,
    parallel: Parallel,
    progress: Option<&Progress<'_>>,
) -> Result<Summary> {
    let pool = parallel.pool()?;
    let inputs = open_files(sources, &pool)?;
    let export = Export::new(inputs, regions, options)?;
    let mut dir = OutputDir::create(out, options.layout, options.format)?;
    let summary =
        export_parallel_with_budget(&export, &pool, &mut dir, progress, parallel.staging_budget)?;
    dir.commit()?;
    Ok(summary)
}

/// [`export_files`] for sources that may be URLs: all-local exports take the parallel
/// driver as they always did; with any URL, every source goes through the stepper driver
/// ([`export_remote`]), which also reports what the network carried.
pub fn export_locations(
    regions: Regions,
    sources: &[Location],
    out: &Path,
    options: Options,
    parallel: Parallel,
    http: HttpOptions,
    progress: Option<&Progress<'_>>,
) -> Result<(Summary, Option<Traffic>)> {
    let files: Option<Vec<PathBuf>> = sources
        .iter()
        .map(|s| match s {
            Location::File(p) => Some(p.clone()),
            Location::Url(_) => None,
        })
        .collect();
    let Some(paths) = files else {
        let (summary, traffic) = export_remote(
            regions,
            sources,
            out,
            options,
            http,
            parallel.staging_budget,
            progress,
        )?;
        return Ok((summary, Some(traffic)));
    };
    let summary = export_files(regions, &paths, out, options, parallel, progress)?;
    Ok((summary, None))
}

/// A write to `path` failed: one line naming it.
pub(crate) fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::Output(format!(
        "{}: cannot write output: {}",
        path.display(),
        io_reason(&e)
    ))
}

/// The OS reason without Rust's "(os error N)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
