//! Opening and writing one track of a dataset (per-sample or annotation): its sources in
//! the dataset's sample order, opened and resolved against the regions before anything is
//! written, then exported raw into the track directory in the dataset's format.

use super::super::fetch::Location;
use super::super::parallel::export_parallel_with_budget;
use super::super::parallel::Summary;
use super::super::remote::RemoteExport;
use super::super::{is_url, FileSource, HttpOptions, OutputDir, Parallel};
use crate::dataset::GvlFormat;
use crate::error::{shown, Error, Result};
use crate::export::{open_input, Export, Options};
use crate::layout::Format;
use crate::region::Regions;
use rayon::prelude::*;
use std::path::Path;

/// One source of a track: its path or URL and how its errors are placed (a table line,
/// an `--annot` argument).
pub(super) struct TrackSource<'a> {
    pub path: &'a str,
    pub place: Box<dyn Fn(Error) -> Error + Sync + 'a>,
}

/// A track whose sources are open: files through the parallel driver, or (with any URL
/// among them) every source through the stepper driver.
pub(super) enum TrackExport {
    Files(Export<FileSource>),
    Remote(Box<RemoteExport>),
}

/// Open `sources` (in sample order) for `regions`; `track` places errors that name no
/// source (a contig missing from the sources, a region over `max_mem`).
pub(super) fn open_track(
    track: &dyn Fn(Error) -> Error,
    sources: &[TrackSource<'_>],
    regions: &Regions,
    options: Options,
    http: HttpOptions,
    pool: &rayon::ThreadPool,
) -> Result<TrackExport> {
    if sources.iter().any(|s| is_url(s.path)) {
        let locations: Vec<Location> = sources
            .iter()
            .map(|s| Location::new(Path::new(s.path)))
            .collect();
        return RemoteExport::open(&locations, regions.clone(), options, http)
            .map(|e| TrackExport::Remote(Box::new(e)))
            .map_err(|e| {
                // Placed at the source it names, when it names one.
                let msg = e.to_string();
                let named = sources.iter().zip(&locations).find(|(_, l)| {
                    let name = match l {
                        Location::Url(u) => shown(u).into_owned(),
                        Location::File(p) => p.display().to_string(),
                    };
                    msg.starts_with(&format!("{name}: "))
                });
                match named {
                    Some((s, _)) => (s.place)(e),
                    None => track(e),
                }
            });
    }
    let inputs = pool
        .install(|| {
            sources
                .par_iter()
                .enumerate()
                .map(|(i, s)| {
                    let path = Path::new(s.path);
                    let src = FileSource::open(path).map_err(&s.place)?;
                    open_input(i, path.display().to_string(), src).map_err(&s.place)
                })
                .collect::<Vec<Result<_>>>()
        })
        // The first failing source in order, whichever thread failed first.
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    Export::new(inputs, regions.clone(), options)
        .map(TrackExport::Files)
        .map_err(track)
}

/// Export `export` into the track directory `dir` (created, files renamed into place when
/// complete; messages name it `shown`) in `format`'s layout, raw.
pub(super) fn write_track(
    export: TrackExport,
    dir: &Path,
    shown: &Path,
    format: GvlFormat,
    pool: &rayon::ThreadPool,
    parallel: Parallel,
    tick: &(dyn Fn(u64) + Sync),
) -> Result<Summary> {
    let mut out = OutputDir::create_as(dir, shown, format.layout(), Format::Raw)?;
    let s = match export {
        TrackExport::Files(export) => export_parallel_with_budget(
            &export,
            pool,
            &mut out,
            Some(tick),
            parallel.staging_budget,
        ),
        TrackExport::Remote(export) => export
            .run(&mut out, Some(tick), parallel.staging_budget)
            .map(|(summary, _)| summary),
    }?;
    out.commit()?;
    Ok(s)
}

/// An input or memory error, named after its track (output errors name their path).
pub(super) fn in_track(what: &str, name: &str, e: Error) -> Error {
    match e {
        Error::Input(m) => Error::Input(format!("{what} '{}': {m}", shown(name))),
        Error::MaxMem(m) => Error::MaxMem(format!("{what} '{}': {m}", shown(name))),
        e => e,
    }
}
