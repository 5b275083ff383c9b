//! Opening and writing one track of a dataset (per-sample or annotation): its sources in
//! the dataset's sample order, opened and resolved against the regions before anything is
//! written (on the driver [`Opened`] chooses), then exported raw into the track directory
//! in the dataset's format.

use super::super::fetch::Location;
use super::super::parallel::Summary;
use super::super::{HttpOptions, Opened, OutputDir, Parallel};
use crate::dataset::GvlFormat;
use crate::error::{Error, Result};
use crate::export::Options;
use crate::layout::Format;
use crate::region::Regions;
use std::path::Path;

/// One source of a track: its path or URL and how its errors are placed (a table line,
/// an `--annot` argument).
pub(super) struct TrackSource<'a> {
    pub path: &'a str,
    pub place: Box<dyn Fn(Error) -> Error + Sync + 'a>,
}

/// Open `sources` (in sample order) for `regions`: an error of one source is placed by
/// it, others (a contig missing from the sources, a region over `max_mem`) by `track`.
pub(super) fn open_track(
    track: &dyn Fn(Error) -> Error,
    sources: &[TrackSource<'_>],
    regions: &Regions,
    options: Options,
    http: HttpOptions,
    parallel: &Parallel,
    pool: &rayon::ThreadPool,
) -> Result<Opened> {
    let locations: Vec<Location> = sources
        .iter()
        .map(|s| Location::new(Path::new(s.path)))
        .collect();
    Opened::open(&locations, regions.clone(), options, http, parallel, pool).map_err(|e| {
        match e.source_index().and_then(|i| sources.get(i)) {
            Some(s) => (s.place)(e),
            None => track(e),
        }
    })
}

/// Export `export` into the track directory `dir` (created, files renamed into place when
/// complete; messages name it `shown`) in `format`'s layout, raw.
pub(super) fn write_track(
    export: Opened,
    dir: &Path,
    shown: &Path,
    format: GvlFormat,
    pool: &rayon::ThreadPool,
    parallel: &Parallel,
    tick: &(dyn Fn(u64) + Sync),
) -> Result<Summary> {
    let mut out = OutputDir::create_as(dir, shown, format.layout(), Format::Raw)?;
    let (s, _) = export.write(&mut out, pool, Some(tick), parallel)?;
    out.commit()?;
    Ok(s)
}
