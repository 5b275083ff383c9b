//! Exports with URL sources: the core's [`Stepper`] driven by the stalls it reports, as the
//! npm package drives it, with a pool of fetch threads ([`super::fetch`]) in place of
//! `fetch()`. The ranges of regions ahead are read in the background while the current ones
//! decode. Output goes through the same [`OutputDir`] (and, in genome order, the same
//! [`Reorder`]) as local exports, so the files are byte for byte the same.
//!
//! Local files among the sources are read by the same threads, with `pread`.

use super::fetch::{Fetcher, Location, Pool, Traffic};
use super::http::{HttpClient, HttpOptions};
use super::parallel::{Progress, Summary};
use super::reorder::Reorder;
use super::OutputDir;
use crate::error::{Error, Result};
use crate::export::Options;
use crate::layout::TrackWriter;
use crate::reads::ReadPolicy;
use crate::region::Regions;
use crate::stepper::{Step, Stepper};
use std::path::Path;
use std::sync::Arc;

/// Output buffered in the stepper before it is written out.
const STEP_BYTES: usize = 1 << 20;
/// How the fetch threads read (their number, read-ahead windows, request sizes).
const POLICY: ReadPolicy = ReadPolicy::NATIVE;
/// Decoded blocks and raw bytes the stepper may hold.
const CACHE_BUDGET: usize = 64 << 20;
/// An export whose sources are open and whose regions are resolved; [`RemoteExport::run`]
/// writes it.
pub struct RemoteExport {
    stepper: Stepper,
    pool: Pool,
}

impl RemoteExport {
    /// Open every source (their headers, chrom trees and indexes, fetched as the core asks
    /// for them) and resolve `regions`. An error names the first failing source in order.
    pub fn open(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
    ) -> Result<Self> {
        Self::open_with_budget(sources, regions, options, http, CACHE_BUDGET)
    }

    /// [`RemoteExport::open`] with a chosen block-cache budget (tests pass 0 to force
    /// genome order on shuffled regions).
    #[doc(hidden)]
    pub fn open_with_budget(
        sources: &[Location],
        regions: Regions,
        options: Options,
        http: HttpOptions,
        cache_budget: usize,
    ) -> Result<Self> {
        let client = HttpClient::new(http, POLICY.concurrency);
        let fetchers = sources
            .iter()
            .map(|s| Fetcher::open(s, &client))
            .collect::<Result<Vec<_>>>()?;
        let names = fetchers.iter().map(|f| f.name().to_string()).collect();
        let mut stepper = Stepper::new(names, options, cache_budget);
        for (i, f) in fetchers.iter().enumerate() {
            if let Some(size) = f.size() {
                stepper.set_size(i, size);
            }
        }
        stepper.set_regions(regions);
        let mut pool = Pool::new(Arc::new(fetchers), POLICY)?;
        // One round of reads per stall (headers, then chrom trees and indexes, ...).
        loop {
            let missing = stepper.open()?;
            if missing.is_empty() {
                break;
            }
            pool.start(missing);
            pool.settle(&mut stepper)?;
        }
        Ok(RemoteExport { stepper, pool })
    }

    pub fn n_regions(&self) -> usize {
        self.stepper.n_regions()
    }

    /// Decode every region and write it to `out` (which the caller commits), in region
    /// order; `staging_budget` as for the parallel driver's genome order.
    pub fn run(
        mut self,
        out: &mut OutputDir,
        progress: Option<&Progress<'_>>,
        staging_budget: usize,
    ) -> Result<(Summary, Traffic)> {
        let st = &mut self.stepper;
        let pool = &mut self.pool;
        while !st.plan_order(usize::MAX / 2)? {}
        let (n_regions, n_samples) = (st.n_regions(), st.n_samples());
        let mut reorder = if st.genome_order() {
            Some(Reorder::new(
                n_regions,
                n_samples,
                out.scratch_file()?,
                staging_budget,
            ))
        } else {
            None
        };
        let lookahead = POLICY.lookahead(reorder.is_some());
        loop {
            let (ranges, stalled, done) = match st.step(STEP_BYTES, lookahead)? {
                Step::Done => (Vec::new(), false, true),
                Step::ReadAhead(r) => (r, false, false),
                Step::Stalled(r) => (r, true, false),
            };
            let started = pool.start(ranges);
            match reorder.as_mut() {
                Some(reorder) => reorder.add(&st.take_unordered().0)?,
                None => drain_into(out, &mut st.writer)?,
            }
            if let Some(p) = progress {
                p(st.regions_done() as u64);
            }
            if done {
                break;
            }
            if stalled {
                // A stall with nothing to read and nothing under way would repeat forever.
                if started == 0 && !pool.busy() {
                    return Err(Error::Output(
                        "internal error: a region misses bytes that no read provides".into(),
                    ));
                }
                pool.land(st, true)?;
            } else {
                pool.land(st, false)?;
            }
        }
        match reorder {
            Some(reorder) => reorder.write(out)?,
            // The stepper's writer holds the counts the headers need: it becomes the output's.
            None => std::mem::swap(&mut out.writer, &mut st.writer),
        }
        out.drain()?;
        let intervals = out.writer.n_intervals();
        let summary = Summary {
            regions: n_regions,
            samples: n_samples,
            intervals,
            bytes: intervals * 12 + (n_regions * n_samples + 1) as u64 * 8,
        };
        Ok((summary, self.pool.traffic()))
    }
}

/// Write out what `writer` buffered through `out`'s files. The records stay counted in
/// `writer`, which becomes `out`'s at the end.
fn drain_into(out: &mut OutputDir, writer: &mut TrackWriter) -> Result<()> {
    if writer.pending() == 0 {
        return Ok(());
    }
    std::mem::swap(&mut out.writer, writer);
    let res = out.drain();
    std::mem::swap(&mut out.writer, writer);
    res
}

/// The whole export with URL sources (any mix with files): open, decode, write `out`
/// atomically. Nothing is left in `out` when it fails.
pub fn export_remote(
    regions: Regions,
    sources: &[Location],
    out: &Path,
    options: Options,
    http: HttpOptions,
    staging_budget: usize,
    progress: Option<&Progress<'_>>,
) -> Result<(Summary, Traffic)> {
    let export = RemoteExport::open(sources, regions, options, http)?;
    let mut dir = OutputDir::create(out, options.layout, options.format)?;
    let done = export.run(&mut dir, progress, staging_budget)?;
    dir.commit()?;
    Ok(done)
}
