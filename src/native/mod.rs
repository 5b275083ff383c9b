//! Native layer: bigWig files, output directories written atomically, and the parallel
//! (rayon) driver. Everything format-related stays in the core.

mod atomic;
mod dataset;
mod fetch;
mod file;
mod http;
mod opened;
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
pub use opened::Opened;
pub use output::{remove_partial_files, OutputDir};
pub use parallel::{export_parallel, Progress, Summary, BLOCK_BUDGET, STAGING_BUDGET};
pub use plan::{plan, Plan, ShardPlan};
pub use read_through::{with_read_through, with_read_through_head, ReadThrough};
pub use remote::RemoteExport;

use crate::bed::{BedFields, BedParser, NoFields};
use crate::error::{Error, Result};
use crate::export::Options;
use crate::input::{open_input, Input};
use crate::region::Regions;
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
            .map(|(i, p)| {
                let src = FileSource::open(p).map_err(|e| e.at_source(i))?;
                open_input(i, p.display().to_string(), src)
            })
            .collect::<Vec<Result<_>>>()
    })
    .into_iter()
    .collect()
}

/// How the native drivers run: threads, and the memory budgets that choose the decode
/// order and bound the reorder.
#[derive(Debug, Clone, Copy)]
pub struct Parallel {
    /// Worker threads.
    pub threads: usize,
    /// Decoded data blocks an export may hold: when every block the regions touch fits,
    /// they are decoded once and the regions cut in input order; otherwise regions are
    /// decoded in genome order, unless they are in it already (see [`crate::order`]).
    pub block_budget: u64,
    /// Encoded output held in memory when regions are decoded out of order, before it
    /// spills to a scratch file.
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

    /// `threads` worker threads and the default budgets.
    pub fn threads(threads: usize) -> Self {
        Parallel {
            threads,
            block_budget: BLOCK_BUDGET,
            staging_budget: STAGING_BUDGET,
        }
    }
}

/// The whole native export of bigWig files: open them, resolve regions, decode in
/// parallel, write `out` atomically. Nothing is left in `out` when it fails.
pub fn export_files(
    regions: Regions,
    sources: &[PathBuf],
    out: &Path,
    options: Options,
    parallel: Parallel,
    progress: Option<&Progress<'_>>,
) -> Result<Summary> {
    let files: Vec<Location> = sources.iter().cloned().map(Location::File).collect();
    let http = HttpOptions::default();
    Ok(export_locations(regions, &files, out, options, parallel, http, progress)?.0)
}

/// [`export_files`] for sources that may be URLs, on the driver they call for
/// ([`Opened`]); with any URL, it also reports what the network carried. Nothing is left
/// in `out` when it fails.
pub fn export_locations(
    regions: Regions,
    sources: &[Location],
    out: &Path,
    options: Options,
    parallel: Parallel,
    http: HttpOptions,
    progress: Option<&Progress<'_>>,
) -> Result<(Summary, Option<Traffic>)> {
    let pool = parallel.pool()?;
    let opened = Opened::open(sources, regions, options, http, &parallel, &pool)?;
    let mut dir = OutputDir::create(out, options.layout, options.format)?;
    let done = opened.write(&mut dir, &pool, progress, &parallel)?;
    dir.commit()?;
    Ok(done)
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
