//! Which driver an export runs on, decided once for `export`, `dataset`, `update`: all
//! sources files, the parallel driver; any URL among them, every source through the
//! stepper driver ([`RemoteExport`]), which also reports what the network carried.

use super::fetch::{Location, Traffic};
use super::parallel::{export_parallel, Progress, Summary};
use super::{open_files, FileSource, HttpOptions, OutputDir, Parallel, RemoteExport};
use crate::error::Result;
use crate::export::{Export, Options};
use crate::region::Regions;
use std::path::PathBuf;

/// An export whose sources are open and whose regions are resolved, on its driver.
pub enum Opened {
    Files(Export<FileSource>),
    Remote(Box<RemoteExport>),
}

impl Opened {
    /// Open `sources` (in sample order) for `regions`. A source's error knows its index
    /// ([`crate::Error::source_index`]): the first failing source in order, whichever
    /// thread failed first.
    pub fn open(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
        parallel: &Parallel,
        pool: &rayon::ThreadPool,
    ) -> Result<Self> {
        let paths: Option<Vec<PathBuf>> = sources
            .iter()
            .map(|s| match s {
                Location::File(p) => Some(p.clone()),
                Location::Url(_) => None,
            })
            .collect();
        match paths {
            Some(paths) => {
                let inputs = open_files(&paths, pool)?;
                Ok(Opened::Files(Export::new(inputs, regions, options)?))
            }
            None => {
                let e = RemoteExport::open(sources, regions, options, http, parallel)?;
                Ok(Opened::Remote(Box::new(e)))
            }
        }
    }

    pub fn n_regions(&self) -> usize {
        match self {
            Opened::Files(e) => e.n_regions(),
            Opened::Remote(e) => e.n_regions(),
        }
    }

    /// Decode every region and write it to `out` (which the caller commits), in region
    /// order; with URL sources, what the network carried too.
    pub fn write(
        self,
        out: &mut OutputDir,
        pool: &rayon::ThreadPool,
        progress: Option<&Progress<'_>>,
        parallel: &Parallel,
    ) -> Result<(Summary, Option<Traffic>)> {
        match self {
            Opened::Files(e) => Ok((export_parallel(&e, pool, out, progress, parallel)?, None)),
            Opened::Remote(e) => {
                let (summary, traffic) = e.run(out, pool, progress)?;
                Ok((summary, Some(traffic)))
            }
        }
    }
}
